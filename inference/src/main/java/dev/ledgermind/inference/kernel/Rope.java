package dev.ledgermind.inference.kernel;

/**
 * Rotary position embedding with precomputed sin/cos tables (DESIGN.md section 3 rule 5).
 *
 * <h2>Tables</h2>
 * For pair index {@code i} in {@code [0, rotDim/2)}: {@code freq_i = StrictMath.pow(base, -2i/rotDim) / factor_i}
 * in binary64 (factor_i is 1, or the per-pair factor of a {@code rope_freqs} tensor), and for position
 * {@code p}: {@code angle = (p / linearScale) * freq_i} in binary64; the table holds
 * {@code (float) StrictMath.cos(angle)} and {@code (float) StrictMath.sin(angle)}. fdlibm makes the tables
 * identical on every platform.
 *
 * <h2>Rotation (one head of {@code headDim} floats)</h2>
 * Pair {@code (a, b)} is {@code (x[2i], x[2i+1])} for {@link Pairing#NORM} (llama) or
 * {@code (x[i], x[i + rotDim/2])} for {@link Pairing#NEOX} (qwen2). Then, in binary32 with each product
 * rounded: {@code a' = a*c - b*s}, {@code b' = a*s + b*c}. Elements at or beyond {@code rotDim} are left
 * unchanged. One scalar implementation serves every configuration (it is a tiny share of the work).
 */
public final class Rope {
    /** How a head's elements are paired for rotation. */
    public enum Pairing { NORM, NEOX }

    private final int rotDim;
    private final int half;
    private final Pairing pairing;
    private final float[] cos;
    private final float[] sin;
    private final int positions;

    /**
     * @param factors per-pair frequency divisors ({@code rotDim/2} of them) or null
     * @param linearScale positions are divided by this (1 for none)
     */
    public Rope(int rotDim, int positions, double base, float[] factors, double linearScale, Pairing pairing) {
        if (rotDim <= 0 || rotDim % 2 != 0) throw new IllegalArgumentException("rope dimension must be even and positive, found " + rotDim);
        this.rotDim = rotDim;
        this.half = rotDim / 2;
        this.pairing = pairing;
        this.positions = positions;
        this.cos = new float[positions * half];
        this.sin = new float[positions * half];
        for (int i = 0; i < half; i++) {
            double freq = StrictMath.pow(base, -2.0 * i / rotDim);
            if (factors != null) freq = freq / factors[i];
            for (int p = 0; p < positions; p++) {
                double angle = (p / linearScale) * freq;
                cos[p * half + i] = (float) StrictMath.cos(angle);
                sin[p * half + i] = (float) StrictMath.sin(angle);
            }
        }
    }

    public int positions() {
        return positions;
    }

    /** Rotated elements per head (even; at most the head dimension). */
    public int rotDim() {
        return rotDim;
    }

    public Pairing pairing() {
        return pairing;
    }

    /** The table's cosine of position {@code p}, pair {@code i} ({@code i < rotDim/2}). */
    public float cos(int p, int i) {
        return cos[p * half + i];
    }

    /** The table's sine of position {@code p}, pair {@code i}. */
    public float sin(int p, int i) {
        return sin[p * half + i];
    }

    /** Rotates the head at {@code x[off .. off+headDim)} for position {@code p}. */
    public void apply(float[] x, int off, int p) {
        if (p < 0 || p >= positions) throw new IndexOutOfBoundsException("position " + p + " outside the RoPE table of " + positions);
        int t = p * half;
        if (pairing == Pairing.NORM) {
            for (int i = 0; i < half; i++) {
                float c = cos[t + i], s = sin[t + i];
                float a = x[off + 2 * i], b = x[off + 2 * i + 1];
                x[off + 2 * i] = a * c - b * s;
                x[off + 2 * i + 1] = a * s + b * c;
            }
        } else {
            for (int i = 0; i < half; i++) {
                float c = cos[t + i], s = sin[t + i];
                float a = x[off + i], b = x[off + i + half];
                x[off + i] = a * c - b * s;
                x[off + i + half] = a * s + b * c;
            }
        }
    }
}
