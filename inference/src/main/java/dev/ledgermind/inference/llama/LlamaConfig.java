package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.gguf.GgufFile;
import dev.ledgermind.inference.gguf.GgufFormatException;
import dev.ledgermind.inference.gguf.GgufMetadata;
import dev.ledgermind.inference.kernel.Rope;

/**
 * The hyper-parameters of a llama-family decoder, read from GGUF metadata under the
 * {@code general.architecture} prefix. Llama 2/3, Mistral and SmolLM are {@code llama} in GGUF (RoPE
 * NORM pairing); Qwen2/2.5 is {@code qwen2} (NEOX pairing, q/k/v biases).
 */
public record LlamaConfig(
        String architecture,
        int dim,
        int layers,
        int ffnDim,
        int heads,
        int kvHeads,
        int headDim,
        int vocab,
        int contextLength,
        float rmsEps,
        double ropeBase,
        int ropeDim,
        double ropeLinearScale,
        Rope.Pairing ropePairing) {

    /** Architectures this engine runs. */
    public static final java.util.Set<String> ARCHITECTURES = java.util.Set.of("llama", "qwen2", "mistral", "smollm");

    public int kvDim() {
        return kvHeads * headDim;
    }

    public int qDim() {
        return heads * headDim;
    }

    public static LlamaConfig of(GgufFile file) {
        GgufMetadata m = file.metadata();
        String arch = m.getString("general.architecture");
        if (!ARCHITECTURES.contains(arch)) {
            throw new GgufFormatException(file.source() + ": " + m.where("general.architecture") + ": '" + GgufFile.printable(arch)
                    + "' is not a llama-family decoder (" + ARCHITECTURES + ")");
        }
        String p = arch + ".";
        int dim = m.getInt(p + "embedding_length", 1);
        int layers = m.getInt(p + "block_count", 1);
        int ffn = m.getInt(p + "feed_forward_length", 1);
        int heads = m.getInt(p + "attention.head_count", 1);
        int kvHeads = m.getInt(p + "attention.head_count_kv", 1, heads);
        int headDim = m.getInt(p + "attention.key_length", 1, dim / heads);
        if (heads % kvHeads != 0) {
            throw new GgufFormatException(file.source() + ": " + m.where(p + "attention.head_count") + ": " + heads
                    + " is not a multiple of '" + p + "attention.head_count_kv' = " + kvHeads);
        }
        if (headDim * heads != dim && !m.has(p + "attention.key_length")) {
            throw new GgufFormatException(file.source() + ": " + m.where(p + "embedding_length") + ": " + dim
                    + " is not divisible by '" + p + "attention.head_count' = " + heads);
        }
        int vocab = file.tensor("token_embd.weight").rows();
        int ctx = m.getInt(p + "context_length", 1, 4096);
        float eps = m.getFloat(p + "attention.layer_norm_rms_epsilon", 1e-5f);
        double base = m.getFloat(p + "rope.freq_base", 10000f);
        int ropeDim = m.getInt(p + "rope.dimension_count", 2, headDim);
        double linear = 1.0;
        String scaling = m.getString(p + "rope.scaling.type", "none");
        if (scaling.equals("linear")) linear = m.getFloat(p + "rope.scaling.factor", 1f);
        else if (!scaling.equals("none") && !scaling.equals("llama3")) {
            throw new GgufFormatException(file.source() + ": " + m.where(p + "rope.scaling.type") + ": '" + GgufFile.printable(scaling)
                    + "' is not supported (none, linear, or llama3 through rope_freqs.weight)");
        }
        Rope.Pairing pairing = arch.equals("qwen2") ? Rope.Pairing.NEOX : Rope.Pairing.NORM;
        return new LlamaConfig(arch, dim, layers, ffn, heads, kvHeads, headDim, vocab, ctx, eps, base, ropeDim, linear, pairing);
    }
}
