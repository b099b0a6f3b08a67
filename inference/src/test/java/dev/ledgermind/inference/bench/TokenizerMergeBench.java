package dev.ledgermind.inference.bench;

import dev.ledgermind.inference.gguf.GgufMetadata;
import dev.ledgermind.inference.tokenizer.LlamaCppReference;
import dev.ledgermind.inference.tokenizer.PlainBpe;
import dev.ledgermind.inference.tokenizer.PlainSentencePiece;
import dev.ledgermind.inference.tokenizer.Tokenizer;
import dev.ledgermind.inference.tokenizer.bpe.BpeTokenizer;
import dev.ledgermind.inference.tokenizer.sentencepiece.SentencePieceTokenizer;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Benchmark, not a test: tokens per second of the BPE and SentencePiece encoders with the O(n log n) merge loop
 * ({@code PairMerge}) against the plain O(n^2) loop they had before ({@link PlainBpe}, {@link PlainSentencePiece}),
 * on the real Llama 3.1 (BPE) and Llama 2 (SentencePiece) vocabularies of the parity suite. Inputs: mixed text
 * (the parity corpus, 30 scripts, code, emoji, whitespace runs, concatenated) of 4 and 64 KiB, and runs of 10,000
 * of one character. Skipped unless {@code -Dbench=true}:
 * <pre>
 *   ./mvnw -B -q -pl inference test -Dtest=TokenizerMergeBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 *   cat inference/target/surefire-reports/dev.ledgermind.inference.bench.TokenizerMergeBench-output.txt
 * </pre>
 * Each row: one warm-up of each (whose ids must agree), then {@code -Dbench.rounds=R} (5) rounds alternating which
 * loop goes first; a round runs one loop for at least {@code -Dbench.roundSeconds} (0.5) s and at least once. The
 * medians of the rounds' tokens/s and their ratio are printed. The plain loop is skipped on inputs whose merge
 * fragment is longer than {@code -Dbench.plainMaxChars} (20,000): SentencePiece merges a whole text as one
 * fragment, and the plain loop's n^2 on 64 KiB takes minutes per call.
 */
class TokenizerMergeBench {
    @Test
    void tokensPerSecondOfTheHeapMergeVersusThePlainLoop() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        int rounds = Integer.getInteger("bench.rounds", 5);
        double roundSeconds = Double.parseDouble(System.getProperty("bench.roundSeconds", "0.5"));
        int plainMax = Integer.getInteger("bench.plainMaxChars", 20_000);
        System.out.printf("JDK %s, %d processors; %d rounds per row, each loop at least %.2f s per round, alternating which goes first%n",
                Runtime.version(), Runtime.getRuntime().availableProcessors(), rounds, roundSeconds);
        System.out.println("| vocabulary | input | chars | tokens | plain loop tokens/s (median) | PairMerge tokens/s (median) | ratio of medians | round ratios (min-max) |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");

        String mixed = mixedText(64 * 1024);
        String mixed4k = mixedText(4 * 1024);
        String[][] inputs = {
                {"mixed text, 4 KiB", mixed4k},
                {"mixed text, 64 KiB", mixed},
                {"10,000 x 'a'", "a".repeat(10_000)},
                {"10,000 x ' '", " ".repeat(10_000)},
                {"10,000 x '7'", "7".repeat(10_000)},
        };
        for (String file : new String[]{"llama3.1.gguf", "llama2.gguf"}) {
            Tokenizer fast = LlamaCppReference.tokenizer(file, null);
            GgufMetadata m = LlamaCppReference.metadata(file, null);
            Function<String, int[]> plain;
            boolean wholeFragment;
            if (fast instanceof BpeTokenizer b) {
                PlainBpe p = new PlainBpe(b.vocabulary(), m.getStringArray("tokenizer.ggml.merges"), b.preTokenizer());
                plain = t -> p.encode(t, false);
                wholeFragment = false;
            } else {
                SentencePieceTokenizer s = (SentencePieceTokenizer) fast;
                PlainSentencePiece p = new PlainSentencePiece(s.vocabulary(), m.getFloatArray("tokenizer.ggml.scores"),
                        m.getBool("tokenizer.ggml.add_space_prefix", true));
                plain = t -> p.encode(t, false);
                wholeFragment = true;
            }
            for (String[] in : inputs) {
                String text = in[1];
                // the longest run the merge loop sees: the whole text for SentencePiece, a pre-tokenizer piece for BPE
                int fragment = wholeFragment ? text.length() : longestPiece((BpeTokenizer) fast, text);
                boolean runPlain = fragment <= plainMax;
                int[] ids = fast.encode(text, false);
                if (runPlain) assertArrayEquals(plain.apply(text), ids, file + " " + in[0] + ": the loops disagree");
                double[] plainRate = new double[rounds], fastRate = new double[rounds], ratio = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    if (runPlain && r % 2 == 0) plainRate[r] = rate(plain, text, ids.length, roundSeconds);
                    fastRate[r] = rate(t -> fast.encode(t, false), text, ids.length, roundSeconds);
                    if (runPlain && r % 2 == 1) plainRate[r] = rate(plain, text, ids.length, roundSeconds);
                    ratio[r] = runPlain ? fastRate[r] / plainRate[r] : Double.NaN;
                }
                double pm = median(plainRate), fm = median(fastRate);
                double[] sorted = ratio.clone();
                Arrays.sort(sorted);
                System.out.printf("| %s | %s | %,d | %,d | %s | %,.0f | %s | %s |%n", file.replace(".gguf", ""), in[0], text.length(), ids.length,
                        runPlain ? String.format("%,.0f", pm) : "not run (a " + fragment + "-char fragment)", fm,
                        runPlain ? String.format("%.1fx", fm / pm) : "-",
                        runPlain ? String.format("%.1f-%.1f", sorted[0], sorted[rounds - 1]) : "-");
            }
        }
    }

    /** Tokens per second of {@code encode} on {@code text}, over at least {@code seconds} and at least one call. */
    private static double rate(Function<String, int[]> encode, String text, int tokens, double seconds) {
        long t0 = System.nanoTime(), deadline = t0 + (long) (seconds * 1e9);
        long calls = 0, sink = 0;
        do {
            sink += encode.apply(text).length;
            calls++;
        } while (System.nanoTime() < deadline);
        double elapsed = (System.nanoTime() - t0) / 1e9;
        if (sink != calls * tokens) throw new AssertionError("token count changed between calls");
        return calls * tokens / elapsed;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static int longestPiece(BpeTokenizer t, String text) {
        int max = 0;
        for (String piece : t.preTokenizer().split(text)) max = Math.max(max, piece.getBytes(StandardCharsets.UTF_8).length);
        return max;
    }

    /** The parity corpus, concatenated (space-separated) until {@code bytes} bytes of UTF-8, cut at a code point. */
    static String mixedText(int bytes) {
        List<String> corpus = LlamaCppReference.corpus();
        StringBuilder sb = new StringBuilder();
        List<String> parts = new ArrayList<>(corpus);
        int i = 0, size = 0;
        while (size < bytes) {
            String s = parts.get(i++ % parts.size()) + " ";
            sb.append(s);
            size += s.getBytes(StandardCharsets.UTF_8).length;
        }
        // cut back to at most `bytes` bytes, never inside a surrogate pair
        while (sb.toString().getBytes(StandardCharsets.UTF_8).length > bytes) {
            int end = sb.length() - 1;
            if (end > 0 && Character.isLowSurrogate(sb.charAt(end)) && Character.isHighSurrogate(sb.charAt(end - 1))) end--;
            sb.setLength(end);
        }
        return sb.toString();
    }
}
