package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.kernel.Dot;

import java.lang.foreign.MemorySegment;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

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
 */
final class Int8Kernels {
    private Int8Kernels() {
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
