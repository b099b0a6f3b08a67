package dev.ledgermind.inference.tokenizer;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.TinyModels;
import dev.ledgermind.inference.tokenizer.bpe.BpeTokenizer;
import dev.ledgermind.inference.tokenizer.bpe.PreTokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Tokenizers built from GGUF metadata: round trips, merges, special tokens, byte fallback, pre-tokenizer splits. */
class TokenizerTest {
    static final String[] TEXTS = {"Hello, world!", "The quick brown fox jumps over the lazy dog.", "  two  spaces\nand\tnewlines\r\n",
            "Numbers 12345 and 2026", "Ünïcödé – 世界 🌍 € ß", "don't you'll I'm", ""};

    private static List<String> split(String pre, String text) {
        return PreTokenizer.forName(pre).split(text);
    }

    @Test
    void preTokenizersSplitAsTheirFamiliesDo() {
        assertEquals(List.of("Hello", " world", " ", "123", "45", "!!"), split("llama-bpe", "Hello world 12345!!"));
        assertEquals(List.of("Hello", " world", " ", "1", "2", "3", "4", "5", "!!"), split("qwen2", "Hello world 12345!!"));
        assertEquals(List.of("Hello", " world", " 12345", "!!"), split("gpt-2", "Hello world 12345!!"));
        assertEquals(List.of("I", "'m", " fine"), split("llama-bpe", "I'm fine"));
        assertEquals(List.of("I", "'M", " FINE"), split("llama-bpe", "I'M FINE"), "Llama 3's contractions ignore case");
        assertEquals(List.of("I", "'", "M"), split("gpt-2", "I'M"), "GPT-2's do not");
    }

    @Test
    void smollmSplitsDigitsFirstThenRunsGpt2OnWhatIsLeft() {
        // \p{N} first: "  " and "1"; GPT-2's split then keeps the two spaces together (one regex for both gave " ", " ", "1")
        assertEquals(List.of("  ", "1"), split("smollm", "  1"));
        assertEquals(List.of("a", " ", "1", "2", " b"), split("starcoder", "a 12 b"));
        assertEquals(split("smollm", "x  42 y"), split("refact", "x  42 y"));
    }

    @Test
    void deepseekLlmAndDefaultAreMultiPatternSequences() {
        // deepseek-llm: newlines alone, letter runs with one leading space, digit runs
        assertEquals(List.of("Hello", "\n", " world", " ", "123"), split("deepseek-llm", "Hello\n world 123"));
        // default: punctuation runs split first, then GPT-2, then digit runs, then groups of three ASCII digits
        assertEquals(List.of("a", "...", " ", "123", "456", "7"), split("default", "a... 1234567"));
    }

    @Test
    void anUnknownPreTokenizerNameIsRefusedWithTheNamesThatExist() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreTokenizer.forName("llama-42"));
        assertTrue(e.getMessage().contains("'llama-42'") && e.getMessage().contains("llama-bpe") && e.getMessage().contains("smollm"), e.getMessage());
    }

    @Test
    void byteLevelBpeRoundTripsMergesAndParsesSpecialTokens() throws Exception {
        for (String family : new String[]{"llama3", "qwen2", "smollm"}) {
            try (LlamaModel m = LlamaModel.load(TinyModels.path(family, GgmlType.Q8_0))) {
                Tokenizer t = m.tokenizer();
                for (String s : TEXTS) assertEquals(s, t.decode(t.encode(s, false)), family + ": " + s);
                int[] the = t.encode(" the quick brown fox", false);
                assertTrue(the.length < " the quick brown fox".length(), family + ": merges apply, got " + the.length + " tokens");
                String special = family.equals("llama3") ? "<|eot_id|>" : "<|im_end|>";
                int id = t.tokenId(special);
                assertTrue(id >= 0);
                assertArrayEquals(new int[]{id}, t.encode(special, true));
                assertTrue(t.encode(special, false).length > 1, "without special parsing it is plain text");
                assertTrue(t.isEndOfGeneration(id));
            }
        }
    }

    @Test
    void anEmptyControlTokenIsNeverMatchedAsASpecialString() {
        // vocabulary: three plain byte-level tokens, a control token and an empty control token
        String[] tokens = {"a", "b", "c", "<|x|>", ""};
        int[] types = {1, 1, 1, 3, 3};
        BpeTokenizer t = new BpeTokenizer(new Vocabulary(tokens, types, Vocabulary.Ids.of(3, 3)), new String[0], PreTokenizer.forName("gpt-2"), false);
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(10), () -> {
            assertArrayEquals(new int[]{0, 1, 3, 2}, t.encode("ab<|x|>c", true));
            assertArrayEquals(new int[]{2}, t.encode("c", true));
        });
    }

    @Test
    void sentencePieceRoundTripsWithByteFallback() throws Exception {
        try (LlamaModel m = LlamaModel.load(TinyModels.path("llama2", GgmlType.Q8_0))) {
            Tokenizer t = m.tokenizer();
            for (String s : TEXTS) {
                if (s.isEmpty() || s.startsWith(" ")) continue; // SentencePiece folds a leading space into its prefix
                assertEquals(s, t.decode(t.encode(s, false)), s);
            }
            int[] euro = t.encode("€", false);
            // "▁" is a piece; "€" is not, so it falls back to its three UTF-8 bytes.
            assertEquals(4, euro.length, java.util.Arrays.toString(euro));
            assertArrayEquals(new int[]{t.tokenId("<0xE2>"), t.tokenId("<0x82>"), t.tokenId("<0xAC>")},
                    java.util.Arrays.copyOfRange(euro, 1, 4));
            int[] fox = t.encode("the quick brown fox", false);
            assertTrue(fox.length < "the quick brown fox".length(), "merges apply");
            assertEquals(t.tokenId("\u2581the"), fox[0], "the space prefix and the word merge into one piece");
            assertEquals(1, t.bos());
            assertTrue(t.addBos());
        }
    }
}
