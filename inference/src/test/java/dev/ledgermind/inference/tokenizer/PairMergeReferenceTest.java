package dev.ledgermind.inference.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledgermind.inference.gguf.GgufMetadata;
import dev.ledgermind.inference.tokenizer.bpe.BpeTokenizer;
import dev.ledgermind.inference.tokenizer.bpe.ByteLevel;
import dev.ledgermind.inference.tokenizer.bpe.PreTokenizer;
import dev.ledgermind.inference.tokenizer.sentencepiece.SentencePieceTokenizer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Property: the O(n log n) merge loop ({@link PairMerge}) in {@link BpeTokenizer} and {@link SentencePieceTokenizer}
 * gives the same ids as the plain O(n^2) loop they had before ({@link PlainBpe}, {@link PlainSentencePiece}, kept
 * verbatim in the tests), on random text: for every real vocabulary of the llama.cpp parity suite, and for small
 * synthetic vocabularies built to tie (few letters, long runs of one letter, many pieces of equal score or one
 * merge that applies at many places), where the leftmost-first rule decides. Seeded: a failure prints its seed,
 * case and text. {@code -Dledgermind.merge.cases=N} runs more cases.
 */
class PairMergeReferenceTest {
    private static final int CASES = Integer.getInteger("ledgermind.merge.cases", 200);
    private static final List<String> CORPUS = LlamaCppReference.corpus();

