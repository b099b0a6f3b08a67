package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.kernel.Lanes;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/**
 * Q4_0 weights: blocks of 32 elements, each an f16 scale {@code d} then 16 bytes {@code qs}; element j
 * ({@code j < 16}) is {@code d * ((qs[j] & 15) - 8)} and element {@code j + 16} is {@code d * ((qs[j] >>> 4) - 8)}.
 *
 * <h2>Canonical dot product with F32 activations</h2>
 * Exactly the layout of {@link Q8_0Tensor} with {@code q[j]} the 4-bit values minus 8:
 * <pre>
 *   for each block b, for m = 0..15:
 *     p = q[m] * xb[m];  p = fma(q[m+16], xb[m+16], p);  acc[m] = fma(p, d, acc[m])
 *   dot = Dot.combine(acc)
 * </pre>
 * The low nibbles are the block's first 16 elements and the high nibbles the last 16, so one 16-byte load
 * gives both halves of the partial sums.

 * The packed copy groups rows by four and interleaves their bytes ({@link BlockQ8Tensor#q4Base}: one 64-byte line
 * holds block b of four rows, byte 4m + i being row i's byte m); the Java kernels read a row's block as sixteen 32-bit
 * lanes shifted right by {@link BlockQ8Tensor#q4Shift}, the codes then in bits 3:0 and 7:4 of each lane.
 *
 * <h2>The int8-q8 product ({@link ComputeProfile#INT8_Q8}, input {@link Int8Input#Q8_32})</h2>
 * The definition shared by Q8_0, Q4_0 and Q5_0, stated once in {@link Int8Kernels}: per block of 32, the exact
 * integer sum of {@code qw[i] * qx[i]}, then {@code acc[b mod 16] = fma((float) sumi_b, dw_b * dx_b, acc[b mod 16])}
 * and {@code Dot.combine}; here {@code qw} is this type's integer codes (the nibbles minus 8, in [-8, 7]).
 * {@link #dotInt8Reference} is the scalar reference.
 */
public final class Q4_0Tensor extends BlockQ8Tensor {
    private static final int BLOCK_BYTES = 18;

    public Q4_0Tensor(String name, MemorySegment data, int rows, int cols) {
        this(name, data, rows, cols, PACK);
    }

    /** For a model computed under {@code profile} ({@link BlockQ8Tensor}: the int8-q8 kernels' copy under {@link ComputeProfile#INT8_Q8}). */
    public Q4_0Tensor(String name, MemorySegment data, int rows, int cols, ComputeProfile profile) {
        super(name, GgmlType.Q4_0, data, rows, cols, 16, PACK, profile);
    }

    /** With {@code pack} false the kernels read the mapping (the path before the packed copy; benchmarks compare the two). */
    Q4_0Tensor(String name, MemorySegment data, int rows, int cols, boolean pack) {
        super(name, GgmlType.Q4_0, data, rows, cols, 16, pack);
    }

