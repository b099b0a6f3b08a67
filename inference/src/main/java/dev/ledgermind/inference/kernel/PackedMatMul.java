package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static dev.ledgermind.inference.kernel.Dot.F32_LE;
import static dev.ledgermind.inference.kernel.Dot.LE;

/**
 * F32 matrix products over weights packed in panels of 16 rows, for batched work (an encoder's linear
 * layers over a whole sequence).
 *
 * <p><b>Canonical definition</b> (the scalar {@link #reference}): every output is one fma chain in column
 * order, {@code s = 0; for i in [0, cols): s = fma(W[r][i], x[i], s)}. Nothing is reduced across lanes:
 * the vector kernels put 16 different rows in the lanes of a panel's accumulators, and each lane runs
 * exactly that chain, so every width (scalar, 128, 256, 512 bits), every thread count and every batch
 * size gives the same bits. This is a different definition from {@link MatMul}'s 16-partial dot (which
 * suits matrix-vector products over row-major weights): callers pick one per weight and keep it.
 *
 * <p>Speed: with the rows in the lanes, an inner step loads one panel column (16 weights, 64 bytes)
 * and broadcasts one input value per input in the tile, and every loaded value feeds several fmas; no
 * horizontal sums are needed at the end (they cost as much as the fmas in the 16-partial layout at
 * encoder sizes). A tile is 16 rows by 12 (512-bit), 6 (256-bit) or 3 (128-bit) inputs: 12
 * accumulator registers.
 *
 * <p>Threads split the panels (outputs' rows), never a chain. {@link #linear} adds a bias and an activation
 * to each output in the same pass.
 */
public final class PackedMatMul {
    /** Rows per panel; fixed by the layout, not by the vector width. */
    public static final int PANEL = 16;

    private PackedMatMul() {
    }

    /**
     * Weights packed for this kernel: panel {@code p} holds rows {@code [16p, 16p + 16)}, column by column
     * ({@code W[16p + j][i]} at float index {@code (p * cols + i) * 16 + j}); the last panel is padded with
     * zero rows. Off-heap, 64-byte aligned, readable from any thread.
     */
    public record Packed(MemorySegment data, int rows, int cols) {
        public int panels() {
            return (rows + PANEL - 1) / PANEL;
        }
    }

    /** Packs row-major F32 little-endian weights ({@code rows x cols} at byte {@code wOff} of {@code w}). */
    public static Packed pack(MemorySegment w, long wOff, int rows, int cols) {
        if (rows < 1 || cols < 1) throw new IllegalArgumentException("a packed matrix needs rows and columns, got " + rows + "x" + cols);
        if (wOff < 0 || wOff + 4L * rows * cols > w.byteSize()) {
            throw new IndexOutOfBoundsException("weights of " + rows + "x" + cols + " F32 at byte " + wOff
                    + " exceed the segment of " + w.byteSize() + " bytes");
        }
        int panels = (rows + PANEL - 1) / PANEL;
        MemorySegment data = Arena.ofAuto().allocate(4L * panels * PANEL * cols, 64);
        for (int r = 0; r < rows; r++) {
            long src = wOff + 4L * r * cols;
            long dst = 4L * (((long) (r / PANEL) * cols) * PANEL + r % PANEL);
            for (int i = 0; i < cols; i++) {
                data.set(F32_LE, dst + 64L * i, w.get(F32_LE, src + 4L * i));
            }
        }
        return new Packed(data, rows, cols);
    }

    /** Bytes a packed {@code rows x cols} matrix takes. */
    public static long packedBytes(int rows, int cols) {
        return 4L * ((rows + PANEL - 1) / PANEL) * PANEL * cols;
    }

    /**
     * Packs row-major values held in an array ({@code rows x cols} from index 0) into {@code into}, which
     * needs {@link #packedBytes} bytes and may be reused: for operands that change every call (attention's
     * keys and values). The padding rows of the last panel are zero, as in every packed matrix.
     */
    public static Packed pack(float[] w, int rows, int cols, MemorySegment into) {
        if (w.length < (long) rows * cols) {
            throw new IndexOutOfBoundsException("values of " + rows + "x" + cols + " exceed the array of " + w.length);
        }
        if (into.byteSize() < packedBytes(rows, cols)) {
            throw new IndexOutOfBoundsException("a packed " + rows + "x" + cols + " matrix needs " + packedBytes(rows, cols)
                    + " bytes, the segment has " + into.byteSize());
        }
        // panel by panel through a heap buffer: strided writes to an array are cheap, to a segment they are not
        float[] panel = new float[PANEL * cols];
        for (int p = 0, panels = (rows + PANEL - 1) / PANEL; p < panels; p++) {
            int valid = Math.min(PANEL, rows - p * PANEL);
            if (valid < PANEL) java.util.Arrays.fill(panel, 0f); // the last panel's padding rows are zero
            for (int j = 0; j < valid; j++) {
                int src = (p * PANEL + j) * cols;
                for (int i = 0; i < cols; i++) panel[i * PANEL + j] = w[src + i];
            }
            MemorySegment.copy(panel, 0, into, F32_LE, 4L * p * PANEL * cols, PANEL * cols);
        }
        return new Packed(into, rows, cols);
    }

