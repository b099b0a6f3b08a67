package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;
import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The int8-q8 product ({@link ComputeProfile#INT8_Q8}) of the integer-code types Q8_0, Q4_0 and Q5_0 with inputs in
 * {@link Int8Input#Q8_32}: the definition, one rule for the three types (stated in each class javadoc), whose Java
 * reference is {@link #reference}, and its native kernels ({@code inference/src/main/c/ledgermind_int8.c}).
 *
 * <pre>
 *   acc[0..15] = +0.0f
 *   for each block b of 32 (increasing):
 *     sumi_b = sum over i &lt; 32 of qw[i] * qx[i]        (exact int32; qw the type's integer codes, qx the input's)
 *     s_b    = dw_b * dx_b                              (binary32 multiply: dw the f16 scale widened, dx the input's scale)
 *     acc[b mod 16] = fma((float) sumi_b, s_b, acc[b mod 16])
 *   result = Dot.combine(acc)                           (the fixed 16-sum tree)
 * </pre>
 * {@code |sumi_b| <= 32 * 128 * 127}, so {@code (float) sumi_b} is exact; any kernel that gets each {@code sumi_b} and
 * then issues exactly these binary32 operations in this order gives the same bits.
 *
 * <h2>The native kernels</h2>
 * Under {@link ComputeProfile#INT8_Q8}, where the library is loaded, the CPU has AVX-512 VNNI ({@code lm_native_vnni})
 * and the library has this type's kernels, a tensor keeps its weights in the kernels' packed copy ({@link #pack}: rows
 * in groups of 16, their codes laid out for {@code vpdpbusd}, sixteen rows in the sixteen lanes of a register; the C
 * file's head describes it) instead of the binary32 kernels' copy; then {@link #rows} computes its products when the
 * {@link dev.ledgermind.inference.kernel.KernelConfig} allows native kernels, with the reference's bits
 * ({@code Int8NativeBitExactnessTest}). Elsewhere the reference runs, with the same results.
 */
final class Int8Kernels {
    private Int8Kernels() {
    }

    private static final FunctionDescriptor MATVEC = FunctionDescriptor.ofVoid(
            ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG);
    private static final FunctionDescriptor MATMUL = FunctionDescriptor.ofVoid(
            ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle PACK = NativeKernels.optional("lm_i8_pack", FunctionDescriptor.ofVoid(
            JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle Q8_0_MATVEC = NativeKernels.optional("lm_q8_0_i8_matvec", MATVEC);
    private static final MethodHandle Q8_0_MATMUL = NativeKernels.optional("lm_q8_0_i8_matmul", MATMUL);
    private static final MethodHandle Q4_0_MATVEC = NativeKernels.optional("lm_q4_0_i8_matvec", MATVEC);
    private static final MethodHandle Q4_0_MATMUL = NativeKernels.optional("lm_q4_0_i8_matmul", MATMUL);
    private static final MethodHandle Q5_0_MATVEC = NativeKernels.optional("lm_q5_0_i8_matvec", MATVEC);
    private static final MethodHandle Q5_0_MATMUL = NativeKernels.optional("lm_q5_0_i8_matmul", MATMUL);

    private static final MethodHandle QUANTIZE = NativeKernels.optional("lm_i8_quantize", FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS));
    /**
     * Whether {@link Int8Input#quantize} runs the native quantizer: the library loaded (AVX-512; no VNNI needed), with
     * the symbol, and native kernels allowed by default ({@link KernelConfig#NATIVE_PROPERTY}).
     */
    static final boolean QUANTIZE_ON = QUANTIZE != null && NativeKernels.loaded() && KernelConfig.defaults().nativeKernels();

    /** Whether the native quantizer is in the library here (whatever the property says: tests call it directly). */
    static boolean quantizeAvailable() {
        return QUANTIZE != null && NativeKernels.loaded();
    }

    /**
     * {@link Int8Input}'s canonical quantization in the native code ({@code lm_i8_quantize}; the same bits as
     * {@link Int8Input#quantizeBlock}) of {@code n} inputs of {@code cols} floats ({@code x[xOff + t * xStride ..]}) in
     * blocks of {@code bs} (32 or 256): codes to {@code q[t * cols ..]}, scales to {@code d[t * cols / bs ..]}, code sums
     * to {@code sums}: per block for 32, per 16 codes for 256. The caller checks the bounds (as {@link Int8Input#quantize}).
     */
    static void quantize(float[] x, int xOff, int xStride, int n, int cols, int bs, byte[] q, float[] d, int[] sums) {
        if (bs != 32 && bs != 256) throw new IllegalArgumentException("block size " + bs + " (32 or 256)");
        if (cols % bs != 0) throw new IllegalArgumentException(cols + " columns is not a multiple of " + bs);
        if (n <= 0) return;
        if (q.length < (long) n * cols || d.length < (long) n * cols / bs || sums.length < (long) n * cols / (bs == 32 ? 32 : 16)
                || xOff < 0 || xOff + (long) (n - 1) * xStride + cols > x.length) {
            throw new IndexOutOfBoundsException("quantize " + n + "x" + cols + " at " + xOff + " (stride " + xStride + ")");
        }
        try {
            QUANTIZE.invokeExact(MemorySegment.ofArray(x), (long) xOff, (long) xStride, n, cols, bs, MemorySegment.ofArray(q),
                    MemorySegment.ofArray(d), MemorySegment.ofArray(sums));
        } catch (Throwable e) {
            throw new IllegalStateException("native int8 quantize", e);
        }
    }

    /** Rows packed between two releases of the mapped pages read so far (a multiple of 16). */
    private static final int PACK_ROWS = 1024;

    /** Whether {@code type}'s int8-q8 kernels run here: the library loaded, VNNI, and the type's symbols. */
    static boolean available(GgmlType type) {
        return NativeKernels.loaded() && NativeKernels.vnni() && PACK != null && matVec(type) != null && matMul(type) != null;
    }

    private static int code(GgmlType type) {
        return switch (type) {
            case Q8_0 -> 0;
            case Q4_0 -> 1;
            case Q5_0 -> 2;
            default -> throw new IllegalArgumentException("no int8-q8 kernel for " + type);
        };
    }

    private static MethodHandle matVec(GgmlType type) {
        return switch (type) {
            case Q8_0 -> Q8_0_MATVEC;
            case Q4_0 -> Q4_0_MATVEC;
            case Q5_0 -> Q5_0_MATVEC;
            default -> null;
        };
    }

    private static MethodHandle matMul(GgmlType type) {
        return switch (type) {
            case Q8_0 -> Q8_0_MATMUL;
            case Q4_0 -> Q4_0_MATMUL;
            case Q5_0 -> Q5_0_MATMUL;
            default -> null;
        };
    }

    /** Bytes of codes per (group of 16 rows, block) in the packed copy. */
    static int recordBytes(GgmlType type) {
        return switch (type) {
            case Q8_0 -> 512;
            case Q4_0 -> 256;
            case Q5_0 -> 320;
            default -> throw new IllegalArgumentException("no int8-q8 kernel for " + type);
        };
    }

    /** A tensor's copy for the kernels: codes and f16 scales, rows in groups of 16 (the last one padded). */
    record Packed(GgmlType type, MemorySegment codes, MemorySegment scales, int rows, int blocks) {
    }

    /**
     * The packed copy of a tensor of {@code rows} rows ({@code rowBytes} each, {@code blocks} blocks of 32) at
     * {@code data}, or null where the kernels do not run here ({@link #available}) or there is no native memory for
     * it. The mapped pages read are released as it goes ({@link MemorySegment#unload()}): the reference, which reads
     * the mapping, pages them back in if it ever runs.
     */
    static Packed pack(GgmlType type, MemorySegment data, long rowBytes, int rows, int blocks) {
        if (!available(type)) return null;
        long groups = (rows + 15L) / 16;
        MemorySegment c, s;
        try {
            Arena arena = Arena.ofAuto();
            c = arena.allocate(groups * blocks * recordBytes(type), 64);
            s = arena.allocate(groups * blocks * 32, 64);
        } catch (OutOfMemoryError e) {
            return null;
        }
        boolean mapped = data.isMapped();
        for (int r0 = 0; r0 < rows; r0 += PACK_ROWS) {
            int r1 = Math.min(rows, r0 + PACK_ROWS);
            try {
                PACK.invokeExact(code(type), data, rowBytes, (long) blocks, r0, r1, c, s);
            } catch (Throwable e) {
                throw new IllegalStateException("native int8 pack of " + type, e);
            }
            if (mapped) data.asSlice(r0 * rowBytes, (r1 - r0) * rowBytes).unload();
        }
        return new Packed(type, c, s, rows, blocks);
    }

    /** Set by the first product that ran natively (tests check that the native path ran). */
    private static volatile boolean used;

    static boolean used() {
        return used;
    }

    /**
     * Rows {@code [from, to)} of the product of the packed tensor {@code p} with every input of {@code xq}
     * ({@link Int8Input#Q8_32}): {@code y[yOff + t * yStride + r]}; one input takes the decode step.
     */
    static void rows(Packed p, int from, int to, Int8Input xq, float[] y, int yOff, int yStride) {
        if (from < 0 || to > p.rows() || from > to) throw new IndexOutOfBoundsException("rows " + from + ".." + to + " of " + p.rows());
        if (xq.cols() != 32 * p.blocks()) throw new IllegalArgumentException("input of " + xq.cols() + " columns for " + 32 * p.blocks());
        int n = xq.n();
        if (n <= 0 || from == to) return;
        if (yOff < 0 || yOff + (long) (n - 1) * yStride + to > y.length) {
            throw new IndexOutOfBoundsException("output of " + n + "x" + to + " at " + yOff + " (stride " + yStride + ") exceeds " + y.length);
        }
        if (!used) used = true;
        MemorySegment codes = MemorySegment.ofArray(xq.codes32()), scales = MemorySegment.ofArray(xq.scales32()),
                sums = MemorySegment.ofArray(xq.sums32()), out = MemorySegment.ofArray(y);
        try {
            if (n == 1) {
                matVec(p.type()).invokeExact(p.codes(), p.scales(), (long) p.blocks(), from, to, codes, scales, sums, out, (long) yOff);
            } else {
                matMul(p.type()).invokeExact(p.codes(), p.scales(), (long) p.blocks(), from, to, codes, scales, sums, n, out,
                        (long) yOff, (long) yStride);
            }
        } catch (Throwable e) {
            throw new IllegalStateException("native int8 " + p.type() + " product", e);
        }
    }

    /** The exact integer dot product of one weight block (at byte {@code o} of the tensor's data) with 32 input codes. */
    interface BlockSum {
        int sumi(long o, byte[] xc, int xo);
    }

    /**
     * The definition (class javadoc) for one row, whose blocks ({@code blockBytes} each, an f16 scale first) start at
     * byte {@code rowOff} of {@code data}, times input {@code t} of {@code xq}.
     */
    static float reference(MemorySegment data, long rowOff, int blockBytes, int blocks, Int8Input xq, int t, BlockSum sum) {
        if (xq.cols() != 32 * blocks) {
            throw new IllegalArgumentException("input of " + xq.cols() + " columns for a row of " + 32 * blocks);
        }
        if (t < 0 || t >= xq.n()) throw new IndexOutOfBoundsException("input " + t + " of " + xq.n());
        byte[] xc = xq.codes32();
        float[] xd = xq.scales32();
        int xo = t * xq.cols(), so = t * blocks;
        float[] acc = new float[16];
        long o = rowOff;
        for (int b = 0; b < blocks; b++, o += blockBytes) {
            float dw = Float.float16ToFloat(data.get(F16, o));
            int sumi = sum.sumi(o, xc, xo + 32 * b);
            float s = dw * xd[so + b];
            acc[b & 15] = Math.fma((float) sumi, s, acc[b & 15]);
        }
        return Dot.combine(acc, 0);
    }
}
