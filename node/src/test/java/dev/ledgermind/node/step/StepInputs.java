package dev.ledgermind.node.step;

import java.util.SplittableRandom;

/**
 * Seeded random operands for the referee's parity vectors, weighted towards the cases where an implementation goes
 * wrong: subnormals, signed zeros, infinities, NaNs with payloads (and either sign), extreme exponents, short
 * significands (products and sums that land on ties), plus realistic activations and weights (gaussian, of a few
 * magnitudes) and cancelling pairs for the reductions.
 */
final class StepInputs {
    private final SplittableRandom r;

    StepInputs(long seed) {
        r = new SplittableRandom(seed);
    }

    int nextInt(int bound) {
        return r.nextInt(bound);
    }

    boolean chance(int percent) {
        return r.nextInt(100) < percent;
    }

    /** A realistic activation or weight: gaussian times a magnitude between 1e-3 and 1e2. */
    int realistic() {
        double g = gaussian() * Math.pow(10, -3 + 5 * r.nextDouble());
        return Float.floatToRawIntBits((float) g);
    }

    private double gaussian() {
        // Box-Muller from the seeded stream (SplittableRandom has no nextGaussian before Java 17's RandomGenerator
        // default, whose algorithm is not pinned across releases)
        double u = 1 - r.nextDouble(), v = r.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    /** A binary32 bit pattern from the weighted mix. */
    int float32() {
        int sign = r.nextInt(2) << 31;
        int k = r.nextInt(100);
        if (k < 25) return realistic();
        if (k < 37) return sign | (1 + r.nextInt(0x7fffff)); // subnormal
        if (k < 45) return sign; // +0 or -0
        if (k < 50) return sign | 0x7f800000; // infinity
        if (k < 55) return sign | 0x7f800000 | (1 + r.nextInt(0x7fffff)); // NaN with a payload
        if (k < 65) { // extreme exponents
            int e = r.nextInt(2) == 0 ? 1 + r.nextInt(12) : 242 + r.nextInt(13);
            return sign | (e << 23) | r.nextInt(0x800000);
        }
        if (k < 78) return shortSignificand(sign);
        if (k < 85) return Float.floatToRawIntBits((r.nextInt(2) == 0 ? 1 : -1) * (r.nextInt(9) * 0.5f)); // small halves
        return r.nextInt(); // any pattern
    }

    /** A value with few significant bits at a moderate exponent: sums and products of them often tie. */
    int shortSignificand(int sign) {
        int e = 100 + r.nextInt(55);
        int bits = 1 + r.nextInt(4);
        int mant = (r.nextInt(1 << bits) << (23 - bits)) & 0x7fffff;
        return sign | (e << 23) | mant;
    }

    /** A vector of n operands in one style: realistic, weighted mix, short significands or scaled far out. */
    int[] vector(int n, int style) {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
            v[i] = switch (style) {
                case 0 -> realistic();
                case 1 -> float32();
                case 2 -> shortSignificand(r.nextInt(2) << 31);
                default -> Float.floatToRawIntBits(Float.intBitsToFloat(realistic()) * (float) Math.scalb(1.0, r.nextInt(2) == 0 ? -60 - r.nextInt(60) : 40 + r.nextInt(40)));
            };
        }
        return v;
    }

    /** A style for a reduction's operand vectors: mostly realistic, then the weighted mix, ties and far scales. */
    int style() {
        int k = r.nextInt(100);
        return k < 45 ? 0 : k < 75 ? 1 : k < 90 ? 2 : 3;
    }

    /**
     * Makes a[] . b[] cancel: for about half the elements j >= 16, a[j] = -a[j-16] and b[j] = b[j-16], so partial
     * j mod 16 receives a product and its negation (the fma leaves exactly the first product's rounding error).
     */
    void cancel(int[] a, int[] b) {
        for (int j = 16; j < a.length; j++) {
            if (r.nextInt(2) == 0) {
                a[j] = a[j - 16] ^ 0x80000000;
                b[j] = b[j - 16];
            }
        }
    }

    /**
     * A length for a reduction of up to maxLen elements in chunks of `chunk`: one chunk's worth about half the time
     * (a whole chunk a quarter of those), two chunks a third, more the rest; never above maxLen.
     */
    int length(int maxLen, int chunk) {
        int k = r.nextInt(100);
        int chunks = k < 55 ? 1 : k < 85 ? 2 : 3;
        int upper = Math.min(maxLen, chunk * chunks);
        int lower = Math.min(upper, chunk * (chunks - 1) + 1);
        if (r.nextInt(4) == 0) return upper;
        return lower + r.nextInt(upper - lower + 1);
    }

    static float f(int bits) {
        return Float.intBitsToFloat(bits);
    }

    static int bits(float x) {
        return Float.floatToIntBits(x); // canonical NaN, as the referee returns
    }
}
