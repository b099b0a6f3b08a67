package dev.ledgermind.inference.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * A GGUF vocabulary read the way llama.cpp reads it (src/llama-vocab.cpp): the token texts, their attributes,
 * the special ids, the end-of-generation set and the special tokens split out of text before tokenizing.
 *
 * <p>Rules, each one llama.cpp's:
 * <ul>
 * <li>An empty token text becomes {@code [EMPTY_<id>]}, so that it never matches text.</li>
 * <li>Attributes come from {@code tokenizer.ggml.token_type} (1 normal, 2 unknown, 3 control, 4 user-defined,
 *     5 unused, 6 byte). Tokens whose text marks an end of turn ({@link #EOG_TEXTS}) or a fill-in-the-middle
 *     role become control tokens whatever their type.</li>
 * <li>When the file names no end-of-turn, end-of-message or FIM id, it is found by text ({@code <|eot_id|>},
 *     {@code <|im_end|>}, {@code <|eom_id|>}, {@code <|fim_pad|>}, ...). Where several candidates exist,
 *     llama.cpp takes whichever its hash map yields first; here the lowest id.</li>
 * <li>End of generation: the FIM pad/repo/separator tokens, every token whose text is in {@link #EOG_TEXTS},
 *     and the EOS, EOT and EOM ids. Two exceptions follow llama.cpp: {@code <|end|>} is not EOG when
 *     {@code <|return|>} and {@code <|call|>} (or {@code <|calls|>} and {@code <|flush|>}) are, and
 *     {@code </s>} is not EOG (and back to normal) when {@code <|tool_response>} is.</li>
 * <li>Special tokens split out of text: control, user-defined and unknown tokens, longest UTF-8 text first (ties:
 *     lowest id), each split across every remaining text fragment before the next ({@link #partition}).
 *     User-defined tokens are always split out; control and unknown tokens only with special parsing on.</li>
 * </ul>
 */
public final class Vocabulary {
    // llama.cpp's token attributes (llama_token_attr)
    public static final int ATTR_UNKNOWN = 1, ATTR_UNUSED = 1 << 1, ATTR_NORMAL = 1 << 2, ATTR_CONTROL = 1 << 3,
            ATTR_USER_DEFINED = 1 << 4, ATTR_BYTE = 1 << 5;

    /** Token texts that end generation when present (llama.cpp's list). */
    public static final List<String> EOG_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>",
            "<|calls|>", "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]", "<|end_of_text|>",
            "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>", "[e~[");
    private static final List<String> EOT_TEXTS = List.of("<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>",
            "<|end_of_text|>", "<EOT>", "_<EOT>", "[EOT]", "<\uFF5Cend\u2581of\u2581sentence\uFF5C>", "<end_of_utterance>");
    private static final List<String> FIM_PRE = List.of("<|fim_prefix|>", "<fim-prefix>", "<fim_prefix>", "<\uFF5Cfim\u2581begin\uFF5C>",
            "<PRE>", "\u2581<PRE>", "<|code_prefix|>", "<|prefix|>");
    private static final List<String> FIM_SUF = List.of("<|fim_suffix|>", "<fim-suffix>", "<fim_suffix>", "<\uFF5Cfim\u2581hole\uFF5C>",
            "<SUF>", "\u2581<SUF>", "<|code_suffix|>", "<|suffix|>");
    private static final List<String> FIM_MID = List.of("<|fim_middle|>", "<fim-middle>", "<fim_middle>", "<\uFF5Cfim\u2581end\uFF5C>",
            "<MID>", "\u2581<MID>", "<|code_middle|>", "<|middle|>");
    private static final List<String> FIM_PAD = List.of("<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>", "[PAD]");
    private static final List<String> FIM_REP = List.of("<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<reponame>");
    private static final List<String> FIM_SEP = List.of("<|file_sep|>");

    /** The special ids a GGUF file names (-1 where it names none and llama.cpp has no default). */
    public record Ids(int bos, int eos, int eot, int eom, int unk, int fimPre, int fimSuf, int fimMid, int fimPad, int fimRep, int fimSep) {
        public static Ids of(int bos, int eos) {
            return new Ids(bos, eos, -1, -1, -1, -1, -1, -1, -1, -1, -1);
        }
    }

    /** A piece of text to tokenize ({@code token} = -1) or a special token already split out. */
    public record Fragment(int start, int end, int token) {
        public boolean isText() {
            return token < 0;
        }
    }

    private final String[] tokens;
    private final int[] attr;
    private final Map<String, Integer> ids = new HashMap<>();
    private final Ids special;
    private final boolean[] eog;
    private final int[] splitOut; // special tokens in split order

    public Vocabulary(String[] texts, int[] types, Ids given) {
        int n = texts.length;
        this.tokens = new String[n];
        this.attr = new int[n];
        for (int i = 0; i < n; i++) {
            tokens[i] = texts[i].isEmpty() ? "[EMPTY_" + i + "]" : texts[i];
            ids.putIfAbsent(tokens[i], i);
            attr[i] = types == null ? ATTR_NORMAL : switch (types[i]) {
                case 1 -> ATTR_NORMAL;
                case 2 -> ATTR_UNKNOWN;
                case 3 -> ATTR_CONTROL;
                case 4 -> ATTR_USER_DEFINED;
                case 5 -> ATTR_UNUSED;
                case 6 -> ATTR_BYTE;
                default -> 0;
            };
        }
        int eot = given.eot() >= 0 ? given.eot() : findControl(EOT_TEXTS);
        int eom = given.eom() >= 0 ? given.eom() : findControl(List.of("<|eom_id|>"));
        int fimPre = given.fimPre() >= 0 ? given.fimPre() : findControl(FIM_PRE);
        int fimSuf = given.fimSuf() >= 0 ? given.fimSuf() : findControl(FIM_SUF);
        int fimMid = given.fimMid() >= 0 ? given.fimMid() : findControl(FIM_MID);
        int fimPad = given.fimPad() >= 0 ? given.fimPad() : findControl(FIM_PAD);
        int fimRep = given.fimRep() >= 0 ? given.fimRep() : findControl(FIM_REP);
        int fimSep = given.fimSep() >= 0 ? given.fimSep() : findControl(FIM_SEP);
        this.special = new Ids(given.bos(), given.eos(), eot, eom, given.unk(), fimPre, fimSuf, fimMid, fimPad, fimRep, fimSep);

        TreeSet<Integer> end = new TreeSet<>();
        for (int id : new int[]{fimPad, fimRep, fimSep}) if (id >= 0) end.add(id);
        for (String t : EOG_TEXTS) {
            Integer id = ids.get(t);
            if (id != null) {
                end.add(id);
                attr[id] |= ATTR_CONTROL;
            }
        }
        for (int id : new int[]{given.eos(), eot, eom}) if (id >= 0) end.add(id);
        Integer endTurn = ids.get("<|end|>");
        if (endTurn != null && end.contains(endTurn)
                && ((eogText(end, "<|return|>") && eogText(end, "<|call|>")) || (eogText(end, "<|calls|>") && eogText(end, "<|flush|>")))) {
            end.remove(endTurn);
            attr[endTurn] = ATTR_USER_DEFINED;
        }
        Integer eosText = ids.get("</s>");
        if (eosText != null && end.contains(eosText) && eogText(end, "<|tool_response>")) {
            end.remove(eosText);
            attr[eosText] = ATTR_NORMAL;
        }
        this.eog = new boolean[n];
        for (int id : end) eog[id] = true;

        List<Integer> split = new ArrayList<>();
        for (int i = 0; i < n; i++) if ((attr[i] & (ATTR_CONTROL | ATTR_USER_DEFINED | ATTR_UNKNOWN)) != 0) split.add(i);
        int[] bytes = new int[n];
        for (int i : split) bytes[i] = tokens[i].getBytes(StandardCharsets.UTF_8).length;
        split.sort(Comparator.<Integer>comparingInt(i -> -bytes[i]).thenComparingInt(i -> i));
        this.splitOut = split.stream().mapToInt(Integer::intValue).toArray();
    }

    /** The lowest id whose text is one of {@code texts}, made a control token; -1 if none. */
    private int findControl(List<String> texts) {
        int best = -1;
        for (String t : texts) {
            Integer id = ids.get(t);
            if (id != null && (best < 0 || id < best)) best = id;
        }
        if (best >= 0) attr[best] |= ATTR_CONTROL;
        return best;
    }

    private boolean eogText(TreeSet<Integer> end, String text) {
        Integer id = ids.get(text);
        return id != null && end.contains(id);
    }

    public int size() {
        return tokens.length;
    }

    public String text(int id) {
        return tokens[id];
    }

    public int attributes(int id) {
        return attr[id];
    }

    public boolean is(int id, int attribute) {
        return (attr[id] & attribute) != 0;
    }

    /** The id of a token text, or -1. */
    public int id(String text) {
        Integer id = ids.get(text);
        return id == null ? -1 : id;
    }

    public Ids special() {
        return special;
    }

    public boolean isEndOfGeneration(int id) {
        return id >= 0 && id < eog.length && eog[id];
    }

    /** The end-of-generation ids, ascending. */
    public int[] endOfGeneration() {
        int c = 0;
        for (boolean b : eog) if (b) c++;
        int[] out = new int[c];
        c = 0;
        for (int i = 0; i < eog.length; i++) if (eog[i]) out[c++] = i;
        return out;
    }

    /**
     * Splits the special tokens out of {@code text} (llama.cpp's tokenizer_st_partition): for each special token
     * in turn, longest first, every occurrence in every remaining text fragment, left to right, becomes a token
     * fragment. Control and unknown tokens take part only when {@code parseSpecial}.
     */
    public List<Fragment> partition(String text, boolean parseSpecial) {
        List<Fragment> frags = new ArrayList<>();
        if (text.isEmpty()) return frags;
        frags.add(new Fragment(0, text.length(), -1));
        for (int id : splitOut) {
            if (!parseSpecial && (attr[id] & (ATTR_CONTROL | ATTR_UNKNOWN)) != 0) continue;
            String s = tokens[id];
            List<Fragment> next = null;
            for (int f = 0; f < frags.size(); f++) {
                Fragment fr = frags.get(f);
                int at = fr.isText() ? indexOf(text, s, fr.start(), fr.end()) : -1;
                if (at < 0) {
                    if (next != null) next.add(fr);
                    continue;
                }
                if (next == null) next = new ArrayList<>(frags.subList(0, f));
                int from = fr.start();
                while (at >= 0) {
                    if (at > from) next.add(new Fragment(from, at, -1));
                    next.add(new Fragment(at, at + s.length(), id));
                    from = at + s.length();
                    at = indexOf(text, s, from, fr.end());
                }
                if (from < fr.end()) next.add(new Fragment(from, fr.end(), -1));
            }
            if (next != null) frags = next;
        }
        return frags;
    }

    private static int indexOf(String text, String s, int from, int end) {
        int at = text.indexOf(s, from);
        return at >= 0 && at + s.length() <= end ? at : -1;
    }

    @Override
    public String toString() {
        return "Vocabulary[" + tokens.length + " tokens, special " + special + ", end of generation " + Arrays.toString(endOfGeneration()) + "]";
    }
}
