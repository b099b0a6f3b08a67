package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Benchmark, not a test: the K-quant and block-32 (Q8_0, Q4_0, Q5_0: the binary32 packed copy, as a machine without the
 * native int8 kernels holds them) products in Java (native kernels off), three ways in one JVM, rounds alternating
 * which goes first: F = the binary32 Java kernel ({@link WeightTensor#matMul} on the float input), I = the int8-q8 Java
 * vector kernel ({@link Int8JavaKernels} through {@link WeightTensor#matMulInt8}, the input quantized beforehand), R =
 * the int8-q8 scalar reference row by row (what ran before {@link Int8JavaKernels}; timed on the first sixteenth of the
 * rows for batches, scaled per multiply-add). Each at the width asked (256, 512 bits). For the decode step enough
 * copies of the matrix to fill {@code bench.mb} MB of weights (default 160, beyond this machine's L3), so every pass
 * streams from memory; one copy for batches. Figures: G multiply-adds a second (median round) and the median of the
 * per-round ratios I / F and I / R (speed-ups). Run with
 * <pre>
 *   ./mvnw -B -q -o verify -pl inference -Dforge.skip=true -Dtest=Int8JavaKernelsBench -Dledgermind.bench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dbench.rounds=N}, {@code -Dbench.mb=N}, {@code -Dbench.threads=1,2}, {@code -Dbench.types=Q4_K,Q6_K},
 * {@code -Dbench.bits=256,512}, {@code -Dbench.shapes=2048x8192,8192x2048}, {@code -Dbench.batches=1,32}); the table
 * goes to standard output (target/surefire-reports/...-output.txt).
 */
class Int8JavaKernelsBench {
    @Test
    void int8JavaAgainstBinary32Java() {
        assumeTrue(Boolean.getBoolean("bench") || Boolean.getBoolean("ledgermind.bench"), "benchmark: run with -Dledgermind.bench=true");
        int rounds = Integer.getInteger("bench.rounds", 7);
        long mb = Integer.getInteger("bench.mb", 160);
        int[] threads = ints(System.getProperty("bench.threads", "1"));
        int[] bits = ints(System.getProperty("bench.bits", "256,512"));
        String[] types = System.getProperty("bench.types", "Q4_K,Q5_K,Q6_K,Q8_0,Q4_0,Q5_0").split(",");
        String[] shapes = System.getProperty("bench.shapes", "2048x8192,8192x2048").split(",");
        int[] batches = ints(System.getProperty("bench.batches", "1,32"));
        System.out.printf("K-quant Java kernels, binary32 (F) vs int8-q8 vector (I) vs int8-q8 reference (R), %d MB of weights"
                + " a decode shape, %d rounds, JDK %s%n", mb, rounds, Runtime.version());
        System.out.println("| type | shape | bits | threads | batch | F G MAC/s | I G MAC/s | R G MAC/s | I / F, median (min-max) | I / R, median |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
        SplittableRandom r = new SplittableRandom(11);
        for (String tn : types) {
            GgmlType type = GgmlType.valueOf(tn.trim());
            long totalWeights = mb * 1024 * 1024 * 256 / type.blockBytes / (1 << 14) * (1 << 14);
            MemorySegment pool = WeightTensorBitExactnessTest.randomWeights(type, (int) (totalWeights / 2048), 2048, r);
            for (String shape : shapes) {
                String[] rc = shape.trim().split("x");
                int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
                long bytes = type.bytesFor((long) rows * cols);
                int copies = (int) Math.max(1, pool.byteSize() / bytes);
                for (int th : threads) {
                    try (Parallel par = new Parallel(th)) {
                        for (int b : bits) {
                            KernelConfig cfg = KernelConfig.ofBits(b).withNative(false);
                            for (int batch : batches) {
                                int n = batch == 1 ? copies : 1;
                                List<WeightTensor> ws = new ArrayList<>();
                                for (int i = 0; i < n; i++) ws.add(tensor(type, pool.asSlice(i * bytes, bytes), rows, cols));
                                System.out.println(measure(type + " | " + shape + " (x" + n + ") | " + b, cfg, ws, par, batch, rounds, r));
                            }
                        }
                    }
                }
            }
        }
    }

    private static String measure(String label, KernelConfig cfg, List<WeightTensor> ws, Parallel par, int batch, int rounds,
                                  SplittableRandom r) {
        int rows = ws.getFirst().rows(), cols = ws.getFirst().cols();
        float[] x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Int8Input xq = new Int8Input().quantize(x, 0, cols, batch, cols, ws.getFirst().int8Format());
        float[] yf = new float[batch * rows], yi = new float[batch * rows], yr = new float[batch * rows];
        int refRows = batch == 1 ? rows : rows / 16;
        int refTensors = batch == 1 ? Math.max(1, ws.size() / 4) : 1;
        KernelConfig scalar = KernelConfig.scalar();
        Runnable[] pass = {
                () -> { for (WeightTensor w : ws) w.matMul(cfg, par, x, 0, cols, batch, yf, 0, rows); },
                () -> { for (WeightTensor w : ws) w.matMulInt8(cfg, par, xq, yi, 0, rows); },
                () -> { for (int k = 0; k < refTensors; k++) ws.get(k).matMulRowsInt8(scalar, 0, refRows, xq, yr, 0, rows); },
        };
        for (Runnable p : pass) { p.run(); p.run(); p.run(); }
        double[][] t = new double[3][rounds];
        for (int k = 0; k < rounds; k++) {
            for (int j = 0; j < 3; j++) {
                int v = (j + k) % 3;
                long t0 = System.nanoTime();
                pass[v].run();
                t[v][k] = (System.nanoTime() - t0) / 1e9;
            }
        }
        WeightTensor last = ws.getLast();
        for (int row = 0; row < rows; row += Math.max(1, rows / 17)) { // the last tensor's outputs: the reference's bits
            for (int tt = 0; tt < batch; tt += Math.max(1, batch / 3)) {
                assertEquals(Float.floatToIntBits(last.dotInt8Reference(row, xq, tt)), Float.floatToIntBits(yi[tt * rows + row]),
                        label + " row " + row + " input " + tt);
            }
        }
        double macs = (double) rows * cols * batch * ws.size(), refMacs = (double) refRows * cols * batch * refTensors;
        double[] fi = new double[rounds], ri = new double[rounds];
        for (int k = 0; k < rounds; k++) {
            fi[k] = t[0][k] / t[1][k];
            ri[k] = (t[2][k] / refMacs) / (t[1][k] / macs);
        }
        double[] s = fi.clone();
        Arrays.sort(s);
        return String.format("| %s | %d | %d | %.2f | %.2f | %.3f | %.2f (%.2f-%.2f) | %.1f |", label, par.threads(), batch,
                macs / JavaNativeRounds.median(t[0]) / 1e9, macs / JavaNativeRounds.median(t[1]) / 1e9,
                refMacs / JavaNativeRounds.median(t[2]) / 1e9, JavaNativeRounds.median(fi), s[0], s[rounds - 1],
                JavaNativeRounds.median(ri));
    }

    /** K-quants as the engine makes them; Q8_0, Q4_0, Q5_0 as a machine without the native int8 kernels holds them (binary32 packed copy). */
    private static WeightTensor tensor(GgmlType type, MemorySegment seg, int rows, int cols) {
        return switch (type) {
            case Q8_0 -> new Q8_0Tensor("w", seg, rows, cols);
            case Q4_0 -> new Q4_0Tensor("w", seg, rows, cols);
            case Q5_0 -> new Q5_0Tensor("w", seg, rows, cols);
            default -> Int8KQuantProductTest.tensor(type, seg, rows, cols);
        };
    }

    private static int[] ints(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }
}
