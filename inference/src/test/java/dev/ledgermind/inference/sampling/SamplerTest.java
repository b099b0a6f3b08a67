package dev.ledgermind.inference.sampling;

import dev.ledgermind.inference.kernel.Softmax;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The sampler's token equals the definition's, computed here with the comparator sort of boxed indices. */
class SamplerTest {
    /** The definition as first written: every candidate boxed and sorted by the comparator. */
    private static int reference(SamplingParams params, float[] logits, int n, long step) {
        if (params.isGreedy()) return Sampler.argmax(logits, 0, n);
        float[] probs = new float[n];
        float t = params.temperature();
        for (int i = 0; i < n; i++) probs[i] = logits[i] / t;
        Softmax.apply(probs, 0, n);
        float u = SplitMix64.uniform(params.seed(), step);
        boolean filter = params.topK() > 0 || params.topP() < 1f;
        if (!filter) {
            float total = 0f;
            for (int i = 0; i < n; i++) total += probs[i];
            float r = u * total, acc = 0f;
            for (int i = 0; i < n; i++) {
                acc += probs[i];
                if (r < acc) return i;
            }
            return n - 1;
        }
        float cutoff = params.topP() < 1f && n > 1 ? (1f - params.topP()) / (n - 1) : 0f;
        Integer[] order = new Integer[n];
        int m = 0;
        for (int i = 0; i < n; i++) if (probs[i] >= cutoff) order[m++] = i;
        if (m == 0) for (int i = 0; i < n; i++) order[m++] = i;
        final float[] pr = probs;
        Arrays.sort(order, 0, m, (a, b) -> pr[a] != pr[b] ? Float.compare(pr[b], pr[a]) : Integer.compare(a, b));
        if (params.topK() > 0) m = Math.min(m, params.topK());
        if (params.topP() < 1f) {
            float acc = 0f;
            for (int i = 0; i < m; i++) {
                acc += pr[order[i]];
                if (acc >= params.topP()) {
                    m = i + 1;
                    break;
                }
            }
        }
        float total = 0f;
        for (int i = 0; i < m; i++) total += pr[order[i]];
        float r = u * total, acc = 0f;
        for (int i = 0; i < m; i++) {
            acc += pr[order[i]];
            if (r < acc) return order[i];
        }
        return order[m - 1];
    }

    @Test
    void tokensEqualTheComparatorDefinitionWithTiesAndFlatAndPeakedLogits() {
        SplittableRandom r = new SplittableRandom(5);
        SamplingParams[] ps = {
                new SamplingParams(0.8f, 0, 0.9f, 1), new SamplingParams(1.0f, 40, 1f, 2), new SamplingParams(0.7f, 40, 0.95f, 3),
                new SamplingParams(1.3f, 0, 0.5f, 4), new SamplingParams(0.6f, 1, 1f, 5), new SamplingParams(1f, 0, 1f, 6),
                new SamplingParams(0f, 0, 1f, 7), new SamplingParams(2f, 100_000, 0.999f, 8)};
        Sampler[] samplers = new Sampler[ps.length];
        for (int i = 0; i < ps.length; i++) samplers[i] = new Sampler(ps[i]);
        for (int rep = 0; rep < 60; rep++) {
            int n = rep % 3 == 0 ? 5000 : 1 + r.nextInt(700);
            float[] logits = new float[n];
            int kind = rep % 4;
            for (int i = 0; i < n; i++) {
                logits[i] = switch (kind) {
                    case 0 -> (float) r.nextGaussian();                 // flat-ish
                    case 1 -> (float) Math.round(r.nextGaussian() * 2); // many exact ties
                    case 2 -> (float) (r.nextGaussian() * 8);           // peaked
                    default -> i % 7 == 0 ? 30f : -30f;                 // a few tied favourites, tiny or zero tails
                };
            }
            for (int i = 0; i < ps.length; i++) {
                for (long step = 0; step < 3; step++) {
                    assertEquals(reference(ps[i], logits, n, step), samplers[i].sample(logits, 0, n, step),
                            "rep " + rep + ", " + ps[i] + ", step " + step);
                }
            }
        }
    }
}
