package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.kernel.Lanes;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Q8_0 weights: blocks of 32 elements, each an f16 scale {@code d} (2 bytes, LE) then 32 signed bytes
 * {@code q[0..31]}; element j of the block is {@code d * q[j]}.
 *
 * <h2>Canonical dot product with F32 activations {@code x}</h2>
 * <pre>
 *   acc[0..15] = +0.0f
 *   for each block b = 0, 1, ... (increasing), with xb = x[32b ..]:
 *     for m = 0..15:
 *       p      = q[m] * xb[m]                       (binary32 multiply; q[m] is exact as a float)
 *       p      = fma(q[m+16], xb[m+16], p)
 *       acc[m] = fma(p, d, acc[m])                   (d = f16 scale widened to binary32, exact)
 *   dot = Dot.combine(acc)                           (the fixed 16-sum tree of {@link Dot})
 * </pre>
 * The block's scale is applied once per partial sum (as llama.cpp and llama3.java do), so the
 * integer-valued weights are multiplied exactly; only the layout is fixed, which makes it independent of
 * the vector width. A vector of L lanes holds partial sums {@code [jL, jL+L)} in accumulator j; every
 * width issues the same lanewise multiplies and fmas per partial sum in the same order.
 *
 * <h2>The int8-q8 product ({@link ComputeProfile#INT8_Q8}, input {@link Int8Input#Q8_32})</h2>
 * The definition shared by Q8_0, Q4_0 and Q5_0, stated once in {@link Int8Kernels}: per block of 32, the exact
 * integer sum of {@code qw[i] * qx[i]}, then {@code acc[b mod 16] = fma((float) sumi_b, dw_b * dx_b, acc[b mod 16])}
 * and {@code Dot.combine}; here {@code qw} is this type's integer codes (the signed bytes {@code q[i]}).
 * {@link #dotInt8Reference} is the scalar reference.
 */
public final class Q8_0Tensor extends BlockQ8Tensor {
    static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BLOCK_BYTES = 34;

    public Q8_0Tensor(String name, MemorySegment data, int rows, int cols) {
        this(name, data, rows, cols, PACK);
    }

    /** For a model computed under {@code profile} ({@link BlockQ8Tensor}: the int8-q8 kernels' copy under {@link ComputeProfile#INT8_Q8}). */
    public Q8_0Tensor(String name, MemorySegment data, int rows, int cols, ComputeProfile profile) {
        super(name, GgmlType.Q8_0, data, rows, cols, 32, PACK, profile);
    }

    /** With {@code pack} false the kernels read the mapping (the path before the packed copy; benchmarks compare the two). */
    Q8_0Tensor(String name, MemorySegment data, int rows, int cols, boolean pack) {
        super(name, GgmlType.Q8_0, data, rows, cols, 32, pack);
    }

    @Override
    public float dotReference(int row, float[] x, int xOff) {
        float[] acc = new float[16];
        long o = row * rowBytes;
        int blocks = cols / 32;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(F16, o));
            int xb = xOff + 32 * b;
            for (int m = 0; m < 16; m++) {
                float q0 = data.get(ValueLayout.JAVA_BYTE, o + 2 + m);
                float q1 = data.get(ValueLayout.JAVA_BYTE, o + 2 + m + 16);
                float p = q0 * x[xb + m];
                p = Math.fma(q1, x[xb + m + 16], p);
                acc[m] = Math.fma(p, d, acc[m]);
            }
        }
        return Dot.combine(acc, 0);
    }

    @Override
    public float dotInt8Reference(int row, Int8Input xq, int t) {
        return Int8Kernels.reference(data, row * rowBytes, BLOCK_BYTES, cols / 32, xq, t, (o, xc, xo) -> {
            int s = 0;
            for (int i = 0; i < 32; i++) s += data.get(ValueLayout.JAVA_BYTE, o + 2 + i) * xc[xo + i];
            return s;
        });
    }

    @Override
    public float dot(KernelConfig cfg, int row, float[] x, int xOff) {
        int bits = cfg.vectorBits();
        if (codes != null && bits == 512) return dotP512(row, x, xOff);
        if (codes != null && bits == 256) return dotP256(row, x, xOff);
        return switch (bits) {
            case 256 -> dot256(data, row * rowBytes, cols / 32, x, xOff);
            case 512 -> dot512(data, row * rowBytes, cols / 32, x, xOff);
            case 128 -> dot128(data, row * rowBytes, cols / 32, x, xOff);
            default -> dotReference(row, x, xOff);
        };
    }

    private static float dot256(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_256;
        var B = ByteVector.SPECIES_64;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int xb = xOff + 32 * b;
            FloatVector q0 = (FloatVector) ByteVector.fromMemorySegment(B, w, o + 2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
            FloatVector q1 = (FloatVector) ByteVector.fromMemorySegment(B, w, o + 10, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
            FloatVector q2 = (FloatVector) ByteVector.fromMemorySegment(B, w, o + 18, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
            FloatVector q3 = (FloatVector) ByteVector.fromMemorySegment(B, w, o + 26, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
            FloatVector p0 = q0.mul(FloatVector.fromArray(F, x, xb));
            FloatVector p1 = q1.mul(FloatVector.fromArray(F, x, xb + 8));
            p0 = q2.fma(FloatVector.fromArray(F, x, xb + 16), p0);
            p1 = q3.fma(FloatVector.fromArray(F, x, xb + 24), p1);
            FloatVector dv = FloatVector.broadcast(F, d);
            acc0 = p0.fma(dv, acc0);
            acc1 = p1.fma(dv, acc1);
        }
        return Lanes.combine256(acc0, acc1);
    }

    private static float dot512(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_512;
        var B = ByteVector.SPECIES_128;
        FloatVector acc = FloatVector.zero(F);
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int xb = xOff + 32 * b;
            FloatVector q0 = (FloatVector) ByteVector.fromMemorySegment(B, w, o + 2, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
            FloatVector q1 = (FloatVector) ByteVector.fromMemorySegment(B, w, o + 18, ByteOrder.LITTLE_ENDIAN).convertShape(VectorOperators.B2F, F, 0);
            FloatVector p = q0.mul(FloatVector.fromArray(F, x, xb));
            p = q1.fma(FloatVector.fromArray(F, x, xb + 16), p);
            acc = p.fma(FloatVector.broadcast(F, d), acc);
        }
        return Lanes.combine512(acc);
    }

    private static float dot128(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_128;
        var B = ByteVector.SPECIES_64;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int xb = xOff + 32 * b;
            ByteVector lo0 = ByteVector.fromMemorySegment(B, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo1 = ByteVector.fromMemorySegment(B, w, o + 10, ByteOrder.LITTLE_ENDIAN);
            ByteVector hi0 = ByteVector.fromMemorySegment(B, w, o + 18, ByteOrder.LITTLE_ENDIAN);
            ByteVector hi1 = ByteVector.fromMemorySegment(B, w, o + 26, ByteOrder.LITTLE_ENDIAN);
            FloatVector p0 = ((FloatVector) lo0.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb));
            FloatVector p1 = ((FloatVector) lo0.convertShape(VectorOperators.B2F, F, 1)).mul(FloatVector.fromArray(F, x, xb + 4));
            FloatVector p2 = ((FloatVector) lo1.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + 8));
            FloatVector p3 = ((FloatVector) lo1.convertShape(VectorOperators.B2F, F, 1)).mul(FloatVector.fromArray(F, x, xb + 12));
            p0 = ((FloatVector) hi0.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 16), p0);
            p1 = ((FloatVector) hi0.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + 20), p1);
            p2 = ((FloatVector) hi1.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 24), p2);
            p3 = ((FloatVector) hi1.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + 28), p3);
            FloatVector dv = FloatVector.broadcast(F, d);
            a0 = p0.fma(dv, a0);
            a1 = p1.fma(dv, a1);
            a2 = p2.fma(dv, a2);
            a3 = p3.fma(dv, a3);
        }
        return Lanes.combine128(a0, a1, a2, a3);
    }

    /**
     * The decode step on the packed copy: at 512 bits four rows side by side ({@link #quadP512}), at 256 bits two
     * ({@link #pairP256}), their scales widened into a per-thread scratch first. Each row's partial sums are one chain
     * of dependent fmas; the other rows' chains fill the fma unit's latency and share the loads of {@code x}. Every
     * row still gets exactly its own operations.
     */
    @Override
    protected void rowsOfOne(KernelConfig cfg, int from, int to, float[] x, int xOff, float[] y, int yOff) {
        if (nativeOn(cfg)) {
            NativeKernels.matVec(type, codes, scales, blocks, rows, from, to, x, xOff, y, yOff);
            return;
        }
        int bits = cfg.vectorBits();
        if (codes == null && bits == 512) {
            int r = from;
            for (; r + 4 <= to; r += 4) quadM512(data, r * rowBytes, rowBytes, blocks, x, xOff, y, yOff + r);
            for (; r < to; r++) y[yOff + r] = dot(cfg, r, x, xOff);
            return;
        }
        if (codes == null || (bits != 512 && bits != 256)) {
            super.rowsOfOne(cfg, from, to, x, xOff, y, yOff);
            return;
        }
        float[] sc = scaleScratch(4 * blocks + 64);
        int r = from;
        if (bits == 512) {
            for (; r + 4 <= to; r += 4) {
                scales(r, 4, sc, true);
                quadP512(codes, codeRow(r), codeStep(r), codeRow(r + 1), codeStep(r + 1), codeRow(r + 2), codeStep(r + 2),
                        codeRow(r + 3), codeStep(r + 3), blocks, sc, x, xOff, y, yOff + r);
            }
        } else {
            for (; r + 2 <= to; r += 2) {
                scales(r, 2, sc, false);
                pairP256(codes, codeRow(r), codeStep(r), codeRow(r + 1), codeStep(r + 1), blocks, sc, x, xOff, y, yOff + r);
            }
        }
        for (; r < to; r++) y[yOff + r] = dot(cfg, r, x, xOff);
    }

    private static FloatVector codes512(MemorySegment w, long o) {
        return (FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_128, w, o, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2F, FloatVector.SPECIES_512, 0);
    }

    private static FloatVector codes256(MemorySegment w, long o) {
        return (FloatVector) ByteVector.fromMemorySegment(ByteVector.SPECIES_64, w, o, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.B2F, FloatVector.SPECIES_256, 0);
    }

    /** One row of the packed copy at 512 bits. */
    private float dotP512(int row, float[] x, int xOff) {
        var F = FloatVector.SPECIES_512;
        FloatVector acc = FloatVector.zero(F);
        long o = codeRow(row);
        final int step = codeStep(row);
        for (int b = 0; b < blocks; b++, o += step) {
            int xb = xOff + 32 * b;
            FloatVector p = codes512(codes, o).mul(FloatVector.fromArray(F, x, xb));
            p = codes512(codes, o + 16).fma(FloatVector.fromArray(F, x, xb + 16), p);
            acc = p.fma(FloatVector.broadcast(F, scale(row, b)), acc);
        }
        return Lanes.tree512(acc);
    }

    private static FloatVector step512(MemorySegment w, long o, float d, FloatVector x0, FloatVector x1, FloatVector acc) {
        return codes512(w, o + 16).fma(x1, codes512(w, o).mul(x0)).fma(FloatVector.broadcast(FloatVector.SPECIES_512, d), acc);
    }

    /**
     * Four consecutive rows of the packed copy at 512 bits, row i's codes from byte {@code oi}, blocks {@code si} bytes
     * apart ({@link #codeRow}, {@link #codeStep}), their widened scales at {@code sc[0 ..]}, {@code blocks} apart
     * ({@code sc} has 64 more floats of scratch); results to {@code y[yo ..]}.
     */
    static void quadP512(MemorySegment w, long o0, int s0, long o1, int s1, long o2, int s2, long o3, int s3, int blocks,
                         float[] sc, float[] x, int xOff, float[] y, int yo) {
        var F = FloatVector.SPECIES_512;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        final int c1 = blocks, c2 = 2 * blocks, c3 = 3 * blocks;
        for (int b = 0, xb = xOff; b < blocks; b++, xb += 32, o0 += s0, o1 += s1, o2 += s2, o3 += s3) {
            FloatVector x0 = FloatVector.fromArray(F, x, xb), x1 = FloatVector.fromArray(F, x, xb + 16);
            a0 = step512(w, o0, sc[b], x0, x1, a0);
            a1 = step512(w, o1, sc[c1 + b], x0, x1, a1);
            a2 = step512(w, o2, sc[c2 + b], x0, x1, a2);
            a3 = step512(w, o3, sc[c3 + b], x0, x1, a3);
        }
        // Through memory: C2 inlines the stores (Vector API intrinsics) whatever the method's size, where a call that
        // took a vector (Lanes.tree512) was left out of line by NodeCountInliningCutoff and boxed its argument.
        int t = 4 * blocks;
        a0.intoArray(sc, t);
        a1.intoArray(sc, t + 16);
        a2.intoArray(sc, t + 32);
        a3.intoArray(sc, t + 48);
        y[yo] = Dot.combine(sc, t);
        y[yo + 1] = Dot.combine(sc, t + 16);
        y[yo + 2] = Dot.combine(sc, t + 32);
        y[yo + 3] = Dot.combine(sc, t + 48);
    }

    private static FloatVector stepM512(MemorySegment w, long o, FloatVector x0, FloatVector x1, FloatVector acc) {
        return codes512(w, o + 18).fma(x1, codes512(w, o + 2).mul(x0))
                .fma(FloatVector.broadcast(FloatVector.SPECIES_512, Float.float16ToFloat(w.get(F16, o))), acc);
    }

    /**
     * Four consecutive rows at 512 bits read in place (GGUF's blocks of an f16 scale and 32 codes), for a tensor
     * without a packed copy; the same operations as {@link #quadP512}.
     */
    static void quadM512(MemorySegment w, long o0, long rb, int blocks, float[] x, int xOff, float[] y, int yo) {
        var F = FloatVector.SPECIES_512;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        long o1 = o0 + rb, o2 = o1 + rb, o3 = o2 + rb;
        for (int b = 0, xb = xOff; b < blocks; b++, xb += 32, o0 += BLOCK_BYTES, o1 += BLOCK_BYTES, o2 += BLOCK_BYTES, o3 += BLOCK_BYTES) {
            FloatVector x0 = FloatVector.fromArray(F, x, xb), x1 = FloatVector.fromArray(F, x, xb + 16);
            a0 = stepM512(w, o0, x0, x1, a0);
            a1 = stepM512(w, o1, x0, x1, a1);
            a2 = stepM512(w, o2, x0, x1, a2);
            a3 = stepM512(w, o3, x0, x1, a3);
        }
        y[yo] = Lanes.tree512(a0);
        y[yo + 1] = Lanes.tree512(a1);
        y[yo + 2] = Lanes.tree512(a2);
        y[yo + 3] = Lanes.tree512(a3);
    }

    /** One row of the packed copy at 256 bits (partial sums 0..7 and 8..15 in two accumulators). */
    private float dotP256(int row, float[] x, int xOff) {
        var F = FloatVector.SPECIES_256;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        long o = codeRow(row);
        final int step = codeStep(row);
        for (int b = 0; b < blocks; b++, o += step) {
            int xb = xOff + 32 * b;
            FloatVector dv = FloatVector.broadcast(F, scale(row, b));
            FloatVector p0 = codes256(codes, o).mul(FloatVector.fromArray(F, x, xb));
            FloatVector p1 = codes256(codes, o + 8).mul(FloatVector.fromArray(F, x, xb + 8));
            p0 = codes256(codes, o + 16).fma(FloatVector.fromArray(F, x, xb + 16), p0);
            p1 = codes256(codes, o + 24).fma(FloatVector.fromArray(F, x, xb + 24), p1);
            acc0 = p0.fma(dv, acc0);
            acc1 = p1.fma(dv, acc1);
        }
        return Lanes.combine256(acc0, acc1);
    }

    /**
     * Two consecutive rows of the packed copy at 256 bits (codes as {@link #quadP512}); widened scales at
     * {@code sc[0 ..]}, {@code blocks} apart.
     */
    static void pairP256(MemorySegment w, long o0, int s0, long o1, int s1, int blocks, float[] sc, float[] x, int xOff,
                         float[] y, int yo) {
        var F = FloatVector.SPECIES_256;
        FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0;
        for (int b = 0, xb = xOff; b < blocks; b++, xb += 32, o0 += s0, o1 += s1) {
            FloatVector x0 = FloatVector.fromArray(F, x, xb), x1 = FloatVector.fromArray(F, x, xb + 8);
            FloatVector x2 = FloatVector.fromArray(F, x, xb + 16), x3 = FloatVector.fromArray(F, x, xb + 24);
            FloatVector dv = FloatVector.broadcast(F, sc[b]);
            a0 = codes256(w, o0 + 16).fma(x2, codes256(w, o0).mul(x0)).fma(dv, a0);
            b0 = codes256(w, o0 + 24).fma(x3, codes256(w, o0 + 8).mul(x1)).fma(dv, b0);
            FloatVector ev = FloatVector.broadcast(F, sc[blocks + b]);
            a1 = codes256(w, o1 + 16).fma(x2, codes256(w, o1).mul(x0)).fma(ev, a1);
            b1 = codes256(w, o1 + 24).fma(x3, codes256(w, o1 + 8).mul(x1)).fma(ev, b1);
        }
        y[yo] = Lanes.combine256(a0, b0);
        y[yo + 1] = Lanes.combine256(a1, b1);
    }

    /** Row {@code row} blocks {@code [b0, b1)} as exact codes from {@code q[qOff]} (floats in [-128, 127]) and block scales from {@code d[dOff]}. */
    @Override
    void unpackRow(int row, int b0, int b1, float[] q, int qOff, float[] d, int dOff) {
        var F = FloatVector.SPECIES_256;
        var B = ByteVector.SPECIES_64;
        if (codes != null) {
            final int step = codeStep(row);
            long po = codeRow(row) + (long) step * b0;
            for (int b = b0, j = qOff; b < b1; b++, j += 32, po += step) {
                d[dOff + b - b0] = scale(row, b);
                codes256(codes, po).intoArray(q, j);
                codes256(codes, po + 8).intoArray(q, j + 8);
                codes256(codes, po + 16).intoArray(q, j + 16);
                codes256(codes, po + 24).intoArray(q, j + 24);
            }
            return;
        }
        long o = row * rowBytes + (long) b0 * BLOCK_BYTES;
        for (int b = b0, j = qOff; b < b1; b++, j += 32, o += BLOCK_BYTES) {
            d[dOff + b - b0] = Float.float16ToFloat(data.get(F16, o));
            for (int k = 0; k < 4; k++) {
                ((FloatVector) ByteVector.fromMemorySegment(B, data, o + 2 + 8 * k, ByteOrder.LITTLE_ENDIAN)
                        .convertShape(VectorOperators.B2F, F, 0)).intoArray(q, j + 8 * k);
            }
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < cols / 32; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(F16, o));
            for (int j = 0; j < 32; j++) out[off + 32 * b + j] = data.get(ValueLayout.JAVA_BYTE, o + 2 + j) * d;
        }
    }

    /** Quantizes one row of {@code cols} floats into Q8_0 blocks (round to nearest, scale = max|x| / 127), as llama.cpp does. */
    public static void quantizeRow(float[] x, int off, int cols, byte[] out, int outOff) {
        for (int b = 0; b < cols / 32; b++) {
            float amax = 0;
            for (int j = 0; j < 32; j++) amax = Math.max(amax, Math.abs(x[off + 32 * b + j]));
            float d = amax / 127f;
            short h = Float.floatToFloat16(d);
            float dd = Float.float16ToFloat(h);
            float id = dd != 0 ? 1f / dd : 0f;
            int o = outOff + b * BLOCK_BYTES;
            out[o] = (byte) h;
            out[o + 1] = (byte) (h >> 8);
            for (int j = 0; j < 32; j++) {
                int q = Math.round(x[off + 32 * b + j] * id);
                out[o + 2 + j] = (byte) Math.max(-127, Math.min(127, q));
            }
        }
    }
}
