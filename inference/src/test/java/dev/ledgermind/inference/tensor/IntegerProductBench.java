package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Benchmark, not a test (issue 14's "canonical product: decide by measurement"): the decode step of a Q8_0
 * matrix (one input, one thread, 8192 x 2048: a Llama-3.2-1B ffn_gate) with today's canonical binary32
 * product ({@link WeightTensor#matVec}: codes widened to floats, {@code p = q·x; p = fma(q', x', p);
 * acc = fma(p, d, acc)}) against two pure-Java forms of an <em>integer</em> canonical product, the one
 * llama.cpp's CPU backend computes: the input quantized to Q8_0 blocks once per product (scale
 * {@code max|x| / 127}, round to nearest), then per block and lane {@code m} the exact integer
 * {@code q[m]·xq[m] + q[m+16]·xq[m+16]} and {@code acc[m] = fma((float) isum, d·dx, acc[m])}, then
 * {@link Dot#combine}:
 * <ul>
 *   <li><b>I-vector</b>: the Vector API (bytes widened to shorts, a 16-bit multiply, widened to ints and
 *       added; there is no int8 dot-product operation to call), two rows side by side as matVec does;</li>
 *   <li><b>I-scalar</b>: plain loops over {@code byte[]} copies of the weights, left to C2's
 *       auto-vectorizer (the most it could give; the engine's weights are memory-mapped, not arrays).</li>
 * </ul>
 * Rounds alternate the three (and which goes first); it prints the median rows/s of each and the median
 * round ratio against the float product, and checks that both integer forms agree bit for bit with a plain
 * integer reference written here. Run with
 * <pre>
 *   ./mvnw -B -q -pl inference test -Dtest=IntegerProductBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dbench.rounds=N}, {@code -Dbench.rows=R}).
 */