    /** Packs row-major weights held in an array ({@code rows x cols} from index 0) into new native memory. */
    public static Packed pack(float[] w, int rows, int cols) {
        if (rows < 1 || cols < 1) throw new IllegalArgumentException("a packed matrix needs rows and columns, got " + rows + "x" + cols);
        return pack(w, rows, cols, Arena.ofAuto().allocate(packedBytes(rows, cols), 64));
    }

    /** The reference: one fma chain per output over row-major weights, one thread, batch 1. */
    public static void reference(MemorySegment w, long wOff, int rows, int cols, float[] x, int xOff, float[] y, int yOff) {
        for (int r = 0; r < rows; r++) {
            long o = wOff + 4L * r * cols;
            float s = 0f;
            for (int i = 0; i < cols; i++) s = Math.fma(w.get(F32_LE, o + 4L * i), x[xOff + i], s);
            y[yOff + r] = s;
        }
    }

    /** What happens to each output after its chain: nothing, or GELU (after the bias, if any). */
    public enum Activation { NONE, GELU }

    /**
     * For {@code t} in {@code [0, batch)} and every row r: {@code y[yOff + t*yStride + r]} = the canonical
     * chain of {@code W[r]} and {@code x[xOff + t*xStride ..]}. Threads split the panels.
     */
    public static void matMul(KernelConfig cfg, Parallel par, Packed w, float[] x, int xOff, int xStride, int batch,
                              float[] y, int yOff, int yStride) {
        linear(cfg, par, w, null, Activation.NONE, x, xOff, xStride, batch, y, yOff, yStride);
    }

    /**
     * A linear layer: {@code y[t][r] = act(chain(W[r], x[t]) + bias[r])}, each step rounded to binary32 on
     * its own (the chain, then one addition, then {@link Gelu} when asked), so it equals {@link #matMul}
     * followed by a separate bias pass and activation pass, bit for bit. The bias ({@code rows} values)
     * may be null. The additions and the activation run on each tile of outputs as soon as it is stored,
     * while it is in cache, inside the same parallel loop. Threads take panels on demand
     * ({@link Parallel#forChunks}), so a core that the OS slows down holds up no one.
     */
    public static void linear(KernelConfig cfg, Parallel par, Packed w, float[] bias, Activation act,
                              float[] x, int xOff, int xStride, int batch, float[] y, int yOff, int yStride) {
        MatMul.checkBatch(w.rows(), w.cols(), x, xOff, xStride, batch, y, yOff, yStride);
        if (bias != null && bias.length < w.rows()) {
            throw new IndexOutOfBoundsException("bias of " + bias.length + " values for " + w.rows() + " rows");
        }
        if (batch <= 0) return;
        par.forChunks(w.panels(), 1, (from, to) -> panels(cfg, w, bias, act, x, xOff, xStride, batch, y, yOff, yStride, from, to));
    }

    private static void panels(KernelConfig cfg, Packed w, float[] bias, Activation act, float[] x, int xOff, int xStride,
                               int batch, float[] y, int yOff, int yStride, int from, int to) {
        final int cols = w.cols(), bits = cfg.vectorBits();
        final int tile = switch (bits) {
            case 512 -> 12;
            case 256 -> 6;
            case 128 -> 3;
            default -> 1;
        };
        final float[] tmp = new float[tile * PANEL];
        // The last, partial tile of inputs runs as a full tile over a zero-padded copy: one tile pass costs
        // less than a few single-input passes (those are latency-bound on one chain per vector).
        final int full = batch - batch % tile, rest = batch - full;
        final float[] restX = rest == 0 ? null : new float[tile * cols];
        for (int u = 0; u < rest; u++) System.arraycopy(x, xOff + (full + u) * xStride, restX, u * cols, cols);
        for (int p = from; p < to; p++) {
            long po = 64L * p * cols;
            int r0 = p * PANEL, valid = Math.min(PANEL, w.rows() - r0);
            for (int t = 0; t < full; t += tile) {
                int xo = xOff + t * xStride, yo = yOff + t * yStride + r0;
                if (valid == PANEL) {
                    tile(bits, w.data(), po, cols, x, xo, xStride, y, yo, yStride);
                } else {
                    tile(bits, w.data(), po, cols, x, xo, xStride, tmp, 0, PANEL);
                    for (int u = 0; u < tile; u++) System.arraycopy(tmp, u * PANEL, y, yo + u * yStride, valid);
                }
                finish(cfg, bias, act, r0, valid, y, yo, yStride, tile);
            }
            if (rest > 0) {
                int yo = yOff + full * yStride + r0;
                tile(bits, w.data(), po, cols, restX, 0, cols, tmp, 0, PANEL);
                for (int u = 0; u < rest; u++) System.arraycopy(tmp, u * PANEL, y, yo + u * yStride, valid);
                finish(cfg, bias, act, r0, valid, y, yo, yStride, rest);
            }
        }
    }

