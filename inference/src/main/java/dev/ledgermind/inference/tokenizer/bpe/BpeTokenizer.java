package dev.ledgermind.inference.tokenizer.bpe;

import dev.ledgermind.inference.tokenizer.VocabularyTokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * GPT-2 style byte-level BPE (GGUF {@code tokenizer.ggml.model = gpt2}). Encoding: special tokens are
 * split out first (longest match, when asked), the rest is split by the pre-tokenizer regex of
 * {@code tokenizer.ggml.pre}, each piece is mapped to the byte-level alphabet ({@link ByteLevel}), and
 * merges are applied lowest rank first (leftmost on ties) until none applies. With {@code ignoreMerges}
 * (llama-bpe) a piece that is itself a token is taken whole, as Llama 3's tokenizer does.
 */
public final class BpeTokenizer extends VocabularyTokenizer {
    /** Llama 3 (llama.cpp {@code llama-bpe}). */
    public static final String LLAMA3_PATTERN =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** Qwen2: as Llama 3 but digits one at a time. */
    public static final String QWEN2_PATTERN =
            "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
    /** SmolLM (llama.cpp's starcoder family): GPT-2's split with digits one at a time. */
    public static final String SMOLLM_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    /** GPT-2. */
    public static final String GPT2_PATTERN =
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    private final Map<String, Integer> mergeRank = new HashMap<>();
    private final int[] tokenType;
    private final List<String> specials = new ArrayList<>();
    private final Pattern pattern;
    private final boolean ignoreMerges;

    public BpeTokenizer(String[] tokens, String[] merges, int[] tokenType, String pre, int bos, int eos, int eot, boolean addBos) {
        super(tokens, bos, eos, eot, addBos);
        this.tokenType = tokenType;
        for (int i = 0; i < merges.length; i++) mergeRank.putIfAbsent(merges[i], i);
        if (tokenType != null) {
            // an empty control token (some vocabularies have one) matches nowhere: as a special string it
            // would match at every position without consuming any text
            for (int i = 0; i < tokens.length; i++) {
                if ((tokenType[i] == 3 || tokenType[i] == 4) && !tokens[i].isEmpty()) specials.add(tokens[i]);
            }
        }
        specials.sort(Comparator.comparingInt(String::length).reversed());
        String regex = switch (pre == null ? "default" : pre) {
            case "llama-bpe", "llama3", "llama-v3", "smaug-bpe" -> LLAMA3_PATTERN;
            case "qwen2", "deepseek-llm" -> QWEN2_PATTERN;
            case "smollm", "starcoder", "refact" -> SMOLLM_PATTERN;
            default -> GPT2_PATTERN;
        };
        this.pattern = Pattern.compile(regex, Pattern.UNICODE_CHARACTER_CLASS);
        this.ignoreMerges = regex.equals(LLAMA3_PATTERN);
    }

    @Override
    public int[] encode(String text, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        int i = 0;
        int start = 0;
        while (parseSpecial && i < text.length()) {
            String hit = null;
            for (String s : specials) {
                if (text.startsWith(s, i)) {
                    hit = s;
                    break;
                }
            }
            if (hit != null) {
                encodeOrdinary(text.substring(start, i), out);
                out.add(ids.get(hit));
                i += hit.length();
                start = i;
            } else {
                i++;
            }
        }
        encodeOrdinary(text.substring(start), out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeOrdinary(String text, List<Integer> out) {
        if (text.isEmpty()) return;
        Matcher m = pattern.matcher(text);
        int last = 0;
        while (m.find()) {
            if (m.start() > last) bpe(ByteLevel.encode(text.substring(last, m.start()).getBytes(StandardCharsets.UTF_8)), out);
            bpe(ByteLevel.encode(m.group().getBytes(StandardCharsets.UTF_8)), out);
            last = m.end();
        }
        if (last < text.length()) bpe(ByteLevel.encode(text.substring(last).getBytes(StandardCharsets.UTF_8)), out);
    }

    private void bpe(String piece, List<Integer> out) {
        if (piece.isEmpty()) return;
        if (ignoreMerges) {
            Integer whole = ids.get(piece);
            if (whole != null) {
                out.add(whole);
                return;
            }
        }
        List<String> sym = new ArrayList<>(piece.length());
        for (int i = 0; i < piece.length(); i++) sym.add(String.valueOf(piece.charAt(i)));
        while (sym.size() > 1) {
            int best = -1;
            int bestRank = Integer.MAX_VALUE;
            for (int i = 0; i + 1 < sym.size(); i++) {
                Integer r = mergeRank.get(sym.get(i) + " " + sym.get(i + 1));
                if (r != null && r < bestRank) {
                    bestRank = r;
                    best = i;
                }
            }
            if (best < 0) break;
            sym.set(best, sym.get(best) + sym.get(best + 1));
            sym.remove(best + 1);
        }
        for (String s : sym) {
            Integer id = ids.get(s);
            if (id != null) {
                out.add(id);
            } else {
                // Not in the vocabulary even as a merge result: fall back to single byte-level characters.
                for (int i = 0; i < s.length(); i++) {
                    Integer b = ids.get(String.valueOf(s.charAt(i)));
                    if (b == null) throw new IllegalArgumentException("the vocabulary has no token for byte-level character '" + s.charAt(i) + "'");
                    out.add(b);
                }
            }
        }
    }

    @Override
    public byte[] tokenBytes(int token) {
        if (token < 0 || token >= tokens.length) throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + tokens.length);
        String s = tokens[token];
        boolean special = tokenType != null && (tokenType[token] == 3 || tokenType[token] == 4);
        if (!special) {
            byte[] b = ByteLevel.decode(s);
            if (b != null) return b;
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
