package dev.ledgermind.inference.tokenizer;

import dev.ledgermind.inference.gguf.GgufFormatException;
import dev.ledgermind.inference.gguf.GgufMetadata;
import dev.ledgermind.inference.tokenizer.bpe.BpeTokenizer;
import dev.ledgermind.inference.tokenizer.bpe.PreTokenizer;
import dev.ledgermind.inference.tokenizer.sentencepiece.SentencePieceTokenizer;

/**
 * Builds a model's {@link Tokenizer} from GGUF {@code tokenizer.ggml.*} metadata with llama.cpp's rules:
 * {@code gpt2} (byte-level BPE, pre-tokenizer from {@code tokenizer.ggml.pre}, "default" when absent, an unknown
 * name refused) or {@code llama} (SentencePiece with byte fallback).
 *
 * <p>Defaults where the file is silent, as llama.cpp's: SentencePiece BOS 1, EOS 2, unknown 0 and BOS added;
 * BPE BOS and EOS 11 (llama.cpp's historical default, kept for the same EOG set) and BOS added only for the
 * Llama 3 pre-tokenizers ({@code llama-bpe} and its aliases). {@code tokenizer.ggml.add_bos_token} overrides.
 * A default id outside the vocabulary is dropped. An id the file gives outside the vocabulary, a missing or
 * malformed key gives a {@link GgufFormatException} naming the key (llama.cpp would warn and go on).
 */
public final class GgufTokenizers {
    private GgufTokenizers() {
    }

    public static Tokenizer of(GgufMetadata m, int modelVocab) {
        String model = m.getString("tokenizer.ggml.model");
        String[] tokens = m.getStringArray("tokenizer.ggml.tokens");
        if (tokens.length != modelVocab) {
            throw new GgufFormatException(m.source() + ": metadata 'tokenizer.ggml.tokens' has " + tokens.length
                    + " tokens but token_embd.weight has " + modelVocab + " rows");
        }
        int[] types = m.has("tokenizer.ggml.token_type") ? m.getIntArray("tokenizer.ggml.token_type") : null;
        if (types != null && types.length != tokens.length) {
            throw new GgufFormatException(m.source() + ": metadata 'tokenizer.ggml.token_type' has " + types.length
                    + " entries for " + tokens.length + " tokens");
        }
        int n = tokens.length;
        return switch (model) {
            case "gpt2" -> {
                String preName = m.getString("tokenizer.ggml.pre", "default");
                PreTokenizer pre;
                try {
                    pre = PreTokenizer.forName(preName);
                } catch (IllegalArgumentException e) {
                    throw new GgufFormatException(m.source() + ": metadata 'tokenizer.ggml.pre' = '" + preName + "': " + e.getMessage());
                }
                Vocabulary v = new Vocabulary(tokens, types, ids(m, n, 11, 11, -1));
                yield new BpeTokenizer(v, m.getStringArray("tokenizer.ggml.merges"), pre,
                        m.getBool("tokenizer.ggml.add_bos_token", pre.addBosByDefault()));
            }
            case "llama" -> {
                float[] scores = m.getFloatArray("tokenizer.ggml.scores");
                if (scores.length != n) {
                    throw new GgufFormatException(m.source() + ": metadata 'tokenizer.ggml.scores' has " + scores.length
                            + " entries for " + n + " tokens");
                }
                Vocabulary v = new Vocabulary(tokens, types, ids(m, n, 1, 2, 0));
                yield new SentencePieceTokenizer(v, scores, m.getBool("tokenizer.ggml.add_bos_token", true),
                        m.getBool("tokenizer.ggml.add_space_prefix", true));
            }
            default -> throw new GgufFormatException(m.source() + ": metadata 'tokenizer.ggml.model' = '" + model
                    + "' is not supported (gpt2 or llama)");
        };
    }

    private static Vocabulary.Ids ids(GgufMetadata m, int n, int bos, int eos, int unk) {
        return new Vocabulary.Ids(
                id(m, "tokenizer.ggml.bos_token_id", n, bos),
                id(m, "tokenizer.ggml.eos_token_id", n, eos),
                id(m, "tokenizer.ggml.eot_token_id", n, -1),
                id(m, "tokenizer.ggml.eom_token_id", n, -1),
                id(m, "tokenizer.ggml.unknown_token_id", n, unk),
                id(m, "tokenizer.ggml.fim_pre_token_id", n, id(m, "tokenizer.ggml.prefix_token_id", n, -1)),
                id(m, "tokenizer.ggml.fim_suf_token_id", n, id(m, "tokenizer.ggml.suffix_token_id", n, -1)),
                id(m, "tokenizer.ggml.fim_mid_token_id", n, id(m, "tokenizer.ggml.middle_token_id", n, -1)),
                id(m, "tokenizer.ggml.fim_pad_token_id", n, -1),
                id(m, "tokenizer.ggml.fim_rep_token_id", n, -1),
                id(m, "tokenizer.ggml.fim_sep_token_id", n, -1));
    }

    private static int id(GgufMetadata m, String key, int vocab, int fallback) {
        if (!m.has(key)) return fallback < vocab ? fallback : -1;
        long v = m.getLong(key);
        if (v < 0 || v >= vocab) {
            throw new GgufFormatException(m.source() + ": metadata '" + key + "' = " + v + " is outside the vocabulary of " + vocab);
        }
        return (int) v;
    }
}