    @TestFactory
    Stream<DynamicTest> realVocabulariesGiveThePlainLoopsIdsOnRandomText() {
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode v : LlamaCppReference.json("vectors.json").get("vocabularies")) {
            String name = v.get("name").asText();
            String file = v.get("file").asText();
            String pre = v.get("pre").isNull() ? null : v.get("pre").asText();
            tests.add(DynamicTest.dynamicTest(name, () -> {
                Tokenizer fast = LlamaCppReference.tokenizer(file, pre);
                Function<String, int[]>[] plain = plain(fast, LlamaCppReference.metadata(file, pre));
                List<String> specials = specialTexts(((VocabularyTokenizer) fast).vocabulary());
                SplittableRandom rnd = new SplittableRandom(name.hashCode());
                for (int c = 0; c < CASES; c++) {
                    String text = realText(rnd, specials);
                    for (int mode = 0; mode < 2; mode++) {
                        boolean special = mode == 1;
                        assertSame(plain[mode].apply(text), fast.encode(text, special), name + " special " + special + " case " + c, text);
                    }
                }
            }));
        }
        return tests.stream();
    }

    @Test
    void bpeTiesGoLeftmostAsInThePlainLoop() {
        SplittableRandom rnd = new SplittableRandom(15);
        for (int vocabCase = 0; vocabCase < 40; vocabCase++) {
            // letters a-c, and merges of random pairs of known symbols: a merge list may hold one pair twice
            // (the first rank counts) and a merged text may already be a token
            List<String> tokens = new ArrayList<>();
            for (int b = 0; b < 256; b++) tokens.add(String.valueOf(ByteLevel.charOf(b)));
            List<String> symbols = new ArrayList<>(List.of("a", "b", "c"));
            List<String> merges = new ArrayList<>();
            int nMerges = 3 + rnd.nextInt(30);
            for (int m = 0; m < nMerges; m++) {
                String l = symbols.get(rnd.nextInt(symbols.size())), r = symbols.get(rnd.nextInt(symbols.size()));
                merges.add(l + " " + r);
                if (!tokens.contains(l + r)) tokens.add(l + r);
                symbols.add(l + r);
            }
            Vocabulary vocab = new Vocabulary(tokens.toArray(String[]::new), null, Vocabulary.Ids.of(-1, -1));
            String[] mergeArray = merges.toArray(String[]::new);
            PreTokenizer pre = PreTokenizer.forName("gpt-2");
            BpeTokenizer fast = new BpeTokenizer(vocab, mergeArray, pre, false);
            PlainBpe plain = new PlainBpe(vocab, mergeArray, pre);
            for (int c = 0; c < CASES / 3; c++) {
                String text = tieText(rnd, "abc");
                assertSame(plain.encode(text, false), fast.encode(text, false), "bpe vocabulary " + vocabCase + " " + merges + " case " + c, text);
            }
        }
    }

    @Test
    void sentencePieceTiesGoLeftmostAsInThePlainLoop() {
        SplittableRandom rnd = new SplittableRandom(16);
        float[] scorePool = {0f, -0f, -1f, -1f, -2.5f, 3f, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, Float.MIN_VALUE, -Float.MIN_VALUE};
        for (int vocabCase = 0; vocabCase < 40; vocabCase++) {
            LinkedHashSet<String> pieces = new LinkedHashSet<>(List.of("<unk>", "<s>", "</s>", "a", "b", "c", "\u2581"));
            for (int b = 0; b < 256; b++) pieces.add(String.format("<0x%02X>", b));
            int extra = 5 + rnd.nextInt(60);
            for (int p = 0; p < extra; p++) pieces.add(randomWord(rnd, "ab\u2581c", 2 + rnd.nextInt(5)));
            String[] tokens = pieces.toArray(String[]::new);
            int[] types = new int[tokens.length];
            float[] scores = new float[tokens.length];
            for (int i = 0; i < tokens.length; i++) {
                types[i] = i == 0 ? 2 : i < 3 ? 3 : tokens[i].startsWith("<0x") ? 6 : 1;
                // few distinct scores: most pairs tie
                scores[i] = scorePool[rnd.nextInt(vocabCase % 2 == 0 ? 2 : scorePool.length)];
            }
            Vocabulary vocab = new Vocabulary(tokens, types, new Vocabulary.Ids(1, 2, -1, -1, 0, -1, -1, -1, -1, -1, -1));
            for (boolean prefix : new boolean[]{false, true}) {
                SentencePieceTokenizer fast = new SentencePieceTokenizer(vocab, scores, false, prefix);
                PlainSentencePiece plain = new PlainSentencePiece(vocab, scores, prefix);
                for (int c = 0; c < CASES / 3; c++) {
                    String text = tieText(rnd, "ab c");
                    boolean special = rnd.nextBoolean();
                    assertSame(plain.encode(text, special), fast.encode(text, special),
                            "sentencepiece vocabulary " + vocabCase + " prefix " + prefix + " case " + c, text);
                }
            }
        }
    }

    @Test
    void oneMergeEverywhereMergesFromTheLeft() {
        // "a a" applies at every position of "aaaaa": leftmost first gives aa|aa|a, not a|aa|aa
        String[] tokens = {"a", "aa"};
        Vocabulary vocab = new Vocabulary(tokens, null, Vocabulary.Ids.of(-1, -1));
        float[] scores = {0f, 0f};
        assertArrayEquals(new int[]{1, 1, 0}, new SentencePieceTokenizer(vocab, scores, false, false).encode("aaaaa", false));
        assertArrayEquals(new int[]{0, 2, 4, 5}, PairMerge.merge("aaaaa", (s, m, e) -> e - s == 2 ? 7 : PairMerge.NO_MERGE));
        // and a lower rank found later still wins over an earlier higher one: ab|c vs a|bc
        assertArrayEquals(new int[]{0, 1, 3}, PairMerge.merge("abc", (s, m, e) -> s == 0 && e == 2 ? 5 : s == 1 && e == 3 ? 4 : PairMerge.NO_MERGE));
    }

    @Test
    void aLoneSurrogateIsOneSymbolAndASurrogatePairIsNeverSplit() {
        assertArrayEquals(new int[]{0, 1, 3, 4}, PairMerge.merge("\uD800\uD83D\uDE00\uDC00", (s, m, e) -> PairMerge.NO_MERGE));
        assertArrayEquals(new int[]{0}, PairMerge.merge("", (s, m, e) -> 0));
    }

    @Test
    void aNanScoreMergesLastWhereThePlainLoopDependedOnPosition() {
        // llama.cpp's comparator is undefined for NaN; the plain loop took a NaN pair whenever it was the first
        // mergeable pair from the left. PairMerge orders NaN as -infinity: "bc" (-5) merges before "ab" (NaN).
        String[] tokens = {"a", "b", "c", "ab", "bc"};
        float[] scores = {0f, 0f, 0f, Float.NaN, -5f};
        Vocabulary vocab = new Vocabulary(tokens, null, Vocabulary.Ids.of(-1, -1));
        assertArrayEquals(new int[]{0, 4}, new SentencePieceTokenizer(vocab, scores, false, false).encode("abc", false));
    }

    // ------------------------------------------------------------------ helpers

    @SuppressWarnings("unchecked")
    private static Function<String, int[]>[] plain(Tokenizer fast, GgufMetadata m) {
        if (fast instanceof BpeTokenizer b) {
            PlainBpe p = new PlainBpe(b.vocabulary(), m.getStringArray("tokenizer.ggml.merges"), b.preTokenizer());
            return new Function[]{t -> p.encode((String) t, false), t -> p.encode((String) t, true)};
        }
        SentencePieceTokenizer s = (SentencePieceTokenizer) fast;
        PlainSentencePiece p = new PlainSentencePiece(s.vocabulary(), m.getFloatArray("tokenizer.ggml.scores"),
                m.getBool("tokenizer.ggml.add_space_prefix", true));
        return new Function[]{t -> p.encode((String) t, false), t -> p.encode((String) t, true)};
    }

    private static List<String> specialTexts(Vocabulary v) {
        List<String> out = new ArrayList<>();
        for (int id = 0; id < v.size(); id++) {
            if (v.is(id, Vocabulary.ATTR_CONTROL | Vocabulary.ATTR_USER_DEFINED | Vocabulary.ATTR_UNKNOWN)) out.add(v.text(id));
        }
        return out;
    }

    /** Spliced corpus pieces, random code points of many scripts, runs of one character, special-token texts. */
    private static String realText(SplittableRandom rnd, List<String> specials) {
        StringBuilder sb = new StringBuilder();
        int parts = 1 + rnd.nextInt(6);
        for (int p = 0; p < parts && sb.length() < 300; p++) {
            switch (rnd.nextInt(5)) {
                case 0 -> {
                    String s = CORPUS.get(rnd.nextInt(CORPUS.size()));
                    int a = s.isEmpty() ? 0 : rnd.nextInt(s.length());
                    sb.append(s, a, Math.min(s.length(), a + rnd.nextInt(80)));
                }
                case 1 -> {
                    int[] starts = {0x20, 0x80, 0x400, 0x600, 0x900, 0x3040, 0x4E00, 0xAC00, 0x1F300, 0x2000, 0xD800};
                    int base = starts[rnd.nextInt(starts.length)];
                    for (int i = rnd.nextInt(20); i > 0; i--) sb.appendCodePoint(base + rnd.nextInt(base == 0xD800 ? 0x800 : 0x60));
                }
                case 2 -> sb.repeat(" \t\n0123456789aeé-'".charAt(rnd.nextInt(18)), 1 + rnd.nextInt(40));
                case 3 -> sb.append(specials.isEmpty() ? "" : specials.get(rnd.nextInt(specials.size())));
                default -> sb.append(randomWord(rnd, "the ing ed 's 're  ", 1 + rnd.nextInt(30)));
            }
        }
        return sb.toString();
    }

    /** Text over a small alphabet with long runs: many equal pairs. */
    private static String tieText(SplittableRandom rnd, String alphabet) {
        StringBuilder sb = new StringBuilder();
        int runs = 1 + rnd.nextInt(8);
        for (int r = 0; r < runs; r++) sb.repeat(alphabet.charAt(rnd.nextInt(alphabet.length())), 1 + rnd.nextInt(rnd.nextBoolean() ? 3 : 25));
        return sb.toString();
    }

    private static String randomWord(SplittableRandom rnd, String alphabet, int n) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < n; i++) sb.append(alphabet.charAt(rnd.nextInt(alphabet.length())));
        return sb.toString();
    }

    private static void assertSame(int[] plain, int[] fast, String what, String text) {
        if (!Arrays.equals(plain, fast)) {
            fail(what + ": " + escape(text) + "\n  plain loop " + Arrays.toString(plain) + "\n  PairMerge  " + Arrays.toString(fast));
        }
    }

    private static String escape(String s) {
        StringBuilder b = new StringBuilder("\"");
        s.chars().forEach(c -> b.append(c >= 0x20 && c < 0x7f ? String.valueOf((char) c) : String.format("\\u%04x", c)));
        return b.append('"').toString();
    }
}
