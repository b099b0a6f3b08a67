package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The int8-q8 products ({@link ComputeProfile#INT8_Q8}) in Java vector code, at 256 and 512 bits, for CPUs (or
 * configurations) without the native VNNI kernels ({@link Int8KQuantKernels}, {@link Int8Kernels}): Q4_K, Q5_K and
 * Q6_K ({@link #matMul}) and Q8_0, Q4_0 and Q5_0 ({@link #matMul32}). The definitions are the tensor classes' (class
 * javadocs of {@link Q4_KTensor}, {@link Q5_KTensor}, {@link Q6_KTensor}; {@link Int8Kernels} for the block-32 types);
 * this class only obtains the same exact integers in another grouping and then issues the definition's binary32
 * operations in the definition's order, so it gives the bits of {@link WeightTensor#dotInt8Reference} at every width
 * ({@code Int8JavaKernelsTest}). Scalar and 128 bits keep the reference.
 *
 * <h2>K-quants: A (and B) per (row, super-block)</h2>
 * {@code A = sum over the 16 groups g of 16 elements of sc_g * (sum over g of code * qx)}, with {@code sc_g} the
 * group's scale (Q4_K and Q5_K: its sub-block's 6-bit scale; Q6_K: its int8 scale) and the codes Q4_K 0..15, Q5_K
 * 0..31, Q6_K {@code q - 32}: bytes widened to 32-bit lanes ({@code B2I}), multiplied and added in int lanes, then the
 * lanes added ({@code reduceLanes(ADD)} on ints: exact in any order). No lane overflows: a lane takes at most 32
 * products {@code |code * qx * sc| <= 32 * 127 * 128}, below 2^24, and {@code |A| <= 256 * 32 * 127 * 128 < 2^31}.
 * B ({@code sum_j mn_j * bs_j}) is scalar, from the input's {@link Int8Input#sums16}, as in the reference.
 * <ul>
 *   <li>Decode (one input): four rows side by side, sharing each widened activation vector. Q4_K reads its nibbles
 *       as they lie in {@code qs} (zero-extended, masked and shifted in int lanes; the two groups of a sub-block
 *       summed before its scale multiplies them); Q5_K and Q6_K first unpack a super-block's codes into bytes in
 *       element order with integer code on longs ({@link Q5_KTensor#codes}, {@link Q6_KTensor#codes}).</li>
 *   <li>Batch: each super-block of four rows is unpacked once, its codes widened and multiplied by their scales
 *       once (256 ints a row), then every input passes over the four rows.</li>
 * </ul>
 *
 * <h2>Q8_0, Q4_0, Q5_0: sumi per block</h2>
 * A row's codes come as exact small integers in floats from {@link BlockQ8Tensor#unpackRow} (from whichever copy the
 * tensor holds: the binary32 kernels' packed copy, or the mapping), the input's codes are widened to floats once a
 * call. A block's products and their sums are integers below {@code 32 * 128 * 127 < 2^24}, so float lanes form them
 * exactly. Sixteen blocks (512 bits; eight at 256) are done at once: their product vectors are reduced by a
 * transposing tree (at each level two vectors' lanes are added to their partners {@code j ^ h} and blended, halving
 * each block's share of lanes) until lane k holds block k's {@code sumi}, exact in any order; then one lanewise
 * {@code fma(sumi, dw * dx, acc)} is the definition's two operations for each of those blocks, whose partial sums
 * {@code acc[b mod 16]} are the lanes. Blocks left over (fewer than 16 or 8) are reduced one at a time.
 *
 * <p>Every kernel body sees its species as a constant and exchanges only arrays and ints with its callers: a vector
 * returned from or passed to a method that C2 compiles apart is boxed (helpers that widened bytes were: 33 MB of
 * garbage a 2048x8192 product; DESIGN.md, "Memory besides the weights").
 */
final class Int8JavaKernels {
    private static final VectorSpecies<Byte> B64 = ByteVector.SPECIES_64;
    private static final VectorSpecies<Byte> B128 = ByteVector.SPECIES_128;
    private static final VectorSpecies<Integer> I256 = IntVector.SPECIES_256;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;
    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;

    /** Rows run side by side. */
    static final int ROWS = 4;

    private Int8JavaKernels() {
    }

    /** Whether {@code cfg}'s width has a Java vector int8-q8 kernel here (256 and 512 bits). */
    static boolean handles(KernelConfig cfg) {
        return cfg.vectorBits() == 256 || cfg.vectorBits() == 512;
    }

    /** One thread's buffers (grown on demand; nothing is allocated per call once they have grown). */
    private static final class Scratch {
        final byte[][] raw = new byte[ROWS][256];
        final byte[] codes = new byte[ROWS * 256];
        final int[] sc = new int[ROWS * 16];
        final int[] mn = new int[ROWS * 8];
        final float[] d = new float[ROWS], dmin = new float[ROWS];
        final int[] a = new int[ROWS];
        final int[] wc = new int[ROWS * 256];
        float[] acc = new float[ROWS * 16];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /**
     * Rows {@code [from, to)} of {@code w}'s int8-q8 product for every input of {@code xq} ({@link Int8Input#Q8_256}):
     * {@code y[yOff + t*yStride + r]}, at {@code cfg}'s width ({@link #handles} must hold).
     */
    static void matMul(ChunkedTensor w, KernelConfig cfg, int from, int to, Int8Input xq, float[] y, int yOff, int yStride) {
        if (!handles(cfg)) throw new IllegalArgumentException("no Java vector int8-q8 kernel at " + cfg);
        GgmlType type = w.type;
        if (type != GgmlType.Q4_K && type != GgmlType.Q5_K && type != GgmlType.Q6_K) {
            throw new IllegalArgumentException(w.name + ": no int8-q8 K-quant kernel for " + type);
        }
        boolean wide = cfg.vectorBits() == 512;
        int n = xq.n(), nsb = w.cols / 256, cols = w.cols;
        byte[] qx = xq.codes256();
        float[] dx = xq.scales256();
        int[] s16 = xq.sums16();
        boolean q6 = type == GgmlType.Q6_K;
        Scratch s = SCRATCH.get();
        if (s.acc.length < ROWS * 16 * n) s.acc = new float[ROWS * 16 * n];
        float[] acc = s.acc;
        for (int r0 = from; r0 < to; r0 += ROWS) {
            int rows = Math.min(ROWS, to - r0);
            java.util.Arrays.fill(acc, 0, ROWS * 16 * n, 0f);
            for (int sb = 0; sb < nsb; sb++) {
                boolean direct = n == 1 && type == GgmlType.Q4_K; // decode kernels that read the codes as they lie
                for (int i = 0; i < ROWS; i++) unpack(w, r0 + Math.min(i, rows - 1), sb, s, i, !direct); // short groups repeat their last row
                if (n != 1) {
                    if (wide) scale512(s.codes, s.sc, s.wc);
                    else scale256(s.codes, s.sc, s.wc);
                }
                for (int t = 0; t < n; t++) {
                    int xo = t * cols + 256 * sb;
                    if (direct) {
                        byte[][] b = s.raw;
                        if (wide) q4k512(b[0], b[1], b[2], b[3], s.sc, qx, xo, s.a);
                        else q4k256(b[0], b[1], b[2], b[3], s.sc, qx, xo, s.a);
                    } else if (n == 1) {
                        if (wide) decode512(s.codes, s.sc, qx, xo, s.a);
                        else decode256(s.codes, s.sc, qx, xo, s.a);
                    } else {
                        if (wide) batch512(s.wc, qx, xo, s.a);
                        else batch256(s.wc, qx, xo, s.a);
                    }
                    float dxs = dx[t * nsb + sb];
                    int so = t * (cols / 16) + 16 * sb, k = sb & 15;
                    for (int i = 0; i < rows; i++) {
                        int at = (i * n + t) * 16 + k;
                        acc[at] = Math.fma(s.d[i] * dxs, (float) s.a[i], acc[at]);
                        if (!q6) {
                            int m = 0;
                            for (int j = 0; j < 8; j++) m += s.mn[8 * i + j] * (s16[so + 2 * j] + s16[so + 2 * j + 1]);
                            acc[at] = Math.fma(-(s.dmin[i] * dxs), (float) m, acc[at]);
                        }
                    }
                }
            }
            for (int i = 0; i < rows; i++) {
                for (int t = 0; t < n; t++) y[yOff + t * yStride + r0 + i] = Dot.combine(acc, (i * n + t) * 16);
            }
        }
    }

    /** Super-block {@code sb} of {@code row} into slot {@code i}: its codes, 16 scales, (Q4_K/Q5_K) 8 mins, d and dmin. */
    private static void unpack(ChunkedTensor w, int row, int sb, Scratch s, int i, boolean codes) {
        byte[] b = s.raw[i];
        w.copyBlock(row, sb, b);
        switch (w.type) {
            case Q6_K -> {
                if (codes) Q6_KTensor.codes(b, s.codes, 256 * i);
                for (int j = 0; j < 16; j++) s.sc[16 * i + j] = b[192 + j];
                s.d[i] = ChunkedTensor.f16(b, 208);
            }
            default -> {
                if (codes && w.type == GgmlType.Q4_K) Q4_KTensor.codes(b, s.codes, 256 * i);
                else if (codes) Q5_KTensor.codes(b, s.codes, 256 * i);
                scalesAndMins(b, s.sc, 16 * i, s.mn, 8 * i);
                s.d[i] = ChunkedTensor.f16(b, 0);
                s.dmin[i] = ChunkedTensor.f16(b, 2);
            }
        }
    }

    private static final java.lang.invoke.VarHandle LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
    private static final java.lang.invoke.VarHandle INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.LITTLE_ENDIAN);

    /**
     * The 8 six-bit scales (each written twice, for the two groups of 16 of its sub-block) and 8 mins of a Q4_K or Q5_K
     * super-block {@code b} (packed as {@link Q4_KTensor#scale} and {@link Q4_KTensor#min} read them), four at a time in
     * an int: bytes 4..7 ({@code u}) hold scales 0..3 and the top bits of scales 4..7, bytes 8..11 ({@code v}) mins 0..3
     * and the top bits of mins 4..7, bytes 12..15 ({@code w}) the low bits of scales 4..7 (low nibbles) and mins 4..7.
     */
    private static void scalesAndMins(byte[] b, int[] sc, int so, int[] mn, int mo) {
        long uv = (long) LONG.get(b, 4);
        int u = (int) uv, v = (int) (uv >>> 32), w = (int) INT.get(b, 12);
        int s0 = u & 0x3F3F3F3F, m0 = v & 0x3F3F3F3F;
        int s1 = (w & 0x0F0F0F0F) | ((u >>> 6) & 0x03030303) << 4;
        int m1 = ((w >>> 4) & 0x0F0F0F0F) | ((v >>> 6) & 0x03030303) << 4;
        for (int k = 0; k < 4; k++) {
            int lo = (s0 >>> 8 * k) & 0xFF, hi = (s1 >>> 8 * k) & 0xFF;
            sc[so + 2 * k] = lo;
            sc[so + 2 * k + 1] = lo;
            sc[so + 8 + 2 * k] = hi;
            sc[so + 8 + 2 * k + 1] = hi;
            mn[mo + k] = (m0 >>> 8 * k) & 0xFF;
            mn[mo + 4 + k] = (m1 >>> 8 * k) & 0xFF;
        }
    }

    // ---- the integer kernels: A of four rows (slots) for one input's super-block at qx[xo ..]

    /** 512 bits, from the codes: 16 lanes a group, the activation widened once for the four rows. */
    private static void decode512(byte[] c, int[] sc, byte[] qx, int xo, int[] a) {
        IntVector a0 = IntVector.zero(I512), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < 16; g++) {
            IntVector x = (IntVector) ByteVector.fromArray(B128, qx, xo + 16 * g).convertShape(VectorOperators.B2I, I512, 0);
            a0 = a0.add(((IntVector) ByteVector.fromArray(B128, c, 16 * g).convertShape(VectorOperators.B2I, I512, 0)).mul(x).mul(sc[g]));
            a1 = a1.add(((IntVector) ByteVector.fromArray(B128, c, 256 + 16 * g).convertShape(VectorOperators.B2I, I512, 0)).mul(x).mul(sc[16 + g]));
            a2 = a2.add(((IntVector) ByteVector.fromArray(B128, c, 512 + 16 * g).convertShape(VectorOperators.B2I, I512, 0)).mul(x).mul(sc[32 + g]));
            a3 = a3.add(((IntVector) ByteVector.fromArray(B128, c, 768 + 16 * g).convertShape(VectorOperators.B2I, I512, 0)).mul(x).mul(sc[48 + g]));
        }
        a[0] = a0.reduceLanes(VectorOperators.ADD);
        a[1] = a1.reduceLanes(VectorOperators.ADD);
        a[2] = a2.reduceLanes(VectorOperators.ADD);
        a[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** 256 bits, from the codes: 8 lanes a step, two steps a group. */
    private static void decode256(byte[] c, int[] sc, byte[] qx, int xo, int[] a) {
        IntVector a0 = IntVector.zero(I256), a1 = a0, a2 = a0, a3 = a0;
        for (int h = 0; h < 32; h++) {
            int g = h >> 1;
            IntVector x = (IntVector) ByteVector.fromArray(B64, qx, xo + 8 * h).convertShape(VectorOperators.B2I, I256, 0);
            a0 = a0.add(((IntVector) ByteVector.fromArray(B64, c, 8 * h).convertShape(VectorOperators.B2I, I256, 0)).mul(x).mul(sc[g]));
            a1 = a1.add(((IntVector) ByteVector.fromArray(B64, c, 256 + 8 * h).convertShape(VectorOperators.B2I, I256, 0)).mul(x).mul(sc[16 + g]));
            a2 = a2.add(((IntVector) ByteVector.fromArray(B64, c, 512 + 8 * h).convertShape(VectorOperators.B2I, I256, 0)).mul(x).mul(sc[32 + g]));
            a3 = a3.add(((IntVector) ByteVector.fromArray(B64, c, 768 + 8 * h).convertShape(VectorOperators.B2I, I256, 0)).mul(x).mul(sc[48 + g]));
        }
        a[0] = a0.reduceLanes(VectorOperators.ADD);
        a[1] = a1.reduceLanes(VectorOperators.ADD);
        a[2] = a2.reduceLanes(VectorOperators.ADD);
        a[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** The four slots' codes times their group scales, as ints ({@code wc[256 i + e]}), for the batched kernels. */
    private static void scale512(byte[] c, int[] sc, int[] wc) {
        for (int g = 0; g < 4 * 16; g++) {
            ((IntVector) ByteVector.fromArray(B128, c, 16 * g).convertShape(VectorOperators.B2I, I512, 0)).mul(sc[g]).intoArray(wc, 16 * g);
        }
    }

    private static void scale256(byte[] c, int[] sc, int[] wc) {
        for (int h = 0; h < 4 * 32; h++) {
            ((IntVector) ByteVector.fromArray(B64, c, 8 * h).convertShape(VectorOperators.B2I, I256, 0)).mul(sc[h >> 1]).intoArray(wc, 8 * h);
        }
    }

    /** 512 bits, from the scaled codes. */
    private static void batch512(int[] wc, byte[] qx, int xo, int[] a) {
        IntVector a0 = IntVector.zero(I512), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < 16; g++) {
            IntVector x = (IntVector) ByteVector.fromArray(B128, qx, xo + 16 * g).convertShape(VectorOperators.B2I, I512, 0);
            a0 = a0.add(IntVector.fromArray(I512, wc, 16 * g).mul(x));
            a1 = a1.add(IntVector.fromArray(I512, wc, 256 + 16 * g).mul(x));
            a2 = a2.add(IntVector.fromArray(I512, wc, 512 + 16 * g).mul(x));
            a3 = a3.add(IntVector.fromArray(I512, wc, 768 + 16 * g).mul(x));
        }
        a[0] = a0.reduceLanes(VectorOperators.ADD);
        a[1] = a1.reduceLanes(VectorOperators.ADD);
        a[2] = a2.reduceLanes(VectorOperators.ADD);
        a[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    private static void batch256(int[] wc, byte[] qx, int xo, int[] a) {
        IntVector a0 = IntVector.zero(I256), a1 = a0, a2 = a0, a3 = a0;
        for (int h = 0; h < 32; h++) {
            IntVector x = (IntVector) ByteVector.fromArray(B64, qx, xo + 8 * h).convertShape(VectorOperators.B2I, I256, 0);
            a0 = a0.add(IntVector.fromArray(I256, wc, 8 * h).mul(x));
            a1 = a1.add(IntVector.fromArray(I256, wc, 256 + 8 * h).mul(x));
            a2 = a2.add(IntVector.fromArray(I256, wc, 512 + 8 * h).mul(x));
            a3 = a3.add(IntVector.fromArray(I256, wc, 768 + 8 * h).mul(x));
        }
        a[0] = a0.reduceLanes(VectorOperators.ADD);
        a[1] = a1.reduceLanes(VectorOperators.ADD);
        a[2] = a2.reduceLanes(VectorOperators.ADD);
        a[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    // ---- Q4_K's decode step from the super-blocks' bytes: qs[32g + l] holds element 64g + l (low nibble) and 64g + 32 + l

    private static void q4k512(byte[] b0, byte[] b1, byte[] b2, byte[] b3, int[] sc, byte[] qx, int xo, int[] a) {
        IntVector a0 = IntVector.zero(I512), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < 4; g++) {
            int x = xo + 64 * g, q = 16 + 32 * g, j = 4 * g; // sc[16 i + 2 j'] is sub-block j' = 2g (low), 2g + 1 (high)
            IntVector x0 = ((IntVector) ByteVector.fromArray(B128, qx, x).convertShape(VectorOperators.B2I, I512, 0)), x1 = ((IntVector) ByteVector.fromArray(B128, qx, x + 16).convertShape(VectorOperators.B2I, I512, 0)), x2 = ((IntVector) ByteVector.fromArray(B128, qx, x + 32).convertShape(VectorOperators.B2I, I512, 0)), x3 = ((IntVector) ByteVector.fromArray(B128, qx, x + 48).convertShape(VectorOperators.B2I, I512, 0));
            IntVector w0 = ((IntVector) ByteVector.fromArray(B128, b0, q).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0)), w1 = ((IntVector) ByteVector.fromArray(B128, b0, q + 16).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0));
            a0 = a0.add(w0.and(15).mul(x0).add(w1.and(15).mul(x1)).mul(sc[j]))
                    .add(w0.lanewise(VectorOperators.LSHR, 4).mul(x2).add(w1.lanewise(VectorOperators.LSHR, 4).mul(x3)).mul(sc[j + 2]));
            w0 = ((IntVector) ByteVector.fromArray(B128, b1, q).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0));
            w1 = ((IntVector) ByteVector.fromArray(B128, b1, q + 16).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0));
            a1 = a1.add(w0.and(15).mul(x0).add(w1.and(15).mul(x1)).mul(sc[16 + j]))
                    .add(w0.lanewise(VectorOperators.LSHR, 4).mul(x2).add(w1.lanewise(VectorOperators.LSHR, 4).mul(x3)).mul(sc[16 + j + 2]));
            w0 = ((IntVector) ByteVector.fromArray(B128, b2, q).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0));
            w1 = ((IntVector) ByteVector.fromArray(B128, b2, q + 16).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0));
            a2 = a2.add(w0.and(15).mul(x0).add(w1.and(15).mul(x1)).mul(sc[32 + j]))
                    .add(w0.lanewise(VectorOperators.LSHR, 4).mul(x2).add(w1.lanewise(VectorOperators.LSHR, 4).mul(x3)).mul(sc[32 + j + 2]));
            w0 = ((IntVector) ByteVector.fromArray(B128, b3, q).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0));
            w1 = ((IntVector) ByteVector.fromArray(B128, b3, q + 16).convertShape(VectorOperators.ZERO_EXTEND_B2I, I512, 0));
            a3 = a3.add(w0.and(15).mul(x0).add(w1.and(15).mul(x1)).mul(sc[48 + j]))
                    .add(w0.lanewise(VectorOperators.LSHR, 4).mul(x2).add(w1.lanewise(VectorOperators.LSHR, 4).mul(x3)).mul(sc[48 + j + 2]));
        }
        a[0] = a0.reduceLanes(VectorOperators.ADD);
        a[1] = a1.reduceLanes(VectorOperators.ADD);
        a[2] = a2.reduceLanes(VectorOperators.ADD);
        a[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    /** 256 bits: 8 lanes, a quarter of a group of 32 bytes a step. */
    private static void q4k256(byte[] b0, byte[] b1, byte[] b2, byte[] b3, int[] sc, byte[] qx, int xo, int[] a) {
        IntVector a0 = IntVector.zero(I256), a1 = a0, a2 = a0, a3 = a0;
        for (int g = 0; g < 4; g++) {
            int x = xo + 64 * g, q = 16 + 32 * g, j = 4 * g;
            for (int h = 0; h < 32; h += 16) {
                IntVector x0 = ((IntVector) ByteVector.fromArray(B64, qx, x + h).convertShape(VectorOperators.B2I, I256, 0)), x1 = ((IntVector) ByteVector.fromArray(B64, qx, x + h + 8).convertShape(VectorOperators.B2I, I256, 0)), x2 = ((IntVector) ByteVector.fromArray(B64, qx, x + 32 + h).convertShape(VectorOperators.B2I, I256, 0)), x3 = ((IntVector) ByteVector.fromArray(B64, qx, x + 40 + h).convertShape(VectorOperators.B2I, I256, 0));
                IntVector w0 = ((IntVector) ByteVector.fromArray(B64, b0, q + h).convertShape(VectorOperators.ZERO_EXTEND_B2I, I256, 0)), w1 = ((IntVector) ByteVector.fromArray(B64, b0, q + h + 8).convertShape(VectorOperators.ZERO_EXTEND_B2I, I256, 0));
                a0 = a0.add(w0.and(15).mul(x0).add(w1.and(15).mul(x1)).mul(sc[j]))
                        .add(w0.lanewise(VectorOperators.LSHR, 4).mul(x2).add(w1.lanewise(VectorOperators.LSHR, 4).mul(x3)).mul(sc[j + 2]));
                w0 = ((IntVector) ByteVector.fromArray(B64, b1, q + h).convertShape(VectorOperators.ZERO_EXTEND_B2I, I256, 0));
                w1 = ((IntVector) ByteVector.fromArray(B64, b1, q + h + 8).convertShape(VectorOperators.ZERO_EXTEND_B2I, I256, 0));
                a1 = a1.add(w0.and(15).mul(x0).add(w1.and(15).mul(x1)).mul(sc[16 + j]))
                        .add(w0.lanewise(VectorOperators.LSHR, 4).mul(x2).add(w1.lanewise(VectorOperators.LSHR, 4).mul(x3)).mul(sc[16 + j + 2]));
                w0 = ((IntVector) ByteVector.fromArray(B64, b2, q + h).convertShape(VectorOperators.ZERO_EXTEND_B2I, I256, 0));
                w1 = ((IntVector) ByteVector.fromArray(B64, b2, q + h + 8).convertShape(VectorOperators.ZERO_EXTEND_B2I, I256, 0));
                a2 = a2.add(w0.and(15).mul(x0).add(w1.and(15).mul(x1)).mul(sc[32 + j]))
                        .add(w0.lanewise(VectorOperators.LSHR, 4).mul(x2).add(w1.lanewise(VectorOperators.LSHR, 4).mul(x3)).mul(sc[32 + j + 2]));
                w0 = ((IntVector) ByteVector.fromArray(B64, b3, q + h).convertShape(VectorOperators.ZERO_EXTEND_B2I, I256, 0));
                w1 = ((IntVector) ByteVector.fromArray(B64, b3, q + h + 8).convertShape(VectorOperators.ZERO_EXTEND_B2I, I256, 0));
                a3 = a3.add(w0.and(15).mul(x0).add(w1.and(15).mul(x1)).mul(sc[48 + j]))
                        .add(w0.lanewise(VectorOperators.LSHR, 4).mul(x2).add(w1.lanewise(VectorOperators.LSHR, 4).mul(x3)).mul(sc[48 + j + 2]));
            }
        }
        a[0] = a0.reduceLanes(VectorOperators.ADD);
        a[1] = a1.reduceLanes(VectorOperators.ADD);
        a[2] = a2.reduceLanes(VectorOperators.ADD);
        a[3] = a3.reduceLanes(VectorOperators.ADD);
    }

    // ---- the block-32 types (Q8_0, Q4_0, Q5_0; Int8Kernels' definition)

    /** Blocks of a row unpacked at a time by {@link #matMul32}. */
    private static final int CHUNK = 32;

    private static final class Scratch32 {
        final float[] q = new float[CHUNK * 32];
        final float[] d = new float[CHUNK];
        final int[] si = new int[CHUNK];
        final float[] t16 = new float[8 * 16];
        float[] xf = new float[0];
        float[] acc = new float[0];
    }

    private static final ThreadLocal<Scratch32> SCRATCH32 = ThreadLocal.withInitial(Scratch32::new);

    /**
     * Rows {@code [from, to)} of the int8-q8 product of a Q8_0, Q4_0 or Q5_0 tensor ({@link Int8Kernels}' definition) for
     * every input of {@code xq} ({@link Int8Input#Q8_32}), at {@code cfg}'s width ({@link #handles} must hold). The row's
     * codes come from {@link BlockQ8Tensor#unpackRow} (exact small integers as floats, from whichever copy the tensor
     * holds: its binary32 packed copy or the mapping) and the input's codes are widened to floats once a call; then
     * each block's {@code sumi} is formed in float lanes, exactly (every product and partial sum is an integer below
     * {@code 32 * 128 * 127 < 2^24} in magnitude), converted to int lanes and added ({@code reduceLanes} on ints), and
     * the definition's two binary32 operations follow in block order.
     */
    static void matMul32(BlockQ8Tensor w, KernelConfig cfg, int from, int to, Int8Input xq, float[] y, int yOff, int yStride) {
        if (!handles(cfg)) throw new IllegalArgumentException("no Java vector int8-q8 kernel at " + cfg);
        int n = xq.n(), cols = w.cols, blocks = cols / 32;
        byte[] qx = xq.codes32();
        float[] dx = xq.scales32();
        Scratch32 s = SCRATCH32.get();
        if (s.xf.length < n * cols) s.xf = new float[n * cols];
        if (s.acc.length < 16 * n) s.acc = new float[16 * n];
        float[] xf = s.xf, acc = s.acc, q = s.q, d = s.d;
        int[] si = s.si;
        for (int i = 0; i < n * cols; i++) xf[i] = qx[i];
        boolean wide = cfg.vectorBits() == 512;
        for (int r = from; r < to; r++) {
            java.util.Arrays.fill(acc, 0, 16 * n, 0f);
            for (int b0 = 0; b0 < blocks; b0 += CHUNK) {
                int nb = Math.min(CHUNK, blocks - b0);
                w.unpackRow(r, b0, b0 + nb, q, 0, d, 0);
                for (int t = 0; t < n; t++) {
                    int k0 = 0;
                    if (wide) {
                        for (; k0 + 16 <= nb; k0 += 16) sixteen512(q, 32 * k0, xf, t * cols + 32 * (b0 + k0), d, k0, dx, t * blocks + b0 + k0, acc, 16 * t, s.t16);
                        sums512(q, 32 * k0, xf, t * cols + 32 * (b0 + k0), nb - k0, si);
                    } else {
                        for (; k0 + 8 <= nb; k0 += 8) eight256(q, 32 * k0, xf, t * cols + 32 * (b0 + k0), d, k0, dx, t * blocks + b0 + k0, acc, 16 * t + ((b0 + k0) & 15), s.t16);
                        sums256(q, 32 * k0, xf, t * cols + 32 * (b0 + k0), nb - k0, si);
                    }
                    for (int k = k0; k < nb; k++) {
                        int b = b0 + k, at = 16 * t + (b & 15);
                        acc[at] = Math.fma((float) si[k - k0], d[k] * dx[t * blocks + b], acc[at]);
                    }
                }
            }
            for (int t = 0; t < n; t++) y[yOff + t * yStride + r] = Dot.combine(acc, 16 * t);
        }
    }

    /** {@code si[k]} = the exact sum over block k's 32 elements of {@code q * x}, for {@code nb} blocks. */
    private static void sums512(float[] q, int qo, float[] x, int xo, int nb, int[] si) {
        for (int k = 0; k < nb; k++) {
            int o = qo + 32 * k;
            FloatVector p = FloatVector.fromArray(F512, q, o).mul(FloatVector.fromArray(F512, x, xo + o - qo));
            p = FloatVector.fromArray(F512, q, o + 16).fma(FloatVector.fromArray(F512, x, xo + o - qo + 16), p);
            si[k] = ((IntVector) p.convert(VectorOperators.F2I, 0)).reduceLanes(VectorOperators.ADD);
        }
    }

    private static void sums256(float[] q, int qo, float[] x, int xo, int nb, int[] si) {
        for (int k = 0; k < nb; k++) {
            int o = qo + 32 * k, xk = xo + 32 * k;
            FloatVector p = FloatVector.fromArray(F256, q, o).mul(FloatVector.fromArray(F256, x, xk));
            p = FloatVector.fromArray(F256, q, o + 8).fma(FloatVector.fromArray(F256, x, xk + 8), p);
            p = FloatVector.fromArray(F256, q, o + 16).fma(FloatVector.fromArray(F256, x, xk + 16), p);
            p = FloatVector.fromArray(F256, q, o + 24).fma(FloatVector.fromArray(F256, x, xk + 24), p);
            si[k] = ((IntVector) p.convert(VectorOperators.F2I, 0)).reduceLanes(VectorOperators.ADD);
        }
    }

    private static final jdk.incubator.vector.VectorShuffle<Float> SWAP8 = jdk.incubator.vector.VectorShuffle.fromOp(F512, j -> j ^ 8),
            SWAP4 = jdk.incubator.vector.VectorShuffle.fromOp(F512, j -> j ^ 4), SWAP2 = jdk.incubator.vector.VectorShuffle.fromOp(F512, j -> j ^ 2),
            SWAP1 = jdk.incubator.vector.VectorShuffle.fromOp(F512, j -> j ^ 1);
    private static final jdk.incubator.vector.VectorMask<Float> M8 = jdk.incubator.vector.VectorMask.fromLong(F512, 0xFF00),
            M4 = jdk.incubator.vector.VectorMask.fromLong(F512, 0xF0F0), M2 = jdk.incubator.vector.VectorMask.fromLong(F512, 0xCCCC),
            M1 = jdk.incubator.vector.VectorMask.fromLong(F512, 0xAAAA);

    /**
     * Sixteen blocks at once (512 bits), blocks {@code k0 .. k0 + 15} of a chunk starting at a multiple of 16, so that
     * block k's partial sum is lane {@code k mod 16} of {@code acc[ao ..]}: the 16 blocks' products in 16 vectors, then a
     * transposing reduction (4 levels; at each, two vectors' lanes are added to their partners {@code j ^ h} and blended,
     * halving each block's share of lanes), so that lane k holds block k's sum; all in float lanes, exactly (integers below
     * 2^24). Then {@code acc = fma(sum, d * dx, acc)} lanewise: the definition's operations per block.
     */
    private static void sixteen512(float[] q, int qo, float[] x, int xo, float[] d, int dOff, float[] dx, int dxo,
                                   float[] acc, int ao, float[] t) {
        for (int k = 0; k < 8; k++) { // level 1: blocks k and k + 8
            int o = qo + 32 * k, xk = xo + 32 * k;
            FloatVector a = FloatVector.fromArray(F512, q, o).mul(FloatVector.fromArray(F512, x, xk));
            a = FloatVector.fromArray(F512, q, o + 16).fma(FloatVector.fromArray(F512, x, xk + 16), a);
            FloatVector b = FloatVector.fromArray(F512, q, o + 256).mul(FloatVector.fromArray(F512, x, xk + 256));
            b = FloatVector.fromArray(F512, q, o + 272).fma(FloatVector.fromArray(F512, x, xk + 272), b);
            a.add(a.rearrange(SWAP8)).blend(b.add(b.rearrange(SWAP8)), M8).intoArray(t, 16 * k);
        }
        for (int k = 0; k < 4; k++) { // level 2: k and k + 4
            FloatVector a = FloatVector.fromArray(F512, t, 16 * k), b = FloatVector.fromArray(F512, t, 16 * k + 64);
            a.add(a.rearrange(SWAP4)).blend(b.add(b.rearrange(SWAP4)), M4).intoArray(t, 16 * k);
        }
        for (int k = 0; k < 2; k++) { // level 3: k and k + 2
            FloatVector a = FloatVector.fromArray(F512, t, 16 * k), b = FloatVector.fromArray(F512, t, 16 * k + 32);
            a.add(a.rearrange(SWAP2)).blend(b.add(b.rearrange(SWAP2)), M2).intoArray(t, 16 * k);
        }
        FloatVector a = FloatVector.fromArray(F512, t, 0), b = FloatVector.fromArray(F512, t, 16);
        FloatVector sum = a.add(a.rearrange(SWAP1)).blend(b.add(b.rearrange(SWAP1)), M1);
        FloatVector s = FloatVector.fromArray(F512, d, dOff).mul(FloatVector.fromArray(F512, dx, dxo));
        sum.fma(s, FloatVector.fromArray(F512, acc, ao)).intoArray(acc, ao);
    }

    private static final jdk.incubator.vector.VectorShuffle<Float> SWAP4_256 = jdk.incubator.vector.VectorShuffle.fromOp(F256, j -> j ^ 4),
            SWAP2_256 = jdk.incubator.vector.VectorShuffle.fromOp(F256, j -> j ^ 2),
            SWAP1_256 = jdk.incubator.vector.VectorShuffle.fromOp(F256, j -> j ^ 1);
    private static final jdk.incubator.vector.VectorMask<Float> M4_256 = jdk.incubator.vector.VectorMask.fromLong(F256, 0xF0),
            M2_256 = jdk.incubator.vector.VectorMask.fromLong(F256, 0xCC), M1_256 = jdk.incubator.vector.VectorMask.fromLong(F256, 0xAA);

    /** {@link #sixteen512} at 256 bits: eight blocks (a multiple of 8 into the chunk), lane k = block k, 3 levels. */
    private static void eight256(float[] q, int qo, float[] x, int xo, float[] d, int dOff, float[] dx, int dxo,
                                 float[] acc, int ao, float[] t) {
        for (int k = 0; k < 4; k++) { // level 1: blocks k and k + 4
            int o = qo + 32 * k, xk = xo + 32 * k;
            FloatVector a = FloatVector.fromArray(F256, q, o).mul(FloatVector.fromArray(F256, x, xk));
            a = FloatVector.fromArray(F256, q, o + 8).fma(FloatVector.fromArray(F256, x, xk + 8), a);
            a = FloatVector.fromArray(F256, q, o + 16).fma(FloatVector.fromArray(F256, x, xk + 16), a);
            a = FloatVector.fromArray(F256, q, o + 24).fma(FloatVector.fromArray(F256, x, xk + 24), a);
            FloatVector b = FloatVector.fromArray(F256, q, o + 128).mul(FloatVector.fromArray(F256, x, xk + 128));
            b = FloatVector.fromArray(F256, q, o + 136).fma(FloatVector.fromArray(F256, x, xk + 136), b);
            b = FloatVector.fromArray(F256, q, o + 144).fma(FloatVector.fromArray(F256, x, xk + 144), b);
            b = FloatVector.fromArray(F256, q, o + 152).fma(FloatVector.fromArray(F256, x, xk + 152), b);
            a.add(a.rearrange(SWAP4_256)).blend(b.add(b.rearrange(SWAP4_256)), M4_256).intoArray(t, 8 * k);
        }
        for (int k = 0; k < 2; k++) { // level 2: k and k + 2
            FloatVector a = FloatVector.fromArray(F256, t, 8 * k), b = FloatVector.fromArray(F256, t, 8 * k + 16);
            a.add(a.rearrange(SWAP2_256)).blend(b.add(b.rearrange(SWAP2_256)), M2_256).intoArray(t, 8 * k);
        }
        FloatVector a = FloatVector.fromArray(F256, t, 0), b = FloatVector.fromArray(F256, t, 8);
        FloatVector sum = a.add(a.rearrange(SWAP1_256)).blend(b.add(b.rearrange(SWAP1_256)), M1_256);
        FloatVector s = FloatVector.fromArray(F256, d, dOff).mul(FloatVector.fromArray(F256, dx, dxo));
        sum.fma(s, FloatVector.fromArray(F256, acc, ao)).intoArray(acc, ao);
    }
}
