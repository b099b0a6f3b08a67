package dev.ledgermind.inference.fuzz;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Turns fuzzer bytes into the text a tokenizer sees. The first byte holds flags for the target; the
 * rest is the text, read either as UTF-8 (malformed bytes become U+FFFD, as a lenient reader would)
 * or as raw UTF-16 code units, which reaches what UTF-8 cannot: lone surrogates, as a JSON
 * {@code "\ud800"} escape or a command-line argument can deliver them.
 */
final class FuzzText {
    private FuzzText() {
    }

    static int flags(byte[] input) {
        return input.length == 0 ? 0 : input[0] & 0xFF;
    }

    static byte[] body(byte[] input) {
        return input.length == 0 ? input : Arrays.copyOfRange(input, 1, input.length);
    }

    /** The text of {@code input}: UTF-16 code units when {@code utf16}, else UTF-8. */
    static String text(byte[] input, boolean utf16) {
        byte[] b = body(input);
        if (!utf16) return new String(b, StandardCharsets.UTF_8);
        char[] c = new char[b.length / 2];
        for (int i = 0; i < c.length; i++) c[i] = (char) ((b[2 * i] & 0xFF) | (b[2 * i + 1] & 0xFF) << 8);
        return new String(c);
    }

    /** Whether {@code s} is well-formed UTF-16 (every surrogate paired), so that UTF-8 round-trips it. */
    static boolean wellFormed(String s) {
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (Character.isHighSurrogate(ch) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) i++;
            else if (Character.isSurrogate(ch)) return false;
        }
        return true;
    }
}
