package dev.ledgermind.inference.tensor;

/**
 * The inputs of a matrix product under the {@link ComputeProfile#INT8_Q8} profile: {@code n} rows of {@code cols}
 * floats, and their int8 quantization in the block formats the product's weight types need. One instance is filled
 * by {@link #quantize} on the calling thread before a parallel product and then only read, so every thread of the
 * product sees the same codes. Reused across calls (the arrays grow on demand).
 *
 * <h2>The canonical quantization of a block (one rule for both formats)</h2>
 * For each input row and each block of {@code B} consecutive elements ({@code B} = 32 for {@link #Q8_32}, 256 for
 * {@link #Q8_256}):
 * <pre>
 *   amax = max over the block of |x[i]|, taken on the bit patterns (|x| as an int): so a NaN anywhere gives a NaN
 *   d    = amax / 127f                                   (one binary32 division)
 *   if d is NaN or infinite:      scale = d, every q[i] = 0      (the block's products are then NaN)
 *   else if d &lt; 0x1p-126f:      scale = 0, every q[i] = 0      (zero or subnormal: the block contributes zeros)
 *   else: id = 1f / d, q[i] = rint(x[i] * id)                     (round half to even; |q[i]| &lt;= 127, since the
 *         three roundings of amax * (1 / (amax / 127)) stay below 127.5)
 *   scale = d
 * </pre>
 * Alongside the codes: {@link #Q8_32} keeps each block's code sum ({@link #sums32}), {@link #Q8_256} the sum of every
 * 16 consecutive codes ({@link #sums16}); both are exact integers that kernels use to fold offsets out of their dot
 * products. Codes are stored in element order, input {@code t}'s at {@code t * cols}.
 *
 * <p>Where the native library is loaded and native kernels are allowed ({@code Int8Kernels.QUANTIZE_ON}), both
 * formats are quantized by its {@code lm_i8_quantize}, the same rule in AVX-512 with the same bits as
 * {@link #quantizeBlock} ({@code Int8NativeBitExactnessTest}); else by {@link #quantizeBlock}.
 */
public final class Int8Input {
    /** Format bit: blocks of 32 (the integer-code types Q8_0, Q4_0, Q5_0). */
    public static final int Q8_32 = 1;
    /** Format bit: blocks of 256 (the K-quants Q4_K, Q5_K, Q6_K, like llama.cpp's Q8_K). */
    public static final int Q8_256 = 2;

    private float[] x;
    private int xOff, xStride, n, cols, formats;
    private byte[] codes32 = new byte[0], codes256 = new byte[0];
    private float[] scales32 = new float[0], scales256 = new float[0];
    private int[] sums32 = new int[0], sums16 = new int[0];

