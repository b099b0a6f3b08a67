package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.gguf.GgufFile;
import dev.ledgermind.inference.gguf.GgufTensorInfo;
import dev.ledgermind.inference.generate.Generator;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's logits agree within 1e-4 (relative to the largest logit) with a separately written
 * forward pass: plain loops, double accumulation, weights dequantized by {@link IndependentDequant},
 * hyper-parameters read straight from the file's metadata, RoPE from Math in double. Every position of a
 * prompt, every tiny model (architecture family x weight type).
 */
class ReferenceParityTest {
    static Stream<Arguments> models() {
        return DecoderDeterminismTest.models();
    }

    @ParameterizedTest(name = "{0} {1} {2}")
    @MethodSource("models")
    void logitsMatchAPlainDoublePrecisionForwardPass(String family, QuantMix type, String shape) throws Exception {
        Path path = TinyModels.path(family, type, shape);
        try (LlamaModel m = LlamaModel.load(path); Parallel par = new Parallel(2); GgufFile f = GgufFile.open(path)) {
            int[] tokens = new Generator(m, KernelConfig.defaults(), par).promptTokens("Hello, world! Why is the sky blue?");
            int vocab = m.config().vocab();
            float[] logits = new float[tokens.length * vocab];
            new LlamaState(m, tokens.length, KernelConfig.defaults(), par).forward(tokens, 0, tokens.length, 0, logits, null);
            double[][] ref = new PlainForward(f).run(tokens);
            for (int t = 0; t < tokens.length; t++) {
                double max = 0, err = 0;
                for (int i = 0; i < vocab; i++) {
                    max = Math.max(max, Math.abs(ref[t][i]));
                    err = Math.max(err, Math.abs(ref[t][i] - logits[t * vocab + i]));
                }
                assertTrue(err <= 1e-4 * max, family + " " + type + " position " + t + ": max error " + err + " vs max logit " + max);
            }
        }
    }

    /** The independent reference: nothing shared with the engine but the GGUF container reader. */
    static final class PlainForward {
        final GgufFile f;
        final String arch;
        final int dim, layers, heads, kvHeads, ffn, hd;
        final double eps, base;

        /**
         * What a matrix product's input goes through first, given the matrix's type (null: nothing, the exact
         * model). {@code FidelityBench} uses it to model engines that round activations before integer dot products.
         */
        java.util.function.BiFunction<dev.ledgermind.inference.gguf.GgmlType, double[], double[]> activations;

        double[] in(String tensor, double[] x) {
            return activations == null ? x : activations.apply(f.tensor(tensor).type(), x);
        }

        PlainForward(GgufFile f) {
            this.f = f;
            var m = f.metadata();
            arch = m.getString("general.architecture");
            dim = (int) m.getLong(arch + ".embedding_length");
            layers = (int) m.getLong(arch + ".block_count");
            heads = (int) m.getLong(arch + ".attention.head_count");
            kvHeads = (int) m.getLong(arch + ".attention.head_count_kv");
            ffn = (int) m.getLong(arch + ".feed_forward_length");
            hd = dim / heads;
            eps = m.getFloat(arch + ".attention.layer_norm_rms_epsilon");
            base = m.getFloat(arch + ".rope.freq_base");
        }

        double[][] matrix(String name) {
            GgufTensorInfo t = f.tensor(name);
            double[][] w = new double[t.rows()][];
            for (int r = 0; r < t.rows(); r++) w[r] = IndependentDequant.row(t.type(), t.data(), r, t.cols());
            return w;
        }

        double[] vector(String name) {
            return f.hasTensor(name) ? matrix(name)[0] : null;
        }

        static double[] mul(double[][] w, double[] x) {
            double[] y = new double[w.length];
            for (int r = 0; r < w.length; r++) {
                double s = 0;
                for (int c = 0; c < x.length; c++) s += w[r][c] * x[c];
                y[r] = s;
            }
            return y;
        }

        double[] rmsNorm(double[] x, double[] g) {
            double ss = 0;
            for (double v : x) ss += v * v;
            double inv = 1 / Math.sqrt(ss / x.length + eps);
            double[] y = new double[x.length];
            for (int i = 0; i < x.length; i++) y[i] = x[i] * inv * g[i];
            return y;
        }