class IntegerProductBench {
    static final int BLOCK_BYTES = 34;
    static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void floatProductAgainstIntegerProducts() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        int rounds = Integer.getInteger("bench.rounds", 10);
        int rows = Integer.getInteger("bench.rows", 8192), cols = 2048, blocks = cols / 32;
        KernelConfig cfg = KernelConfig.ofBits(512);
        SplittableRandom r = new SplittableRandom(3);
        float[] dense = new float[cols];
        byte[] heap = new byte[rows * blocks * BLOCK_BYTES];
        for (int row = 0; row < rows; row++) {
            for (int i = 0; i < cols; i++) dense[i] = (float) (r.nextGaussian() * 0.02);
            Q8_0Tensor.quantizeRow(dense, 0, cols, heap, row * blocks * BLOCK_BYTES);
        }
        MemorySegment seg = Arena.ofAuto().allocate(heap.length, 64);
        MemorySegment.copy(heap, 0, seg, ValueLayout.JAVA_BYTE, 0, heap.length);
        Q8_0Tensor w = new Q8_0Tensor("w", seg, rows, cols);
        float[] x = new float[cols];
        for (int i = 0; i < cols; i++) x[i] = (float) r.nextGaussian();
        // the weights split into codes and scales for the scalar form (what an integer-first layout would hold)
        byte[] codes = new byte[rows * cols];
        float[] scales = new float[rows * blocks];
        for (int row = 0; row < rows; row++) {
            for (int b = 0; b < blocks; b++) {
                int o = (row * blocks + b) * BLOCK_BYTES;
                scales[row * blocks + b] = Float.float16ToFloat((short) ((heap[o] & 0xff) | (heap[o + 1] << 8)));
                System.arraycopy(heap, o + 2, codes, row * cols + b * 32, 32);
            }
        }
        float[] yf = new float[rows], yv = new float[rows], ys = new float[rows];
        byte[] xq = new byte[cols];
        float[] dx = new float[blocks];
        try (Parallel one = new Parallel(1)) {
            Runnable f = () -> w.matVec(cfg, one, x, 0, yf, 0);
            Runnable v = () -> {
                quantize(x, xq, dx);
                for (int row = 0; row + 1 < rows; row += 2) intVector2(seg, row, blocks, xq, dx, yv);
            };
            Runnable s = () -> {
                quantize(x, xq, dx);
                for (int row = 0; row < rows; row++) ys[row] = intScalar(codes, scales, row, cols, xq, dx);
            };
            for (int i = 0; i < 30; i++) { f.run(); v.run(); s.run(); }
            for (int row = 0; row < rows; row++) {
                float ref = intReference(heap, row, blocks, xq, dx);
                assertEquals(Float.floatToRawIntBits(ref), Float.floatToRawIntBits(yv[row]), "I-vector row " + row);
                assertEquals(Float.floatToRawIntBits(ref), Float.floatToRawIntBits(ys[row]), "I-scalar row " + row);
            }
            double[] rf = new double[rounds], rv = new double[rounds], rs = new double[rounds], qv = new double[rounds], qs = new double[rounds];
            Runnable[] order = {f, v, s};
            for (int k = 0; k < rounds; k++) {
                double[] t = new double[3];
                for (int j = 0; j < 3; j++) {
                    int which = (j + k) % 3; // rotate which goes first
                    t[which] = rate(order[which], rows);
                }
                rf[k] = t[0]; rv[k] = t[1]; rs[k] = t[2];
                qv[k] = rv[k] / rf[k]; qs[k] = rs[k] / rf[k];
            }
            System.out.printf("%d x %d Q8_0, 512 bits, 1 thread, %d rounds, JDK %s%n", rows, cols, rounds, Runtime.version());
            System.out.println("| product | rows/s (median) | / float, median round (min-max) |");
            System.out.println("|---|---:|---:|");
            System.out.printf("| float (matVec, canonical today) | %.0f | 1 |%n", median(rf));
            System.out.printf("| integer, Vector API | %.0f | %.2f (%.2f-%.2f) |%n", median(rv), median(qv), min(qv), max(qv));
            System.out.printf("| integer, scalar loops (C2) | %.0f | %.2f (%.2f-%.2f) |%n", median(rs), median(qs), min(qs), max(qs));
        }
    }

    /** llama.cpp's quantize_row_q8_0 as {@link Q8_0Tensor#quantizeRow}: codes and the f16-rounded scale per block. */
    static void quantize(float[] x, byte[] xq, float[] dx) {
        for (int b = 0; b < dx.length; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[32 * b + j]));
            float d = Float.float16ToFloat(Float.floatToFloat16(amax / 127f));
            float id = d != 0 ? 1f / d : 0f;
            dx[b] = d;
            for (int j = 0; j < 32; j++) xq[32 * b + j] = (byte) Math.max(-127, Math.min(127, Math.round(x[32 * b + j] * id)));
        }
    }

    /** The integer product's definition, plainly. */
    static float intReference(byte[] heap, int row, int blocks, byte[] xq, float[] dx) {
        float[] acc = new float[16];
        for (int b = 0; b < blocks; b++) {
            int o = (row * blocks + b) * BLOCK_BYTES;
            float d = Float.float16ToFloat((short) ((heap[o] & 0xff) | (heap[o + 1] << 8)));
            for (int m = 0; m < 16; m++) {
                int isum = heap[o + 2 + m] * xq[32 * b + m] + heap[o + 2 + m + 16] * xq[32 * b + m + 16];
                acc[m] = Math.fma((float) isum, d * dx[b], acc[m]);
            }
        }
        return Dot.combine(acc, 0);
    }

    static void intVector2(MemorySegment w, int row, int blocks, byte[] xq, float[] dx, float[] y) {
        var B = ByteVector.SPECIES_256;
        var S = ShortVector.SPECIES_512;
        var I = IntVector.SPECIES_512;
        var F = FloatVector.SPECIES_512;
        long rowBytes = (long) blocks * BLOCK_BYTES;
        long o0 = row * rowBytes, o1 = o0 + rowBytes;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        for (int b = 0; b < blocks; b++, o0 += BLOCK_BYTES, o1 += BLOCK_BYTES) {
            ShortVector xs = (ShortVector) ByteVector.fromArray(B, xq, 32 * b).convertShape(VectorOperators.B2S, S, 0);
            ShortVector p0 = ((ShortVector) ByteVector.fromMemorySegment(B, w, o0 + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, S, 0)).mul(xs);
            ShortVector p1 = ((ShortVector) ByteVector.fromMemorySegment(B, w, o1 + 2, ByteOrder.LITTLE_ENDIAN)
                    .convertShape(VectorOperators.B2S, S, 0)).mul(xs);
            IntVector i0 = ((IntVector) p0.convertShape(VectorOperators.S2I, I, 0)).add((IntVector) p0.convertShape(VectorOperators.S2I, I, 1));
            IntVector i1 = ((IntVector) p1.convertShape(VectorOperators.S2I, I, 0)).add((IntVector) p1.convertShape(VectorOperators.S2I, I, 1));
            float d0 = Float.float16ToFloat(w.get(F16, o0)) * dx[b], d1 = Float.float16ToFloat(w.get(F16, o1)) * dx[b];
            a0 = ((FloatVector) i0.convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, d0), a0);
            a1 = ((FloatVector) i1.convertShape(VectorOperators.I2F, F, 0)).fma(FloatVector.broadcast(F, d1), a1);
        }
        float[] s = new float[32];
        a0.intoArray(s, 0);
        a1.intoArray(s, 16);
        y[row] = Dot.combine(s, 0);
        y[row + 1] = Dot.combine(s, 16);
    }

    static float intScalar(byte[] codes, float[] scales, int row, int cols, byte[] xq, float[] dx) {
        float[] acc = new float[16];
        int[] isum = new int[16];
        int blocks = cols / 32;
        for (int b = 0; b < blocks; b++) {
            int o = row * cols + 32 * b, xo = 32 * b;
            for (int m = 0; m < 16; m++) isum[m] = codes[o + m] * xq[xo + m] + codes[o + m + 16] * xq[xo + m + 16];
            float d = scales[row * blocks + b] * dx[b];
            for (int m = 0; m < 16; m++) acc[m] = Math.fma((float) isum[m], d, acc[m]);
        }
        return Dot.combine(acc, 0);
    }

    static double rate(Runnable r, int rows) {
        long t0 = System.nanoTime();
        int reps = 5;
        for (int i = 0; i < reps; i++) r.run();
        return (double) rows * reps / ((System.nanoTime() - t0) / 1e9);
    }

    static double median(double[] a) {
        double[] s = a.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double min(double[] a) {
        return Arrays.stream(a).min().orElse(Double.NaN);
    }

    static double max(double[] a) {
        return Arrays.stream(a).max().orElse(Double.NaN);
    }
}
