package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.generate.Generator;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.gguf.GgufFile;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.tensor.ComputeProfile;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Measurement, not a test: for each weight type and K_M mixture, how far the engine's canonical (binary32, on
 * dequantized weights) log-probabilities are from the exact dequantized model, next to how far a model of
 * llama.cpp's integer product is. All three on the same synthesized file and the same prompt, every position
 * and every vocabulary entry:
 * <ul>
 *   <li>exact: {@link ReferenceParityTest.PlainForward}, double precision over weights dequantized by
 *       {@link IndependentDequant};</li>
 *   <li>engine: {@link LlamaState#forward} as it runs (default width, 2 threads), under the binary32 profile;</li>
 *   <li>engine int8-q8: the same under {@link ComputeProfile#INT8_Q8} (the engine's own integer product);</li>
 *   <li>int8 activations: the same double-precision forward, but every matrix product's input first rounded as
 *       llama.cpp's CPU backend rounds it for that weight type (its {@code vec_dot_type}): to Q8_0 blocks (32
 *       values, scale {@code max|x| / 127} stored as f16, codes rounded to nearest) for Q8_0, Q4_0, Q5_0, Q4_1,
 *       Q5_1; to Q8_K blocks (256 values, f32 scale {@code max|x| / 127}) for the K-quants; to f16 / bf16 for
 *       F16 / BF16 weights; F32 not at all. Its integer dot products are exact, so this models its arithmetic up
 *       to its float accumulation order.</li>
 * </ul>
 * The figure is {@code max |log p - log p_exact|} over positions and tokens (natural log). Run with
 * <pre>
 *   ./mvnw -B -q -pl inference test -Dtest=FidelityBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * With {@code -Dbench.llamacpp=DIR} (a {@code node_modules} folder holding {@code node-llama-cpp}, installed outside
 * the repository as {@code scripts/llamacpp-bench/run.sh} does) a fourth column is llama.cpp itself on the same file
 * and tokens: its raw logits at every position from {@code scripts/llamacpp-bench/logits.mjs} (one batched
 * evaluation, 1 thread).
 */
class FidelityBench {
    @Test
    void logProbDistanceFromTheExactDequantizedModel() throws Exception {
        assumeTrue(Boolean.getBoolean("bench"), "measurement: run with -Dbench=true");
        String family = System.getProperty("bench.family", "llama3");
        List<Object[]> cases = new ArrayList<>();
        for (QuantMix m : DecoderDeterminismTest.mixes()) cases.add(new Object[]{m, "tiny"});
        cases.add(new Object[]{QuantMix.KMix.Q4_K_M, "tiny-unaligned"});
        cases.add(new Object[]{QuantMix.KMix.Q5_K_M, "tiny-unaligned"});
        String prompt = "The quick brown fox jumps over the lazy dog. A ledger records what happened, in order.";
        System.out.printf("family %s, prompt of %d characters, JDK %s, vector width %s%n", family, prompt.length(),
                Runtime.version(), KernelConfig.defaults());
        String llamaCpp = System.getProperty("bench.llamacpp", "");
        System.out.println("| weights | shape | positions | max abs logit (exact) | engine: max abs log-prob error | engine int8-q8 profile | int8-activation model: max abs log-prob error | ratio |"
                + (llamaCpp.isEmpty() ? "" : " llama.cpp: max abs log-prob error | llama.cpp / engine |"));
        System.out.println("|---|---|---:|---:|---:|---:|---:|---:|" + (llamaCpp.isEmpty() ? "" : "---:|---:|"));
        try (Parallel par = new Parallel(2)) {
            for (Object[] c : cases) {
                QuantMix mix = (QuantMix) c[0];
                String shape = (String) c[1];
                Path path = TinyModels.path(family, mix, shape);
                try (LlamaModel m = LlamaModel.load(path); LlamaModel mi = LlamaModel.load(path, ComputeProfile.INT8_Q8);
                     GgufFile f = GgufFile.open(path)) {
                    int[] tokens = new Generator(m, KernelConfig.defaults(), par).promptTokens(prompt);
                    int n = tokens.length, vocab = m.config().vocab();
                    float[] logits = new float[n * vocab];
                    new LlamaState(m, n, KernelConfig.defaults(), par).forward(tokens, 0, n, 0, logits, null);
                    float[] logitsI = new float[n * vocab];
                    new LlamaState(mi, n, KernelConfig.defaults(), par).forward(tokens, 0, n, 0, logitsI, null);
                    ReferenceParityTest.PlainForward exact = new ReferenceParityTest.PlainForward(f);
                    double[][] ref = exact.run(tokens);
                    ReferenceParityTest.PlainForward int8 = new ReferenceParityTest.PlainForward(f);
                    int8.activations = FidelityBench::roundAsLlamaCpp;
                    double[][] alt = int8.run(tokens);
                    double engineErr = 0, engineInt8Err = 0, int8Err = 0, maxLogit = 0;
                    for (int t = 0; t < n; t++) {
                        double[] e = new double[vocab], ei = new double[vocab];
                        for (int i = 0; i < vocab; i++) {
                            e[i] = logits[t * vocab + i];
                            ei[i] = logitsI[t * vocab + i];
                        }
                        double[] lr = logSoftmax(ref[t]), le = logSoftmax(e), lei = logSoftmax(ei), la = logSoftmax(alt[t]);
                        for (int i = 0; i < vocab; i++) {
                            maxLogit = Math.max(maxLogit, Math.abs(ref[t][i]));
                            engineErr = Math.max(engineErr, Math.abs(le[i] - lr[i]));
                            engineInt8Err = Math.max(engineInt8Err, Math.abs(lei[i] - lr[i]));
                            int8Err = Math.max(int8Err, Math.abs(la[i] - lr[i]));
                        }
                    }
                    String cppColumns = "";
                    if (!llamaCpp.isEmpty()) {
                        double[][] cpp = llamaCppLogits(llamaCpp, path, tokens, vocab);
                        double cppErr = 0;
                        for (int t = 0; t < n; t++) {
                            double[] lr = logSoftmax(ref[t]), lc = logSoftmax(cpp[t]);
                            for (int i = 0; i < vocab; i++) cppErr = Math.max(cppErr, Math.abs(lc[i] - lr[i]));
                        }
                        cppColumns = String.format(" %.2e | %.0f |", cppErr, cppErr / engineErr);
                    }
                    System.out.printf("| %s | %s | %d | %.2f | %.2e | %.2e | %.2e | %.0f |%s%n", mix.label(), shape, n, maxLogit, engineErr,
                            engineInt8Err, int8Err, int8Err / engineErr, cppColumns);
                }
            }
        }
    }

    /** llama.cpp's raw logits at every position of {@code tokens} (scripts/llamacpp-bench/logits.mjs), [position][token]. */
    private static double[][] llamaCppLogits(String modules, Path model, int[] tokens, int vocab) throws Exception {
        StringBuilder ids = new StringBuilder();
        for (int t : tokens) ids.append(ids.isEmpty() ? "" : ",").append(t);
        Process p = new ProcessBuilder("node", Path.of("scripts/llamacpp-bench/logits.mjs").toAbsolutePath().toString(),
                "--modules", modules, "--model", model.toString(), "--tokens", ids.toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        byte[] out;
        try {
            out = p.getInputStream().readAllBytes();
        } finally {
            if (!p.waitFor(5, java.util.concurrent.TimeUnit.MINUTES)) p.destroyForcibly();
        }
        if (p.exitValue() != 0) throw new IllegalStateException("logits.mjs exited with " + p.exitValue() + " on " + model);
        com.fasterxml.jackson.databind.JsonNode json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(out);
        if (json.get("vocab").asInt() != vocab || json.get("positions").asInt() != tokens.length) {
            throw new IllegalStateException("llama.cpp saw vocabulary " + json.get("vocab") + " and " + json.get("positions")
                    + " positions; the engine " + vocab + " and " + tokens.length);
        }
        double[][] logits = new double[tokens.length][vocab];
        for (int t = 0; t < tokens.length; t++) {
            for (int i = 0; i < vocab; i++) logits[t][i] = json.get("logits").get(t).get(i).asDouble();
        }
        return logits;
    }

    static double[] logSoftmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double sum = 0;
        for (double v : z) sum += Math.exp(v - max);
        double lse = max + Math.log(sum);
        double[] out = new double[z.length];
        for (int i = 0; i < z.length; i++) out[i] = z[i] - lse;
        return out;
    }

    /** A matrix product's input as llama.cpp's CPU backend rounds it for weights of {@code type} (see the class javadoc). */
    static double[] roundAsLlamaCpp(GgmlType type, double[] x) {
        double[] y = new double[x.length];
        switch (type) {
            case F32 -> System.arraycopy(x, 0, y, 0, x.length);
            case F16 -> { for (int i = 0; i < x.length; i++) y[i] = Float.float16ToFloat(Float.floatToFloat16((float) x[i])); }
            case BF16 -> {
                for (int i = 0; i < x.length; i++) {
                    int bits = Float.floatToRawIntBits((float) x[i]);
                    bits = (bits + 0x7FFF + ((bits >>> 16) & 1)) & 0xFFFF0000; // round to nearest even
                    y[i] = Float.intBitsToFloat(bits);
                }
            }
            case Q4_K, Q5_K, Q6_K -> blocks(x, y, 256, false);
            default -> blocks(x, y, 32, true);
        }
        return y;
    }

    /** Int8 blocks of {@code n}: scale max|x| / 127 (rounded to f16 if {@code f16Scale}), codes rounded to nearest. */
    private static void blocks(double[] x, double[] y, int n, boolean f16Scale) {
        for (int b = 0; b < x.length; b += n) {
            float amax = 0;
            for (int j = 0; j < n; j++) amax = Math.max(amax, Math.abs((float) x[b + j]));
            float d = amax / 127f;
            float id = d != 0 ? 1f / d : 0f;
            float ds = f16Scale ? Float.float16ToFloat(Float.floatToFloat16(d)) : d;
            for (int j = 0; j < n; j++) {
                int q = Math.max(-127, Math.min(127, Math.round((float) x[b + j] * id)));
                y[b + j] = (double) q * ds;
            }
        }
    }
}
