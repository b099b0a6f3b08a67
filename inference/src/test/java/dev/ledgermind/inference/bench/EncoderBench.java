package dev.ledgermind.inference.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Benchmark, not a test: sentences per second of Ledgermind's encoder against ONNX Runtime on the same
 * model and the same token ids, at 1 and 2 threads, for 16- and 128-token inputs, one sentence per call
 * on both sides. Skipped unless {@code -Dbench=true}:
 * <pre>
 *   ./mvnw -B -q -pl inference test -Dtest=EncoderBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * {@code -Dbench.model=NAME} picks another built-in model; {@code -Dbench.seconds=N} the time per engine and
 * figure, split into {@code -Dbench.rounds=R} (6) alternating rounds.
 * Results go to stdout (target/surefire-reports/...EncoderBench-output.txt).
 */
class EncoderBench {
    @Test
    void sentencesPerSecondVersusOnnxRuntime() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        String name = System.getProperty("bench.model", "all-minilm-l6-v2");
        double seconds = Double.parseDouble(System.getProperty("bench.seconds", "5"));
        EncoderModel model = EncoderModel.load(name);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        byte[] onnx;
        try (InputStream in = EncoderBench.class.getClassLoader().getResourceAsStream(model.onnxResource())) {
            onnx = in.readAllBytes();
        }
        System.out.printf("model %s, vector width %s, JDK %s, %d processors%n", name, KernelConfig.defaults(),
                Runtime.version(), Runtime.getRuntime().availableProcessors());
        int rounds = Integer.getInteger("bench.rounds", 6);
        System.out.printf("each figure: %d rounds of %.2f s per engine, alternating which engine goes first%n", rounds, seconds / rounds);
        System.out.println("| tokens | threads | Ledgermind sentences/s | ONNX Runtime sentences/s | ratio of the totals | median round ratio (min-max) |");
        System.out.println("|---:|---:|---:|---:|---:|---:|");
        for (int tokens : new int[] {16, 128}) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 8; i++) texts.add(text(tokens - 2, i));
            for (String t : texts) assertEquals(tokens, model.tokenize(t).length, "bench input must be exactly " + tokens + " tokens");
            List<long[][]> ids = new ArrayList<>();
            for (String t : texts) {
                int[] tok = model.tokenize(t);
                long[][] a = new long[1][tok.length];
                for (int i = 0; i < tok.length; i++) a[0][i] = tok[i];
                ids.add(a);
            }
            for (int threads : new int[] {1, 2}) {
                OrtSession.SessionOptions opts = new OrtSession.SessionOptions();
                opts.setIntraOpNumThreads(threads);
                opts.setInterOpNumThreads(1);
                try (Parallel par = new Parallel(threads); OrtSession session = env.createSession(onnx, opts)) {
                    Engine ours = () -> {
                        for (String t : texts) model.embed(List.of(t), KernelConfig.defaults(), par);
                        return texts.size();
                    };
                    Engine ort = () -> {
                        for (long[][] a : ids) runOrt(env, session, a);
                        return ids.size();
                    };
                    for (int i = 0; i < 3; i++) { // warm-up (JIT, ORT's arenas)
                        ours.run();
                        ort.run();
                    }
                    // The host's speed drifts over seconds (other guests): short alternating rounds see the same drift
                    double slice = seconds / rounds, oursDone = 0, oursTime = 0, ortDone = 0, ortTime = 0;
                    double[] ratios = new double[rounds];
                    for (int r = 0; r < rounds; r++) {
                        double[] a, b;
                        if (r % 2 == 0) {
                            a = measure(slice, ours);
                            b = measure(slice, ort);
                        } else {
                            b = measure(slice, ort);
                            a = measure(slice, ours);
                        }
                        oursDone += a[0];
                        oursTime += a[1];
                        ortDone += b[0];
                        ortTime += b[1];
                        ratios[r] = (a[0] / a[1]) / (b[0] / b[1]);
                    }
                    java.util.Arrays.sort(ratios);
                    double median = rounds % 2 == 1 ? ratios[rounds / 2] : (ratios[rounds / 2 - 1] + ratios[rounds / 2]) / 2;
                    System.out.printf("| %d | %d | %.1f | %.1f | %.2f | %.2f (%.2f-%.2f) |%n", tokens, threads, oursDone / oursTime,
                            ortDone / ortTime, (oursDone / oursTime) / (ortDone / ortTime), median, ratios[0], ratios[rounds - 1]);
                }
            }
        }
    }

    /** One pass over the bench inputs; returns how many sentences it ran. */
    @FunctionalInterface
    private interface Engine {
        int run() throws Exception;
    }

    /** Runs whole passes until {@code seconds} have gone by; returns {sentences, seconds}. */
    private static double[] measure(double seconds, Engine engine) throws Exception {
        long start = System.nanoTime(), deadline = start + (long) (seconds * 1e9);
        int done = 0;
        do {
            done += engine.run();
        } while (System.nanoTime() < deadline);
        return new double[] {done, (System.nanoTime() - start) / 1e9};
    }

    /** Words that are single tokens in the BERT uncased vocabulary, varied so no two inputs are equal. */
    static String text(int words, int seed) {
        String[] vocab = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "to", "house", "river", "blue",
                "green", "city", "light", "water", "tree", "book", "music"};
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) sb.append(vocab[(i * 7 + seed * 3) % vocab.length]).append(' ');
        return sb.toString().trim();
    }

    private static void runOrt(OrtEnvironment env, OrtSession session, long[][] ids) throws Exception {
        int n = ids[0].length;
        long[][] mask = new long[1][n], types = new long[1][n];
        java.util.Arrays.fill(mask[0], 1);
        try (OnnxTensor a = OnnxTensor.createTensor(env, ids); OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            r.get(0); // the last hidden state; pooling is negligible next to the model
        }
    }
}
