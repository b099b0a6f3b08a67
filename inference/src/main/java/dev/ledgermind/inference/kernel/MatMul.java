package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;

import java.lang.foreign.MemorySegment;

import static dev.ledgermind.inference.kernel.Dot.F32_LE;
import static dev.ledgermind.inference.kernel.Dot.LE;
import static dev.ledgermind.inference.kernel.Dot.S128;
import static dev.ledgermind.inference.kernel.Dot.S256;
import static dev.ledgermind.inference.kernel.Dot.S512;

/**
 * Row-parallel F32 matrix-vector and matrix-matrix products: {@code y[t][r] = Dot(W[r], x[t])}.
 *
 * <p>{@code W} is row-major F32 little-endian, {@code rows x cols}, in a {@link MemorySegment} starting at
 * byte {@code wOff} (row r at {@code wOff + 4*r*cols}). Each output is exactly {@link Dot#reference}
 * of its row and input, whatever the width, thread count or batch size: threads split the rows into
 * contiguous chunks, and a batch only changes the order in which independent outputs are computed
 * (batch invariance, DESIGN.md section 3 rule 4).
 *
 * The weight segment must be readable from the pool's threads (global, auto or shared arena, not confined).
 *
 * <p>Speed: the vector paths compute four rows per pass over {@code x}, so each loaded chunk of
 * {@code x} feeds four fmas; each row keeps its own 16 canonical partial sums, so the result per row is
 * the same as {@link Dot} computing it alone. In a batch, a block of four weight rows stays in cache
 * while a tile of inputs streams past it.
 */
public final class MatMul {
    private static final int ROW_BLOCK = 4;
    private static final int BATCH_TILE = 32;

    private MatMul() {
    }

    /** The reference: plain per-row {@link Dot#reference}, one thread, batch 1. */
    public static void reference(MemorySegment w, long wOff, int rows, int cols,
                                 float[] x, int xOff, float[] y, int yOff) {
        for (int r = 0; r < rows; r++) y[yOff + r] = Dot.reference(w, wOff + 4L * r * cols, x, xOff, cols);
    }

    /** {@code y[yOff + r] = Dot(W[r], x[xOff ..])} for every row, split across {@code par}'s threads. */
    public static void matVec(KernelConfig cfg, Parallel par, MemorySegment w, long wOff, int rows, int cols,
                              float[] x, int xOff, float[] y, int yOff) {
        matMul(cfg, par, w, wOff, rows, cols, x, xOff, cols, 1, y, yOff, rows);
    }

    /**
     * For {@code t} in {@code [0, batch)}: {@code y[yOff + t*yStride + r] = Dot(W[r], x[xOff + t*xStride ..])}.
     * Threads split the rows.
     */
    public static void matMul(KernelConfig cfg, Parallel par, MemorySegment w, long wOff, int rows, int cols,
                              float[] x, int xOff, int xStride, int batch,
                              float[] y, int yOff, int yStride) {
        checkBounds(w, wOff, rows, cols, x, xOff, xStride, batch, y, yOff, yStride);
        par.forRange(rows, ROW_BLOCK, (from, to) ->
                rowsRange(cfg, w, wOff, cols, x, xOff, xStride, batch, y, yOff, yStride, from, to));
    }

    private static void checkBounds(MemorySegment w, long wOff, int rows, int cols, float[] x, int xOff, int xStride,
                                    int batch, float[] y, int yOff, int yStride) {
        if (wOff < 0 || wOff + 4L * rows * cols > w.byteSize()) {
            throw new IndexOutOfBoundsException("weights of " + rows + "x" + cols + " F32 at byte " + wOff
                    + " exceed the segment of " + w.byteSize() + " bytes");
        }
        checkBatch(rows, cols, x, xOff, xStride, batch, y, yOff, yStride);
    }

    /** Checks that a batch of inputs ({@code batch x cols}) and outputs ({@code batch x rows}) fit their arrays. */
    static void checkBatch(int rows, int cols, float[] x, int xOff, int xStride, int batch, float[] y, int yOff, int yStride) {
        if (batch > 0 && (xOff < 0 || xOff + (long) (batch - 1) * xStride + cols > x.length)) {
            throw new IndexOutOfBoundsException("input of " + batch + "x" + cols + " at " + xOff
                    + " (stride " + xStride + ") exceeds its array of " + x.length);
        }
        if (batch > 0 && (yOff < 0 || yOff + (long) (batch - 1) * yStride + rows > y.length)) {
            throw new IndexOutOfBoundsException("output of " + batch + "x" + rows + " at " + yOff
                    + " (stride " + yStride + ") exceeds its array of " + y.length);
        }
    }

