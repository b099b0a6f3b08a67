package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Benchmark, not a test: the Q8_0 product on packed tensors three ways, in one JVM, rounds alternating and rotating
 * which goes first: J = the Java kernels at 512 bits ({@code KernelConfig.withNative(false)}), N = the native
 * binary32 canonical kernel ({@link NativeKernels}, the same bits: checked here for every output), I = llama.cpp's
 * int8 integer product in native code (activations quantized to int8 blocks once per product, {@code vpdpbusd}
 * within a block; NOT the canonical product, a different result: speed only). Threads split rows as the engine does
 * ({@link Parallel#forChunks}, one native call per chunk). Per Llama-3.2-1B shape, enough copies of the matrix to
 * fill {@code bench.mb} MB of weights (default 640, twice this machine's 300 MiB L3), so every pass streams from
 * memory. Figures: G multiply-adds a second (weights x inputs / wall time, median round) and the median round
 * ratios N / J and I / J with their range. Run with
 * <pre>
 *   ./mvnw -B -q -pl inference test -Dtest=NativeKernelBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dbench.rounds=N}, {@code -Dbench.mb=N}, {@code -Dbench.threads=1,2}, {@code -Dbench.batches=1,16,64},
 * {@code -Dbench.shapes=2048x2048,8192x2048,2048x8192,128256x2048}).
 */
class NativeKernelBench {

    @Test
    void nativeAgainstJava() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        assumeTrue(NativeKernels.loaded(), NativeKernels.status());
        int rounds = Integer.getInteger("bench.rounds", 5);
        long mb = Integer.getInteger("bench.mb", 640);
        int[] threads = ints(System.getProperty("bench.threads", "1,2"));
        int[] batches = ints(System.getProperty("bench.batches", "1,16,64"));
        String[] shapes = System.getProperty("bench.shapes", "2048x2048,8192x2048,2048x8192,128256x2048").split(",");
        System.out.printf("Q8_0, %d MB of weights a shape, %d rounds, JDK %s, %s, VNNI %s%n", mb, rounds, Runtime.version(),
                NativeKernels.status(), NativeKernels.vnni());
        System.out.println("| shape | threads | batch | J (Java) G MAC/s | N (native binary32) | I (native int8, not canonical) | N / J, median (min-max) | I / J |");
        System.out.println("|---|---:|---:|---:|---:|---:|---:|---:|");
        SplittableRandom r = new SplittableRandom(11);
        long totalWeights = mb * 1024 * 1024 * 32 / 34 / 2048 * 2048;
        MemorySegment pool = WeightTensorBitExactnessTest.randomWeights(GgmlType.Q8_0, (int) (totalWeights / 2048), 2048, r);
        KernelConfig java = KernelConfig.ofBits(512).withNative(false), nat = KernelConfig.ofBits(512).withNative(true);
        for (String shape : shapes) {
            String[] rc = shape.trim().split("x");
            int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
            long bytes = GgmlType.Q8_0.bytesFor((long) rows * cols);
            int copies = (int) Math.max(1, pool.byteSize() / bytes);
            List<Q8_0Tensor> ws = new ArrayList<>();
            for (int i = 0; i < copies; i++) ws.add(new Q8_0Tensor("w" + i, pool.asSlice(i * bytes, bytes), rows, cols, true));
            for (int th : threads) {
                try (Parallel par = new Parallel(th)) {
                    for (int batch : batches) {
                        float[] x = new float[batch * cols];
                        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                        float[] yj = new float[batch * rows], yn = new float[batch * rows], yi = new float[batch * rows];
                        Arena arena = Arena.ofAuto();
                        MemorySegment xs = arena.allocate(4L * x.length, 64);
                        MemorySegment xq = arena.allocate((long) batch * cols, 64), xd = arena.allocate(4L * batch * cols / 32, 64);
                        Runnable[] pass = {
                                () -> { for (Q8_0Tensor w : ws) w.matMul(java, par, x, 0, cols, batch, yj, 0, rows); },
                                () -> { for (Q8_0Tensor w : ws) w.matMul(nat, par, x, 0, cols, batch, yn, 0, rows); },
                                () -> { for (Q8_0Tensor w : ws) int8(w, par, x, xs, xq, xd, batch, yi); },
                        };
                        for (Runnable p : pass) { p.run(); p.run(); }
                        double[][] t = new double[3][rounds];
                        for (int k = 0; k < rounds; k++) {
                            for (int j = 0; j < 3; j++) {
                                int v = (j + k) % 3;
                                long t0 = System.nanoTime();
                                pass[v].run();
                                t[v][k] = (System.nanoTime() - t0) / 1e9;
                            }
                        }
                        for (int i = 0; i < yj.length; i++) {
                            assertEquals(Float.floatToRawIntBits(yj[i]), Float.floatToRawIntBits(yn[i]), shape + " batch " + batch + " output " + i);
                        }
                        double macs = (double) rows * cols * batch * copies;
                        double[] nj = new double[rounds], ij = new double[rounds];
                        for (int k = 0; k < rounds; k++) { nj[k] = t[0][k] / t[1][k]; ij[k] = t[0][k] / t[2][k]; }
                        double[] s = nj.clone();
                        Arrays.sort(s);
                        System.out.printf("| %s (x%d) | %d | %d | %.2f | %.2f | %.2f | %.2f (%.2f-%.2f) | %.2f |%n", shape, copies, th, batch,
                                macs / median(t[0]) / 1e9, macs / median(t[1]) / 1e9, macs / median(t[2]) / 1e9,
                                median(nj), s[0], s[rounds - 1], median(ij));
                    }
                }
            }
        }
    }

    /**
     * h/kq: the Q4_K (or, {@code -Dbench.ktype=Q5_K}, Q5_K) product, J (Java kernels at 512 bits) against N (native, {@code ledgermind_kquants.c}), rounds
     * alternating, bits checked. {@code -Dbench.kshapes=...} (default the Llama-3.2-1B Q4_K shapes), {@code bench.mb},
     * {@code bench.threads}, {@code bench.batches}, {@code bench.rounds} as above.
     */
    @Test
    void kQuantNativeAgainstJava() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        assumeTrue(NativeKernels.hasInPlaceKernels(GgmlType.Q4_K), NativeKernels.status());
        int rounds = Integer.getInteger("bench.rounds", 5);
        long mb = Integer.getInteger("bench.mb", 640);
        int[] threads = ints(System.getProperty("bench.threads", "1,2"));
        int[] batches = ints(System.getProperty("bench.batches", "1,16,64"));
        String[] shapes = System.getProperty("bench.kshapes", "2048x2048,8192x2048,2048x8192").split(",");
        GgmlType type = GgmlType.valueOf(System.getProperty("bench.ktype", "Q4_K")); // or Q5_K
        System.out.printf("%s, %d MB of weights a shape, %d rounds, JDK %s, %s%n", type, mb, rounds, Runtime.version(), NativeKernels.status());
        System.out.println(JavaNativeRounds.HEADER);
        SplittableRandom r = new SplittableRandom(12);
        long rowsTotal = mb * 1024 * 1024 / type.bytesFor(2048);
        MemorySegment pool = WeightTensorBitExactnessTest.randomWeights(type, (int) rowsTotal, 2048, r);
        for (String shape : shapes) {
            String[] rc = shape.trim().split("x");
            int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
            long bytes = type.bytesFor((long) rows * cols);
            int copies = (int) Math.max(1, pool.byteSize() / bytes);
            List<ChunkedTensor> ws = new ArrayList<>();
            for (int i = 0; i < copies; i++) {
                MemorySegment seg = pool.asSlice(i * bytes, bytes);
                ws.add(type == GgmlType.Q5_K ? new Q5_KTensor("w" + i, seg, rows, cols) : new Q4_KTensor("w" + i, seg, rows, cols));
            }
            for (int th : threads) {
                try (Parallel par = new Parallel(th)) {
                    for (int batch : batches) {
                        System.out.println(JavaNativeRounds.measure(shape, ws, par, batch, rounds, r));
                    }
                }
            }
        }
    }

    /** The int8 product: every input quantized (llama.cpp's quantize_row_q8_0), then the rows in the engine's chunks. */
    private static void int8(Q8_0Tensor w, Parallel par, float[] x, MemorySegment xs, MemorySegment xq, MemorySegment xd,
                             int batch, float[] y) {
        int cols = w.cols(), blocks = cols / 32;
        MemorySegment.copy(x, 0, xs, java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, batch * cols);
        NativeKernels.quantizeInt8(xs, batch * blocks, xq, xd);
        par.forChunks(w.rows(), WeightTensor.ROW_TILE, (from, to) ->
                NativeKernels.q8_0MatMulInt8(w.codes, w.scales, blocks, w.rows(), from, to, xq, xd, batch, y, w.rows()));
    }

    private static int[] ints(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
