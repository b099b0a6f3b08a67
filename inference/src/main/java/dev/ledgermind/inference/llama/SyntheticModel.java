package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.gguf.GgufWriter;
import dev.ledgermind.inference.tensor.Q4_0Tensor;
import dev.ledgermind.inference.tensor.Q4_1Tensor;
import dev.ledgermind.inference.tensor.Q5_0Tensor;
import dev.ledgermind.inference.tensor.Q5_1Tensor;
import dev.ledgermind.inference.tensor.Q8_0Tensor;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Writes llama-family GGUF models with random weights in a real architecture's layout and metadata, for
 * tests and benchmarks (no generative model ships in any package registry). Families: {@code llama2} and
 * {@code mistral} (SentencePiece vocabulary), {@code llama3} and {@code smollm} (byte-level BPE; NORM RoPE),
 * {@code qwen2} (byte-level BPE, NEOX RoPE, q/k/v biases). Shapes: {@code tiny} (a few MB at most) or
 * {@code 1b} (Llama-3.2-1B's: dim 2048, 16 layers, 32 heads, 8 KV heads, FFN 8192, vocab 128256, tied), or
 * {@code tiny-unaligned} (dim 288, which is not a multiple of 256, as Qwen2.5-0.5B's 896 is not: the K_M
 * mixtures then fall back to Q5_0, Q5_1 and Q8_0 for most matrices, as llama.cpp's quantizer does), or {@code 0.5b}
 * (Qwen2.5-0.5B's: dim 896, 24 layers, 14 heads of 64, 2 KV heads, FFN 4864, vocab 151936, tied; with {@code qwen2}
 * and a K_M mixture the real file's types: Q5_0/Q5_1 for the 896-column matrices, Q8_0 embeddings). The large shapes'
 * context is 8192 (the real files' is longer; only the metadata and the KV cache's bound depend on it).
 * Matrices get their types from a {@link QuantMix}: one type for all, or llama.cpp's Q4_K_M / Q5_K_M rule.
 * Weights are uniform with standard deviation {@code 1/sqrt(cols)} (embeddings: 1), from a seeded
 * {@link SplittableRandom} per tensor, so a file is a pure function of its parameters.
 */
public final class SyntheticModel {
    /** The shape of a synthetic model. */
    public record Shape(int dim, int layers, int heads, int kvHeads, int ffn, int vocab, int context, boolean tied) {
    }

    public static final Shape TINY = new Shape(256, 2, 4, 2, 512, 512, 512, false);
    public static final Shape ONE_B = new Shape(2048, 16, 32, 8, 8192, 128256, 8192, true);
    public static final Shape TINY_UNALIGNED = new Shape(288, 2, 6, 2, 768, 512, 512, false);
    public static final Shape HALF_B = new Shape(896, 24, 14, 2, 4864, 151936, 8192, true);

    private SyntheticModel() {
    }

    public static Shape shape(String name) {
        return switch (name) {
            case "tiny" -> TINY;
            case "1b" -> ONE_B;
            case "tiny-unaligned" -> TINY_UNALIGNED;
            case "0.5b" -> HALF_B;
            default -> throw new IllegalArgumentException("unknown shape '" + name + "' (tiny, tiny-unaligned, 0.5b or 1b)");
        };
    }

    /** Writes a model of {@code family} and {@code shape} with every matrix in {@code type} to {@code out}. */
    public static void write(Path out, String family, Shape s, GgmlType type, long seed) throws IOException {
        write(out, family, s, new QuantMix.Pure(type), seed);
    }

    /** Writes a model of {@code family} and {@code shape} with matrices typed by {@code mix} to {@code out}. */
    public static void write(Path out, String family, Shape s, QuantMix mix, long seed) throws IOException {
        GgufWriter w = new GgufWriter();
        String arch = switch (family) {
            case "llama2", "llama3", "smollm", "mistral" -> "llama";
            case "qwen2" -> "qwen2";
            default -> throw new IllegalArgumentException("unknown family '" + family + "' (llama2, llama3, mistral, smollm, qwen2)");
        };
        w.putString("general.architecture", arch);
        w.putString("general.name", "synthetic-" + family + "-" + s.dim() + "x" + s.layers() + "-" + mix.label());
        w.putUInt32("general.file_type", mix.fileType());
        w.putUInt32("general.quantization_version", 2);
        String p = arch + ".";
        w.putUInt32(p + "context_length", s.context());
        w.putUInt32(p + "embedding_length", s.dim());
        w.putUInt32(p + "block_count", s.layers());
        w.putUInt32(p + "feed_forward_length", s.ffn());
        w.putUInt32(p + "attention.head_count", s.heads());
        w.putUInt32(p + "attention.head_count_kv", s.kvHeads());
        w.putUInt32(p + "rope.dimension_count", s.dim() / s.heads());
        w.putFloat32(p + "attention.layer_norm_rms_epsilon", family.equals("qwen2") ? 1e-6f : 1e-5f);
        w.putFloat32(p + "rope.freq_base", switch (family) {
            case "llama3" -> 500000f;
            case "qwen2" -> 1000000f;
            case "mistral" -> 1000000f;
            default -> 10000f;
        });
        SyntheticVocab.Vocab v = family.equals("llama2") || family.equals("mistral")
                ? SyntheticVocab.sentencePiece(s.vocab()) : SyntheticVocab.gpt2(family, s.vocab());
        w.putString("tokenizer.ggml.model", v.model());
        w.putString("tokenizer.ggml.pre", v.pre());
        w.putStringArray("tokenizer.ggml.tokens", v.tokens());
        w.putInt32Array("tokenizer.ggml.token_type", v.types());
        if (v.merges() != null) w.putStringArray("tokenizer.ggml.merges", v.merges());
        if (v.scores() != null) w.putFloatArray("tokenizer.ggml.scores", v.scores());
        if (v.bos() >= 0) w.putUInt32("tokenizer.ggml.bos_token_id", v.bos());
        w.putUInt32("tokenizer.ggml.eos_token_id", v.eos());
        if (v.eot() >= 0) w.putUInt32("tokenizer.ggml.eot_token_id", v.eot());
        if (v.unk() >= 0) w.putUInt32("tokenizer.ggml.unknown_token_id", v.unk());
        w.putBool("tokenizer.ggml.add_bos_token", v.bos() >= 0);

        int hd = s.dim() / s.heads();
        int kv = s.kvHeads() * hd;
        Types types = new Types(mix, s);
        matrix(w, "token_embd.weight", types.of("token_embd.weight", -1, s.dim()), s.vocab(), s.dim(), 1.0f, seed);
        for (int l = 0; l < s.layers(); l++) {
            String b = "blk." + l + ".";
            vector(w, b + "attn_norm.weight", s.dim(), 1.0f, 0.1f, seed);
            matrix(w, b + "attn_q.weight", types.of(b + "attn_q.weight", l, s.dim()), s.dim(), s.dim(), -1, seed);
            matrix(w, b + "attn_k.weight", types.of(b + "attn_k.weight", l, s.dim()), kv, s.dim(), -1, seed);
            matrix(w, b + "attn_v.weight", types.of(b + "attn_v.weight", l, s.dim()), kv, s.dim(), -1, seed);
            if (arch.equals("qwen2")) {
                vector(w, b + "attn_q.bias", s.dim(), 0f, 0.1f, seed);
                vector(w, b + "attn_k.bias", kv, 0f, 0.1f, seed);
                vector(w, b + "attn_v.bias", kv, 0f, 0.1f, seed);
            }
            matrix(w, b + "attn_output.weight", types.of(b + "attn_output.weight", l, s.dim()), s.dim(), s.dim(), -1, seed);
            vector(w, b + "ffn_norm.weight", s.dim(), 1.0f, 0.1f, seed);
            matrix(w, b + "ffn_gate.weight", types.of(b + "ffn_gate.weight", l, s.dim()), s.ffn(), s.dim(), -1, seed);
            matrix(w, b + "ffn_up.weight", types.of(b + "ffn_up.weight", l, s.dim()), s.ffn(), s.dim(), -1, seed);
            matrix(w, b + "ffn_down.weight", types.of(b + "ffn_down.weight", l, s.ffn()), s.dim(), s.ffn(), -1, seed);
        }
        vector(w, "output_norm.weight", s.dim(), 1.0f, 0.1f, seed);
        if (!s.tied()) matrix(w, "output.weight", types.of("output.weight", -1, s.dim()), s.vocab(), s.dim(), -1, seed);
        w.write(out);
    }

    /** The mix applied to this shape's tensors. */
    private record Types(QuantMix mix, Shape s) {
        GgmlType of(String tensor, int layer, int cols) {
            return mix.typeOf(tensor, layer, s.layers(), cols, s.tied());
        }
    }

    private static SplittableRandom rng(String name, long seed) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ name.hashCode());
    }

    private static void vector(GgufWriter w, String name, int n, float mean, float spread, long seed) {
        SplittableRandom r = rng(name, seed);
        byte[] data = new byte[4 * n];
        for (int i = 0; i < n; i++) {
            int bits = Float.floatToRawIntBits(mean + spread * (float) (2 * r.nextDouble() - 1));
            for (int k = 0; k < 4; k++) data[4 * i + k] = (byte) (bits >>> (8 * k));
        }
        w.addTensor(name, GgmlType.F32, new long[]{n}, data);
    }

    /** A {@code rows x cols} matrix; std is {@code 1/sqrt(cols)} when {@code std < 0}. */
    private static void matrix(GgufWriter w, String name, GgmlType type, int rows, int cols, float std, long seed) {
        float sd = std > 0 ? std : (float) (1 / Math.sqrt(cols));
        float amp = sd * (float) Math.sqrt(3); // uniform on [-amp, amp] has this standard deviation
        w.addTensor(name, type, new long[]{cols, rows}, out -> writeRows(out, name, type, rows, cols, amp, seed));
    }

    private static void writeRows(OutputStream out, String name, GgmlType type, int rows, int cols, float amp, long seed) throws IOException {
        SplittableRandom r = rng(name, seed);
        float[] row = new float[cols];
        byte[] buf = new byte[(int) type.bytesFor(cols)];
        for (int i = 0; i < rows; i++) {
            switch (type) {
                case Q4_K, Q5_K, Q6_K -> randomKQuant(r, type, cols, amp, buf);
                default -> {
                    for (int j = 0; j < cols; j++) row[j] = amp * (float) (2 * r.nextDouble() - 1);
                    encode(type, row, cols, buf);
                }
            }
            out.write(buf);
        }
    }

    private static void encode(GgmlType type, float[] row, int cols, byte[] buf) {
        switch (type) {
            case F32 -> {
                for (int j = 0; j < cols; j++) {
                    int bits = Float.floatToRawIntBits(row[j]);
                    for (int k = 0; k < 4; k++) buf[4 * j + k] = (byte) (bits >>> (8 * k));
                }
            }
            case F16, BF16 -> {
                for (int j = 0; j < cols; j++) {
                    int h = type == GgmlType.F16 ? Float.floatToFloat16(row[j]) : Float.floatToRawIntBits(row[j]) >>> 16;
                    buf[2 * j] = (byte) h;
                    buf[2 * j + 1] = (byte) (h >>> 8);
                }
            }
            case Q8_0 -> Q8_0Tensor.quantizeRow(row, 0, cols, buf, 0);
            case Q4_0 -> Q4_0Tensor.quantizeRow(row, 0, cols, buf, 0);
            case Q5_0 -> Q5_0Tensor.quantizeRow(row, 0, cols, buf, 0);
            case Q4_1 -> Q4_1Tensor.quantizeRow(row, 0, cols, buf, 0);
            case Q5_1 -> Q5_1Tensor.quantizeRow(row, 0, cols, buf, 0);
            default -> throw new IllegalArgumentException("cannot write weights of type " + type);
        }
    }

    /**
     * K-quant super-blocks with random codes and scales, and super-block scales chosen so that element values
     * have roughly the requested amplitude (their exact distribution does not matter for tests or speed).
     */
    private static void randomKQuant(SplittableRandom r, GgmlType type, int cols, float amp, byte[] buf) {
        for (int i = 0; i < buf.length; i++) buf[i] = (byte) r.nextInt(256);
        for (int b = 0; b < cols / 256; b++) {
            if (type == GgmlType.Q4_K || type == GgmlType.Q5_K) { // codes 0..15 or 0..31, centred by the mins
                boolean five = type == GgmlType.Q5_K;
                int o = b * (five ? 176 : 144);
                float step = five ? amp / 480f : amp / 240f;
                short d = Float.floatToFloat16(step);
                short dmin = Float.floatToFloat16(step * (five ? 15.5f : 7.5f));
                buf[o] = (byte) d;
                buf[o + 1] = (byte) (d >> 8);
                buf[o + 2] = (byte) dmin;
                buf[o + 3] = (byte) (dmin >> 8);
            } else {
                int o = b * 210;
                short d = Float.floatToFloat16(amp / (32f * 64f));
                buf[o + 208] = (byte) d;
                buf[o + 209] = (byte) (d >> 8);
            }
        }
    }
}
