package dev.ledgermind.inference.fuzz;

import java.util.regex.Pattern;

/**
 * The check every fuzz target applies to a parser's documented format error: its message must say where
 * the input was wrong (the field, and the byte offset or JSON path). A message that does not is a
 * finding, like a crash: it is thrown as an {@link AssertionError}, which no target catches.
 */
public final class FormatErrors {
    private FormatErrors() {
    }

    public static void requireWhere(RuntimeException e, Pattern where) {
        String m = e.getMessage();
        if (m == null || !where.matcher(m).find()) {
            AssertionError a = new AssertionError("error message does not name the field and offset (expected /" + where.pattern()
                    + "/): " + e.getClass().getName() + ": " + m);
            a.initCause(e);
            throw a;
        }
    }
}
