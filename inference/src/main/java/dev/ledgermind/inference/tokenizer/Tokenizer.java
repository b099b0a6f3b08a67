package dev.ledgermind.inference.tokenizer;

/**
 * A text tokenizer for a generative model: text to token ids and back. Implementations read their
 * vocabulary from the model file (GGUF {@code tokenizer.ggml.*} metadata).
 */
public interface Tokenizer {
    /** Token ids of {@code text}, without BOS/EOS; special-token strings in the text are matched when {@code parseSpecial}. */
    int[] encode(String text, boolean parseSpecial);

    /** The bytes of one token (raw bytes: a UTF-8 character may span several tokens). */
    byte[] tokenBytes(int token);

    /** The text of a token sequence. */
    default String decode(int[] tokens) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int t : tokens) out.writeBytes(tokenBytes(t));
        return out.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    int vocabularySize();

    /** Beginning-of-sequence id, or -1. */
    int bos();

    /** End-of-sequence id, or -1. */
    int eos();

    /** True for tokens that end generation (EOS, end-of-turn). */
    boolean isEndOfGeneration(int token);

    /** Whether encode should prepend BOS for this model. */
    boolean addBos();

    /** The id of a token string, or -1. */
    int tokenId(String piece);
}
