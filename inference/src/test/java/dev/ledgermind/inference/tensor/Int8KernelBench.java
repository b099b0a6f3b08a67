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
 * Benchmark, not a test: the kernels alone, three ways, in one JVM, rounds alternating and rotating which goes first:
 * B = the native binary32 canonical kernel ({@link NativeKernels}, float input), I = the native int8-q8 kernel
 * ({@link Int8Kernels}, input quantized beforehand, outside the timing), R = the int8-q8 Java reference
 * ({@link WeightTensor#dotInt8Reference}, on one copy of the matrix: it is slow; its figure is per multiply-add).
 * Q = {@link Int8Input#quantize} of the batch (once per product in the engine: the native quantizer where the library is
 * loaded), QJ = the Java reference quantizer ({@link Int8Input#quantizeBlock} and the sums), each timed alone.
 * Threads split rows as the engine does ({@link Parallel#forChunks}). Per shape, copies of the matrix filling
 * {@code bench.mb} MB of weights (default 256). I and R are checked equal bit for bit. Figures: G multiply-adds a
 * second (weights x inputs / wall time, median round), and the median of the per-round ratios with their range. Run with
 * <pre>
 *   ./mvnw -B -o -pl inference verify -Dforge.skip=true -Dtest=Int8KernelBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dbench.types=Q8_0,Q4_0,Q5_0}, {@code -Dbench.rounds=N}, {@code -Dbench.mb=N}, {@code -Dbench.threads=1,2},
 * {@code -Dbench.batches=1,32}, {@code -Dbench.shapes=2048x2048,8192x2048,2048x8192}).
 */
class Int8KernelBench {

    @Test
    void int8AgainstBinary32() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        assumeTrue(Int8Kernels.available(GgmlType.Q8_0), "int8 kernels not here: " + NativeKernels.status());
        int rounds = Integer.getInteger("bench.rounds", 5);
        long mb = Integer.getInteger("bench.mb", 256);
        int[] threads = ints(System.getProperty("bench.threads", "1,2"));
        int[] batches = ints(System.getProperty("bench.batches", "1,32"));
        String[] types = System.getProperty("bench.types", "Q8_0,Q4_0,Q5_0").split(",");
        String[] shapes = System.getProperty("bench.shapes", "2048x2048,8192x2048,2048x8192").split(",");
        KernelConfig nat = KernelConfig.ofBits(512).withNative(true), java = KernelConfig.ofBits(512).withNative(false);
        System.out.printf("%d MB of weights a shape, %d rounds, JDK %s, %s, VNNI %s%n", mb, rounds, Runtime.version(),
                NativeKernels.status(), NativeKernels.vnni());
        System.out.println("| type | shape | threads | batch | B (binary32 native) G MAC/s | I (int8 native) | R (int8 Java reference) | Q quantize, us a product | QJ (Java quantizer) | I / B, median (min-max) | I / R |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        SplittableRandom r = new SplittableRandom(21);
        for (String tn : types) {
            GgmlType type = GgmlType.valueOf(tn.trim());
            long poolRows = mb * 1024 * 1024 / type.bytesFor(2048);
            MemorySegment pool = WeightTensorBitExactnessTest.randomWeights(type, (int) poolRows, 2048, r);
            for (String shape : shapes) {
                String[] rc = shape.trim().split("x");
                int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
                long bytes = type.bytesFor((long) rows * cols);
                int copies = (int) Math.max(1, pool.byteSize() / bytes);
                List<BlockQ8Tensor> bs = new ArrayList<>(), is = new ArrayList<>();
                for (int i = 0; i < copies; i++) {
                    MemorySegment s = pool.asSlice(i * bytes, bytes);
                    bs.add(tensor(type, s, rows, cols, ComputeProfile.BINARY32));
                    is.add(tensor(type, s, rows, cols, ComputeProfile.INT8_Q8));
                }
                for (int th : threads) {
                    try (Parallel par = new Parallel(th)) {
                        for (int batch : batches) {
                            float[] x = new float[batch * cols];
                            for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                            Int8Input xq = new Int8Input().quantize(x, 0, cols, batch, cols, Int8Input.Q8_32);
                            Int8Input xq2 = new Int8Input();
                            byte[] qj = new byte[batch * cols];
                            float[] dj = new float[batch * cols / 32];
                            float[] yb = new float[batch * rows], yi = new float[batch * rows], yr = new float[batch * rows];
                            Runnable[] pass = {
                                    () -> { for (BlockQ8Tensor w : bs) w.matMul(nat, par, x, 0, cols, batch, yb, 0, rows); },
                                    () -> { for (BlockQ8Tensor w : is) w.matMulInt8(nat, par, xq, yi, 0, rows); },
                                    () -> is.getFirst().matMulInt8(java, par, xq, yr, 0, rows),
                                    () -> { for (int i = 0; i < copies; i++) xq2.quantize(x, 0, cols, batch, cols, Int8Input.Q8_32); },
                                    () -> { for (int i = 0; i < copies; i++) javaQuantize(x, batch, cols, qj, dj); },
                            };
                            for (Runnable p : pass) { p.run(); p.run(); }
                            double[][] t = new double[pass.length][rounds];
                            for (int k = 0; k < rounds; k++) {
                                for (int j = 0; j < pass.length; j++) {
                                    int v = (j + k) % pass.length;
                                    long t0 = System.nanoTime();
                                    pass[v].run();
                                    t[v][k] = (System.nanoTime() - t0) / 1e9;
                                }
                            }
                            is.getFirst().matMulInt8(nat, par, xq, yi, 0, rows);
                            for (int i = 0; i < yi.length; i++) {
                                assertEquals(Float.floatToIntBits(yr[i]), Float.floatToIntBits(yi[i]), type + " " + shape + " batch " + batch + " output " + i);
                            }
                            double macs = (double) rows * cols * batch;
                            double[] ib = new double[rounds], ir = new double[rounds];
                            for (int k = 0; k < rounds; k++) {
                                ib[k] = t[0][k] / t[1][k];
                                ir[k] = (t[2][k] * copies) / t[1][k];
                            }
                            double[] s = ib.clone();
                            Arrays.sort(s);
                            System.out.printf("| %s | %s (x%d) | %d | %d | %.2f | %.2f | %.3f | %.1f | %.1f | %.2f (%.2f-%.2f) | %.0f |%n", type, shape, copies, th,
                                    batch, macs * copies / JavaNativeRounds.median(t[0]) / 1e9, macs * copies / JavaNativeRounds.median(t[1]) / 1e9,
                                    macs / JavaNativeRounds.median(t[2]) / 1e9, JavaNativeRounds.median(t[3]) / copies * 1e6, JavaNativeRounds.median(t[4]) / copies * 1e6,
                                    JavaNativeRounds.median(ib), s[0], s[rounds - 1], JavaNativeRounds.median(ir));
                        }
                    }
                }
            }
        }
    }

    /** The Java reference quantizer alone (Int8Input.quantizeBlock and the code sums), as Int8Input runs it without the library. */
    private static void javaQuantize(float[] x, int n, int cols, byte[] q, float[] d) {
        int s = 0;
        for (int b = 0; b < n * cols / 32; b++) {
            d[b] = Int8Input.quantizeBlock(x, 32 * b, 32, q, 32 * b);
            for (int i = 0; i < 32; i++) s += q[32 * b + i];
        }
        if (s == 42) d[0] = d[0] * 1f; // the sums are used
    }

    private static BlockQ8Tensor tensor(GgmlType type, MemorySegment s, int rows, int cols, ComputeProfile profile) {
        return switch (type) {
            case Q8_0 -> new Q8_0Tensor("w", s, rows, cols, profile);
            case Q4_0 -> new Q4_0Tensor("w", s, rows, cols, profile);
            case Q5_0 -> new Q5_0Tensor("w", s, rows, cols, profile);
            default -> throw new IllegalArgumentException(type.toString());
        };
    }

    private static int[] ints(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }
}
