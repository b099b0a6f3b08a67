package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/**
 * The 32-weight block formats with one F16 scale per block and integer codes (Q8_0, Q4_0, Q5_0): at 256 and 512 bits a batch of
 * inputs goes through {@link BlockQ8Batch}, which decodes each row once for all of them; a subclass says
 * how a row's blocks unpack.
 *
 * <h2>The packed copy (Q8_0, Q4_0)</h2>
 * GGUF interleaves each block's 2-byte f16 scale with its codes (34 or 18 bytes a block), so a kernel reading
 * the mapping converts one f16 per block and loads codes at odd offsets of a native segment. When
 * {@value #PACK_PROPERTY} is not {@code false} (the default) and the heap has room, the constructor copies the
 * tensor once into native memory laid out for the vector kernels ({@link #packed}): each block as its scale
 * already widened to binary32 (exact, 4 bytes little-endian) followed by its {@link #codeBytes} bytes of codes,
 * blocks and rows back to back. The codes and scales are the same numbers, and the kernels apply the
 * same operations in the same order, so results do not change by one bit (the scalar reference still reads the
 * mapping, and the tests compare the two). The copy is 4/34 (Q8_0) or 4/18 (Q4_0) bigger than the file's data,
 * and the mapped pages it was read from are released as it goes ({@link MemorySegment#unload()}), so resident
 * memory grows by that fraction, not by the tensor's size.
 */
abstract sealed class BlockQ8Tensor extends WeightTensor permits Q8_0Tensor, Q4_0Tensor, Q5_0Tensor {
    /** System property: {@code false} keeps every Q8_0/Q4_0 tensor in the mapping (the kernels before packing). */
    static final String PACK_PROPERTY = "ledgermind.kernel.pack";
    static final boolean PACK = !"false".equalsIgnoreCase(System.getProperty(PACK_PROPERTY, "true").trim());
    /** A packed block's scale: binary32, little-endian, 4-byte aligned within the block. */
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    /** Rows copied between two releases of the mapped pages read so far. */
    private static final int PACK_ROWS_PER_RELEASE = 1024;

    /** The packed copy (blocks of a binary32 scale and {@link #codeBytes} code bytes), or null: the tensor stays in the mapping. */
    final MemorySegment packed;
    /** Bytes of codes per block: 32 (Q8_0), 16 (Q4_0). */
    final int codeBytes;
    /** Bytes per packed block ({@code 4 + codeBytes}) and per packed row. */
    final int packedBlockBytes;
    final long packedRowBytes;

    /**
     * @param codeBytes the bytes of codes that follow each block's f16 scale, copied to the packed form; 0 = never
     *                  pack (the type's kernels read the mapping)
     */
    BlockQ8Tensor(String name, GgmlType type, MemorySegment data, int rows, int cols, int codeBytes, boolean pack) {
        super(name, type, data, rows, cols);
        this.codeBytes = codeBytes;
        this.packedBlockBytes = 4 + codeBytes;
        this.packedRowBytes = (long) (cols / 32) * packedBlockBytes;
        MemorySegment p = null;
        if (codeBytes > 0 && pack) {
            try {
                p = Arena.ofAuto().allocate(packedRowBytes * rows, 64);
            } catch (OutOfMemoryError e) {
                p = null; // no native memory for a copy: the kernels read the mapping, with the same results
            }
            if (p != null) packInto(p);
        }
        this.packed = p;
    }

    /** Whether this tensor's kernels read the packed copy ({@link #packed}). */
    public boolean isPacked() {
        return packed != null;
    }

    private void packInto(MemorySegment p) {
        int blocks = cols / 32;
        int blockBytes = type.blockBytes;
        boolean mapped = data.isMapped();
        for (int r0 = 0; r0 < rows; r0 += PACK_ROWS_PER_RELEASE) {
            int r1 = Math.min(rows, r0 + PACK_ROWS_PER_RELEASE);
            for (int r = r0; r < r1; r++) {
                long o = r * rowBytes, po = r * packedRowBytes;
                for (int b = 0; b < blocks; b++, o += blockBytes, po += packedBlockBytes) {
                    p.set(F32, po, Float.float16ToFloat(data.get(F16, o)));
                    MemorySegment.copy(data, o + 2, p, po + 4, codeBytes);
                }
            }
            if (mapped) data.asSlice(r0 * rowBytes, (r1 - r0) * rowBytes).unload();
        }
        if (mapped) data.unload();
    }

    /** Row {@code row} blocks {@code [b0, b1)} as exact codes from {@code q[qOff]} and block scales from {@code d[dOff]}. */
    abstract void unpackRow(int row, int b0, int b1, float[] q, int qOff, float[] d, int dOff);

    /** Batched products at 256 and 512 bits decode each row once for all inputs ({@link BlockQ8Batch}). */
    @Override
    protected void rowsRange(KernelConfig cfg, int from, int to, float[] x, int xOff, int xStride, int batch,
                             float[] y, int yOff, int yStride) {
        int bits = cfg.vectorBits();
        if (batch >= 2 && (bits == 256 || bits == 512)) {
            BlockQ8Batch.rows(bits, this::unpackRow, cols, from, to, x, xOff, xStride, batch, y, yOff, yStride);
        } else {
            super.rowsRange(cfg, from, to, x, xOff, xStride, batch, y, yOff, yStride);
        }
    }
}
