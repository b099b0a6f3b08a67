package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.gguf.GgufFormatException;
import dev.ledgermind.inference.gguf.GgufTensorInfo;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;

import java.lang.foreign.MemorySegment;

/**
 * A row-major weight matrix of {@code rows x cols} in one GGUF storage type, read in place from a
 * (memory-mapped) {@link MemorySegment}. Each type defines its canonical dot product of one row with F32
 * activations by a scalar reference ({@link #dotReference}) whose operation order its class javadoc
 * states; the vector paths of every width compute exactly the same operations, so results are
 * bit-identical (DESIGN.md section 3).
 *
 * <p>{@link #matMul} computes {@code y[t][r] = dot(row r, x[t])} for a batch of inputs. Threads take
 * contiguous chunks of rows on demand ({@link Parallel#forChunks}); the batch only changes the order in which
 * independent outputs are computed, so a row computed in a batch has the same bits as computed alone (batch
 * invariance). Q8_0, Q4_0 and Q5_0 decode each row once for the whole batch ({@code BlockQ8Batch}).
 */
public abstract sealed class WeightTensor permits F32Tensor, ChunkedTensor, BlockQ8Tensor {
    /** Inputs processed per pass over a tile of rows, so a tile of weight rows stays in cache. */
    static final int BATCH_TILE = 16;
    static final int ROW_TILE = 8;

    protected final String name;
    protected final GgmlType type;
    protected final MemorySegment data;
    protected final int rows;
    protected final int cols;
    protected final long rowBytes;

