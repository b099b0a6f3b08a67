package dev.ledgermind.inference.sampling;

/**
 * The project's sampling PRNG: counter-based SplitMix64, so the random number of any generation step can
 * be computed directly (replay checks step i without replaying steps 0..i-1 in order).
 *
 * <pre>
 *   z = seed + (step + 1) * 0x9E3779B97F4A7C15            (64-bit wrapping arithmetic)
 *   z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9
 *   z = (z ^ (z >>> 27)) * 0x94D049BB133111EB
 *   z =  z ^ (z >>> 31)
 *   uniform(seed, step) = (float) (z >>> 40) * 2^-24      (exact: 24 bits, in [0, 1))
 * </pre>
 */
public final class SplitMix64 {
    private static final long GOLDEN = 0x9E3779B97F4A7C15L;

    private SplitMix64() {
    }

    public static long mix(long seed, long step) {
        long z = seed + (step + 1) * GOLDEN;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** A float in [0, 1) with 24 random bits. */
    public static float uniform(long seed, long step) {
        return (mix(seed, step) >>> 40) * 0x1.0p-24f;
    }
}