    @Override
    public float dotReference(int row, float[] x, int xOff) {
        float[] acc = new float[16];
        long o = row * rowBytes;
        for (int b = 0; b < cols / 32; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(F16, o));
            int xb = xOff + 32 * b;
            for (int m = 0; m < 16; m++) {
                int v = data.get(ValueLayout.JAVA_BYTE, o + 2 + m) & 0xFF;
                float q0 = (v & 15) - 8;
                float q1 = (v >>> 4) - 8;
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
            for (int m = 0; m < 16; m++) {
                int v = data.get(ValueLayout.JAVA_BYTE, o + 2 + m) & 0xFF;
                s += ((v & 15) - 8) * xc[xo + m] + ((v >>> 4) - 8) * xc[xo + m + 16];
            }
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

    // Two 8-byte loads, each converted with part 0 only: C2 intrinsifies B2F from a 64-bit byte vector to a
    // 256-bit float vector, but not the part-1 conversion of a 128-bit one, which then boxes every vector.
    private static float dot256(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_256;
        var B = ByteVector.SPECIES_64;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int xb = xOff + 32 * b;
            ByteVector qa = ByteVector.fromMemorySegment(B, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector qb = ByteVector.fromMemorySegment(B, w, o + 10, ByteOrder.LITTLE_ENDIAN);
            FloatVector p0 = ((FloatVector) qa.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb));
            FloatVector p1 = ((FloatVector) qb.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb + 8));
            p0 = ((FloatVector) qa.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 16), p0);
            p1 = ((FloatVector) qb.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 24), p1);
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
            ByteVector qs = ByteVector.fromMemorySegment(B, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = qs.and((byte) 15).sub((byte) 8);
            ByteVector hi = qs.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            FloatVector p = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb));
            p = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 16), p);
            acc = p.fma(FloatVector.broadcast(F, d), acc);
        }
        return Lanes.combine512(acc);
    }

    private static float dot128(MemorySegment w, long o, int blocks, float[] x, int xOff) {
        var F = FloatVector.SPECIES_128;
        var B = ByteVector.SPECIES_128;
        FloatVector a0 = FloatVector.zero(F), a1 = a0, a2 = a0, a3 = a0;
        for (int b = 0; b < blocks; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(w.get(F16, o));
            int xb = xOff + 32 * b;
            ByteVector qs = ByteVector.fromMemorySegment(B, w, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector lo = qs.and((byte) 15).sub((byte) 8);
            ByteVector hi = qs.lanewise(VectorOperators.LSHR, 4).sub((byte) 8);
            FloatVector p0 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 0)).mul(FloatVector.fromArray(F, x, xb));
            FloatVector p1 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 1)).mul(FloatVector.fromArray(F, x, xb + 4));
            FloatVector p2 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 2)).mul(FloatVector.fromArray(F, x, xb + 8));
            FloatVector p3 = ((FloatVector) lo.convertShape(VectorOperators.B2F, F, 3)).mul(FloatVector.fromArray(F, x, xb + 12));
            p0 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 0)).fma(FloatVector.fromArray(F, x, xb + 16), p0);
            p1 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 1)).fma(FloatVector.fromArray(F, x, xb + 20), p1);
            p2 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 2)).fma(FloatVector.fromArray(F, x, xb + 24), p2);
            p3 = ((FloatVector) hi.convertShape(VectorOperators.B2F, F, 3)).fma(FloatVector.fromArray(F, x, xb + 28), p3);
            FloatVector dv = FloatVector.broadcast(F, d);
            a0 = p0.fma(dv, a0);
            a1 = p1.fma(dv, a1);
            a2 = p2.fma(dv, a2);
            a3 = p3.fma(dv, a3);
        }
        return Lanes.combine128(a0, a1, a2, a3);
    }

    /**
     * The decode step on the packed copy: two rows side by side ({@link #pairP512}, {@link #pairP256}), their scales
     * widened into a per-thread scratch first; each row still gets exactly its own operations in its own order.
     */
    @Override
    protected void rowsOfOne(KernelConfig cfg, int from, int to, float[] x, int xOff, float[] y, int yOff) {
        if (nativeOn(cfg)) {
            NativeKernels.matVec(type, codes, scales, blocks, rows, from, to, x, xOff, y, yOff);
            return;
        }
        int bits = cfg.vectorBits();
        if (codes == null || (bits != 512 && bits != 256)) {
            super.rowsOfOne(cfg, from, to, x, xOff, y, yOff);
            return;
        }
        float[] sc = scaleScratch(4 * blocks + 32);
        int r = from;
        if (bits == 512) {
            for (; r + 4 <= to; r += 4) {
                scales(r, 4, sc, true);
                pairP512(codes, q4Base(r), q4Shift(r), q4Base(r + 1), q4Shift(r + 1), blocks, sc, 0, x, xOff, y, yOff + r);
                pairP512(codes, q4Base(r + 2), q4Shift(r + 2), q4Base(r + 3), q4Shift(r + 3), blocks, sc, 2 * blocks, x, xOff, y, yOff + r + 2);
            }
        } else {
            for (; r + 2 <= to; r += 2) {
                scales(r, 2, sc, false);
                pairP256(codes, q4Base(r), q4Shift(r), q4Base(r + 1), q4Shift(r + 1), blocks, sc, x, xOff, y, yOff + r);
            }
        }
        for (; r < to; r++) y[yOff + r] = dot(cfg, r, x, xOff);
    }

    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;

    /** One row of the packed copy at 512 bits. */
    private float dotP512(int row, float[] x, int xOff) {
        var F = FloatVector.SPECIES_512;
        FloatVector acc = FloatVector.zero(F);
        long o = q4Base(row);
        final int sh = q4Shift(row);
        for (int b = 0; b < blocks; b++, o += 64) {
            int xb = xOff + 32 * b;
            acc = step512(codes, o, sh, scale(row, b), FloatVector.fromArray(F, x, xb), FloatVector.fromArray(F, x, xb + 16), acc);
        }
        return Lanes.tree512(acc);
    }

    private static FloatVector step512(MemorySegment w, long o, int sh, float d, FloatVector x0, FloatVector x1, FloatVector acc) {
        IntVector v = IntVector.fromMemorySegment(I512, w, o, ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.LSHR, sh);
        FloatVector lo = (FloatVector) v.and(15).sub(8).convert(VectorOperators.I2F, 0);
        FloatVector hi = (FloatVector) v.lanewise(VectorOperators.LSHR, 4).and(15).sub(8).convert(VectorOperators.I2F, 0);
        return hi.fma(x1, lo.mul(x0)).fma(FloatVector.broadcast(FloatVector.SPECIES_512, d), acc);
    }

    /**
     * Two rows of the packed copy at 512 bits, their group lines from bytes {@code o0} and {@code o1}
     * ({@link #q4Base}, 64 bytes a block), their bytes in each lane at shifts {@code h0} and {@code h1}
     * ({@link #q4Shift}), their widened scales at {@code sc[so ..]}, {@code blocks} apart ({@code sc[4 * blocks ..]}: 32
     * floats of scratch); results to {@code y[yo ..]}. (Four rows make the method too big for C2, which then leaves a
     * step out of line and boxes its vectors.)
     */
    static void pairP512(MemorySegment w, long o0, int h0, long o1, int h1, int blocks, float[] sc, int so, float[] x, int xOff,
                         float[] y, int yo) {
        var F = FloatVector.SPECIES_512;
        FloatVector a0 = FloatVector.zero(F), a1 = a0;
        final int so1 = so + blocks;
        for (int b = 0, xb = xOff; b < blocks; b++, xb += 32, o0 += 64, o1 += 64) {
            FloatVector x0 = FloatVector.fromArray(F, x, xb), x1 = FloatVector.fromArray(F, x, xb + 16);
            a0 = step512(w, o0, h0, sc[so + b], x0, x1, a0);
            a1 = step512(w, o1, h1, sc[so1 + b], x0, x1, a1);
        }
        int t = 4 * blocks; // through memory, as Q8_0Tensor.quadP512 does: no call that takes a vector
        a0.intoArray(sc, t);
        a1.intoArray(sc, t + 16);
        y[yo] = Dot.combine(sc, t);
        y[yo + 1] = Dot.combine(sc, t + 16);
    }

    /** One row of the packed copy at 256 bits (partial sums 0..7 and 8..15 in two accumulators). */
    private float dotP256(int row, float[] x, int xOff) {
        var F = FloatVector.SPECIES_256;
        FloatVector acc0 = FloatVector.zero(F), acc1 = acc0;
        long o = q4Base(row);
        final int sh = q4Shift(row);
        for (int b = 0; b < blocks; b++, o += 64) {
            int xb = xOff + 32 * b;
            IntVector va = IntVector.fromMemorySegment(I256, codes, o, ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.LSHR, sh);
            IntVector vb = IntVector.fromMemorySegment(I256, codes, o + 32, ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.LSHR, sh);
            FloatVector dv = FloatVector.broadcast(F, scale(row, b));
            FloatVector p0 = ((FloatVector) va.and(15).sub(8).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, x, xb));
            FloatVector p1 = ((FloatVector) vb.and(15).sub(8).convert(VectorOperators.I2F, 0)).mul(FloatVector.fromArray(F, x, xb + 8));
            p0 = ((FloatVector) va.lanewise(VectorOperators.LSHR, 4).and(15).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xb + 16), p0);
            p1 = ((FloatVector) vb.lanewise(VectorOperators.LSHR, 4).and(15).sub(8).convert(VectorOperators.I2F, 0)).fma(FloatVector.fromArray(F, x, xb + 24), p1);
            acc0 = p0.fma(dv, acc0);
            acc1 = p1.fma(dv, acc1);
        }
        return Lanes.combine256(acc0, acc1);
    }

    /**
     * Two rows of the packed copy at 256 bits (lines and shifts as {@link #pairP512}, each line as two halves of eight
     * lanes); widened scales at {@code sc[0 ..]}, {@code blocks} apart ({@code sc[4 * blocks ..]}: 32 floats of scratch).
     */
    static void pairP256(MemorySegment w, long o0, int h0, long o1, int h1, int blocks, float[] sc, float[] x, int xOff,
                         float[] y, int yo) {
        // Every vector operation written out here, none passed to or returned from a method of ours: C2 compiles this
        // as one large method and left such calls out of line, boxing their vectors (4x slower than the in-place dot256).
        var F = FloatVector.SPECIES_256;
        final var LE = ByteOrder.LITTLE_ENDIAN;
        final var SHR = VectorOperators.LSHR;
        final var I2F = VectorOperators.I2F;
        FloatVector a0 = FloatVector.zero(F), b0 = a0, a1 = a0, b1 = a0;
        for (int b = 0, xb = xOff; b < blocks; b++, xb += 32, o0 += 64, o1 += 64) {
            FloatVector x0 = FloatVector.fromArray(F, x, xb), x1 = FloatVector.fromArray(F, x, xb + 8);
            FloatVector x2 = FloatVector.fromArray(F, x, xb + 16), x3 = FloatVector.fromArray(F, x, xb + 24);
            IntVector qa = IntVector.fromMemorySegment(I256, w, o0, LE).lanewise(SHR, h0);
            IntVector qb = IntVector.fromMemorySegment(I256, w, o0 + 32, LE).lanewise(SHR, h0);
            FloatVector dv = FloatVector.broadcast(F, sc[b]);
            FloatVector la = (FloatVector) qa.and(15).sub(8).convert(I2F, 0);
            FloatVector ha = (FloatVector) qa.lanewise(SHR, 4).and(15).sub(8).convert(I2F, 0);
            FloatVector lb = (FloatVector) qb.and(15).sub(8).convert(I2F, 0);
            FloatVector hb = (FloatVector) qb.lanewise(SHR, 4).and(15).sub(8).convert(I2F, 0);
            a0 = ha.fma(x2, la.mul(x0)).fma(dv, a0);
            b0 = hb.fma(x3, lb.mul(x1)).fma(dv, b0);
            IntVector ra = IntVector.fromMemorySegment(I256, w, o1, LE).lanewise(SHR, h1);
            IntVector rc = IntVector.fromMemorySegment(I256, w, o1 + 32, LE).lanewise(SHR, h1);
            FloatVector ev = FloatVector.broadcast(F, sc[blocks + b]);
            FloatVector lc = (FloatVector) ra.and(15).sub(8).convert(I2F, 0);
            FloatVector hc = (FloatVector) ra.lanewise(SHR, 4).and(15).sub(8).convert(I2F, 0);
            FloatVector ld = (FloatVector) rc.and(15).sub(8).convert(I2F, 0);
            FloatVector hd = (FloatVector) rc.lanewise(SHR, 4).and(15).sub(8).convert(I2F, 0);
            a1 = hc.fma(x2, lc.mul(x0)).fma(ev, a1);
            b1 = hd.fma(x3, ld.mul(x1)).fma(ev, b1);
        }
        int t = 4 * blocks; // through memory, as pairP512: partial sums 0..7 then 8..15 of each row
        a0.intoArray(sc, t);
        b0.intoArray(sc, t + 8);
        a1.intoArray(sc, t + 16);
        b1.intoArray(sc, t + 24);
        y[yo] = Dot.combine(sc, t);
        y[yo + 1] = Dot.combine(sc, t + 16);
    }

    /** Row {@code row} blocks {@code [b0, b1)} as exact codes from {@code q[qOff]} (floats in [-8, 7]) and block scales from {@code d[dOff]}. */
    @Override
    void unpackRow(int row, int b0, int b1, float[] q, int qOff, float[] d, int dOff) {
        var F = FloatVector.SPECIES_256;
        var B = ByteVector.SPECIES_64;
        if (codes != null) {
            final int sh = q4Shift(row);
            long po = q4Base(row) + 64L * b0;
            for (int b = b0, j = qOff; b < b1; b++, j += 32, po += 64) {
                d[dOff + b - b0] = scale(row, b);
                IntVector qa = IntVector.fromMemorySegment(I256, codes, po, ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.LSHR, sh);
                IntVector qb = IntVector.fromMemorySegment(I256, codes, po + 32, ByteOrder.LITTLE_ENDIAN).lanewise(VectorOperators.LSHR, sh);
                ((FloatVector) qa.and(15).sub(8).convert(VectorOperators.I2F, 0)).intoArray(q, j);
                ((FloatVector) qb.and(15).sub(8).convert(VectorOperators.I2F, 0)).intoArray(q, j + 8);
                ((FloatVector) qa.lanewise(VectorOperators.LSHR, 4).and(15).sub(8).convert(VectorOperators.I2F, 0)).intoArray(q, j + 16);
                ((FloatVector) qb.lanewise(VectorOperators.LSHR, 4).and(15).sub(8).convert(VectorOperators.I2F, 0)).intoArray(q, j + 24);
            }
            return;
        }
        long o = row * rowBytes + (long) b0 * BLOCK_BYTES;
        for (int b = b0, j = qOff; b < b1; b++, j += 32, o += BLOCK_BYTES) {
            d[dOff + b - b0] = Float.float16ToFloat(data.get(F16, o));
            ByteVector qa = ByteVector.fromMemorySegment(B, data, o + 2, ByteOrder.LITTLE_ENDIAN);
            ByteVector qb = ByteVector.fromMemorySegment(B, data, o + 10, ByteOrder.LITTLE_ENDIAN);
            ((FloatVector) qa.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).intoArray(q, j);
            ((FloatVector) qb.and((byte) 15).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).intoArray(q, j + 8);
            ((FloatVector) qa.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).intoArray(q, j + 16);
            ((FloatVector) qb.lanewise(VectorOperators.LSHR, 4).sub((byte) 8).convertShape(VectorOperators.B2F, F, 0)).intoArray(q, j + 24);
        }
    }

    @Override
    public void dequantizeRow(int row, float[] out, int off) {
        long o = row * rowBytes;
        for (int b = 0; b < cols / 32; b++, o += BLOCK_BYTES) {
            float d = Float.float16ToFloat(data.get(F16, o));
            for (int j = 0; j < 16; j++) {
                int v = data.get(ValueLayout.JAVA_BYTE, o + 2 + j) & 0xFF;
                out[off + 32 * b + j] = ((v & 15) - 8) * d;
                out[off + 32 * b + j + 16] = ((v >>> 4) - 8) * d;
            }
        }
    }

    /** Quantizes one row into Q4_0 blocks as llama.cpp's reference does (scale = signed max / -8). */
    public static void quantizeRow(float[] x, int off, int cols, byte[] out, int outOff) {
        for (int b = 0; b < cols / 32; b++) {
            float amax = 0, max = 0;
            for (int j = 0; j < 32; j++) {
                float v = x[off + 32 * b + j];
                if (Math.abs(v) > amax) {
                    amax = Math.abs(v);
                    max = v;
                }
            }
            float d = max / -8f;
            short h = Float.floatToFloat16(d);
            float dd = Float.float16ToFloat(h);
            float id = dd != 0 ? 1f / dd : 0f;
            int o = outOff + b * BLOCK_BYTES;
            out[o] = (byte) h;
            out[o + 1] = (byte) (h >> 8);
            for (int j = 0; j < 16; j++) {
                int q0 = Math.min(15, (int) (x[off + 32 * b + j] * id + 8.5f));
                int q1 = Math.min(15, (int) (x[off + 32 * b + j + 16] * id + 8.5f));
                out[o + 2 + j] = (byte) (Math.max(0, q0) | (Math.max(0, q1) << 4));
            }
        }
    }
}