    protected WeightTensor(String name, GgmlType type, MemorySegment data, int rows, int cols) {
        if (cols % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': " + cols + " columns is not a multiple of the "
                    + type + " block size " + type.blockSize);
        }
        this.name = name;
        this.type = type;
        this.data = data;
        this.rows = rows;
        this.cols = cols;
        this.rowBytes = type.bytesFor(cols);
        if (data.byteSize() < rowBytes * rows) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.byteSize() + " bytes hold fewer than "
                    + rows + " rows of " + rowBytes + " bytes");
        }
    }

    /** The tensor of a GGUF file as a matrix of {@code rows() x cols()}; a clear error for unsupported types. */
    public static WeightTensor of(GgufTensorInfo t) {
        return of(t, ComputeProfile.BINARY32);
    }

    /**
     * The tensor for a model computed under {@code profile} (a type may keep its weights in another layout for the
     * profile's kernels; the numbers are the file's either way).
     */
    public static WeightTensor of(GgufTensorInfo t, ComputeProfile profile) {
        MemorySegment d = t.data();
        int rows = t.rows();
        int cols = t.cols();
        return switch (t.type()) {
            case F32 -> new F32Tensor(t.name(), d, rows, cols);
            case F16 -> new F16Tensor(t.name(), d, rows, cols);
            case BF16 -> new BF16Tensor(t.name(), d, rows, cols);
            case Q8_0 -> new Q8_0Tensor(t.name(), d, rows, cols, profile);
            case Q4_0 -> new Q4_0Tensor(t.name(), d, rows, cols, profile);
            case Q5_0 -> new Q5_0Tensor(t.name(), d, rows, cols, profile);
            case Q4_1 -> new Q4_1Tensor(t.name(), d, rows, cols);
            case Q5_1 -> new Q5_1Tensor(t.name(), d, rows, cols);
            case Q4_K -> new Q4_KTensor(t.name(), d, rows, cols);
            case Q5_K -> new Q5_KTensor(t.name(), d, rows, cols);
            case Q6_K -> new Q6_KTensor(t.name(), d, rows, cols);
            default -> throw new GgufFormatException("tensor '" + t.name() + "': type " + t.type()
                    + " is not supported by the engine (" + GgmlType.supportedNames() + " are)");
        };
    }

    public String name() {
        return name;
    }

    public GgmlType type() {
        return type;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public MemorySegment data() {
        return data;
    }

    /** The scalar reference: the canonical dot product of row {@code row} with {@code x[xOff .. xOff+cols)}. */
    public abstract float dotReference(int row, float[] x, int xOff);

    /** The same dot product at the configured width (bit-identical to {@link #dotReference}). */
    public abstract float dot(KernelConfig cfg, int row, float[] x, int xOff);

    /** Row {@code row}, dequantized to F32 (each element as the type defines its value). */
    public abstract void dequantizeRow(int row, float[] out, int off);

    /** {@code y[yOff + r] = dot(row r, x[xOff ..])} for every row. */
    public final void matVec(KernelConfig cfg, Parallel par, float[] x, int xOff, float[] y, int yOff) {
        matMul(cfg, par, x, xOff, cols, 1, y, yOff, rows);
    }

    /** For {@code t} in {@code [0, batch)}: {@code y[yOff + t*yStride + r] = dot(row r, x[xOff + t*xStride ..])}. */
    public final void matMul(KernelConfig cfg, Parallel par, float[] x, int xOff, int xStride, int batch,
                             float[] y, int yOff, int yStride) {
        if (batch <= 0) return;
        if (xOff < 0 || xOff + (long) (batch - 1) * xStride + cols > x.length) {
            throw new IndexOutOfBoundsException(name + ": input of " + batch + "x" + cols + " at " + xOff + " exceeds " + x.length);
        }
        if (yOff < 0 || yOff + (long) (batch - 1) * yStride + rows > y.length) {
            throw new IndexOutOfBoundsException(name + ": output of " + batch + "x" + rows + " at " + yOff + " exceeds " + y.length);
        }
        par.forChunks(rows, ROW_TILE, (from, to) -> rowsRange(cfg, from, to, x, xOff, xStride, batch, y, yOff, yStride));
    }

    /** Rows per chunk boundary of {@link #matMul}'s split: callers that split several products in one call keep it. */
    public static final int ROW_GRAIN = ROW_TILE;

    /**
     * Rows {@code [from, to)} of {@link #matMul} on the calling thread: for a caller that splits several products (or a
     * product and elementwise work on its rows) in one parallel call. Each row gets the same operations as in
     * {@link #matMul}, so the same bits.
     */
    public final void matMulRows(KernelConfig cfg, int from, int to, float[] x, int xOff, int xStride, int batch,
                                 float[] y, int yOff, int yStride) {
        if (from < 0 || to > rows || from > to) throw new IndexOutOfBoundsException(name + ": rows " + from + ".." + to + " of " + rows);
        if (batch <= 0 || from == to) return;
        if (xOff < 0 || xOff + (long) (batch - 1) * xStride + cols > x.length) {
            throw new IndexOutOfBoundsException(name + ": input of " + batch + "x" + cols + " at " + xOff + " exceeds " + x.length);
        }
        if (yOff < 0 || yOff + (long) (batch - 1) * yStride + rows > y.length) {
            throw new IndexOutOfBoundsException(name + ": output of " + batch + "x" + rows + " at " + yOff + " exceeds " + y.length);
        }
        rowsRange(cfg, from, to, x, xOff, xStride, batch, y, yOff, yStride);
    }

    /**
     * Rows {@code [from, to)} for one input (the decode step): {@code y[yOff + r] = dot(row r, x)}. A type may
     * compute two rows at once: each row's partial sums are one chain of dependent fmas (the canonical order), so
     * a second, independent row fills the fma unit while the first waits on its latency. Each row still gets
     * exactly its own operations in its own order.
     */
    protected void rowsOfOne(KernelConfig cfg, int from, int to, float[] x, int xOff, float[] y, int yOff) {
        for (int r = from; r < to; r++) y[yOff + r] = dot(cfg, r, x, xOff);
    }

    /** Rows {@code [from, to)} for the whole batch: tiles of rows, and within a tile a tile of inputs. */
    protected void rowsRange(KernelConfig cfg, int from, int to, float[] x, int xOff, int xStride, int batch,
                             float[] y, int yOff, int yStride) {
        if (batch == 1) {
            rowsOfOne(cfg, from, to, x, xOff, y, yOff);
            return;
        }
        for (int r0 = from; r0 < to; r0 += ROW_TILE) {
            int r1 = Math.min(to, r0 + ROW_TILE);
            for (int t0 = 0; t0 < batch; t0 += BATCH_TILE) {
                int t1 = Math.min(batch, t0 + BATCH_TILE);
                for (int r = r0; r < r1; r++) {
                    for (int t = t0; t < t1; t++) {
                        y[yOff + t * yStride + r] = dot(cfg, r, x, xOff + t * xStride);
                    }
                }
            }
        }
    }

    // ---- the int8-q8 profile (ComputeProfile.INT8_Q8) ----

    /**
     * The {@link Int8Input} format this type's integer product reads ({@link Int8Input#Q8_32} or
     * {@link Int8Input#Q8_256}), or 0: the type has no integer product and multiplies the float input with its binary32
     * product under every profile.
     */
    public int int8Format() {
        return 0;
    }

    /**
     * The int8-q8 profile's scalar reference: row {@code row} times input {@code t} of {@code xq}, as the type's class
     * javadoc defines its integer product; for a type with no integer product ({@link #int8Format} 0), its
     * {@link #dotReference} on the float input.
     */
    public float dotInt8Reference(int row, Int8Input xq, int t) {
        return dotReference(row, xq.x(), xq.xOff() + t * xq.xStride());
    }

    /** {@code y[yOff + t*yStride + r] = dotInt8(row r, input t)} for every row and input of {@code xq}, split over threads. */
    public final void matMulInt8(KernelConfig cfg, Parallel par, Int8Input xq, float[] y, int yOff, int yStride) {
        if (xq.n() <= 0) return;
        checkInt8(xq, y, yOff, yStride);
        par.forChunks(rows, ROW_TILE, (from, to) -> rowsRangeInt8(cfg, from, to, xq, y, yOff, yStride));
    }

    /** Rows {@code [from, to)} of {@link #matMulInt8} on the calling thread (as {@link #matMulRows}). */
    public final void matMulRowsInt8(KernelConfig cfg, int from, int to, Int8Input xq, float[] y, int yOff, int yStride) {
        if (from < 0 || to > rows || from > to) throw new IndexOutOfBoundsException(name + ": rows " + from + ".." + to + " of " + rows);
        if (xq.n() <= 0 || from == to) return;
        checkInt8(xq, y, yOff, yStride);
        rowsRangeInt8(cfg, from, to, xq, y, yOff, yStride);
    }

    private void checkInt8(Int8Input xq, float[] y, int yOff, int yStride) {
        if (xq.cols() != cols) throw new IllegalArgumentException(name + ": input of " + xq.cols() + " columns for " + cols);
        int f = int8Format();
        if (f != 0 && (xq.formats() & f) == 0) {
            throw new IllegalArgumentException(name + ": the input was not quantized in the format " + type + " reads");
        }
        if (yOff < 0 || yOff + (long) (xq.n() - 1) * yStride + rows > y.length) {
            throw new IndexOutOfBoundsException(name + ": output of " + xq.n() + "x" + rows + " at " + yOff + " exceeds " + y.length);
        }
    }

    /**
     * Rows {@code [from, to)} of the int8-q8 product for every input of {@code xq}. The default: the binary32 product
     * for a type with no integer product, else the scalar reference row by row (the integer sums are exact and the
     * accumulation order is the definition's, so every faster kernel must give these bits).
     */
    protected void rowsRangeInt8(KernelConfig cfg, int from, int to, Int8Input xq, float[] y, int yOff, int yStride) {
        if (int8Format() == 0) {
            rowsRange(cfg, from, to, xq.x(), xq.xOff(), xq.xStride(), xq.n(), y, yOff, yStride);
            return;
        }
        for (int r = from; r < to; r++) {
            for (int t = 0; t < xq.n(); t++) y[yOff + t * yStride + r] = dotInt8Reference(r, xq, t);
        }
    }

    @Override
    public String toString() {
        return name + " " + type + " " + rows + "x" + cols;
    }
}
