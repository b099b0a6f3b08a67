package dev.ledgermind.gateway;

import dev.ledgermind.inference.tokenizer.Tokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns generated tokens into text as they come: only whole UTF-8 characters are released (a character
 * may span several byte-level tokens), and end-of-generation tokens give no text.
 */
final class TokenText {
    private final Tokenizer tokenizer;
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

    TokenText(Tokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** The text that {@code token} completes; often empty for a partial character. */
    String accept(int token) {
        if (tokenizer.isEndOfGeneration(token)) return "";
        pending.writeBytes(tokenizer.tokenBytes(token));
        byte[] b = pending.toByteArray();
        int complete = completeUtf8Prefix(b);
        if (complete == 0) return "";
        pending.reset();
        pending.write(b, complete, b.length - complete);
        return new String(b, 0, complete, StandardCharsets.UTF_8);
    }

    /** What is left at the end (an incomplete character decodes to U+FFFD). */
    String flush() {
        String s = pending.toString(StandardCharsets.UTF_8);
        pending.reset();
        return s;
    }

    static int completeUtf8Prefix(byte[] b) {
        for (int k = 1; k <= Math.min(4, b.length); k++) {
            int c = b[b.length - k] & 0xFF;
            if ((c & 0xC0) == 0x80) continue; // a continuation byte: look further back
            int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
            return need > k ? b.length - k : b.length;
        }
        return b.length;
    }
}
