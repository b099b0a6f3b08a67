package dev.ledgermind.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.gguf.GgufFile;
import dev.ledgermind.inference.gguf.GgufTensorInfo;
import dev.ledgermind.inference.gguf.GgufWriter;
import dev.ledgermind.inference.llama.SyntheticModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code generate --json} on a synthetic model: one JSON object, identical across thread counts; a conversation
 * (flags or a JSON file) rendered through the file's own chat template, the built-in form announced on stderr when
 * the file has none, malformed conversations refused with the reason; inspect names the tensors; {@code bench decoder --json} reports positive speeds, an accepted replay and the file size.
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

    /** Exit code, stdout and stderr of one run. */
    private record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        PrintStream oldOut = System.out, oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        try {
            int code = Ledgermind.run(args);
            return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    /** A copy of {@code src} whose metadata also has {@code tokenizer.chat_template} (written with the project's GGUF writer). */
    private static void withChatTemplate(Path src, Path dst, String template) throws Exception {
        try (GgufFile f = GgufFile.open(src)) {
            GgufWriter w = new GgufWriter();
            f.metadata().entries().forEach(w::put);
            w.putString("tokenizer.chat_template", template);
            List<GgufTensorInfo> ts = new ArrayList<>(f.tensors().values());
            ts.sort(java.util.Comparator.comparingLong(GgufTensorInfo::offset));
            for (GgufTensorInfo t : ts) w.addTensor(t.name(), t.type(), t.dims(), t.data().toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
            w.write(dst);
        }
    }

    // Qwen2-Instruct's template, as its tokenizer_config.json (and llama.cpp's test vocabulary) carries it
    private static final String QWEN2_TEMPLATE = "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
            + "{{ '<|im_start|>system\nYou are a helpful assistant<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' "
            + "+ message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    @Test
    void generateRendersAWholeConversationThroughTheFilesOwnChatTemplate(@TempDir Path dir) throws Exception {
        Path plain = dir.resolve("plain.gguf");
        SyntheticModel.write(plain, "qwen2", SyntheticModel.TINY, GgmlType.Q8_0, 3);
        Path model = dir.resolve("templated.gguf");
        withChatTemplate(plain, model, QWEN2_TEMPLATE);
        ObjectMapper json = new ObjectMapper();

        Run flags = run("generate", "--model", model.toString(), "--system", "Be brief.", "--user", "Hi", "--assistant", "Hello!",
                "--user", "2+2?", "--max-tokens", "3", "--json");
        assertEquals(0, flags.code(), flags.err());
        JsonNode a = json.readTree(flags.out());
        assertEquals("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n"
                + "<|im_start|>user\n2+2?<|im_end|>\n<|im_start|>assistant\n", a.get("prompt").asText());
        assertTrue(a.get("chatTemplate").asText().contains("tokenizer.chat_template"), a.toString());

        Path messages = dir.resolve("conversation.json");
        Files.writeString(messages, "{\"messages\": [{\"role\": \"system\", \"content\": \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Hi\"},"
                + " {\"role\": \"assistant\", \"content\": \"Hello!\"}, {\"role\": \"user\", \"content\": \"2+2?\"}]}");
        JsonNode b = json.readTree(run("generate", "--model", model.toString(), "--messages", messages.toString(), "--max-tokens", "3", "--json").out());
        assertEquals(a.get("prompt"), b.get("prompt"));
        assertEquals(a.get("resultHash"), b.get("resultHash"), "the same conversation from a file generates the same tokens");

        // without a system message, the file's template supplies its default one
        JsonNode c = json.readTree(run("generate", "--model", model.toString(), "--chat", "--prompt", "Hi", "--max-tokens", "2", "--json").out());
        assertEquals("<|im_start|>system\nYou are a helpful assistant<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
                c.get("prompt").asText());
    }

    @Test
    void aFileWithoutAChatTemplateGetsTheBuiltInFormAndSaysSo(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("plain.gguf");
        SyntheticModel.write(model, "qwen2", SyntheticModel.TINY, GgmlType.Q8_0, 3);
        Run r = run("generate", "--model", model.toString(), "--chat", "--prompt", "Hi", "--max-tokens", "2", "--json");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("built-in ChatML") && r.err().contains("has no tokenizer.chat_template"), r.err());
        assertEquals("<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n", new ObjectMapper().readTree(r.out()).get("prompt").asText());
    }

    @Test
    void aMalformedConversationIsAUsageErrorNamingWhatWasWrong(@TempDir Path dir) throws Exception {
        Path model = dir.resolve("plain.gguf");
        SyntheticModel.write(model, "qwen2", SyntheticModel.TINY, GgmlType.Q8_0, 3);
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "[{\"role\": \"user\", \"content\": \"Hi\"}, {\"role\": \"assistant\", \"content\": 42}]");
        Run r = run("generate", "--model", model.toString(), "--messages", bad.toString());
        assertEquals(2, r.code(), r.out());
        assertTrue(r.err().contains("$[1].content should be a string"), r.err());
        Run order = run("generate", "--model", model.toString(), "--user", "a", "--assistant", "b");
        assertEquals(2, order.code());
        assertTrue(order.err().contains("1 --user and 1 --assistant"), order.err());
        Run both = run("generate", "--model", model.toString(), "--prompt", "x", "--user", "y");
        assertEquals(2, both.code());
        assertTrue(both.err().contains("exactly one of --prompt, --user"), both.err());
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
