package dev.ledgermind.inference.gguf;

/**
 * A GGUF file that cannot be read or does not describe a usable model. The message names the field
 * (metadata key, tensor name or header field) and the byte offset where the problem was found.
 */
public class GgufFormatException extends RuntimeException {
    public GgufFormatException(String message) {
        super(message);
    }

    public GgufFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