        void rope(double[] v, int head, int pos) {
            boolean neox = arch.equals("qwen2");
            for (int i = 0; i < hd / 2; i++) {
                double theta = pos * Math.pow(base, -2.0 * i / hd);
                int a = head * hd + (neox ? i : 2 * i), b = head * hd + (neox ? i + hd / 2 : 2 * i + 1);
                double x0 = v[a], x1 = v[b];
                v[a] = x0 * Math.cos(theta) - x1 * Math.sin(theta);
                v[b] = x0 * Math.sin(theta) + x1 * Math.cos(theta);
            }
        }

        double[][] run(int[] tokens) {
            int n = tokens.length;
            double[][] emb = matrix("token_embd.weight");
            double[][] x = new double[n][];
            for (int t = 0; t < n; t++) x[t] = emb[tokens[t]].clone();
            for (int l = 0; l < layers; l++) {
                String p = "blk." + l + ".";
                double[][] wq = matrix(p + "attn_q.weight"), wk = matrix(p + "attn_k.weight"), wv = matrix(p + "attn_v.weight");
                double[][] wo = matrix(p + "attn_output.weight");
                double[] bq = vector(p + "attn_q.bias"), bk = vector(p + "attn_k.bias"), bv = vector(p + "attn_v.bias");
                double[] an = vector(p + "attn_norm.weight"), fn = vector(p + "ffn_norm.weight");
                double[][] k = new double[n][], v = new double[n][], q = new double[n][];
                for (int t = 0; t < n; t++) {
                    double[] h = rmsNorm(x[t], an);
                    q[t] = mul(wq, in(p + "attn_q.weight", h));
                    k[t] = mul(wk, in(p + "attn_k.weight", h));
                    v[t] = mul(wv, in(p + "attn_v.weight", h));
                    if (bq != null) {
                        for (int i = 0; i < q[t].length; i++) q[t][i] += bq[i];
                        for (int i = 0; i < k[t].length; i++) { k[t][i] += bk[i]; v[t][i] += bv[i]; }
                    }
                    for (int h2 = 0; h2 < heads; h2++) rope(q[t], h2, t);
                    for (int h2 = 0; h2 < kvHeads; h2++) rope(k[t], h2, t);
                }
                double[][] wg = matrix(p + "ffn_gate.weight"), wu = matrix(p + "ffn_up.weight"), wd = matrix(p + "ffn_down.weight");
                for (int t = 0; t < n; t++) {
                    double[] o = new double[dim];
                    for (int h2 = 0; h2 < heads; h2++) {
                        int kvh = h2 / (heads / kvHeads);
                        double[] s = new double[t + 1];
                        double mx = Double.NEGATIVE_INFINITY;
                        for (int u = 0; u <= t; u++) {
                            double d = 0;
                            for (int i = 0; i < hd; i++) d += q[t][h2 * hd + i] * k[u][kvh * hd + i];
                            s[u] = d / Math.sqrt(hd);
                            mx = Math.max(mx, s[u]);
                        }
                        double sum = 0;
                        for (int u = 0; u <= t; u++) sum += (s[u] = Math.exp(s[u] - mx));
                        for (int u = 0; u <= t; u++) for (int i = 0; i < hd; i++) o[h2 * hd + i] += s[u] / sum * v[u][kvh * hd + i];
                    }
                    double[] a = mul(wo, in(p + "attn_output.weight", o));
                    for (int i = 0; i < dim; i++) x[t][i] += a[i];
                    double[] h = rmsNorm(x[t], fn);
                    double[] g = mul(wg, in(p + "ffn_gate.weight", h)), up = mul(wu, in(p + "ffn_up.weight", h));
                    for (int i = 0; i < ffn; i++) g[i] = g[i] / (1 + Math.exp(-g[i])) * up[i];
                    double[] d = mul(wd, in(p + "ffn_down.weight", g));
                    for (int i = 0; i < dim; i++) x[t][i] += d[i];
                }
            }
            double[][] out = f.hasTensor("output.weight") ? matrix("output.weight") : emb;
            double[] on = vector("output_norm.weight");
            double[][] logits = new double[n][];
            String outName = f.hasTensor("output.weight") ? "output.weight" : "token_embd.weight";
            for (int t = 0; t < n; t++) logits[t] = mul(out, in(outName, rmsNorm(x[t], on)));
            return logits;
        }
    }
}