    /** Bias and activation over the {@code count x valid} outputs just stored at {@code y[yo ..]}. */
    private static void finish(KernelConfig cfg, float[] bias, Activation act, int r0, int valid, float[] y, int yo,
                               int yStride, int count) {
        for (int u = 0; u < count; u++) {
            int o = yo + u * yStride;
            if (bias != null) for (int j = 0; j < valid; j++) y[o + j] += bias[r0 + j];
            if (act == Activation.GELU) Gelu.apply(cfg, y, o, valid);
        }
    }

    private static void tile(int bits, MemorySegment w, long po, int cols, float[] x, int xo, int xs, float[] y, int yo, int ys) {
        switch (bits) {
            case 512 -> tile512(w, po, cols, x, xo, xs, y, yo, ys);
            case 256 -> tile256(w, po, cols, x, xo, xs, y, yo, ys);
            case 128 -> tile128(w, po, cols, x, xo, xs, y, yo, ys);
            default -> scalar(w, po, cols, x, xo, y, yo);
        }
    }

    private static void scalar(MemorySegment w, long po, int cols, float[] x, int xo, float[] out, int oo) {
        for (int j = 0; j < PANEL; j++) {
            float s = 0f;
            for (int i = 0; i < cols; i++) s = Math.fma(w.get(F32_LE, po + 64L * i + 4L * j), x[xo + i], s);
            out[oo + j] = s;
        }
    }

    /** 16 rows (one 512-bit vector) x 12 inputs. */
    private static void tile512(MemorySegment w, long po, int cols, float[] x, int xo, int xs, float[] y, int yo, int ys) {
        VectorSpecies<Float> s = Dot.S512;
        FloatVector z = FloatVector.zero(s);
        FloatVector a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z, a7 = z, a8 = z, a9 = z, a10 = z, a11 = z;
        int x1 = xo + xs, x2 = x1 + xs, x3 = x2 + xs, x4 = x3 + xs, x5 = x4 + xs;
        int x6 = x5 + xs, x7 = x6 + xs, x8 = x7 + xs, x9 = x8 + xs, x10 = x9 + xs, x11 = x10 + xs;
        for (int i = 0; i < cols; i++) {
            FloatVector wv = FloatVector.fromMemorySegment(s, w, po + 64L * i, LE);
            a0 = wv.fma(FloatVector.broadcast(s, x[xo + i]), a0);
            a1 = wv.fma(FloatVector.broadcast(s, x[x1 + i]), a1);
            a2 = wv.fma(FloatVector.broadcast(s, x[x2 + i]), a2);
            a3 = wv.fma(FloatVector.broadcast(s, x[x3 + i]), a3);
            a4 = wv.fma(FloatVector.broadcast(s, x[x4 + i]), a4);
            a5 = wv.fma(FloatVector.broadcast(s, x[x5 + i]), a5);
            a6 = wv.fma(FloatVector.broadcast(s, x[x6 + i]), a6);
            a7 = wv.fma(FloatVector.broadcast(s, x[x7 + i]), a7);
            a8 = wv.fma(FloatVector.broadcast(s, x[x8 + i]), a8);
            a9 = wv.fma(FloatVector.broadcast(s, x[x9 + i]), a9);
            a10 = wv.fma(FloatVector.broadcast(s, x[x10 + i]), a10);
            a11 = wv.fma(FloatVector.broadcast(s, x[x11 + i]), a11);
        }
        a0.intoArray(y, yo);
        a1.intoArray(y, yo + ys);
        a2.intoArray(y, yo + 2 * ys);
        a3.intoArray(y, yo + 3 * ys);
        a4.intoArray(y, yo + 4 * ys);
        a5.intoArray(y, yo + 5 * ys);
        a6.intoArray(y, yo + 6 * ys);
        a7.intoArray(y, yo + 7 * ys);
        a8.intoArray(y, yo + 8 * ys);
        a9.intoArray(y, yo + 9 * ys);
        a10.intoArray(y, yo + 10 * ys);
        a11.intoArray(y, yo + 11 * ys);
    }

