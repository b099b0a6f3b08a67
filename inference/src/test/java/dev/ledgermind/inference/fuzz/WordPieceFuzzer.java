package dev.ledgermind.inference.fuzz;

import dev.ledgermind.inference.tokenizer.wordpiece.WordPieceTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.regex.Pattern;

/**
 * Fuzz target: BERT's WordPiece, both on arbitrary text with all-MiniLM-L6-v2's real vocabulary, and on
 * arbitrary bytes as the {@code tokenizer.json} that configures it. Flags (first byte): bit 0 parse the
 * rest as tokenizer.json, bit 1 read the text as UTF-16, bit 2 a short maximum length (8).
 *
 * <p>Encoding documents no error: any exception is a crash, and the encoding must be {@code [CLS] ...
 * [SEP]} within the maximum length with ids in the vocabulary. Reading tokenizer.json documents
 * {@link IllegalArgumentException}, whose message must name the JSON path or the byte offset.
 */
public final class WordPieceFuzzer {
    static final Pattern WHERE = Pattern.compile("^fuzz-tokenizer\\.json:? .*(byte offset \\d+|character offset \\d+|model\\.[a-z_]+|\\$ )");
    private static WordPieceTokenizer minilm, minilmShort;
    private static int cls, sep;

    private WordPieceFuzzer() {
    }

    public static synchronized void fuzzerInitialize() {
        if (minilm != null) return;
        byte[] json;
        try (InputStream in = WordPieceFuzzer.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2-tokenizer.json")) {
            json = in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        minilm = WordPieceTokenizer.fromJson(json, "all-minilm-l6-v2-tokenizer.json", 512);
        minilmShort = WordPieceTokenizer.fromJson(json, "all-minilm-l6-v2-tokenizer.json", 8);
        fuzzerTestOneInput(new byte[]{1, '{', '"', 'a', '"', ':', '[', '1', ',', 'n', 'u', 'l', 'l', ']'}); // loads the JSON classes
        int[] empty = minilm.encode("").ids();
        cls = empty[0];
        sep = empty[1];
    }

    public static void fuzzerTestOneInput(byte[] input) {
        int flags = FuzzText.flags(input);
        if ((flags & 1) != 0) {
            try {
                WordPieceTokenizer t = WordPieceTokenizer.fromJson(FuzzText.body(input), "fuzz-tokenizer.json", 16);
                t.encode("hello world");
            } catch (IllegalArgumentException e) {
                FormatErrors.requireWhere(e, WHERE);
            }
            return;
        }
        WordPieceTokenizer t = (flags & 4) != 0 ? minilmShort : minilm;
        int[] ids = t.encode(FuzzText.text(input, (flags & 2) != 0)).ids();
        if (ids.length < 2 || ids.length > t.maxLength() || ids[0] != cls || ids[ids.length - 1] != sep) {
            throw new AssertionError("not [CLS] ... [SEP] within " + t.maxLength() + ": " + java.util.Arrays.toString(ids));
        }
        for (int id : ids) if (id < 0 || id >= t.vocabSize()) throw new AssertionError("id " + id + " outside the vocabulary");
    }
}
