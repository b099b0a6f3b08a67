package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.generate.GenerationResult;
import dev.ledgermind.inference.generate.Generator;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.ThreadPools;
import dev.ledgermind.inference.sampling.SamplingParams;
import dev.ledgermind.inference.step.StepEngine;
import dev.ledgermind.inference.tensor.ComputeProfile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The int8-q8 compute profile end to end on tiny models: the same tokens, logits bits and trace roots at every vector
 * width, with native kernels on and off, at 1, 2 and 4 threads, and batched or one position at a time; different from
 * the binary32 profile's exactly where a matrix has an integer product; refused by the step program.
 */
class Int8ProfileDeterminismTest {
    static final SamplingParams SAMPLING = new SamplingParams(0.9f, 40, 0.95f, 99L);

    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    private static GenerationResult run(LlamaModel m, KernelConfig cfg, Parallel par) {
        Generator g = new Generator(m, cfg, par);
        return g.generate(g.promptTokens("Why is the sky blue? Hello, world!"), 6, SAMPLING, null);
    }

    private static void assertSame(GenerationResult base, GenerationResult r, String what) {
        assertArrayEquals(base.tokens(), r.tokens(), what + ": tokens");
        assertArrayEquals(base.logitsHash(), r.logitsHash(), what + ": logits bits");
        assertEquals(base.traceRoot(), r.traceRoot(), what + ": trace root");
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"llama3, q8_0, tiny", "llama3, q4_0, tiny", "qwen2, q5_0, tiny", "llama3, q4_k, tiny", "llama3, q5_k, tiny",
            "llama3, q6_k, tiny", "qwen2, q4_k_m, tiny", "llama3, q4_k_m, tiny-unaligned", "qwen2, q5_k_m, tiny-unaligned"})
    void everyWidthThreadCountAndKernelGivesTheSameBits(String family, String mix, String shape) throws Exception {
        try (LlamaModel m = LlamaModel.load(TinyModels.path(family, QuantMix.parse(mix), shape), ComputeProfile.INT8_Q8)) {
            GenerationResult base = run(m, KernelConfig.scalar(), POOLS.pools()[0]);
            assertTrue(base.leafCount() > 0);
            assertSame(base, run(m, KernelConfig.ofBits(128), POOLS.pools()[1]), "128 bits, 2 threads");
            assertSame(base, run(m, KernelConfig.ofBits(256), POOLS.pools()[2]), "256 bits, 4 threads");
            for (boolean nat : new boolean[]{false, true}) {
                KernelConfig cfg = KernelConfig.ofBits(512).withNative(nat);
                for (Parallel par : POOLS.pools()) assertSame(base, run(m, cfg, par), cfg + ", " + par.threads() + " threads");
            }
        }
    }

    /** The profile is really used: every type with an integer product changes the bits; the others do not. */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"q8_0, true", "q4_0, true", "q5_0, true", "q4_k, true", "q5_k, true", "q6_k, true", "q4_k_m, true",
            "f32, false", "f16, false", "q4_1, false", "q5_1, false"})
    void theInt8ProfileChangesExactlyTheTypesWithAnIntegerProduct(String mix, boolean changes) throws Exception {
        var path = TinyModels.path("llama3", QuantMix.parse(mix), "tiny");
        try (LlamaModel f = LlamaModel.load(path); LlamaModel i = LlamaModel.load(path, ComputeProfile.INT8_Q8)) {
            assertEquals(ComputeProfile.BINARY32, f.profile());
            assertEquals(ComputeProfile.INT8_Q8, i.profile());
            GenerationResult a = run(f, KernelConfig.defaults(), POOLS.pools()[1]), b = run(i, KernelConfig.defaults(), POOLS.pools()[1]);
            if (changes) assertNotEquals(a.traceRoot(), b.traceRoot(), mix + ": int8 trace root differs from binary32's");
            else assertSame(a, b, mix + " has no integer product");
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"qwen2, q4_0, tiny", "llama3, q4_k_m, tiny-unaligned", "llama3, q8_0, tiny"})
    void batchedPrefillGivesEachPositionTheBitsOfDecodingItAlone(String family, String mix, String shape) throws Exception {
        try (LlamaModel m = LlamaModel.load(TinyModels.path(family, QuantMix.parse(mix), shape), ComputeProfile.INT8_Q8)) {
            int vocab = m.config().vocab();
            int[] tokens = new Generator(m, KernelConfig.defaults(), POOLS.pools()[0])
                    .promptTokens("The quick brown fox jumps over the lazy dog. A ledger records what happened, in order, and 2026 too.");
            int n = tokens.length;
            assertTrue(n > LlamaState.MAX_BATCH, "the prompt spans more than one internal chunk");
            KernelConfig cfg = KernelConfig.defaults();
            LlamaState batched = new LlamaState(m, n, cfg, POOLS.pools()[2]);
            float[] all = new float[n * vocab];
            List<byte[]> leavesBatched = new ArrayList<>();
            batched.forward(tokens, 0, n, 0, all, (p, l, h) -> leavesBatched.add(h));
            LlamaState single = new LlamaState(m, n, cfg, POOLS.pools()[0]);
            float[] one = new float[vocab];
            List<byte[]> leavesSingle = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                single.forward(tokens, t, 1, 0, one, (p, l, h) -> leavesSingle.add(h));
                for (int i = 0; i < vocab; i++) {
                    assertEquals(Float.floatToRawIntBits(one[i]), Float.floatToRawIntBits(all[t * vocab + i]), "position " + t + " logit " + i);
                }
            }
            assertEquals(leavesSingle.size(), leavesBatched.size());
            for (int i = 0; i < leavesSingle.size(); i++) assertArrayEquals(leavesSingle.get(i), leavesBatched.get(i), "leaf " + i);
        }
    }

    @Test
    void theStepProgramRefusesTheInt8Profile() throws Exception {
        try (LlamaModel m = LlamaModel.load(TinyModels.path("llama3", GgmlType.Q8_0), ComputeProfile.INT8_Q8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new StepEngine(m));
            assertTrue(e.getMessage().contains("binary32") && e.getMessage().contains("int8-q8"), e.getMessage());
        }
    }
}
