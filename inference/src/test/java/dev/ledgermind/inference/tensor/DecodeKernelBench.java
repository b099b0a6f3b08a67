package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Benchmark, not a test: the decode step (one input, one thread) of the K-quants on a 8192 x 2048 matrix (the
 * shape of a Llama-3.2-1B ffn_gate), as a paired A/B in one JVM: A is the path the engine took before this
 * kernel (at 512 bits: decode the row into a buffer, then Dot; at 256 bits: Q4_K's one-row fused pass, Q6_K's
 * decode + Dot), B is {@link WeightTensor#matVec} now (two rows side by side, decoded and multiplied in one
 * pass); and the same for a batch of 16 inputs (prefill, replay), where A multiplies each decoded row with each
 * input in turn and B takes four inputs per pass ({@link dev.ledgermind.inference.kernel.Dot#dot4}). Rounds alternate A and B, and which one goes first; it prints the median round ratio (B over A, in
 * rows per second) with its range, and checks that A and B agree bit for bit. Run with
 * <pre>
 *   ./mvnw -B -q -pl inference test -Dtest=DecodeKernelBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dbench.rounds=N}, {@code -Dbench.bits=256|512}, default the preferred width; {@code -Dbench.types=Q4_K,Q6_K};
 * {@code -Dbench.rows=65536} for a matrix far larger than the caches).
 */
class DecodeKernelBench {
    @Test
    void pairedRowsVersusThePreviousPath() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        int rounds = Integer.getInteger("bench.rounds", 10);
        int bits = Integer.getInteger("bench.bits", KernelConfig.defaults().vectorBits());
        KernelConfig cfg = KernelConfig.ofBits(bits);
        int rows = Integer.getInteger("bench.rows", 8192), cols = 2048;
        System.out.printf("%d x %d, %d bits, 1 thread, %d rounds of A and B, JDK %s%n", rows, cols, bits, rounds, Runtime.version());
        System.out.println("| type, step | A rows/s (median) | B rows/s (median) | B / A, median round (min-max) |");
        System.out.println("|---|---:|---:|---:|");
        SplittableRandom r = new SplittableRandom(1);
        try (Parallel one = new Parallel(1)) {
            for (String name : System.getProperty("bench.types", "Q4_K,Q5_K,Q6_K").split(",")) {
                GgmlType type = GgmlType.valueOf(name.trim());
                MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, rows, cols, r);
                ChunkedTensor w = (ChunkedTensor) switch (type) {
                    case Q4_K -> new Q4_KTensor("w", seg, rows, cols);
                    case Q5_K -> new Q5_KTensor("w", seg, rows, cols);
                    default -> new Q6_KTensor("w", seg, rows, cols);
                };
                float[] x = new float[cols];
                for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
                float[] ya = new float[rows], yb = new float[rows];
                boolean oldFused = bits == 256 && type != GgmlType.Q6_K; // main's Q4_K (and this branch's Q5_K) one-row pass at 256
                Runnable a = () -> {
                    for (int row = 0; row < rows; row++) ya[row] = oldFused ? w.dot(cfg, row, x, 0) : w.decodedDot(cfg, row, x, 0);
                };
                Runnable b = () -> w.matVec(cfg, one, x, 0, yb, 0);
                for (int i = 0; i < 30; i++) { a.run(); b.run(); }
                double[] ra = new double[rounds], rb = new double[rounds], ratio = new double[rounds];
                for (int k = 0; k < rounds; k++) {
                    if (k % 2 == 0) { ra[k] = rate(a, rows); rb[k] = rate(b, rows); } else { rb[k] = rate(b, rows); ra[k] = rate(a, rows); }
                    ratio[k] = rb[k] / ra[k];
                }
                for (int i = 0; i < rows; i++) assertEquals(Float.floatToRawIntBits(ya[i]), Float.floatToRawIntBits(yb[i]), type + " row " + i);
                double[] s = ratio.clone();
                Arrays.sort(s);
                System.out.printf("| %s, decode | %.0f | %.0f | %.2f (%.2f-%.2f) |%n", type, median(ra), median(rb), median(ratio), s[0], s[rounds - 1]);
                // Prefill / replay: a batch of 16 inputs. A: each decoded row times each input with Dot (the previous
                // path); B: matMul now (four inputs per pass over the decoded row). Rates in row-input products per second.
                int batch = 16;
                float[] xs = new float[batch * cols], za = new float[batch * rows], zb = new float[batch * rows], buf = new float[cols];
                for (int i = 0; i < xs.length; i++) xs[i] = (float) r.nextGaussian();
                Runnable pa = () -> {
                    for (int row = 0; row < rows; row++) {
                        w.dequantizeRow(row, buf, 0);
                        for (int t = 0; t < batch; t++) za[t * rows + row] = dev.ledgermind.inference.kernel.Dot.dot(cfg, buf, 0, xs, t * cols, cols);
                    }
                };
                Runnable pb = () -> w.matMul(cfg, one, xs, 0, cols, batch, zb, 0, rows);
                for (int i = 0; i < 3; i++) { pa.run(); pb.run(); }
                for (int k = 0; k < rounds; k++) {
                    if (k % 2 == 0) { ra[k] = rate(pa, rows * batch); rb[k] = rate(pb, rows * batch); } else { rb[k] = rate(pb, rows * batch); ra[k] = rate(pa, rows * batch); }
                    ratio[k] = rb[k] / ra[k];
                }
                for (int i = 0; i < za.length; i++) assertEquals(Float.floatToRawIntBits(za[i]), Float.floatToRawIntBits(zb[i]), type + " batch output " + i);
                s = ratio.clone();
                Arrays.sort(s);
                System.out.printf("| %s, batch of 16 | %.0f | %.0f | %.2f (%.2f-%.2f) |%n", type, median(ra), median(rb), median(ratio), s[0], s[rounds - 1]);
            }
        }
    }

    /** Rows per second of {@code task} over about 0.4 s. */
    private static double rate(Runnable task, int rows) {
        long t0 = System.nanoTime();
        int n = 0;
        do {
            task.run();
            n++;
        } while (System.nanoTime() - t0 < 400_000_000L);
        return (double) n * rows / ((System.nanoTime() - t0) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