    /** 16 rows (two 256-bit vectors) x 6 inputs. */
    private static void tile256(MemorySegment w, long po, int cols, float[] x, int xo, int xs, float[] y, int yo, int ys) {
        VectorSpecies<Float> s = Dot.S256;
        FloatVector z = FloatVector.zero(s);
        FloatVector a0 = z, b0 = z, a1 = z, b1 = z, a2 = z, b2 = z, a3 = z, b3 = z, a4 = z, b4 = z, a5 = z, b5 = z;
        int x1 = xo + xs, x2 = x1 + xs, x3 = x2 + xs, x4 = x3 + xs, x5 = x4 + xs;
        for (int i = 0; i < cols; i++) {
            long o = po + 64L * i;
            FloatVector wa = FloatVector.fromMemorySegment(s, w, o, LE);
            FloatVector wb = FloatVector.fromMemorySegment(s, w, o + 32, LE);
            FloatVector v = FloatVector.broadcast(s, x[xo + i]);
            a0 = wa.fma(v, a0);
            b0 = wb.fma(v, b0);
            v = FloatVector.broadcast(s, x[x1 + i]);
            a1 = wa.fma(v, a1);
            b1 = wb.fma(v, b1);
            v = FloatVector.broadcast(s, x[x2 + i]);
            a2 = wa.fma(v, a2);
            b2 = wb.fma(v, b2);
            v = FloatVector.broadcast(s, x[x3 + i]);
            a3 = wa.fma(v, a3);
            b3 = wb.fma(v, b3);
            v = FloatVector.broadcast(s, x[x4 + i]);
            a4 = wa.fma(v, a4);
            b4 = wb.fma(v, b4);
            v = FloatVector.broadcast(s, x[x5 + i]);
            a5 = wa.fma(v, a5);
            b5 = wb.fma(v, b5);
        }
        a0.intoArray(y, yo);
        b0.intoArray(y, yo + 8);
        a1.intoArray(y, yo + ys);
        b1.intoArray(y, yo + ys + 8);
        a2.intoArray(y, yo + 2 * ys);
        b2.intoArray(y, yo + 2 * ys + 8);
        a3.intoArray(y, yo + 3 * ys);
        b3.intoArray(y, yo + 3 * ys + 8);
        a4.intoArray(y, yo + 4 * ys);
        b4.intoArray(y, yo + 4 * ys + 8);
        a5.intoArray(y, yo + 5 * ys);
        b5.intoArray(y, yo + 5 * ys + 8);
    }

    /** 16 rows (four 128-bit vectors) x 3 inputs. */
    private static void tile128(MemorySegment w, long po, int cols, float[] x, int xo, int xs, float[] y, int yo, int ys) {
        VectorSpecies<Float> s = Dot.S128;
        FloatVector z = FloatVector.zero(s);
        FloatVector a0 = z, b0 = z, c0 = z, d0 = z, a1 = z, b1 = z, c1 = z, d1 = z, a2 = z, b2 = z, c2 = z, d2 = z;
        int x1 = xo + xs, x2 = x1 + xs;
        for (int i = 0; i < cols; i++) {
            long o = po + 64L * i;
            FloatVector v0 = FloatVector.broadcast(s, x[xo + i]);
            FloatVector v1 = FloatVector.broadcast(s, x[x1 + i]);
            FloatVector v2 = FloatVector.broadcast(s, x[x2 + i]);
            FloatVector wv = FloatVector.fromMemorySegment(s, w, o, LE);
            a0 = wv.fma(v0, a0);
            a1 = wv.fma(v1, a1);
            a2 = wv.fma(v2, a2);
            wv = FloatVector.fromMemorySegment(s, w, o + 16, LE);
            b0 = wv.fma(v0, b0);
            b1 = wv.fma(v1, b1);
            b2 = wv.fma(v2, b2);
            wv = FloatVector.fromMemorySegment(s, w, o + 32, LE);
            c0 = wv.fma(v0, c0);
            c1 = wv.fma(v1, c1);
            c2 = wv.fma(v2, c2);
            wv = FloatVector.fromMemorySegment(s, w, o + 48, LE);
            d0 = wv.fma(v0, d0);
            d1 = wv.fma(v1, d1);
            d2 = wv.fma(v2, d2);
        }
        a0.intoArray(y, yo);
        b0.intoArray(y, yo + 4);
        c0.intoArray(y, yo + 8);
        d0.intoArray(y, yo + 12);
        a1.intoArray(y, yo + ys);
        b1.intoArray(y, yo + ys + 4);
        c1.intoArray(y, yo + ys + 8);
        d1.intoArray(y, yo + ys + 12);
        a2.intoArray(y, yo + 2 * ys);
        b2.intoArray(y, yo + 2 * ys + 4);
        c2.intoArray(y, yo + 2 * ys + 8);
        d2.intoArray(y, yo + 2 * ys + 12);
    }
}
