package dev.ledgermind.inference.tokenizer.bpe;

import dev.ledgermind.inference.tokenizer.UnicodeCategories;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The pre-tokenizer of a byte-level BPE vocabulary (GGUF {@code tokenizer.ggml.pre}), as llama.cpp defines it:
 * a sequence of splits, each applied to every piece the previous one left. A split either is one of the three
 * patterns llama.cpp implements by hand (GPT-2's, Llama 3's, Qwen2's) or a regular expression.
 *
 * <p>The three hand-written splits follow their regex alternation by alternation over llama.cpp's code point
 * categories ({@link UnicodeCategories}), including where llama.cpp's code and the regex part ways (a lone
 * trailing space is its own piece in Llama 3's). The other regexes run as llama.cpp runs them: when the regex
 * names a category ({@code \p{L}}, {@code \p{N}}, ...) on a "collapsed" text where every code point above
 * U+007F is replaced by one character standing for its category (whitespace by U+000B), with the category
 * in the regex replaced by that character plus its ASCII members; otherwise on the text with non-ASCII
 * whitespace replaced by U+000B. Java's and ECMAScript's backtracking give the same leftmost-first matches
 * for these patterns; {@code $} is read as end of piece ({@code \z}).
 *
 * <p>Unknown names are refused, as llama.cpp refuses them: a guessed split silently changes every prompt.
 */
public final class PreTokenizer {
    private static final String GPT2 = "gpt2", LLAMA3 = "llama3", QWEN2 = "qwen2";
    private static final String GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";

    /** llama.cpp's pre-tokenizer names and the split sequence each one means. */
    private static final Map<String, List<String>> SEQUENCES = new LinkedHashMap<>();
    /** Names whose vocabularies take a piece that is itself a token whole (llama.cpp's ignore_merges). */
    private static final List<String> IGNORE_MERGES = new ArrayList<>();
    /** Names for which llama.cpp adds BOS when the file has no tokenizer.ggml.add_bos_token. */
    private static final List<String> ADD_BOS = new ArrayList<>();

    static {
        for (String n : List.of("llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano")) {
            SEQUENCES.put(n, List.of(LLAMA3));
            IGNORE_MERGES.add(n);
            ADD_BOS.add(n);
        }
        for (String n : List.of("dbrx", "smaug-bpe")) SEQUENCES.put(n, List.of(LLAMA3));
        for (String n : List.of("qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open")) {
            SEQUENCES.put(n, List.of(QWEN2));
        }
        for (String n : List.of("starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b", "mellum2")) {
            SEQUENCES.put(n, List.of("\\p{N}", GPT2));
        }
        for (String n : List.of("gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
                "modern-bert", "exaone4", "mpt", "olmo", "jais", "jina-v1-en", "jina-v2-code", "roberta-bpe")) {
            SEQUENCES.put(n, List.of(GPT2));
        }
        // llama.cpp's deepseek-llm set, character for character (escaped: an editor's normalisation would change the ranges)
        SEQUENCES.put("deepseek-llm", List.of(
                "[\r\n]",
                "\\s?[A-Za-z\u00b5\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u01ba\u01bc-\u01bf\u01c4-\u0293\u0295-\u02af\u0370-\u0373\u0376\u0377\u037b-\u037d\u037f\u0386\u0388-\u038a\u038c\u038e-\u03a1\u03a3-\u03f5\u03f7-\u0481\u048a-\u052f\u0531-\u0556\u10a0-\u10c5\u13a0-\u13f5\u13f8-\u13fd\u1c90-\u1cba\u1cbd-\u1cbf\u1d00-\u1d2b\u1d6b-\u1d77\u1d79-\u1d9a\u1e00-\u1f15\u1f18-\u1f1d\u1f20-\u1f45\u1f48-\u1f4d\u1f50-\u1f57\u1f59\u1f5b\u1f5d\u1f5f-\u1f7d\u1f80-\u1fb4\u1fb6-\u1fbc\u1fbe\u1fc2-\u1fc4\u1fc6-\u1fcc\u1fd0-\u1fd3\u1fd6-\u1fdb\u1fe0-\u1fec\u1ff2-\u1ff4\u1ff6-\u1ffc\u2102\u2107\u210a-\u2113\u2115\u2119-\u211d\u2124\u2126\u2128\u212a-\u212d\u212f-\u2134\u2139\u213c-\u213f\u2145-\u2149\u214e\u2183\u2184\u2c00-\u2c7b\u2c7e-\u2ce4\u2ceb-\u2cee\u2cf2\u2cf3\ua640-\ua66d\ua680-\ua69b\ua722-\ua76f\ua771-\ua787\ua78b-\ua78e\uab70-\uabbf\ufb00-\ufb06\ufb13-\ufb17\uff21-\uff3a\uff41-\uff5a\ud801\udc00-\ud801\udc4f\ud801\udcb0-\ud801\udcd3\ud801\udcd8-\ud801\udcfb\ud803\udc80-\ud803\udcb2\ud803\udcc0-\ud803\udcf2\ud806\udca0-\ud806\udcdf\ud83a\udd00-\ud83a\udd43]+",
                "\\s?[!-/:-~\uff01-\uff0f\uff1a-\uff5e\u2018-\u201f\u3000-\u3002]+",
                "\\s+$",
                "[\u4e00-\u9fa5\u0800-\u4e00\uac00-\ud7ff]+",
                "\\p{N}+"));
        SEQUENCES.put("default", List.of("[\\p{P}\\$\\+<=>\\^~\\|]+", GPT2, "\\p{N}+", "[0-9][0-9][0-9]"));
    }

    private interface Split {
        /** Splits each piece {@code [start, start + length)} of {@code cps} listed in {@code in}; appends the new lengths to {@code out}. */
        void apply(int[] cps, Text text, int[] in, int n, IntList out);
    }

    private final String name;
    private final Split[] splits;
    private final boolean ignoreMerges;
    private final boolean addBosByDefault;

    private PreTokenizer(String name) {
        this.name = name;
        List<String> seq = SEQUENCES.get(name);
        this.splits = new Split[seq.size()];
        for (int i = 0; i < splits.length; i++) splits[i] = step(seq.get(i));
        this.ignoreMerges = IGNORE_MERGES.contains(name);
        this.addBosByDefault = ADD_BOS.contains(name);
    }

    /** The pre-tokenizer llama.cpp means by {@code name}; an {@link IllegalArgumentException} naming the known ones otherwise. */
    public static PreTokenizer forName(String name) {
        if (!SEQUENCES.containsKey(name)) {
            throw new IllegalArgumentException("unknown pre-tokenizer '" + name + "' (llama.cpp refuses it too); known: " + String.join(", ", SEQUENCES.keySet()));
        }
        return new PreTokenizer(name);
    }

    public String name() {
        return name;
    }

    /** llama.cpp's ignore_merges: a piece that is itself a token is taken whole (Llama 3). */
    public boolean ignoreMerges() {
        return ignoreMerges;
    }

    /** Whether llama.cpp adds BOS for this pre-tokenizer when the file does not say (llama-bpe and its aliases). */
    public boolean addBosByDefault() {
        return addBosByDefault;
    }

    /** The pieces of {@code text}, in order; their concatenation is {@code text}. */
    public List<String> split(String text) {
        int[] cps = text.codePoints().toArray();
        Text t = new Text(cps);
        IntList cur = new IntList();
        cur.add(cps.length);
        for (Split s : splits) {
            IntList next = new IntList();
            s.apply(cps, t, cur.a, cur.n, next);
            cur = next;
        }
        List<String> out = new ArrayList<>(cur.n);
        int start = 0;
        for (int i = 0; i < cur.n; i++) {
            out.add(new String(cps, start, cur.a[i]));
            start += cur.a[i];
        }
        return out;
    }

    private static Split step(String pattern) {
        return switch (pattern) {
            case GPT2 -> scan(PreTokenizer::gpt2);
            case LLAMA3 -> scan((cps, pos, end) -> llama3(cps, pos, end, 3));
            case QWEN2 -> scan((cps, pos, end) -> llama3(cps, pos, end, 1));
            default -> regex(pattern);
        };
    }

    // ---- the hand-written splits ----------------------------------------------------------------

    private static boolean ws(int[] cps, int pos, int end) {
        return pos < end && UnicodeCategories.isWhitespace(cps[pos]);
    }

    private static boolean letter(int[] cps, int pos, int end) {
        return pos < end && UnicodeCategories.isLetter(cps[pos]);
    }

    private static boolean number(int[] cps, int pos, int end) {
        return pos < end && UnicodeCategories.isNumber(cps[pos]);
    }

    /** Neither whitespace, letter nor number, and inside the piece: {@code [^\s\p{L}\p{N}]}. */
    private static boolean other(int[] cps, int pos, int end) {
        return pos < end && !ws(cps, pos, end) && !letter(cps, pos, end) && !number(cps, pos, end);
    }

    private static int lower(int cp) {
        return cp >= 'A' && cp <= 'Z' ? cp + 32 : cp;
    }

    /** Length of the contraction ('s 't 'm 'd 're 've 'll) at {@code pos}, or 0; {@code fold} makes it case-insensitive. */
    private static int contraction(int[] cps, int pos, int end, boolean fold) {
        if (cps[pos] != '\'' || pos + 1 >= end) return 0;
        int a = fold ? lower(cps[pos + 1]) : cps[pos + 1];
        if (a == 's' || a == 't' || a == 'm' || a == 'd') return 2;
        if (pos + 2 >= end) return 0;
        int b = fold ? lower(cps[pos + 2]) : cps[pos + 2];
        return (a == 'r' && b == 'e') || (a == 'v' && b == 'e') || (a == 'l' && b == 'l') ? 3 : 0;
    }

    /** The end of the piece that starts at {@code pos} ({@code pos < end}) of a hand-written split. */
    private interface PieceEnd {
        int at(int[] cps, int pos, int end);
    }

    /** A hand-written split: pieces one after the other, each ending where {@code piece} says. */
    private static Split scan(PieceEnd piece) {
        return (cps, text, in, n, out) -> {
            int start = 0;
            for (int k = 0; k < n; k++) {
                int end = start + in[k];
                for (int pos = start; pos < end; ) {
                    int next = piece.at(cps, pos, end);
                    assert next > pos && next <= end;
                    out.add(next - pos);
                    pos = next;
                }
                start = end;
            }
        };
    }

    /** GPT-2: {@code 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+}. */
    private static int gpt2(int[] cps, int pos, int end) {
        int c = contraction(cps, pos, end, false);
        if (c > 0) return pos + c;
        int p2 = cps[pos] == ' ' ? pos + 1 : pos;
        if (letter(cps, p2, end)) {
            pos = p2;
            while (letter(cps, pos, end)) pos++;
            return pos;
        }
        if (number(cps, p2, end)) {
            pos = p2;
            while (number(cps, pos, end)) pos++;
            return pos;
        }
        if (other(cps, p2, end)) {
            pos = p2;
            while (other(cps, pos, end)) pos++;
            return pos;
        }
        int w = 0;
        while (ws(cps, pos + w, end)) w++;
        if (w > 1 && pos + w < end) return pos + w - 1; // \s+(?!\S): the last space goes with what follows
        return pos + Math.max(w, 1);
    }

    /**
     * Llama 3 ({@code digits} = 3) and Qwen2 ({@code digits} = 1):
     * {@code (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+}.
     */
    private static int llama3(int[] cps, int pos, int end, int digits) {
        int from = pos;
        int cp = cps[pos];
        int c = contraction(cps, pos, end, true);
        if (c > 0) return pos + c;
        if (!(cp == '\r' || cp == '\n' || number(cps, pos, end)) && (letter(cps, pos, end) || letter(cps, pos + 1, end))) {
            pos++;
            while (letter(cps, pos, end)) pos++;
            return pos;
        }
        if (number(cps, pos, end)) {
            while (number(cps, pos, end) && pos - from < digits) pos++;
            return pos;
        }
        int p2 = cp == ' ' ? pos + 1 : pos;
        // as llama.cpp: past the piece's end counts as "not whitespace, letter or number" here
        if (!ws(cps, p2, end) && !letter(cps, p2, end) && !number(cps, p2, end)) {
            pos = p2;
            while (other(cps, pos, end)) pos++;
            while (pos < end && (cps[pos] == '\r' || cps[pos] == '\n')) pos++;
            return pos;
        }
        int w = 0, lastNewline = -1;
        while (ws(cps, pos + w, end)) {
            if (cps[pos + w] == '\r' || cps[pos + w] == '\n') lastNewline = pos + w + 1;
            w++;
        }
        if (lastNewline > 0) return lastNewline;            // \s*[\r\n]+
        if (w > 1 && pos + w < end) return pos + w - 1;     // \s+(?!\S)
        return pos + Math.max(w, 1);                        // \s+, or one character no alternative takes
    }

    // ---- regex splits ---------------------------------------------------------------------------

    /** The text of a piece sequence in the two forms the regex splits run on, built on first use. */
    private static final class Text {
        final int[] cps;
        String collapsed;
        String raw;
        int[] rawIndex; // code point index -> UTF-16 index in raw (length cps.length + 1)
        int[] cpIndex;  // UTF-16 index -> code point index

        Text(int[] cps) {
            this.cps = cps;
        }

        String collapsed() {
            if (collapsed == null) {
                char[] c = new char[cps.length];
                for (int i = 0; i < cps.length; i++) c[i] = collapse(cps[i]);
                collapsed = new String(c);
            }
            return collapsed;
        }

        String raw() {
            if (raw == null) {
                StringBuilder b = new StringBuilder(cps.length);
                rawIndex = new int[cps.length + 1];
                for (int i = 0; i < cps.length; i++) {
                    rawIndex[i] = b.length();
                    int cp = cps[i];
                    b.appendCodePoint(cp > 0x7F && UnicodeCategories.isWhitespace(cp) ? 0x0B : cp);
                }
                rawIndex[cps.length] = b.length();
                cpIndex = new int[b.length() + 1];
                for (int i = 0; i <= cps.length; i++) cpIndex[rawIndex[i]] = i;
                raw = b.toString();
            }
            return raw;
        }
    }

    private static final char[] CATEGORY_CHAR = new char[8];

    static {
        Arrays.fill(CATEGORY_CHAR, '\u00D0');
        CATEGORY_CHAR[UnicodeCategories.NUMBER] = '\u00D1';
        CATEGORY_CHAR[UnicodeCategories.LETTER] = '\u00D2';
        CATEGORY_CHAR[UnicodeCategories.PUNCTUATION] = '\u00D3';
        CATEGORY_CHAR[UnicodeCategories.MARK] = '\u00D4';
        CATEGORY_CHAR[UnicodeCategories.SYMBOL] = '\u00D5';
    }

    private static char collapse(int cp) {
        if (cp < 128) return (char) cp;
        if (UnicodeCategories.isWhitespace(cp)) return '\u000B';
        return CATEGORY_CHAR[UnicodeCategories.category(cp)];
    }

    /** {@code \p{X}} in a collapsed regex: the category's stand-in character and its ASCII members (llama.cpp's table). */
    private static final Map<String, String> CATEGORY_CLASS = Map.of(
            "\\p{N}", "\u00D10-9",
            "\\p{L}", "\u00D2A-Za-z",
            "\\p{P}", "\u00D3!-#%-*,-/:-;?-@\\[-\\]_\\{\\}",
            "\\p{M}", "\u00D4",
            "\\p{S}", "\u00D5\\$\\+<=>\\^`\\|~");

    private static Split regex(String pattern) {
        boolean collapsed = CATEGORY_CLASS.keySet().stream().anyMatch(pattern::contains);
        Pattern p = Pattern.compile(collapsed ? collapseRegex(pattern) : pattern.replace("$", "\\z"));
        return (cps, text, in, n, out) -> {
            String s = collapsed ? text.collapsed() : text.raw();
            Matcher m = p.matcher(s);
            int start = 0;
            for (int k = 0; k < n; k++) {
                int end = start + in[k];
                int from = collapsed ? start : text.rawIndex[start];
                int to = collapsed ? end : text.rawIndex[end];
                m.region(from, to);
                int last = start;
                while (m.find()) {
                    int ms = collapsed ? m.start() : text.cpIndex[m.start()];
                    int me = collapsed ? m.end() : text.cpIndex[m.end()];
                    if (ms > last) out.add(ms - last);
                    out.add(me - ms);
                    last = me;
                }
                if (last < end) out.add(end - last);
                start = end;
            }
        };
    }

    private static String collapseRegex(String pattern) {
        StringBuilder b = new StringBuilder();
        boolean inside = false;
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (c == '[' && (i == 0 || pattern.charAt(i - 1) != '\\')) {
                inside = true;
                b.append(c);
                continue;
            }
            if (inside && c == ']' && pattern.charAt(i - 1) != '\\') {
                inside = false;
                b.append(c);
                continue;
            }
            if (c == '\\' && pattern.startsWith("\\p{", i)) {
                int close = pattern.indexOf('}', i);
                String cls = CATEGORY_CLASS.get(pattern.substring(i, close + 1));
                if (cls == null) throw new IllegalArgumentException("regex category " + pattern.substring(i, close + 1) + " has no collapsed form");
                b.append(inside ? cls : "[" + cls + "]");
                i = close;
                continue;
            }
            if (c > 0x7F) throw new IllegalArgumentException("a collapsed regex must be ASCII: " + pattern);
            b.append(c);
        }
        return b.toString();
    }

    /** A growable int list (piece lengths). */
    private static final class IntList {
        int[] a = new int[16];
        int n;

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }
    }
}
