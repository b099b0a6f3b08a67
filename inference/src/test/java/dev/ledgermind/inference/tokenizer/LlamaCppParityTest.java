package dev.ledgermind.inference.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledgermind.inference.gguf.GgufFormatException;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Token ids, the add-BOS decision and the end-of-generation set equal llama.cpp's on real vocabularies
 * (Llama 3.1, Qwen2.5, Llama 2 and Mistral SentencePiece, a SmolLM-style StarCoder vocabulary under each
 * GPT-2-family pre-tokenizer), for every corpus string with special-token parsing off and on. The
 * expected ids come from llama.cpp itself (vectors.json, written by inference/scripts/llamacpp-vectors).
 */
class LlamaCppParityTest {
    private static final JsonNode VECTORS = LlamaCppReference.json("vectors.json");
    private static final List<String> CORPUS = LlamaCppReference.corpus();

    @Test
    void theCorpusIsTheOneTheVectorsWereMadeFrom() {
        assertTrue(CORPUS.size() >= 500, "corpus of " + CORPUS.size() + " strings");
        for (JsonNode v : VECTORS.get("vocabularies")) {
            assertEquals(CORPUS.size(), v.get("plain").size(), v.get("name").asText());
            assertEquals(CORPUS.size(), v.get("special").size(), v.get("name").asText());
        }
    }

    @TestFactory
    Stream<DynamicTest> tokenIdsEqualLlamaCppWithSpecialParsingOffAndOn() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : VECTORS.get("vocabularies")) {
            String name = v.get("name").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Tokenizer t = LlamaCppReference.tokenizer(v.get("file").asText(), v.get("pre").isNull() ? null : v.get("pre").asText());
                List<String> wrong = new ArrayList<>();
                int[] agree = new int[2];
                for (int mode = 0; mode < 2; mode++) {
                    JsonNode expected = v.get(mode == 0 ? "plain" : "special");
                    for (int i = 0; i < CORPUS.size(); i++) {
                        int[] want = LlamaCppReference.ids(expected.get(i));
                        int[] got = t.encode(CORPUS.get(i), mode == 1);
                        if (Arrays.equals(want, got)) agree[mode]++;
                        else if (wrong.size() < 8) wrong.add((mode == 1 ? "special " : "plain ") + "#" + i + " " + quote(CORPUS.get(i))
                                + "\n    llama.cpp  " + Arrays.toString(want) + "\n    ledgermind " + Arrays.toString(got));
                    }
                }
                System.out.printf("llama.cpp parity %-24s special off %d/%d, special on %d/%d%n", name, agree[0], CORPUS.size(), agree[1], CORPUS.size());
                assertTrue(wrong.isEmpty(), name + ": " + (2 * CORPUS.size() - agree[0] - agree[1]) + " strings differ, first:\n" + String.join("\n", wrong));
            }));
        }
        return tests.stream();
    }

    @TestFactory
    Stream<DynamicTest> addBosDecisionAndEndOfGenerationSetEqualLlamaCpp() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : VECTORS.get("vocabularies")) {
            String name = v.get("name").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Tokenizer t = LlamaCppReference.tokenizer(v.get("file").asText(), v.get("pre").isNull() ? null : v.get("pre").asText());
                assertEquals(v.get("addBos").asBoolean(), t.addBos(), name + ": add BOS");
                assertEquals(v.get("bos").asInt(), t.bos(), name + ": BOS id");
                assertEquals(v.get("eos").asInt(), t.eos(), name + ": EOS id");
                int[] eog = IntStream.range(0, t.vocabularySize()).filter(t::isEndOfGeneration).toArray();
                assertArrayEquals(LlamaCppReference.ids(v.get("eog")), eog, name + ": end-of-generation set");
            }));
        }
        return tests.stream();
    }

    @Test
    void anUnknownPreTokenizerIsRefusedAsLlamaCppRefusesIt() {
        for (JsonNode r : VECTORS.get("refused")) {
            String pre = r.get("pre").asText();
            assertTrue(r.get("llamacpp").asText().contains(pre), "llama.cpp refused it: " + r.get("llamacpp").asText());
            GgufFormatException e = assertThrows(GgufFormatException.class, () -> LlamaCppReference.tokenizer(r.get("file").asText(), pre));
            assertTrue(e.getMessage().contains("tokenizer.ggml.pre") && e.getMessage().contains(pre), e.getMessage());
        }
    }

    private static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.codePoints().forEach(c -> {
            if (c == '\n') b.append("\\n");
            else if (c == '\r') b.append("\\r");
            else if (c == '\t') b.append("\\t");
            else if (c < 0x20 || (c >= 0x7F && c < 0xA0) || c == 0x200D || c == 0xFEFF) b.append(String.format("\\u%04x", c));
            else b.appendCodePoint(c);
        });
        return b.append('"').toString();
    }
}
