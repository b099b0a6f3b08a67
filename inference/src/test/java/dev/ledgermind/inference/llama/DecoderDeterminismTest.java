package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.generate.GenerationResult;
import dev.ledgermind.inference.generate.Generator;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.ThreadPools;
import dev.ledgermind.inference.sampling.SamplingParams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The same model, prompt and seed give identical token ids, logits bits (hashed over every sampled step)
 * and trace root at every vector width (scalar, 128, 256, 512 bits) and thread count (1, 2, 4), for every
 * architecture family and weight type; and a batched prefill gives each position the bits of decoding it
 * alone.
 */
class DecoderDeterminismTest {
    static final String[] FAMILIES = {"llama2", "llama3", "mistral", "smollm", "qwen2"};
    static final GgmlType[] TYPES = {GgmlType.F32, GgmlType.F16, GgmlType.BF16, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q5_0,
            GgmlType.Q4_1, GgmlType.Q5_1, GgmlType.Q4_K, GgmlType.Q5_K, GgmlType.Q6_K};

    /** Every weight type alone, then llama.cpp's K_M mixtures (Q6_K output, some attn_v/ffn_down layers Q6_K). */
    static List<QuantMix> mixes() {
        List<QuantMix> m = new ArrayList<>();
        for (GgmlType t : TYPES) m.add(new QuantMix.Pure(t));
        m.add(QuantMix.KMix.Q4_K_M);
        m.add(QuantMix.KMix.Q5_K_M);
        return m;
    }
    static final SamplingParams SAMPLING = new SamplingParams(0.9f, 40, 0.95f, 1234L);

    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    private static GenerationResult run(LlamaModel m, int bits, Parallel par, SamplingParams s, int maxTokens) {
        return run(m, KernelConfig.ofBits(bits), par, s, maxTokens);
    }

    private static GenerationResult run(LlamaModel m, KernelConfig cfg, Parallel par, SamplingParams s, int maxTokens) {
        Generator g = new Generator(m, cfg, par);
        return g.generate(g.promptTokens("Why is the sky blue? Hello, world!"), maxTokens, s, null);
    }

    private static void assertSame(GenerationResult base, GenerationResult r, String what) {
        assertArrayEquals(base.tokens(), r.tokens(), what + ": tokens");
        assertArrayEquals(base.logitsHash(), r.logitsHash(), what + ": logits bits");
        assertEquals(base.traceRoot(), r.traceRoot(), what + ": trace root");
        assertArrayEquals(base.resultHash(), r.resultHash(), what + ": result hash");
    }

    @Test
    void everyWidthAndThreadCountGivesIdenticalBits() throws Exception {
        try (LlamaModel m = LlamaModel.load(TinyModels.path("llama3", GgmlType.Q8_0))) {
            GenerationResult base = run(m, 0, POOLS.pools()[0], SAMPLING, 12);
            assertTrue(base.leafCount() > 0);
            for (int bits : new int[]{0, 128, 256, 512}) {
                for (Parallel par : POOLS.pools()) {
                    assertSame(base, run(m, bits, par, SAMPLING, 12), bits + " bits, " + par.threads() + " threads");
                }
            }
            for (boolean nat : new boolean[]{false, true}) {
                KernelConfig cfg = KernelConfig.ofBits(512).withNative(nat);
                for (Parallel par : POOLS.pools()) assertSame(base, run(m, cfg, par, SAMPLING, 12), cfg + ", " + par.threads() + " threads");
            }
        }
    }

