package dev.ledgermind.inference.generate;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.QuantMix;
import dev.ledgermind.inference.llama.TinyModels;
import dev.ledgermind.inference.sampling.SamplingParams;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Replay accepts an honest output and reproduces generation's trace root and result hash (on another
 * thread count and width too), and rejects the output with any single token changed, at every position,
 * naming that position; an output cut short without an end token is rejected too.
 */
class ReplayTest {
    @ParameterizedTest(name = "{0} {1} {2} temperature {3}")
    @CsvSource({"llama3, q8_0, tiny, 0.9", "qwen2, q4_k, tiny, 0", "llama2, q4_0, tiny, 1.2",
            "llama3, q4_k_m, tiny-unaligned, 0.9", "qwen2, q5_k_m, tiny-unaligned, 0", "mistral, q5_k_m, tiny, 0.9"})
    void acceptsHonestOutputAndRejectsAnySingleChangedToken(String family, String mix, String shape, float temperature) throws Exception {
        int max = 10;
        SamplingParams sp = new SamplingParams(temperature, 50, 0.95f, 99L);
        try (LlamaModel m = LlamaModel.load(TinyModels.path(family, QuantMix.parse(mix), shape)); Parallel one = new Parallel(1); Parallel two = new Parallel(2)) {
            Generator g = new Generator(m, KernelConfig.ofBits(256), two);
            int[] prompt = g.promptTokens("What is the capital of France?");
            GenerationResult gen = g.generate(prompt, max, sp, null);
            assertEquals(max, gen.tokens().length, "the tiny model does not stop early here");
            Replay replay = new Replay(m, KernelConfig.ofBits(128), one);
            ReplayResult honest = replay.replay(prompt, gen.tokens(), max, sp);
            assertTrue(honest.accepted(), honest.reason());
            assertEquals(gen.traceRoot(), honest.traceRoot());
            assertEquals(gen.leafCount(), honest.leafCount());
            assertArrayEquals(gen.resultHash(), honest.resultHash());
            int vocab = m.config().vocab();
            for (int i = 0; i < max; i++) {
                int[] forged = gen.tokens().clone();
                forged[i] = (forged[i] + 1 + i) % vocab;
                if (m.tokenizer().isEndOfGeneration(forged[i])) forged[i] = (forged[i] + 1) % vocab;
                ReplayResult r = replay.replay(prompt, forged, max, sp);
                assertFalse(r.accepted(), "token " + i + " changed");
                assertEquals(i, r.firstMismatch(), r.reason());
                assertEquals(gen.tokens()[i], r.expectedToken());
            }
            int[] cut = java.util.Arrays.copyOf(gen.tokens(), 6);
            ReplayResult shortRun = replay.replay(prompt, cut, max, sp);
            assertFalse(shortRun.accepted(), shortRun.reason());
            assertEquals(6, shortRun.firstMismatch());
        }
    }
}
