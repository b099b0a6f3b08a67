package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.ThreadPools;
import dev.ledgermind.inference.tensor.ComputeProfile;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

/**
 * A whole decoder under the int8-q8 profile with Q8_0, Q4_0 and Q5_0 weights (tiny synthetic models): the native int8
 * kernels (where they run) and the Java reference give the same logits bits, batched prefill and one position at a
 * time, at 1, 2 and 4 threads; and the profile does change the result (its logits are not the binary32 ones).
 */
class Int8ProfileDecoderTest {
    @RegisterExtension
    static final ThreadPools POOLS = new ThreadPools(1, 2, 4);

    private static float[] logits(LlamaModel m, KernelConfig cfg, int pool, int[] tokens, boolean oneByOne) {
        int vocab = m.config().vocab(), n = tokens.length;
        LlamaState s = new LlamaState(m, n, cfg, POOLS.pools()[pool]);
        float[] all = new float[n * vocab];
        if (!oneByOne) {
            s.forward(tokens, 0, n, 0, all, (p, l, h) -> { });
        } else {
            float[] one = new float[vocab];
            for (int t = 0; t < n; t++) {
                s.forward(tokens, t, 1, 0, one, (p, l, h) -> { });
                System.arraycopy(one, 0, all, t * vocab, vocab);
            }
        }
        return all;
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @CsvSource({"llama3, Q8_0, tiny", "llama3, Q4_0, tiny", "qwen2, Q5_0, tiny", "llama3, Q8_0, tiny-unaligned",
            "smollm, Q4_0, tiny-unaligned", "qwen2, Q5_0, tiny-unaligned"})
    void nativeAndReferenceGiveTheSameLogits(String family, String type, String shape) throws Exception {
        var path = TinyModels.path(family, new QuantMix.Pure(GgmlType.valueOf(type)), shape);
        int[] tokens = new int[21];
        float[] b32;
        try (LlamaModel m = LlamaModel.load(path)) {
            for (int i = 0; i < tokens.length; i++) tokens[i] = (7 * i + 3) % m.config().vocab();
            b32 = logits(m, KernelConfig.ofBits(512), 1, tokens, false);
        }
        try (LlamaModel m = LlamaModel.load(path, ComputeProfile.INT8_Q8)) {
            KernelConfig nat = KernelConfig.ofBits(512).withNative(true), java = KernelConfig.ofBits(512).withNative(false);
            float[] ref = logits(m, java, 0, tokens, false);
            float[][] others = {logits(m, nat, 1, tokens, false), logits(m, nat, 2, tokens, true), logits(m, nat, 0, tokens, true),
                    logits(m, java, 2, tokens, true)};
            String[] names = {"native, batched, 2 threads", "native, one by one, 4 threads", "native, one by one, 1 thread",
                    "java, one by one, 4 threads"};
            for (int k = 0; k < others.length; k++) {
                for (int i = 0; i < ref.length; i++) {
                    assertEquals(Float.floatToIntBits(ref[i]), Float.floatToIntBits(others[k][i]), names[k] + ", logit " + i);
                }
            }
            int differ = 0;
            for (int i = 0; i < ref.length; i++) if (Float.floatToIntBits(ref[i]) != Float.floatToIntBits(b32[i])) differ++;
            assertNotEquals(0, differ, "the int8-q8 logits differ from the binary32 ones");
        }
    }
}
