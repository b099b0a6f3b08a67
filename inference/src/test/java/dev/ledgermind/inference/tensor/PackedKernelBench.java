package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Benchmark, not a test: Q8_0 and Q4_0 matrix products on the GGUF block layout read in place (A, the kernels
 * before the packed copy: {@code -Dledgermind.kernel.pack=false} selects them in the engine) against the packed
 * copy (B, {@link BlockQ8Tensor}), on the matrices of {@code bench.layers} Llama-3.2-1B layers (q, k, v, o, gate,
 * up, down: 60.8 M weights a layer, so the whole set is far larger than the caches, as in decoding). Rounds
 * alternate A and B and which goes first; each figure is the calling thread's CPU time for one pass over every
 * matrix (the machine is shared, so CPU time says more than wall time), and the median round ratio A / B with its
 * range. One thread, {@code bench.batch} inputs (1 = decode; 16 = prefill and replay); A's and B's outputs are
 * checked equal bit for bit. Run with
 * <pre>
 *   ./mvnw -B -q -pl inference test -Dtest=PackedKernelBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dbench.rounds=N}, {@code -Dbench.layers=N}, {@code -Dbench.batch=N}, {@code -Dbench.types=Q8_0,Q4_0},
 * {@code -Dbench.bits=256|512}, default the preferred width).
 */
class PackedKernelBench {
    private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();

    @Test
    void packedCopyAgainstTheMapping() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        int rounds = Integer.getInteger("bench.rounds", 9);
        int layers = Integer.getInteger("bench.layers", 2);
        int batch = Integer.getInteger("bench.batch", 1);
        int bits = Integer.getInteger("bench.bits", KernelConfig.defaults().vectorBits());
        KernelConfig cfg = KernelConfig.ofBits(bits);
        int[][] shapes = {{2048, 2048}, {512, 2048}, {512, 2048}, {2048, 2048}, {8192, 2048}, {8192, 2048}, {2048, 8192}};
        System.out.printf("%d layers of Llama-3.2-1B shapes, %d bits, 1 thread, batch %d, %d rounds, JDK %s%n",
                layers, bits, batch, rounds, Runtime.version());
        System.out.println("| type, batch | A (mapping) ms CPU per pass, median | B (packed) ms | A / B, median round (min-max) |");
        System.out.println("|---|---:|---:|---:|");
        SplittableRandom r = new SplittableRandom(7);
        try (Parallel one = new Parallel(1)) {
            for (String name : System.getProperty("bench.types", "Q8_0,Q4_0").split(",")) {
                GgmlType type = GgmlType.valueOf(name.trim());
                List<WeightTensor> a = new ArrayList<>(), b = new ArrayList<>();
                for (int l = 0; l < layers; l++) {
                    for (int[] s : shapes) {
                        MemorySegment seg = WeightTensorBitExactnessTest.randomWeights(type, s[0], s[1], r);
                        a.add(type == GgmlType.Q8_0 ? new Q8_0Tensor("a", seg, s[0], s[1], false) : new Q4_0Tensor("a", seg, s[0], s[1], false));
                        b.add(type == GgmlType.Q8_0 ? new Q8_0Tensor("b", seg, s[0], s[1], true) : new Q4_0Tensor("b", seg, s[0], s[1], true));
                    }
                }
                float[] x = new float[batch * 8192];
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                float[] ya = new float[batch * 8192], yb = new float[batch * 8192];
                for (int i = 0; i < 2; i++) { pass(cfg, one, a, x, batch, ya); pass(cfg, one, b, x, batch, yb); }
                double[] ta = new double[rounds], tb = new double[rounds], ratio = new double[rounds];
                for (int k = 0; k < rounds; k++) {
                    if (k % 2 == 0) { ta[k] = pass(cfg, one, a, x, batch, ya); tb[k] = pass(cfg, one, b, x, batch, yb); }
                    else { tb[k] = pass(cfg, one, b, x, batch, yb); ta[k] = pass(cfg, one, a, x, batch, ya); }
                    ratio[k] = ta[k] / tb[k];
                }
                for (int i = 0; i < ya.length; i++) assertEquals(Float.floatToRawIntBits(ya[i]), Float.floatToRawIntBits(yb[i]), type + " output " + i);
                double[] s = ratio.clone();
                Arrays.sort(s);
                System.out.printf("| %s, %d | %.1f | %.1f | %.2f (%.2f-%.2f) |%n", type, batch, median(ta) * 1e3, median(tb) * 1e3,
                        median(ratio), s[0], s[rounds - 1]);
            }
        }
    }

    /** CPU seconds of one pass over every matrix (the last matrix's outputs stay in {@code y}). */
    private static double pass(KernelConfig cfg, Parallel par, List<WeightTensor> ws, float[] x, int batch, float[] y) {
        long c0 = MX.getCurrentThreadCpuTime();
        for (WeightTensor w : ws) w.matMul(cfg, par, x, 0, w.cols(), batch, y, 0, w.rows());
        return (MX.getCurrentThreadCpuTime() - c0) / 1e9;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