    private static void rowsRange(KernelConfig cfg, MemorySegment w, long wOff, int cols,
                                  float[] x, int xOff, int xStride, int batch,
                                  float[] y, int yOff, int yStride, int from, int to) {
        final int bits = cfg.vectorBits();
        final long rowBytes = 4L * cols;
        final float[] s = new float[ROW_BLOCK * Dot.PARTIALS];
        final float[] s4 = new float[4 * ROW_BLOCK * Dot.PARTIALS];
        for (int t0 = 0; t0 < batch; t0 += BATCH_TILE) {
            int t1 = Math.min(batch, t0 + BATCH_TILE);
            int r = from;
            if (bits != 0) {
                for (; r + ROW_BLOCK <= to; r += ROW_BLOCK) {
                    long o = wOff + rowBytes * r;
                    int t = t0;
                    if (bits == 512) {
                        // 4 rows x 4 inputs per pass: 16 accumulators, 8 loads per 16 fmas
                        for (; t + 4 <= t1; t += 4) {
                            int xo = xOff + t * xStride;
                            block512x4(w, o, rowBytes, x, xo, xStride, cols, s4);
                            for (int u = 0; u < 4; u++) {
                                int xu = xo + u * xStride;
                                int yo = yOff + (t + u) * yStride + r;
                                for (int k = 0; k < ROW_BLOCK; k++) {
                                    long ro = o + rowBytes * k;
                                    int so = (u * ROW_BLOCK + k) * Dot.PARTIALS;
                                    for (int i = cols & ~15; i < cols; i++) {
                                        s4[so + (i & 15)] = Math.fma(w.get(F32_LE, ro + 4L * i), x[xu + i], s4[so + (i & 15)]);
                                    }
                                    y[yo + k] = Dot.combine(s4, so);
                                }
                            }
                        }
                    }
                    for (; t < t1; t++) {
                        int xo = xOff + t * xStride;
                        switch (bits) {
                            case 512 -> block512(w, o, rowBytes, x, xo, cols, s);
                            case 256 -> block256(w, o, rowBytes, x, xo, cols, s);
                            default -> block128(w, o, rowBytes, x, xo, cols, s);
                        }
                        int yo = yOff + t * yStride + r;
                        for (int k = 0; k < ROW_BLOCK; k++) {
                            long ro = o + rowBytes * k;
                            int so = k * Dot.PARTIALS;
                            for (int i = cols & ~15; i < cols; i++) {
                                s[so + (i & 15)] = Math.fma(w.get(F32_LE, ro + 4L * i), x[xo + i], s[so + (i & 15)]);
                            }
                            y[yo + k] = Dot.combine(s, so);
                        }
                    }
                }
            }
            for (; r < to; r++) {
                long o = wOff + rowBytes * r;
                for (int t = t0; t < t1; t++) {
                    y[yOff + t * yStride + r] = Dot.dot(cfg, w, o, x, xOff + t * xStride, cols);
                }
            }
        }
    }

    /** Four rows' 16 partial sums each (row k at {@code s[16k..16k+15]}), over the first {@code n & ~15} columns. */
    private static void block512(MemorySegment w, long o, long rowBytes, float[] x, int xo, int n, float[] s) {
        FloatVector a0 = FloatVector.zero(S512), a1 = a0, a2 = a0, a3 = a0;
        long o1 = o + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
        int upper = n & ~15;
        for (int i = 0; i < upper; i += 16) {
            FloatVector xv = FloatVector.fromArray(S512, x, xo + i);
            long b = 4L * i;
            a0 = FloatVector.fromMemorySegment(S512, w, o + b, LE).fma(xv, a0);
            a1 = FloatVector.fromMemorySegment(S512, w, o1 + b, LE).fma(xv, a1);
            a2 = FloatVector.fromMemorySegment(S512, w, o2 + b, LE).fma(xv, a2);
            a3 = FloatVector.fromMemorySegment(S512, w, o3 + b, LE).fma(xv, a3);
        }
        a0.intoArray(s, 0);
        a1.intoArray(s, 16);
        a2.intoArray(s, 32);
        a3.intoArray(s, 48);
    }

