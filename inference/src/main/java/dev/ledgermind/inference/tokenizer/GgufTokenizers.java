package dev.ledgermind.inference.tokenizer;

import dev.ledgermind.inference.gguf.GgufFormatException;
import dev.ledgermind.inference.gguf.GgufMetadata;
import dev.ledgermind.inference.tokenizer.bpe.BpeTokenizer;
import dev.ledgermind.inference.tokenizer.sentencepiece.SentencePieceTokenizer;

/**
 * Builds a model's {@link Tokenizer} from GGUF {@code tokenizer.ggml.*} metadata: {@code gpt2} (byte-level
 * BPE, pre-tokenizer from {@code tokenizer.ggml.pre}) or {@code llama} (SentencePiece with byte fallback).
 * A missing or malformed key gives a {@link GgufFormatException} naming the key.
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
        int bos = id(m, "tokenizer.ggml.bos_token_id", tokens.length);
        int eos = id(m, "tokenizer.ggml.eos_token_id", tokens.length);
        int eot = id(m, "tokenizer.ggml.eot_token_id", tokens.length);
        return switch (model) {
            case "gpt2" -> new BpeTokenizer(tokens, m.getStringArray("tokenizer.ggml.merges"), types,
                    m.getString("tokenizer.ggml.pre", "default"), bos, eos, eot,
                    m.getBool("tokenizer.ggml.add_bos_token", false));
            case "llama" -> {
                float[] scores = m.getFloatArray("tokenizer.ggml.scores");
                if (scores.length != tokens.length) {
                    throw new GgufFormatException(m.source() + ": metadata 'tokenizer.ggml.scores' has " + scores.length
                            + " entries for " + tokens.length + " tokens");
                }
                yield new SentencePieceTokenizer(tokens, scores, types, bos, eos, eot,
                        id(m, "tokenizer.ggml.unknown_token_id", tokens.length),
                        m.getBool("tokenizer.ggml.add_bos_token", true),
                        m.getBool("tokenizer.ggml.add_space_prefix", true));
            }
            default -> throw new GgufFormatException(m.source() + ": metadata 'tokenizer.ggml.model' = '" + model
                    + "' is not supported (gpt2 or llama)");
        };
    }

    private static int id(GgufMetadata m, String key, int vocab) {
        if (!m.has(key)) return -1;
        long v = m.getLong(key);
        if (v < 0 || v >= vocab) {
            throw new GgufFormatException(m.source() + ": metadata '" + key + "' = " + v + " is outside the vocabulary of " + vocab);
        }
        return (int) v;
    }
}
