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
 * Benchmark, not a test: the K-quant products' kernels alone, two ways in one JVM, rounds alternating which goes first:
 * F = the binary32 native kernel ({@link WeightTensor#matMul}, native at 512 bits: {@code ledgermind_kquants.c},
 * {@code ledgermind_q6k.c}) on the float input, I = the int8-q8 native kernel ({@link WeightTensor#matMulInt8}:
 * {@code ledgermind_int8k.c}) on the input quantized beforehand (the quantization, once a product in the engine, is
 * timed apart: Q = {@link Int8Input#quantize} of the batch, per product). Threads split rows as the engine does. Per
 * Llama-3.2-1B shape, enough copies of the matrix to fill {@code bench.mb} MB of weights (default 400, beyond this
 * machine's L3) for the decode step, fewer for batches (a quarter of the batch's worth), so every pass streams from
 * memory. Figures: G multiply-adds a second (median round), the median ratio I / F (speed-up) with its range, and Q's
 * median time against I's. Run with
 * <pre>
 *   ./mvnw -B -q -o verify -pl inference -Dforge.skip=true -Dtest=Int8KQuantBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dbench.rounds=N}, {@code -Dbench.mb=N}, {@code -Dbench.threads=1,2}, {@code -Dbench.types=Q4_K,Q6_K},
 * {@code -Dbench.shapes=2048x2048,8192x2048,2048x8192}, {@code -Dbench.batches=1,32}); the table goes to standard output
 * (target/surefire-reports/...-output.txt).
 */
class Int8KQuantBench {
    private static final KernelConfig NATIVE = KernelConfig.ofBits(512).withNative(true);

    @Test
    void int8AgainstBinary32() {
        assumeTrue(Boolean.getBoolean("bench") || Boolean.getBoolean("ledgermind.bench"), "benchmark: run with -Dbench=true");
        int rounds = Integer.getInteger("bench.rounds", 7);
        long mb = Integer.getInteger("bench.mb", 400);
        int[] threads = ints(System.getProperty("bench.threads", "1"));
        String[] types = System.getProperty("bench.types", "Q4_K,Q5_K,Q6_K").split(",");
        String[] shapes = System.getProperty("bench.shapes", "2048x2048,8192x2048,2048x8192").split(",");
        int[] batches = ints(System.getProperty("bench.batches", "1,32"));
        System.out.printf("K-quant kernels, binary32 (F) vs int8-q8 (I), %d MB of weights a decode shape, %d rounds, JDK %s, %s%n",
                mb, rounds, Runtime.version(), NativeKernels.status());
        System.out.println("| type | shape | threads | batch | F G MAC/s | I G MAC/s | I / F, median (min-max) | Q ms (I ms) |");
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|");
        SplittableRandom r = new SplittableRandom(11);
        for (String tn : types) {
            GgmlType type = GgmlType.valueOf(tn.trim());
            assumeTrue(NativeKernels.hasInPlaceKernels(type) && Int8KQuantKernels.available(type), type + ": " + NativeKernels.status());
            long totalWeights = mb * 1024 * 1024 * 256 / type.blockBytes / 8192 * 8192;
            MemorySegment pool = WeightTensorBitExactnessTest.randomWeights(type, (int) (totalWeights / 2048), 2048, r);
            for (String shape : shapes) {
                String[] rc = shape.trim().split("x");
                int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
                long bytes = type.bytesFor((long) rows * cols);
                int copies = (int) Math.max(1, pool.byteSize() / bytes);
                for (int th : threads) {
                    try (Parallel par = new Parallel(th)) {
                        for (int batch : batches) {
                            int n = Math.max(1, copies / Math.max(1, batch / 4));
                            List<WeightTensor> ws = new ArrayList<>();
                            for (int i = 0; i < n; i++) ws.add(Int8KQuantProductTest.tensor(type, pool.asSlice(i * bytes, bytes), rows, cols));
                            System.out.println(measure(type + " | " + shape + " (x" + n + ")", ws, par, batch, rounds, r));
                        }
                    }
                }
            }
        }
    }

    private static String measure(String label, List<WeightTensor> ws, Parallel par, int batch, int rounds, SplittableRandom r) {
        int rows = ws.getFirst().rows(), cols = ws.getFirst().cols();
        float[] x = new float[batch * cols];
        for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
        Int8Input xq = new Int8Input().quantize(x, 0, cols, batch, cols, Int8Input.Q8_256);
        Int8Input xq2 = new Int8Input();
        float[] yf = new float[batch * rows], yi = new float[batch * rows];
        Runnable[] pass = {
                () -> { for (WeightTensor w : ws) w.matMul(NATIVE, par, x, 0, cols, batch, yf, 0, rows); },
                () -> { for (WeightTensor w : ws) w.matMulInt8(NATIVE, par, xq, yi, 0, rows); },
                () -> { for (int k = 0; k < ws.size(); k++) xq2.quantize(x, 0, cols, batch, cols, Int8Input.Q8_256); },
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
                assertEquals(Float.floatToIntBits(last.dotReference(row, x, tt * cols)), Float.floatToIntBits(yf[tt * rows + row]),
                        label + " binary32 row " + row + " input " + tt);
            }
        }
        double macs = (double) rows * cols * batch * ws.size();
        double[] ratio = new double[rounds];
        for (int k = 0; k < rounds; k++) ratio[k] = t[0][k] / t[1][k];
        double[] s = ratio.clone();
        Arrays.sort(s);
        return String.format("| %s | %d | %d | %.2f | %.2f | %.2f (%.2f-%.2f) | %.3f (%.3f) |", label, par.threads(), batch,
                macs / JavaNativeRounds.median(t[0]) / 1e9, macs / JavaNativeRounds.median(t[1]) / 1e9, JavaNativeRounds.median(ratio),
                s[0], s[rounds - 1], JavaNativeRounds.median(t[2]) / ws.size() * 1e3, JavaNativeRounds.median(t[1]) / ws.size() * 1e3);
    }

    private static int[] ints(String s) {
        return Arrays.stream(s.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }
}