    /**
     * Four rows times four inputs (at {@code xo + u*xStride}): partial sums of (input u, row k) at
     * {@code s[(4u + k) * 16 ..]}. Each accumulator is one (row, input) pair's canonical partial sums.
     */
    private static void block512x4(MemorySegment w, long o, long rowBytes, float[] x, int xo, int xStride, int n, float[] s) {
        FloatVector z = FloatVector.zero(S512);
        FloatVector a00 = z, a01 = z, a02 = z, a03 = z, a10 = z, a11 = z, a12 = z, a13 = z;
        FloatVector a20 = z, a21 = z, a22 = z, a23 = z, a30 = z, a31 = z, a32 = z, a33 = z;
        long o1 = o + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
        int x1 = xo + xStride, x2 = x1 + xStride, x3 = x2 + xStride;
        int upper = n & ~15;
        for (int i = 0; i < upper; i += 16) {
            long b = 4L * i;
            FloatVector w0 = FloatVector.fromMemorySegment(S512, w, o + b, LE);
            FloatVector w1 = FloatVector.fromMemorySegment(S512, w, o1 + b, LE);
            FloatVector w2 = FloatVector.fromMemorySegment(S512, w, o2 + b, LE);
            FloatVector w3 = FloatVector.fromMemorySegment(S512, w, o3 + b, LE);
            FloatVector xv = FloatVector.fromArray(S512, x, xo + i);
            a00 = w0.fma(xv, a00);
            a01 = w1.fma(xv, a01);
            a02 = w2.fma(xv, a02);
            a03 = w3.fma(xv, a03);
            xv = FloatVector.fromArray(S512, x, x1 + i);
            a10 = w0.fma(xv, a10);
            a11 = w1.fma(xv, a11);
            a12 = w2.fma(xv, a12);
            a13 = w3.fma(xv, a13);
            xv = FloatVector.fromArray(S512, x, x2 + i);
            a20 = w0.fma(xv, a20);
            a21 = w1.fma(xv, a21);
            a22 = w2.fma(xv, a22);
            a23 = w3.fma(xv, a23);
            xv = FloatVector.fromArray(S512, x, x3 + i);
            a30 = w0.fma(xv, a30);
            a31 = w1.fma(xv, a31);
            a32 = w2.fma(xv, a32);
            a33 = w3.fma(xv, a33);
        }
        a00.intoArray(s, 0);
        a01.intoArray(s, 16);
        a02.intoArray(s, 32);
        a03.intoArray(s, 48);
        a10.intoArray(s, 64);
        a11.intoArray(s, 80);
        a12.intoArray(s, 96);
        a13.intoArray(s, 112);
        a20.intoArray(s, 128);
        a21.intoArray(s, 144);
        a22.intoArray(s, 160);
        a23.intoArray(s, 176);
        a30.intoArray(s, 192);
        a31.intoArray(s, 208);
        a32.intoArray(s, 224);
        a33.intoArray(s, 240);
    }

    private static void block256(MemorySegment w, long o, long rowBytes, float[] x, int xo, int n, float[] s) {
        FloatVector a0 = FloatVector.zero(S256), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0;
        long o1 = o + rowBytes, o2 = o1 + rowBytes, o3 = o2 + rowBytes;
        int upper = n & ~15;
        for (int i = 0; i < upper; i += 16) {
            FloatVector xa = FloatVector.fromArray(S256, x, xo + i);
            FloatVector xb = FloatVector.fromArray(S256, x, xo + i + 8);
            long b = 4L * i;
            a0 = FloatVector.fromMemorySegment(S256, w, o + b, LE).fma(xa, a0);
            b0 = FloatVector.fromMemorySegment(S256, w, o + b + 32, LE).fma(xb, b0);
            a1 = FloatVector.fromMemorySegment(S256, w, o1 + b, LE).fma(xa, a1);
            b1 = FloatVector.fromMemorySegment(S256, w, o1 + b + 32, LE).fma(xb, b1);
            a2 = FloatVector.fromMemorySegment(S256, w, o2 + b, LE).fma(xa, a2);
            b2 = FloatVector.fromMemorySegment(S256, w, o2 + b + 32, LE).fma(xb, b2);
            a3 = FloatVector.fromMemorySegment(S256, w, o3 + b, LE).fma(xa, a3);
            b3 = FloatVector.fromMemorySegment(S256, w, o3 + b + 32, LE).fma(xb, b3);
        }
        a0.intoArray(s, 0);
        b0.intoArray(s, 8);
        a1.intoArray(s, 16);
        b1.intoArray(s, 24);
        a2.intoArray(s, 32);
        b2.intoArray(s, 40);
        a3.intoArray(s, 48);
        b3.intoArray(s, 56);
    }

    private static void block128(MemorySegment w, long o, long rowBytes, float[] x, int xo, int n, float[] s) {
        // One row at a time keeps 4 accumulators live: four rows of 4 would need 16 registers plus loads.
        block128Row(w, o, x, xo, n, s, 0);
        block128Row(w, o + rowBytes, x, xo, n, s, 16);
        block128Row(w, o + 2 * rowBytes, x, xo, n, s, 32);
        block128Row(w, o + 3 * rowBytes, x, xo, n, s, 48);
    }

    private static void block128Row(MemorySegment w, long o, float[] x, int xo, int n, float[] s, int so) {
        FloatVector a = FloatVector.zero(S128), b = a, c = a, d = a;
        int upper = n & ~15;
        for (int i = 0; i < upper; i += 16) {
            long ob = o + 4L * i;
            a = FloatVector.fromMemorySegment(S128, w, ob, LE).fma(FloatVector.fromArray(S128, x, xo + i), a);
            b = FloatVector.fromMemorySegment(S128, w, ob + 16, LE).fma(FloatVector.fromArray(S128, x, xo + i + 4), b);
            c = FloatVector.fromMemorySegment(S128, w, ob + 32, LE).fma(FloatVector.fromArray(S128, x, xo + i + 8), c);
            d = FloatVector.fromMemorySegment(S128, w, ob + 48, LE).fma(FloatVector.fromArray(S128, x, xo + i + 12), d);
        }
        a.intoArray(s, so);
        b.intoArray(s, so + 4);
        c.intoArray(s, so + 8);
        d.intoArray(s, so + 12);
    }
}
