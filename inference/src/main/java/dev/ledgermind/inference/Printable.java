package dev.ledgermind.inference;

/**
 * Names read from an input file (metadata keys, tensor and token names) as they may appear in an error
 * message or a log line: control, format and line-separator characters and unpaired surrogates are
 * written as a backslash, {@code u} and four hex digits. Without this, a name holding a newline could
 * forge a log line, and one holding terminal escapes could rewrite the operator's screen.
 */
public final class Printable {
    private Printable() {
    }

    public static String escape(String s) {
        StringBuilder b = null;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            int t = Character.getType(c);
            boolean bad = t == Character.CONTROL || t == Character.FORMAT || t == Character.LINE_SEPARATOR
                    || t == Character.PARAGRAPH_SEPARATOR
                    || (Character.isHighSurrogate(c) ? i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))
                    : Character.isLowSurrogate(c) && (i == 0 || !Character.isHighSurrogate(s.charAt(i - 1))));
            if (bad && b == null) b = new StringBuilder(s.length() + 16).append(s, 0, i);
            if (b != null) {
                if (bad) b.append(String.format("\\u%04x", (int) c));
                else b.append(c);
            }
        }
        return b == null ? s : b.toString();
    }
}
