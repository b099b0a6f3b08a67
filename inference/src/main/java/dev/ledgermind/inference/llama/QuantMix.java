package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.gguf.GgmlType;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which GGML type each weight matrix of a synthesized llama-family model gets: one type for all of them
 * ({@link Pure}), or the mixtures that llama.cpp's quantizer writes for its "Q4_K_M" and "Q5_K_M" file types
 * ({@link KMix}), which is what most published GGUF files are.
 *
 * <h2>The K_M rule (llama.cpp's {@code llama_tensor_get_type}, dense models, no importance matrix)</h2>
 * With {@code base} = Q4_K for Q4_K_M and Q5_K for Q5_K_M, {@code n} layers and
 * {@code moreBits(i) = i < n/8 || i >= 7n/8 || (i - n/8) % 3 == 2} (integer division):
 * <ul>
 *   <li>{@code output.weight}, or {@code token_embd.weight} when the output is tied to it: Q6_K, or Q8_0 when its
 *       rows are not a multiple of 256;</li>
 *   <li>{@code blk.i.attn_v.weight} and {@code blk.i.ffn_down.weight}: Q6_K where {@code moreBits(i)}, else base;</li>
 *   <li>every other matrix (an untied {@code token_embd.weight} included): base;</li>
 *   <li>then, for a matrix whose rows (columns) are not a multiple of the chosen type's block: Q4_K falls back to
 *       Q5_0, Q5_K to Q5_1, Q6_K to Q8_0, and to F16 if even that block does not divide the row.</li>
 * </ul>
 * llama.cpp counts attn_v and ffn_down tensors in the order it visits them, which is by layer (its loader sorts
 * tensor names by block number), so the counter is the layer index. Norms and biases stay F32.
 * {@code general.file_type} is llama.cpp's {@code llama_ftype}: 15 for Q4_K_M, 17 for Q5_K_M.
 */
public sealed interface QuantMix permits QuantMix.Pure, QuantMix.KMix {
    /** The name the CLI takes: {@code q8_0}, {@code q4_k_m}, ... */
    String label();

    /** llama.cpp's {@code llama_ftype}, written as {@code general.file_type}. */
    int fileType();

    /**
     * The type of matrix {@code tensor} (its GGUF name), with {@code cols} elements per row, in layer {@code layer}
     * of {@code layers} (-1 outside the blocks); {@code tied} when the model has no {@code output.weight}.
     */
    GgmlType typeOf(String tensor, int layer, int layers, int cols, boolean tied);

    /** Every matrix in one type (no fallback: a row that the type's block does not divide is an error). */
    record Pure(GgmlType type) implements QuantMix {
        @Override
        public String label() {
            return type.toString().toLowerCase(Locale.ROOT);
        }

        /** As llama.cpp's file types; a pure K type is written as the "_S" type of its size, as {@code llama-quantize --pure} would. */
        @Override
        public int fileType() {
            return switch (type) {
                case F32 -> 0;
                case F16 -> 1;
                case Q4_0 -> 2;
                case Q4_1 -> 3;
                case Q8_0 -> 7;
                case Q5_0 -> 8;
                case Q5_1 -> 9;
                case Q4_K -> 14;
                case Q5_K -> 16;
                case Q6_K -> 18;
                case BF16 -> 32;
                default -> throw new IllegalArgumentException("no llama.cpp file type for " + type);
            };
        }

        @Override
        public String toString() {
            return label();
        }

        @Override
        public GgmlType typeOf(String tensor, int layer, int layers, int cols, boolean tied) {
            if (cols % type.blockSize != 0) {
                throw new IllegalArgumentException("tensor '" + tensor + "': rows of " + cols + " elements are not a multiple of the "
                        + type + " block size " + type.blockSize + " (a mixture such as q4_k_m falls back to a 32-element type as llama.cpp does)");
            }
            return type;
        }
    }

    /** llama.cpp's K_M mixtures (see the interface's javadoc for the rule). */
    enum KMix implements QuantMix {
        Q4_K_M(GgmlType.Q4_K, 15),
        Q5_K_M(GgmlType.Q5_K, 17);

        private final GgmlType base;
        private final int fileType;

        KMix(GgmlType base, int fileType) {
            this.base = base;
            this.fileType = fileType;
        }

        @Override
        public String label() {
            return name().toLowerCase(Locale.ROOT);
        }

        @Override
        public int fileType() {
            return fileType;
        }

        @Override
        public GgmlType typeOf(String tensor, int layer, int layers, int cols, boolean tied) {
            GgmlType t = base;
            if (tensor.equals("output.weight") || (tied && tensor.equals("token_embd.weight"))) {
                t = cols % 256 != 0 ? GgmlType.Q8_0 : GgmlType.Q6_K;
            } else if ((tensor.endsWith(".attn_v.weight") || tensor.endsWith(".ffn_down.weight")) && moreBits(layer, layers)) {
                t = GgmlType.Q6_K;
            }
            if (cols % t.blockSize != 0) {
                t = switch (t) {
                    case Q4_K -> GgmlType.Q5_0;
                    case Q5_K -> GgmlType.Q5_1;
                    case Q6_K -> GgmlType.Q8_0;
                    default -> t;
                };
                if (cols % t.blockSize != 0) t = GgmlType.F16;
            }
            return t;
        }

        /** llama.cpp's {@code use_more_bits}: the first and last eighth of the layers, and every third one between. */
        static boolean moreBits(int layer, int layers) {
            return layer < layers / 8 || layer >= 7 * layers / 8 || (layer - layers / 8) % 3 == 2;
        }
    }

    /** Every name {@link #parse} accepts. */
    static List<String> labels() {
        List<String> l = new ArrayList<>();
        for (GgmlType t : GgmlType.values()) if (t.supported) l.add(t.toString().toLowerCase(Locale.ROOT));
        for (KMix k : KMix.values()) l.add(k.label());
        return l;
    }

    /** {@code q4_k_m}, {@code q5_k_m}, or a supported type's name (case-insensitive); a clear error otherwise. */
    static QuantMix parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT);
        for (KMix k : KMix.values()) if (k.name().equals(n)) return k;
        for (GgmlType t : GgmlType.values()) if (t.supported && t.name().equals(n)) return new Pure(t);
        throw new IllegalArgumentException("unknown weight type '" + name + "' (" + String.join(", ", labels()) + ")");
    }
}
