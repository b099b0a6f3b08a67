package dev.ledgermind.inference.sampling;

import dev.ledgermind.inference.kernel.Softmax;

import java.util.Arrays;

/**
 * Chooses the token at generation step {@code step} from a logits vector, exactly and everywhere alike.
 *
 * <h2>Definition</h2>
 * <ul>
 *   <li>Greedy ({@code temperature == 0}): the index of the largest logit; the lowest index on ties.</li>
 *   <li>Otherwise: {@code p[i] = logits[i] / temperature} (binary32 division), then {@link Softmax}. The
 *   candidates are every index in increasing order, or, when top-k or top-p is on, the indices sorted by
 *   {@code p} descending (ties: lower index first) and cut to the first {@code k}, then to the shortest prefix
 *   whose running binary32 sum (in that order) reaches {@code topP}. Indices with {@code p < (1 - topP) / (n - 1)}
 *   cannot be in that prefix and are dropped before sorting (a speed-up that does not change the result).
 *   With {@code total} the binary32 sum of the candidates' p in candidate order and
 *   {@code r = SplitMix64.uniform(seed, step) * total}, the token is the first candidate at which the running
 *   sum exceeds {@code r} (the last candidate if rounding leaves none).</li>
 * </ul>
 * Not thread-safe (keeps scratch buffers).
 */
public final class Sampler {
    private final SamplingParams params;
    private float[] probs = new float[0];
    private Integer[] order = new Integer[0];

    public Sampler(SamplingParams params) {
        this.params = params;
    }

    public SamplingParams params() {
        return params;
    }

    public int sample(float[] logits, int off, int n, long step) {
        if (params.isGreedy()) return argmax(logits, off, n);
        if (probs.length < n) probs = new float[n];
        float t = params.temperature();
        for (int i = 0; i < n; i++) probs[i] = logits[off + i] / t;
        Softmax.apply(probs, 0, n);
        float u = SplitMix64.uniform(params.seed(), step);
        boolean filter = params.topK() > 0 || params.topP() < 1f;
        if (!filter) {
            float total = 0f;
            for (int i = 0; i < n; i++) total += probs[i];
            float r = u * total;
            float acc = 0f;
            for (int i = 0; i < n; i++) {
                acc += probs[i];
                if (r < acc) return i;
            }
            return n - 1;
        }
        float cutoff = params.topP() < 1f && n > 1 ? (1f - params.topP()) / (n - 1) : 0f;
        int[] ord = candidates(n, cutoff);
        int m = candidateCount;
        final float[] pr = probs;
        if (params.topK() > 0) m = Math.min(m, params.topK());
        if (params.topP() < 1f) {
            float acc = 0f;
            for (int i = 0; i < m; i++) {
                acc += pr[ord[i]];
                if (acc >= params.topP()) {
                    m = i + 1;
                    break;
                }
            }
        }
        float total = 0f;
        for (int i = 0; i < m; i++) total += pr[ord[i]];
        float r = u * total;
        float acc = 0f;
        for (int i = 0; i < m; i++) {
            acc += pr[ord[i]];
            if (r < acc) return ord[i];
        }
        return ord[m - 1];
    }

    private long[] keys = new long[0];
    private int[] sorted = new int[0];
    private int candidateCount;

    /**
     * The candidates ({@code p >= cutoff}, or every index if none is), sorted by p descending, ties by lower index, into
     * the first {@link #candidateCount} entries of the returned array. Non-negative binary32 values that are not NaN
     * order as their bit patterns do, so each candidate is one long key, {@code ~bits(p) << 32 | index}, and a
     * primitive sort of the keys gives exactly the comparator's order (about ten times faster than sorting boxed
     * indices with it: a vocabulary of 128,256 took tens of milliseconds a token). Anything else (a NaN, a negative
     * zero, no candidate above the cutoff) takes the comparator itself.
     */
    private int[] candidates(int n, float cutoff) {
        final float[] pr = probs;
        if (keys.length < n) keys = new long[n];
        if (sorted.length < n) sorted = new int[n];
        int m = 0;
        boolean plain = true;
        for (int i = 0; i < n; i++) {
            float p = pr[i];
            if (p >= cutoff) {
                int b = Float.floatToRawIntBits(p);
                if (b < 0 || b > 0x7f800000) plain = false;
                keys[m++] = (long) ~b << 32 | i;
            }
        }
        if (plain && m > 0) {
            Arrays.sort(keys, 0, m);
            for (int i = 0; i < m; i++) sorted[i] = (int) keys[i];
            candidateCount = m;
            return sorted;
        }
        if (order.length < n) order = new Integer[n];
        m = 0;
        for (int i = 0; i < n; i++) if (pr[i] >= cutoff) order[m++] = i;
        if (m == 0) for (int i = 0; i < n; i++) order[m++] = i;
        Arrays.sort(order, 0, m, (a, b) -> pr[a] != pr[b] ? Float.compare(pr[b], pr[a]) : Integer.compare(a, b));
        for (int i = 0; i < m; i++) sorted[i] = order[i];
        candidateCount = m;
        return sorted;
    }

    /** The index of the largest value, lowest index on ties (NaN never wins). */
    public static int argmax(float[] x, int off, int n) {
        int best = 0;
        float bv = Float.NEGATIVE_INFINITY;
        boolean any = false;
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            if (!any || v > bv) {
                if (Float.isNaN(v)) continue;
                bv = v;
                best = i;
                any = true;
            }
        }
        return best;
    }
}
