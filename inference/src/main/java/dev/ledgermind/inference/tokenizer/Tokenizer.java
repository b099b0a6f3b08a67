package dev.ledgermind.inference.tokenizer;

/**
 * A text tokenizer for a generative model: text to token ids and back. Implementations read their
 * vocabulary from the model file (GGUF {@code tokenizer.ggml.*} metadata).
 */
public interface Tokenizer {
    /**
     * Token ids of {@code text}, without BOS/EOS, as llama.cpp's {@code llama_tokenize(add_special = false)}:
     * control and unknown tokens written in the text are matched when {@code parseSpecial}, user-defined ones always.
     */
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

    /** True for tokens that end generation: EOS, end of turn and the others llama.cpp stops on ({@link Vocabulary}). */
    boolean isEndOfGeneration(int token);

    /** Every end-of-generation id, ascending. */
    int[] endOfGenerationTokens();

    /** Whether a prompt starts with BOS for this model (llama.cpp's rule: {@link GgufTokenizers}). */
    boolean addBos();

    /** The id of a token string, or -1. */
    int tokenId(String piece);

    /** The token's text as the vocabulary stores it ({@code <|eot_id|>}, {@code ▁the}, {@code Ġthe}). */
    String tokenText(int token);
}
