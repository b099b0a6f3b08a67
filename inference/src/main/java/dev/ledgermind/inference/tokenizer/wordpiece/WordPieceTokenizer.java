package dev.ledgermind.inference.tokenizer.wordpiece;

import dev.ledgermind.inference.Printable;
import dev.ledgermind.inference.task.Utf8Text;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * BERT's WordPiece tokenizer, configured from a Hugging Face {@code tokenizer.json}:
 * <ol>
 *   <li>BertNormalizer: drop control characters, NUL and U+FFFD, turn whitespace into spaces, put spaces
 *       around CJK ideographs, lower-case, and strip accents (NFD, drop combining marks) when asked or
 *       when lower-casing with {@code strip_accents: null}, as BERT does;</li>
 *   <li>BertPreTokenizer: split on whitespace, and make every punctuation character its own word;</li>
 *   <li>WordPiece: greedy longest-match-first with the {@code ##} continuation prefix; a word with no
 *       match, or longer than {@code max_input_chars_per_word}, becomes {@code [UNK]};</li>
 *   <li>[CLS] ... [SEP], truncated so the whole sequence fits {@code maxLength}.</li>
 * </ol>
 */
public final class WordPieceTokenizer {
    /** Token ids of one text, and whether it was truncated to fit. */
    public record Encoding(int[] ids, boolean truncated, int untruncatedLength) {}

    private final Map<String, Integer> vocab;
    private final int cls, sep, unk;
    private final String prefix;
    private final int maxCharsPerWord;
    private final boolean lowercase, stripAccents, cleanText, chineseChars;
    private final int maxLength;

    private WordPieceTokenizer(Map<String, Integer> vocab, int cls, int sep, int unk, String prefix, int maxCharsPerWord,
                               boolean lowercase, boolean stripAccents, boolean cleanText, boolean chineseChars, int maxLength) {
        this.vocab = vocab;
        this.cls = cls;
        this.sep = sep;
        this.unk = unk;
        this.prefix = prefix;
        this.maxCharsPerWord = maxCharsPerWord;
        this.lowercase = lowercase;
        this.stripAccents = stripAccents;
        this.cleanText = cleanText;
        this.chineseChars = chineseChars;
        this.maxLength = maxLength;
    }

    /** Reads a tokenizer.json; {@code maxLength} caps the sequence (including [CLS] and [SEP]). */
    public static WordPieceTokenizer fromJson(byte[] json, String source, int maxLength) {
        JsonNode root;
        try {
            // strict UTF-8 first (the format's encoding; Jackson would also guess UTF-16 or UTF-32)
            root = new ObjectMapper().readTree(Utf8Text.decode(json, source));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not valid JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + " (character offset " + e.getLocation().getCharOffset() + "): "
                    + Printable.escape(e.getOriginalMessage()), e);
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(source + ": $ is not a JSON object");
        JsonNode model = root.path("model");
        if (!"WordPiece".equals(model.path("type").asText())) {
            throw new IllegalArgumentException(source + ": model.type is '" + Printable.escape(model.path("type").asText())
                    + "', expected WordPiece (this tokenizer does not match a BERT-family encoder)");
        }
        JsonNode v = model.path("vocab");
        if (!v.isObject() || v.isEmpty()) throw new IllegalArgumentException(source + ": model.vocab is missing or empty");
        Map<String, Integer> vocab = new HashMap<>(v.size() * 2);
        v.fields().forEachRemaining(e -> {
            // ids index the model's embedding rows: each must be an integer in [0, size)
            JsonNode id = e.getValue();
            if (!id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0 || id.asInt() >= v.size()) {
                throw new IllegalArgumentException(source + ": model.vocab['" + Printable.escape(e.getKey()) + "'] = "
                        + Printable.escape(id.toString()) + " is not an id in [0, " + v.size() + ")");
            }
            vocab.put(e.getKey(), id.asInt());
        });
        JsonNode norm = root.path("normalizer");
        boolean lower = norm.path("lowercase").asBoolean(true);
        JsonNode strip = norm.path("strip_accents");
        boolean stripAccents = strip.isNull() || strip.isMissingNode() ? lower : strip.asBoolean();
        String unkToken = model.path("unk_token").asText("[UNK]");
        return new WordPieceTokenizer(vocab, id(vocab, "[CLS]", source), id(vocab, "[SEP]", source), id(vocab, unkToken, source),
                model.path("continuing_subword_prefix").asText("##"), model.path("max_input_chars_per_word").asInt(100),
                lower, stripAccents, norm.path("clean_text").asBoolean(true), norm.path("handle_chinese_chars").asBoolean(true),
                maxLength);
    }

    private static int id(Map<String, Integer> vocab, String token, String source) {
        Integer id = vocab.get(token);
        if (id == null) throw new IllegalArgumentException(source + ": model.vocab has no " + Printable.escape(token) + " token");
        return id;
    }

    public int vocabSize() {
        return vocab.size();
    }

    public int maxLength() {
        return maxLength;
    }

    /** Tokenizes one text: [CLS] pieces [SEP], truncated to {@link #maxLength()}. */
    public Encoding encode(String text) {
        List<Integer> pieces = new ArrayList<>();
        for (String word : preTokenize(normalize(text))) wordPiece(word, pieces);
        int room = maxLength - 2;
        boolean truncated = pieces.size() > room;
        int n = Math.min(pieces.size(), room);
        int[] ids = new int[n + 2];
        ids[0] = cls;
        for (int i = 0; i < n; i++) ids[i + 1] = pieces.get(i);
        ids[n + 1] = sep;
        return new Encoding(ids, truncated, pieces.size() + 2);
    }

    String normalize(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(cp -> {
            if (cleanText) {
                if (cp == 0 || cp == 0xFFFD || isControl(cp)) return;
                if (isWhitespace(cp)) {
                    out.append(' ');
                    return;
                }
            }
            if (chineseChars && isCjk(cp)) {
                out.append(' ').appendCodePoint(cp).append(' ');
                return;
            }
            out.appendCodePoint(cp);
        });
        String s = out.toString();
        if (lowercase) s = s.toLowerCase(java.util.Locale.ROOT);
        if (stripAccents) {
            String nfd = Normalizer.normalize(s, Normalizer.Form.NFD);
            StringBuilder b = new StringBuilder(nfd.length());
            nfd.codePoints().filter(cp -> Character.getType(cp) != Character.NON_SPACING_MARK).forEach(b::appendCodePoint);
            s = b.toString();
        }
        return s;
    }

    List<String> preTokenize(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        text.codePoints().forEach(cp -> {
            if (isWhitespace(cp)) {
                flush(cur, words);
            } else if (isPunctuation(cp)) {
                flush(cur, words);
                words.add(new String(Character.toChars(cp)));
            } else {
                cur.appendCodePoint(cp);
            }
        });
        flush(cur, words);
        return words;
    }

    private static void flush(StringBuilder cur, List<String> words) {
        if (!cur.isEmpty()) {
            words.add(cur.toString());
            cur.setLength(0);
        }
    }

    private void wordPiece(String word, List<Integer> out) {
        if (word.codePointCount(0, word.length()) > maxCharsPerWord) {
            out.add(unk);
            return;
        }
        List<Integer> pieces = new ArrayList<>();
        int start = 0;
        while (start < word.length()) {
            int end = word.length();
            Integer found = null;
            while (start < end) {
                String sub = (start > 0 ? prefix : "") + word.substring(start, end);
                found = vocab.get(sub);
                if (found != null) break;
                end = Character.isLowSurrogate(word.charAt(end - 1)) && end - 2 > start ? end - 2 : end - 1;
            }
            if (found == null) {
                out.add(unk);
                return;
            }
            pieces.add(found);
            start = end;
        }
        out.addAll(pieces);
    }

    private static boolean isWhitespace(int cp) {
        return cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || Character.getType(cp) == Character.SPACE_SEPARATOR;
    }

    private static boolean isControl(int cp) {
        if (cp == '\t' || cp == '\n' || cp == '\r') return false;
        int t = Character.getType(cp);
        return t == Character.CONTROL || t == Character.FORMAT || t == Character.PRIVATE_USE || t == Character.SURROGATE
                || t == Character.UNASSIGNED;
    }

    private static boolean isPunctuation(int cp) {
        if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
        int t = Character.getType(cp);
        return t == Character.CONNECTOR_PUNCTUATION || t == Character.DASH_PUNCTUATION || t == Character.START_PUNCTUATION
                || t == Character.END_PUNCTUATION || t == Character.INITIAL_QUOTE_PUNCTUATION
                || t == Character.FINAL_QUOTE_PUNCTUATION || t == Character.OTHER_PUNCTUATION;
    }

    private static boolean isCjk(int cp) {
        return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) || (cp >= 0x20000 && cp <= 0x2A6DF)
                || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F) || (cp >= 0x2B820 && cp <= 0x2CEAF)
                || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);
    }
}
