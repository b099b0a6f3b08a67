package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.gguf.GgufFile;
import dev.ledgermind.inference.gguf.GgufFormatException;
import dev.ledgermind.inference.gguf.GgufTensorInfo;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.tensor.ComputeProfile;
import dev.ledgermind.inference.tensor.WeightTensor;

import java.util.Arrays;

/**
 * The weights of a llama-family model, as views of the memory-mapped GGUF file (matrices) or small heap
 * copies (norm weights and biases, a few KB each). Every tensor's shape is checked against the
 * {@link LlamaConfig}; a mismatch names the tensor, its data offset, and the expected and found shapes.
 */
public final class LlamaWeights {
    /** One transformer block. Biases are null when the architecture has none. */
    public record Layer(float[] attnNorm, WeightTensor wq, WeightTensor wk, WeightTensor wv,
                        float[] bq, float[] bk, float[] bv, WeightTensor wo,
                        float[] ffnNorm, WeightTensor wGate, WeightTensor wUp, WeightTensor wDown) {
    }

    public final WeightTensor tokenEmbedding;
    public final Layer[] layers;
    public final float[] outputNorm;
    /** The output projection: {@code output.weight}, or the token embedding when tied. */
    public final WeightTensor output;
    public final boolean tiedOutput;
    /** Per-pair RoPE frequency divisors ({@code rope_freqs.weight}, Llama 3.1+), or null. */
    public final float[] ropeFactors;

    /** The profile the matrices were loaded for (it may choose their in-memory layout). */
    public final ComputeProfile profile;

    public LlamaWeights(GgufFile f, LlamaConfig c) {
        this(f, c, ComputeProfile.BINARY32);
    }

    public LlamaWeights(GgufFile f, LlamaConfig c, ComputeProfile profile) {
        this.profile = profile;
        this.tokenEmbedding = matrix(f, profile, "token_embd.weight", c.vocab(), c.dim());
        this.layers = new Layer[c.layers()];
        boolean biases = f.hasTensor("blk.0.attn_q.bias");
        for (int l = 0; l < c.layers(); l++) {
            String p = "blk." + l + ".";
            layers[l] = new Layer(
                    vector(f, p + "attn_norm.weight", c.dim()),
                    matrix(f, profile, p + "attn_q.weight", c.qDim(), c.dim()),
                    matrix(f, profile, p + "attn_k.weight", c.kvDim(), c.dim()),
                    matrix(f, profile, p + "attn_v.weight", c.kvDim(), c.dim()),
                    biases ? vector(f, p + "attn_q.bias", c.qDim()) : null,
                    biases ? vector(f, p + "attn_k.bias", c.kvDim()) : null,
                    biases ? vector(f, p + "attn_v.bias", c.kvDim()) : null,
                    matrix(f, profile, p + "attn_output.weight", c.dim(), c.qDim()),
                    vector(f, p + "ffn_norm.weight", c.dim()),
                    matrix(f, profile, p + "ffn_gate.weight", c.ffnDim(), c.dim()),
                    matrix(f, profile, p + "ffn_up.weight", c.ffnDim(), c.dim()),
                    matrix(f, profile, p + "ffn_down.weight", c.dim(), c.ffnDim()));
        }
        this.outputNorm = vector(f, "output_norm.weight", c.dim());
        this.tiedOutput = !f.hasTensor("output.weight");
        this.output = tiedOutput ? tokenEmbedding : matrix(f, profile, "output.weight", c.vocab(), c.dim());
        this.ropeFactors = f.hasTensor("rope_freqs.weight") ? vector(f, "rope_freqs.weight", c.ropeDim() / 2) : null;
    }

    private static GgufFormatException shape(GgufFile f, GgufTensorInfo t, String expected) {
        return new GgufFormatException(f.source() + ": tensor '" + t.name() + "' (data offset " + t.offset()
                + ", file offset " + (f.dataStart() + t.offset()) + "): expected shape " + expected + ", found "
                + Arrays.toString(t.dims()) + " " + t.type());
    }

    private static WeightTensor matrix(GgufFile f, ComputeProfile profile, String name, int rows, int cols) {
        GgufTensorInfo t = f.tensor(name);
        if (t.dims().length != 2 || t.dims()[0] != cols || t.dims()[1] != rows) {
            throw shape(f, t, "[" + cols + ", " + rows + "]");
        }
        return WeightTensor.of(t, profile);
    }

    private static float[] vector(GgufFile f, String name, int n) {
        GgufTensorInfo t = f.tensor(name);
        if (t.dims().length != 1 || t.dims()[0] != n) throw shape(f, t, "[" + n + "]");
        if (t.type() != GgmlType.F32) throw shape(f, t, "[" + n + "] F32");
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = t.data().get(Dot.F32_LE, 4L * i);
        return v;
    }
}
