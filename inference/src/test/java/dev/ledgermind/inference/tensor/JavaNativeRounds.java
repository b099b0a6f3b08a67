package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The benches' common measurement (NativeKernelBench, Q6KNativeBench, Q5NativeBench): the same product over a list of
 * tensors (copies of one shape, together larger than the caches) by J = the Java kernels at 512 bits and N = the native
 * kernels, in one JVM, rounds alternating which goes first, after a warm-up; every output compared bit for bit. Figures:
 * G multiply-adds a second (weights x inputs / wall time, median round) and the median of the per-round N / J ratios
 * with their range.
 */
final class JavaNativeRounds {
    static final String HEADER = "| shape | threads | batch | J (Java) G MAC/s | N (native) G MAC/s | N / J, median (min-max) |\n"
            + "|---|---:|---:|---:|---:|---:|";

    private JavaNativeRounds() {
    }

    /** Measures {@code ws} (each rows x cols) at one thread count and batch; returns the table row. */
    static String measure(String shape, List<? extends WeightTensor> ws, Parallel par, int batch, int rounds, SplittableRandom r) {
        KernelConfig java = KernelConfig.ofBits(512).withNative(false), nat = KernelConfig.ofBits(512).withNative(true);
        int rows = ws.getFirst().rows(), cols = ws.getFirst().cols();
        float[] x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        float[] yj = new float[batch * rows], yn = new float[batch * rows];
        Runnable[] pass = {
                () -> { for (WeightTensor w : ws) w.matMul(java, par, x, 0, cols, batch, yj, 0, rows); },
                () -> { for (WeightTensor w : ws) w.matMul(nat, par, x, 0, cols, batch, yn, 0, rows); },
        };
        for (Runnable p : pass) { p.run(); p.run(); p.run(); }
        double[][] t = new double[2][rounds];
        for (int k = 0; k < rounds; k++) {
            for (int j = 0; j < 2; j++) {
                int v = (j + k) % 2;
                long t0 = System.nanoTime();
                pass[v].run();
                t[v][k] = (System.nanoTime() - t0) / 1e9;
            }
        }
        for (int i = 0; i < yj.length; i++) {
            assertEquals(Float.floatToRawIntBits(yj[i]), Float.floatToRawIntBits(yn[i]), shape + " batch " + batch + " output " + i);
        }
        double macs = (double) rows * cols * batch * ws.size();
        double[] nj = new double[rounds];
        for (int k = 0; k < rounds; k++) nj[k] = t[0][k] / t[1][k];
        double[] s = nj.clone();
        Arrays.sort(s);
        return String.format("| %s (x%d) | %d | %d | %.2f | %.2f | %.2f (%.2f-%.2f) |", shape, ws.size(), par.threads(), batch,
                macs / median(t[0]) / 1e9, macs / median(t[1]) / 1e9, median(nj), s[0], s[rounds - 1]);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
