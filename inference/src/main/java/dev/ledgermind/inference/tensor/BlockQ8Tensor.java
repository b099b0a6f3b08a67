package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;

import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.ShortVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/**
 * The 32-weight block formats with one F16 scale per block and integer codes (Q8_0, Q4_0, Q5_0): at 256 and 512 bits a batch of
 * inputs goes through {@link BlockQ8Batch}, which decodes each row once for all of them; a subclass says
 * how a row's blocks unpack.
 *
 * <h2>The packed copy (Q8_0, Q4_0): the file's bytes, split</h2>
 * GGUF interleaves each block's 2-byte f16 scale with its codes (34 or 18 bytes a block), so a kernel reading
 * the mapping converts one f16 per block and loads codes at odd offsets of a native segment. When
 * {@value #PACK_PROPERTY} is not {@code false} (the default) and there is native memory for it, the constructor
 * copies the tensor once into two native arrays laid out for the vector kernels: {@link #codes}, every block's
 * {@link #codeBytes} code bytes, rows in groups of four and within a group block b of the four rows side by side, one
 * or two cache lines ({@link #codeRow}: a group is one sequential stream for the native decode step, which reads its
 * four rows side by side; every code load is aligned and no load straddles a cache line; Q4_0 interleaves the four
 * rows' bytes within the line, {@link #q4Base}), and {@link #scales}, every
 * block's f16 scale
 * unchanged (2 bytes, little-endian, at {@code (r * blocks + b) * 2}). Together they hold exactly the file's bytes (Q4_0:
 * plus the padding of its last group, at most three rows), so the copy costs no memory beyond the tensor: the mapped pages it was read from are released as it goes
 * ({@link MemorySegment#unload()}). The decode kernels widen a group of rows' scales to binary32 into a per-thread
 * scratch before multiplying ({@link #scales(int, int, float[])}: exact, as {@link Float#float16ToFloat}), so each
 * output still gets exactly the canonical operations in their order and results do not change by one bit (the scalar
 * reference still reads the mapping, and the tests compare the two). A tensor with an infinite or NaN scale is not
 * copied (the kernels then read the mapping), so the vector widening only ever sees finite halves.
 */
abstract sealed class BlockQ8Tensor extends WeightTensor permits Q8_0Tensor, Q4_0Tensor, Q5_0Tensor {
    /** System property: {@code false} keeps every Q8_0/Q4_0 tensor in the mapping (the kernels before packing). */
    static final String PACK_PROPERTY = "ledgermind.kernel.pack";
    static final boolean PACK = !"false".equalsIgnoreCase(System.getProperty(PACK_PROPERTY, "true").trim());
    /** Rows copied between two releases of the mapped pages read so far. */
    private static final int PACK_ROWS_PER_RELEASE = 1024;

    /** The packed codes ({@link #codeBytes} a block, row-major), or null: the tensor stays in the mapping. */
    final MemorySegment codes;
    /** The int8-q8 kernels' packed copy ({@link Int8Kernels#pack}), or null: the int8-q8 product runs the reference. */
    final Int8Kernels.Packed int8;
    /** The packed f16 scales (2 bytes a block, row-major), or null with {@link #codes}. */
    final MemorySegment scales;
    /** Bytes of codes per block: 32 (Q8_0), 16 (Q4_0). */
    final int codeBytes;
    /** Blocks per row, and bytes of codes per packed row ({@code blocks * codeBytes}). */
    final int blocks;
    final long codeRowBytes;

    /**
     * @param codeBytes the bytes of codes that follow each block's f16 scale, copied to the packed form; 0 = never
     *                  pack (the type's kernels read the mapping)
     */
    BlockQ8Tensor(String name, GgmlType type, MemorySegment data, int rows, int cols, int codeBytes, boolean pack) {
        this(name, type, data, rows, cols, codeBytes, pack, ComputeProfile.BINARY32);
    }

    /**
     * For a model computed under {@code profile}: under {@link ComputeProfile#INT8_Q8}, where the int8-q8 kernels run
     * here ({@link Int8Kernels#available}) and {@code pack}, the tensor keeps their copy ({@link #int8}) instead of the
     * binary32 kernels' one (whose products then read the mapping, with the same results).
     */
    BlockQ8Tensor(String name, GgmlType type, MemorySegment data, int rows, int cols, int codeBytes, boolean pack,
                  ComputeProfile profile) {
        super(name, type, data, rows, cols);
        this.int8 = pack && profile == ComputeProfile.INT8_Q8
                ? Int8Kernels.pack(type, data, rowBytes, rows, cols / 32) : null;
        if (int8 != null) pack = false;
        this.codeBytes = codeBytes;
        this.blocks = cols / 32;
        this.codeRowBytes = (long) blocks * codeBytes;
        MemorySegment c = null, s = null;
        if (codeBytes > 0 && pack) {
            try {
                Arena arena = Arena.ofAuto();
                c = arena.allocate(codeRowBytes * (interleaved() ? (rows + 3L) & ~3L : rows), 64);
                s = arena.allocate(2L * blocks * rows, 64);
            } catch (OutOfMemoryError e) {
                c = s = null; // no native memory for a copy: the kernels read the mapping, with the same results
            }
            if (c != null && !packInto(c, s)) c = s = null; // a non-finite scale: the kernels read the mapping
        }
        this.codes = c;
        this.scales = s;
    }

