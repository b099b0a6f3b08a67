package dev.ledgermind.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.llama.SyntheticModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code generate --json} on a synthetic model: one JSON object, identical across thread counts; inspect names
 * the tensors; {@code bench decoder --json} reports positive speeds, an accepted replay and the file size.
 */
class GenerateCommandTest {
    private static String capture(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertEquals(0, Ledgermind.run(args), () -> buf.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(old);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void generateJsonIsIdenticalAcrossThreadCountsAndInspectDescribesTheFile(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, "qwen2", SyntheticModel.TINY, GgmlType.Q8_0, 3);
        ObjectMapper json = new ObjectMapper();
        JsonNode a = json.readTree(capture("generate", "--model", model.toString(), "--prompt", "Hello, world!", "--max-tokens", "5",
                "--temperature", "0.7", "--seed", "9", "--threads", "1", "--json"));
        JsonNode b = json.readTree(capture("generate", "--model", model.toString(), "--prompt", "Hello, world!", "--max-tokens", "5",
                "--temperature", "0.7", "--seed", "9", "--threads", "2", "--json"));
        assertEquals(a.get("tokens"), b.get("tokens"));
        assertEquals(a.get("traceRoot"), b.get("traceRoot"));
        assertEquals(a.get("resultHash"), b.get("resultHash"));
        assertTrue(a.get("traceRoot").asText().matches("0x[0-9a-f]{64}"));
        JsonNode c = json.readTree(capture("generate", "--model", model.toString(), "--prompt", "Hello, world!", "--max-tokens", "5",
                "--temperature", "0.7", "--seed", "10", "--threads", "1", "--json"));
        assertNotEquals(a.get("resultHash"), c.get("resultHash"), "another seed samples other tokens");
        String inspect = capture("model", "inspect", model.toString());
        assertTrue(inspect.contains("architecture qwen2") && inspect.contains("Q8_0"), inspect);
    }

    @Test
    void modelSynthWritesAQ4KmMixtureThatInspectShowsAndGenerateRuns(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("km.gguf");
        capture("model", "synth", "--arch", "llama3", "--shape", "tiny-unaligned", "--type", "q4_k_m", "--out", model.toString());
        String inspect = capture("model", "inspect", model.toString());
        // dim 288: most matrices fall back to Q5_0, the output and layer 1's attn_v to Q8_0; ffn_down keeps Q4_K / Q6_K
        for (String t : new String[]{"Q5_0", "Q8_0", "Q4_K", "Q6_K", "general.file_type = 15"}) assertTrue(inspect.contains(t), t + " in " + inspect);
        JsonNode g = new ObjectMapper().readTree(capture("generate", "--model", model.toString(), "--prompt", "Hello", "--max-tokens", "4", "--json"));
        assertEquals(4, g.get("tokens").size(), g.toString());
    }

    @Test
    void benchDecoderJsonReportsSpeedsAnAcceptedReplayAndMemoryAgainstTheFileSize(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("tiny.gguf");
        SyntheticModel.write(model, "llama3", SyntheticModel.TINY, GgmlType.Q4_0, 5);
        JsonNode r = new ObjectMapper().readTree(capture("bench", "decoder", "--model", model.toString(), "--threads", "2",
                "--prompt-tokens", "8", "--decode-tokens", "6", "--repeats", "2", "--json"));
        assertEquals(2, r.get("threads").asInt());
        assertEquals(8, r.get("promptTokens").asInt());
        assertEquals(6, r.get("decodeTokens").asInt());
        for (String k : new String[]{"prefillTokensPerSecond", "decodeTokensPerSecond", "replayTokensPerSecond", "replayOverDecode"}) {
            assertTrue(r.get(k).asDouble() > 0, k + " = " + r.get(k));
        }
        assertTrue(r.get("replayAccepted").asBoolean());
        assertEquals(java.nio.file.Files.size(model), r.get("fileBytes").asLong());
        assertTrue(r.get("peakRssBytes").asLong() > r.get("fileBytes").asLong(), "the process holds more than the file: " + r);
    }
}
