package dev.ledgermind.chain.softfloat;

/**
 * Seeded generator of binary32 and binary64 operands, weighted towards the cases softfloat gets wrong:
 * subnormals, signed zeros, infinities, NaNs with any payload, the largest and smallest exponents,
 * short significands (whose sums and products land exactly on ties), operands one or a few places
 * apart (ties and sticky bits in additions, cancellation), and pairs whose product or quotient lands on
 * the overflow or underflow boundary. The PRNG is splitmix64, written out here so that a seed gives the
 * same operands on every JDK.
 */
final class FloatInputs {
    private long state;

    FloatInputs(long seed) {
        this.state = seed;
    }

    long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    int nextInt(int bound) {
        return (int) Long.remainderUnsigned(nextLong(), bound);
    }

    // ------------------------------------------------------------------ binary32

    private static final int[] SPECIAL32 = {
            0x00000000, 0x80000000, 0x7f800000, 0xff800000, 0x7fc00000, 0xffc00000, 0x7f800001, 0xff812345,
            0x7fffffff, 0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00800000, 0x80800000, 0x7f7fffff,
            0xff7fffff, 0x3f800000, 0xbf800000, 0x3f800001, 0x3f7fffff, 0x00400000, 0x4b800000, 0x33800000,
    };

    /** One binary32 bit pattern from the weighted mixture. */
    int float32() {
        long z = nextLong();
        int sign = (int) (z >>> 63) << 31;
        int frac = (int) (z >>> 8) & 0x7fffff;
        switch ((int) (z & 15)) {
            case 0, 1, 2, 3, 4:
                return sign | (107 + (int) ((z >>> 40) % 41)) << 23 | frac; // moderate: 2^-20 .. 2^20
            case 5:
                return (int) (z >>> 16); // any pattern: NaNs with payloads, infinities now and then
            case 6:
                return sign | frac >>> (int) ((z >>> 40) % 23); // subnormal, often with few bits
            case 7:
                return SPECIAL32[(int) ((z >>> 40) % SPECIAL32.length)];
            case 8:
                return sign | (230 + (int) ((z >>> 40) % 25)) << 23 | frac; // huge
            case 9:
                return sign | (1 + (int) ((z >>> 40) % 25)) << 23 | frac; // tiny normal
            case 10, 11:
                return sign | (90 + (int) ((z >>> 40) % 75)) << 23 | shortFraction32(z); // ties
            default:
                return sign | (1 + (int) ((z >>> 40) % 254)) << 23 | frac; // any finite normal
        }
    }

    /** A fraction with its low 10..23 bits zero, so that sums and products often fall on ties. */
    private static int shortFraction32(long z) {
        int zeros = 10 + (int) ((z >>> 50) % 14);
        return ((int) (z >>> 8) & 0x7fffff) >>> zeros << zeros;
    }

    /**
     * A second operand for {@code a}: half the time drawn on its own, otherwise related to it: a few
     * exponent places away with a short fraction (ties and sticky bits in a sum), its negation or its
     * negation one place off (cancellation), a power of two, or an exponent that puts a product or a
     * quotient at the edge of overflow or underflow.
     */
    int partner32(int a, boolean forProduct) {
        long z = nextLong();
        int sign = (int) (z >>> 63) << 31;
        int ea = (a >>> 23) & 0xff;
        int frac = (int) (z >>> 8) & 0x7fffff;
        switch ((int) (z & 15)) {
            case 0, 1, 2, 3, 4, 5, 6, 7:
                return float32();
            case 8, 9: {
                int e = clampExp32(ea - (int) ((z >>> 40) % 30) + 2);
                return sign | e << 23 | shortFraction32(z);
            }
            case 10:
                return a ^ 0x80000000;
            case 11:
                return (a ^ 0x80000000) + (int) ((z >>> 40) % 5) - 2;
            case 12: {
                int e = clampExp32(ea + (int) ((z >>> 40) % 60) - 30);
                return sign | e << 23;
            }
            default: {
                // ea + eb - 127 near 254 (overflow) or near -24..1 (underflow) for a product; for a quotient
                // ea - eb + 127 near the same edges
                int target = (z & 16) == 0 ? 254 + (int) ((z >>> 40) % 5) - 2 : -24 + (int) ((z >>> 40) % 27);
                int e = forProduct ? target - ea + 127 : ea - target + 127;
                return sign | clampExp32(e) << 23 | frac;
            }
        }
    }

    private static int clampExp32(int e) {
        return Math.max(0, Math.min(254, e));
    }

    // ------------------------------------------------------------------ binary64

    private static final long[] SPECIAL64 = {
            0L, 0x8000000000000000L, 0x7ff0000000000000L, 0xfff0000000000000L, 0x7ff8000000000000L,
            0xfff8000000000000L, 0x7ff0000000000001L, 0x0000000000000001L, 0x800fffffffffffffL,
            0x0010000000000000L, 0x7fefffffffffffffL, 0x3ff0000000000000L, 0xbff0000000000000L,
    };

    /** One binary64 bit pattern from the weighted mixture. */
    long float64() {
        long z = nextLong();
        long y = nextLong();
        long sign = z & 0x8000000000000000L;
        long frac = y & 0xfffffffffffffL;
        switch ((int) (z & 15)) {
            case 0, 1, 2, 3, 4:
                return sign | (long) (1023 - 30 + (int) ((z >>> 20) % 61)) << 52 | frac;
            case 5:
                return y;
            case 6:
                return sign | frac >>> (int) ((z >>> 20) % 52);
            case 7:
                return SPECIAL64[(int) ((z >>> 20) % SPECIAL64.length)];
            case 8:
                return sign | (long) (1990 + (int) ((z >>> 20) % 57)) << 52 | frac;
            case 9:
                return sign | (long) (1 + (int) ((z >>> 20) % 57)) << 52 | frac;
            case 10, 11: {
                int zeros = 20 + (int) ((z >>> 40) % 33);
                return sign | (long) (1023 - 60 + (int) ((z >>> 20) % 121)) << 52 | (frac >>> zeros << zeros);
            }
            default:
                return sign | (long) (1 + (int) ((z >>> 20) % 2046)) << 52 | frac;
        }
    }

    /** A second binary64 operand for {@code a}, related to it as {@link #partner32} does. */
    long partner64(long a, boolean forProduct) {
        long z = nextLong();
        long y = nextLong();
        long sign = z & 0x8000000000000000L;
        int ea = (int) (a >>> 52) & 0x7ff;
        switch ((int) (z & 15)) {
            case 0, 1, 2, 3, 4, 5, 6, 7:
                return float64();
            case 8, 9: {
                int zeros = 20 + (int) ((z >>> 40) % 33);
                long e = clampExp64(ea - (int) ((z >>> 20) % 60) + 2);
                return sign | e << 52 | ((y & 0xfffffffffffffL) >>> zeros << zeros);
            }
            case 10:
                return a ^ 0x8000000000000000L;
            case 11:
                return (a ^ 0x8000000000000000L) + (int) ((z >>> 20) % 5) - 2;
            default: {
                int target = (z & 16) == 0 ? 2046 + (int) ((z >>> 20) % 5) - 2 : -53 + (int) ((z >>> 20) % 56);
                int e = forProduct ? target - ea + 1023 : ea - target + 1023;
                return sign | clampExp64(e) << 52 | (y & 0xfffffffffffffL);
            }
        }
    }

    private static long clampExp64(int e) {
        return Math.max(0, Math.min(2046, e));
    }
}