    /** Whether this tensor's kernels read the packed copy ({@link #codes}, {@link #scales}). */
    public boolean isPacked() {
        return codes != null;
    }

    /**
     * Whether the packed codes interleave a group's rows byte by byte (Q4_0: {@link #q4Base}) rather than place each
     * row's block whole ({@link #codeRow}: Q8_0).
     */
    final boolean interleaved() {
        return codeBytes == 16;
    }

    /** Copies the tensor; false (copy abandoned) at the first infinite or NaN scale (f16 exponent field 31). */
    private boolean packInto(MemorySegment c, MemorySegment s) {
        int blockBytes = type.blockBytes;
        boolean mapped = data.isMapped();
        byte[] rowsIn = new byte[64], line = new byte[64];
        MemorySegment in = MemorySegment.ofArray(rowsIn), out = MemorySegment.ofArray(line);
        for (int r0 = 0; r0 < rows; r0 += PACK_ROWS_PER_RELEASE) { // a multiple of 4: groups never straddle two
            int r1 = Math.min(rows, r0 + PACK_ROWS_PER_RELEASE);
            for (int r = r0; r < r1; r++) {
                long o = r * rowBytes, k = (long) r * blocks;
                for (int b = 0; b < blocks; b++, o += blockBytes, k++) {
                    short h = data.get(F16, o);
                    if ((h & 0x7c00) == 0x7c00) return false;
                    s.set(F16, 2 * k, h);
                    if (!interleaved()) MemorySegment.copy(data, o + 2, c, codeRow(r) + (long) b * codeStep(r), codeBytes);
                }
            }
            for (int g = r0; g < r1 && interleaved(); g += 4) { // Q4_0: a group's block line from its rows' blocks
                int n = Math.min(4, rows - g);
                for (int b = 0; b < blocks; b++) {
                    for (int i = 0; i < n; i++) MemorySegment.copy(data, (g + i) * rowBytes + (long) b * blockBytes + 2, in, 16L * i, 16);
                    for (int i = 0; i < 4; i++) for (int m = 0; m < 16; m++) line[4 * m + i] = i < n ? rowsIn[16 * i + m] : 0;
                    MemorySegment.copy(out, 0, c, q4Base(g) + 64L * b, 64);
                }
            }
            if (mapped) data.asSlice(r0 * rowBytes, (r1 - r0) * rowBytes).unload();
        }
        if (mapped) data.unload();
        return true;
    }

    /**
     * Q8_0's layout (Q4_0's is {@link #q4Base}): where row {@code row}'s block b's codes start in {@link #codes}:
     * {@code codeRow(row) + b * codeStep(row)}. Rows
     * in groups of four from row 0, and within a group block b of its four rows side by side ({@code 4 * codeBytes}
     * bytes: row {@code 4g + i}'s block b at {@code (4g * blocks + 4b + i) * codeBytes}); the {@code rows % 4} rows after
     * the last whole group row-major after it.
     */
    final long codeRow(int row) {
        return row < (rows & ~3) ? (long) (row & ~3) * codeRowBytes + (long) codeBytes * (row & 3) : row * codeRowBytes;
    }

    /** The distance between two consecutive blocks of row {@code row} in {@link #codes} (see {@link #codeRow}). */
    final int codeStep(int row) {
        return row < (rows & ~3) ? 4 * codeBytes : codeBytes;
    }

    /**
     * Q4_0's packed codes ({@link #interleaved}): every row is in a group of four (the last group padded to four rows,
     * at most three rows' bytes more than the file's), and the group's block b is one 64-byte line at
     * {@code q4Base(row) + 64 * b} whose byte {@code 4m + i} is row {@code 4g + i}'s code byte m (element m in the low
     * nibble, m + 16 in the high one). Read as sixteen 32-bit lanes, lane m holds byte m of the four rows, so row i's
     * code bytes are the lanes shifted right by {@code 8i} ({@link #q4Shift}), with no widening of bytes to lanes: the
     * native kernels' table lookup reads the nibble straight from the shifted lane.
     */
    final long q4Base(int row) {
        return (long) (row & ~3) * codeRowBytes;
    }

    /** The right shift that brings row {@code row}'s code byte to the low byte of each 32-bit lane ({@link #q4Base}). */
    static int q4Shift(int row) {
        return 8 * (row & 3);
    }

    /** The packed scale of row {@code row}, block {@code b}, widened to binary32 (exact). */
    final float scale(int row, int b) {
        return Float.float16ToFloat(scales.get(F16, 2 * ((long) row * blocks + b)));
    }

    /** Per-thread scratch for the widened scales of a group of rows. */
    private static final ThreadLocal<float[][]> SCALE_SCRATCH = ThreadLocal.withInitial(() -> new float[1][0]);

    /** A scratch of at least {@code n} floats for this thread. */
    static float[] scaleScratch(int n) {
        float[][] h = SCALE_SCRATCH.get();
        if (h[0].length < n) h[0] = new float[n];
        return h[0];
    }