    /**
     * The native Q8_0 and Q4_0 kernels (decode, and the batched product of prefill and replay) give the Java kernels'
     * tokens, logits bits and trace roots: Q8_0 for every family (2 threads) and on the unaligned shape at 1, 2 and 4
     * threads, Q4_0 for two families; and they really ran. Skipped where the
     * native library is not built or the CPU lacks AVX-512.
     */
    @Test
    void nativeKernelsGiveTheJavaKernelsTraceRoots() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(dev.ledgermind.inference.tensor.NativeKernels.loaded(),
                dev.ledgermind.inference.tensor.NativeKernels.status());
        KernelConfig java = KernelConfig.ofBits(512).withNative(false), nat = KernelConfig.ofBits(512).withNative(true);
        for (String family : FAMILIES) {
            try (LlamaModel m = LlamaModel.load(TinyModels.path(family, new QuantMix.Pure(GgmlType.Q8_0), "tiny"))) {
                assertSame(run(m, java, POOLS.pools()[0], SAMPLING, 8), run(m, nat, POOLS.pools()[1], SAMPLING, 8), family + ", native, 2 threads");
            }
        }
        for (String family : new String[]{"llama3", "qwen2"}) {
            try (LlamaModel m = LlamaModel.load(TinyModels.path(family, new QuantMix.Pure(GgmlType.Q4_0), "tiny"))) {
                assertSame(run(m, java, POOLS.pools()[0], SAMPLING, 8), run(m, nat, POOLS.pools()[1], SAMPLING, 8), family + " Q4_0, native, 2 threads");
            }
        }
        // h/kq: the K-quant kernels (Q4_K, Q5_K; the mixtures' Q6_K and other types as they are) at 1, 2 and 4 threads.
        for (String family : new String[]{"llama3", "qwen2"}) {
            for (QuantMix mix : new QuantMix[]{QuantMix.KMix.Q4_K_M, QuantMix.KMix.Q5_K_M}) {
                try (LlamaModel m = LlamaModel.load(TinyModels.path(family, mix, "tiny"))) {
                    GenerationResult base = run(m, java, POOLS.pools()[0], SAMPLING, 8);
                    for (Parallel par : POOLS.pools()) {
                        assertSame(base, run(m, nat, par, SAMPLING, 8), family + " " + mix.label() + ", native, " + par.threads() + " threads");
                    }
                }
            }
        }
        try (LlamaModel m = LlamaModel.load(TinyModels.path("llama3", new QuantMix.Pure(GgmlType.Q8_0), "tiny-unaligned"))) {
            GenerationResult base = run(m, java, POOLS.pools()[0], SAMPLING, 8);
            for (Parallel par : POOLS.pools()) assertSame(base, run(m, nat, par, SAMPLING, 8), "tiny-unaligned, native, " + par.threads() + " threads");
        }
        // h/q6k: Q6_K's native decode step and batched product (every matrix Q6_K) at 1, 2 and 4 threads.
        for (String family : new String[]{"llama3", "qwen2"}) {
            try (LlamaModel m = LlamaModel.load(TinyModels.path(family, new QuantMix.Pure(GgmlType.Q6_K), "tiny"))) {
                GenerationResult base = run(m, java, POOLS.pools()[0], SAMPLING, 8);
                for (Parallel par : POOLS.pools()) assertSame(base, run(m, nat, par, SAMPLING, 8), family + " Q6_K, native, " + par.threads() + " threads");
            }
        }
        assertTrue(dev.ledgermind.inference.tensor.NativeKernels.used(), "the native kernels ran");
    }

    /**
     * Every family with every type and mixture on the tiny shape, plus the K_M mixtures on the 288-wide shape,
     * where most matrices fall back to Q5_0 / Q5_1 / Q8_0 as llama.cpp's quantizer makes them.
     */
    static Stream<Arguments> models() {
        List<Arguments> a = new ArrayList<>();
        for (String f : FAMILIES) for (QuantMix t : mixes()) a.add(Arguments.of(f, t, "tiny"));
        for (String f : new String[]{"llama3", "qwen2"}) {
            for (QuantMix t : new QuantMix[]{QuantMix.KMix.Q4_K_M, QuantMix.KMix.Q5_K_M}) a.add(Arguments.of(f, t, "tiny-unaligned"));
        }
        return a.stream();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("models")
    void everyArchitectureAndWeightTypeIsBitExactAcrossConfigurations(String family, QuantMix mix, String shape) throws Exception {
        try (LlamaModel m = LlamaModel.load(TinyModels.path(family, mix, shape))) {
            GenerationResult base = run(m, 0, POOLS.pools()[0], SAMPLING, 6);
            assertSame(base, run(m, 128, POOLS.pools()[1], SAMPLING, 6), "128 bits, 2 threads");
            assertSame(base, run(m, 256, POOLS.pools()[2], SAMPLING, 6), "256 bits, 4 threads");
            assertSame(base, run(m, 512, POOLS.pools()[1], SAMPLING, 6), "512 bits, 2 threads");
        }
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"qwen2, q4_0, tiny", "llama3, q4_k_m, tiny-unaligned", "qwen2, q5_k_m, tiny-unaligned", "smollm, q5_k_m, tiny"})
    void batchedPrefillGivesEachPositionTheBitsOfDecodingItAlone(String family, String mix, String shape) throws Exception {
        try (LlamaModel m = LlamaModel.load(TinyModels.path(family, QuantMix.parse(mix), shape))) {
            assertBatchInvariant(m, KernelConfig.ofBits(256), POOLS.pools()[2], POOLS.pools()[0]);
        }
    }

    /**
     * A prompt longer than one internal chunk, run as one batched forward on {@code batchedPool} and one position at a
     * time on {@code singlePool}: every position's logits and every trace leaf have the same bits (batch invariance).
     */
    static void assertBatchInvariant(LlamaModel m, KernelConfig cfg, Parallel batchedPool, Parallel singlePool) {
        int vocab = m.config().vocab();
        int[] tokens = new Generator(m, KernelConfig.defaults(), singlePool)
                .promptTokens("The quick brown fox jumps over the lazy dog. A ledger records what happened, in order, and 2026 too.");
        int n = tokens.length;
        assertTrue(n > LlamaState.MAX_BATCH, "the prompt spans more than one internal chunk");
        LlamaState batched = new LlamaState(m, n, cfg, batchedPool);
        float[] all = new float[n * vocab];
        List<byte[]> leavesBatched = new ArrayList<>();
        batched.forward(tokens, 0, n, 0, all, (p, l, h) -> leavesBatched.add(h));
        LlamaState single = new LlamaState(m, n, cfg, singlePool);
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