    /**
     * Takes {@code n} inputs of {@code cols} floats ({@code x[xOff + t * xStride ..]}) and quantizes them in the given
     * formats ({@link #Q8_32} | {@link #Q8_256}; 0 = none, for products of types with no integer product). The float
     * input is kept by reference: it must not change while the product runs.
     */
    public Int8Input quantize(float[] x, int xOff, int xStride, int n, int cols, int formats) {
        if (n < 0 || cols < 0 || xOff < 0 || (n > 0 && xOff + (long) (n - 1) * xStride + cols > x.length)) {
            throw new IndexOutOfBoundsException("input of " + n + "x" + cols + " at " + xOff + " (stride " + xStride
                    + ") exceeds " + x.length);
        }
        if ((formats & Q8_32) != 0 && cols % 32 != 0) throw new IllegalArgumentException(cols + " columns is not a multiple of 32");
        if ((formats & Q8_256) != 0 && cols % 256 != 0) throw new IllegalArgumentException(cols + " columns is not a multiple of 256");
        this.x = x;
        this.xOff = xOff;
        this.xStride = xStride;
        this.n = n;
        this.cols = cols;
        this.formats = formats;
        int total = n * cols;
        if ((formats & Q8_32) != 0) {
            if (codes32.length < total) codes32 = new byte[total];
            if (scales32.length < total / 32) {
                scales32 = new float[total / 32];
                sums32 = new int[total / 32];
            }
            if (Int8Kernels.QUANTIZE_ON) {
                Int8Kernels.quantize(x, xOff, xStride, n, cols, 32, codes32, scales32, sums32);
            } else {
                for (int t = 0; t < n; t++) {
                    for (int b = 0; b < cols / 32; b++) {
                        int blk = t * (cols / 32) + b;
                        scales32[blk] = quantizeBlock(x, xOff + t * xStride + 32 * b, 32, codes32, t * cols + 32 * b);
                        sums32[blk] = sum(codes32, t * cols + 32 * b, 32);
                    }
                }
            }
        }
        if ((formats & Q8_256) != 0) {
            if (codes256.length < total) codes256 = new byte[total];
            if (scales256.length < total / 256) scales256 = new float[total / 256];
            if (sums16.length < total / 16) sums16 = new int[total / 16];
            if (Int8Kernels.QUANTIZE_ON) {
                Int8Kernels.quantize(x, xOff, xStride, n, cols, 256, codes256, scales256, sums16);
            } else {
                for (int t = 0; t < n; t++) {
                    for (int b = 0; b < cols / 256; b++) {
                        scales256[t * (cols / 256) + b] =
                                quantizeBlock(x, xOff + t * xStride + 256 * b, 256, codes256, t * cols + 256 * b);
                    }
                    for (int g = 0; g < cols / 16; g++) sums16[t * (cols / 16) + g] = sum(codes256, t * cols + 16 * g, 16);
                }
            }
        }
        return this;
    }

    /** The canonical quantization of one block (class javadoc): writes its codes, returns its scale. */
    public static float quantizeBlock(float[] x, int off, int len, byte[] q, int qOff) {
        int bits = 0;
        for (int i = 0; i < len; i++) bits = Math.max(bits, Float.floatToRawIntBits(x[off + i]) & 0x7fffffff);
        float d = Float.intBitsToFloat(bits) / 127f;
        if (Float.isNaN(d) || Float.isInfinite(d) || d < 0x1p-126f) {
            for (int i = 0; i < len; i++) q[qOff + i] = 0;
            return Float.isNaN(d) || Float.isInfinite(d) ? d : 0f;
        }
        float id = 1f / d;
        for (int i = 0; i < len; i++) q[qOff + i] = (byte) (int) Math.rint(x[off + i] * id);
        return d;
    }

    private static int sum(byte[] q, int off, int len) {
        int s = 0;
        for (int i = 0; i < len; i++) s += q[off + i];
        return s;
    }

    /** The float inputs (for the types with no integer product). */
    public float[] x() {
        return x;
    }

    public int xOff() {
        return xOff;
    }

    public int xStride() {
        return xStride;
    }

    /** The number of inputs. */
    public int n() {
        return n;
    }

    public int cols() {
        return cols;
    }

    /** The formats quantized by the last {@link #quantize}. */
    public int formats() {
        return formats;
    }

    /** {@link #Q8_32} codes: input t's element i at {@code t * cols + i}. */
    public byte[] codes32() {
        return require(Q8_32, codes32);
    }

    /** {@link #Q8_32} scales: input t's block b at {@code t * cols / 32 + b}. */
    public float[] scales32() {
        return require(Q8_32, scales32);
    }

    /** {@link #Q8_32} code sums per block, indexed as {@link #scales32}. */
    public int[] sums32() {
        return require(Q8_32, sums32);
    }

    /** {@link #Q8_256} codes: input t's element i at {@code t * cols + i}. */
    public byte[] codes256() {
        return require(Q8_256, codes256);
    }

    /** {@link #Q8_256} scales: input t's block b at {@code t * cols / 256 + b}. */
    public float[] scales256() {
        return require(Q8_256, scales256);
    }

    /** {@link #Q8_256} code sums per 16 elements: input t's group g at {@code t * cols / 16 + g}. */
    public int[] sums16() {
        return require(Q8_256, sums16);
    }

    private <T> T require(int format, T array) {
        if ((formats & format) == 0) {
            throw new IllegalStateException("the input was not quantized in format " + (format == Q8_32 ? "Q8_32" : "Q8_256"));
        }
        return array;
    }
}