    private static final VectorSpecies<Short> S256 = ShortVector.SPECIES_256;
    private static final VectorSpecies<Integer> I512 = IntVector.SPECIES_512;

    /**
     * The scales of rows {@code [row, row + k)} (row-major: row {@code row + i}'s block b at {@code sc[i * blocks + b]}),
     * widened to binary32. With {@code vector}, 16 halves at a time by integer arithmetic: sign to bit 31, exponent and
     * mantissa to bits 30..13, then a multiplication by 2^112, which rebiases the exponent exactly for every finite
     * half, subnormals included (the copy holds finite ones only); the same value as {@link Float#float16ToFloat}
     * (checked for all 63,488 finite halves by a test).
     */
    final void scales(int row, int k, float[] sc, boolean vector) {
        long o = 2L * row * blocks;
        int n = k * blocks, i = 0;
        if (vector) {
            for (; i + 16 <= n; i += 16) widen16(scales, o + 2L * i, sc, i);
        }
        for (; i < n; i++) sc[i] = Float.float16ToFloat(scales.get(F16, o + 2L * i));
    }

    /** Sixteen finite f16 values at byte {@code o} of {@code s}, widened to binary32 into {@code out[i ..]}. */
    static void widen16(MemorySegment s, long o, float[] out, int i) {
        IntVector v = (IntVector) ShortVector.fromMemorySegment(S256, s, o, ByteOrder.LITTLE_ENDIAN)
                .convertShape(VectorOperators.ZERO_EXTEND_S2I, I512, 0);
        IntVector bits = v.and(0x8000).lanewise(VectorOperators.LSHL, 16).or(v.and(0x7fff).lanewise(VectorOperators.LSHL, 13));
        bits.reinterpretAsFloats().mul(0x1p112f).intoArray(out, i);
    }

    /** Q8_0, Q4_0 and Q5_0 have the int8-q8 product of {@link Int8Kernels} (their class javadocs), on {@link Int8Input#Q8_32}. */
    @Override
    public final int int8Format() {
        return Int8Input.Q8_32;
    }

    /**
     * The int8-q8 product in the native kernels where the tensor has their copy and {@code cfg} allows them, else the Java
     * vector kernels at 256 and 512 bits ({@link Int8JavaKernels#matMul32}), else (scalar, 128 bits) the reference: the
     * same bits.
     */
    @Override
    protected void rowsRangeInt8(KernelConfig cfg, int from, int to, Int8Input xq, float[] y, int yOff, int yStride) {
        if (int8 != null && cfg.nativeKernels()) Int8Kernels.rows(int8, from, to, xq, y, yOff, yStride);
        else if (Int8JavaKernels.handles(cfg)) Int8JavaKernels.matMul32(this, cfg, from, to, xq, y, yOff, yStride);
        else super.rowsRangeInt8(cfg, from, to, xq, y, yOff, yStride);
    }

    /** Row {@code row} blocks {@code [b0, b1)} as exact codes from {@code q[qOff]} and block scales from {@code d[dOff]}. */
    abstract void unpackRow(int row, int b0, int b1, float[] q, int qOff, float[] d, int dOff);

    /** Batched products at 256 and 512 bits decode each row once for all inputs ({@link BlockQ8Batch}). */
    /**
     * Whether this product runs in a native kernel ({@link NativeKernels}: the same operations as the 512-bit kernels,
     * the same bits): a packed Q8_0 or Q4_0 tensor ({@link NativeKernels#matVec} on the copy) or a Q5_0 tensor (in place:
     * {@link NativeKernels#inPlaceMatVec}), 512 bits with native kernels allowed, and the library loaded here (with the
     * type's kernels).
     */
    final boolean nativeOn(KernelConfig cfg) {
        return cfg.vectorBits() == 512 && cfg.nativeKernels()
                && (codes != null ? NativeKernels.hasKernels(type) && NativeKernels.loaded() : inPlaceNative());
    }

    /** Whether this unpacked tensor's type has native kernels that read the mapping (Q5_0). */
    private boolean inPlaceNative() {
        return type == GgmlType.Q5_0 && NativeKernels.hasInPlaceKernels(type);
    }

    @Override
    protected void rowsRange(KernelConfig cfg, int from, int to, float[] x, int xOff, int xStride, int batch,
                             float[] y, int yOff, int yStride) {
        int bits = cfg.vectorBits();
        if (batch >= 2 && nativeOn(cfg)) {
            if (codes != null) NativeKernels.matMul(type, codes, scales, blocks, rows, from, to, x, xOff, xStride, batch, y, yOff, yStride);
            else NativeKernels.inPlaceMatMul(type, data, rowBytes, blocks, from, to, x, xOff, xStride, batch, y, yOff, yStride);
        } else if (batch >= 2 && (bits == 256 || bits == 512)) {
            BlockQ8Batch.rows(bits, this::unpackRow, cols, from, to, x, xOff, xStride, batch, y, yOff, yStride);
        } else {
            super.rowsRange(cfg, from, to, x, xOff, xStride, batch, y, yOff, yStride);
        }
    }
}
