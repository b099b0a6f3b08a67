package dev.ledgermind.inference.tokenizer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Code point categories and whitespace exactly as llama.cpp's {@code unicode-data.cpp} has them, read from
 * {@code unicode-categories.txt} (extracted from llama.cpp by inference/scripts/llamacpp-vectors/unicode-flags.mjs).
 *
 * <p>Why a table and not {@link Character#getType}: the JDK's Unicode version changes with the JDK, and a
 * pre-tokenizer that splits differently on two JDKs gives two nodes different prompts. With llama.cpp's table
 * the split is the same on every JVM and the same as llama.cpp's. Whitespace is llama.cpp's set of 25 code
 * points (the ASCII controls U+001C..U+001F, which {@link Character#isWhitespace} counts, are not in it).
 */
public final class UnicodeCategories {
    public static final byte UNDEFINED = 0, NUMBER = 1, LETTER = 2, SEPARATOR = 3, MARK = 4, PUNCTUATION = 5, SYMBOL = 6, CONTROL = 7;
    private static final int MAX = 0x110000;
    private static final byte[] CATEGORY = new byte[MAX];
    private static final boolean[] WHITESPACE = new boolean[0x3001];

    static {
        String name = "unicode-categories.txt";
        try (InputStream in = UnicodeCategories.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("resource " + name + " is missing from the inference jar");
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            int start = -1;
            byte cat = UNDEFINED;
            String line;
            while ((line = r.readLine()) != null) {
                if (line.isEmpty() || line.startsWith("#")) continue;
                String[] f = line.split(" ");
                int cp = Integer.parseInt(f[1], 16);
                if (f[0].equals("W")) {
                    WHITESPACE[cp] = true;
                } else {
                    if (start >= 0) java.util.Arrays.fill(CATEGORY, start, cp, cat);
                    start = cp;
                    cat = switch (f[2]) {
                        case "N" -> NUMBER;
                        case "L" -> LETTER;
                        case "Z" -> SEPARATOR;
                        case "M" -> MARK;
                        case "P" -> PUNCTUATION;
                        case "S" -> SYMBOL;
                        case "C" -> CONTROL;
                        default -> UNDEFINED;
                    };
                }
            }
            java.util.Arrays.fill(CATEGORY, start, MAX, cat);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private UnicodeCategories() {
    }

    /** The category of a code point (one of the constants above). */
    public static byte category(int cp) {
        return cp >= 0 && cp < MAX ? CATEGORY[cp] : UNDEFINED;
    }

    public static boolean isWhitespace(int cp) {
        return cp >= 0 && cp < WHITESPACE.length && WHITESPACE[cp];
    }

    public static boolean isLetter(int cp) {
        return category(cp) == LETTER;
    }

    public static boolean isNumber(int cp) {
        return category(cp) == NUMBER;
    }
}
