package dev.ledgermind.inference.tokenizer;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.TinyModels;
import dev.ledgermind.inference.tokenizer.bpe.BpeTokenizer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** Tokenizers built from GGUF metadata: round trips, merges, special tokens, byte fallback, pre-tokenizer splits. */
class TokenizerTest {
    static final String[] TEXTS = {"Hello, world!", "The quick brown fox jumps over the lazy dog.", "  two  spaces\nand\tnewlines\r\n",
            "Numbers 12345 and 2026", "Ünïcödé – 世界 🌍 € ß", "don't you'll I'm", ""};

    private static List<String> split(String pattern, String text) {
        Matcher m = Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS).matcher(text);
        List<String> out = new ArrayList<>();
        while (m.find()) out.add(m.group());
        return out;
    }

    @Test
    void preTokenizersSplitAsTheirFamiliesDo() {
        assertEquals(List.of("Hello", " world", " ", "123", "45", "!!"), split(BpeTokenizer.LLAMA3_PATTERN, "Hello world 12345!!"));
        assertEquals(List.of("Hello", " world", " ", "1", "2", "3", "4", "5", "!!"), split(BpeTokenizer.QWEN2_PATTERN, "Hello world 12345!!"));
        assertEquals(List.of("Hello", " world", " 12345", "!!"), split(BpeTokenizer.GPT2_PATTERN, "Hello world 12345!!"));
        assertEquals(List.of("I", "'m", " fine"), split(BpeTokenizer.LLAMA3_PATTERN, "I'm fine"));
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
        BpeTokenizer t = new BpeTokenizer(tokens, new String[0], types, "default", 3, 3, 3, false);
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
