package dev.ledgermind.inference.tokenizer.sentencepiece;

import dev.ledgermind.inference.tokenizer.VocabularyTokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * SentencePiece-style BPE as GGUF stores it ({@code tokenizer.ggml.model = llama}): pieces with scores,
 * {@code ▁} (U+2581) for spaces, and byte fallback tokens {@code <0xNN>}.
 *
 * <p>Encoding: spaces become {@code ▁} and one {@code ▁} is prepended (when {@code addSpacePrefix}); the text
 * starts as one symbol per Unicode code point; repeatedly, the adjacent pair whose concatenation is a
 * piece with the highest score is merged (leftmost on ties) until no pair is a piece. A final symbol that
 * is not a piece is emitted as its UTF-8 bytes through the {@code <0xNN>} tokens (or unknown).
 */
public final class SentencePieceTokenizer extends VocabularyTokenizer {
    private final float[] scores;
    private final int[] tokenType;
    private final int[] byteTokens = new int[256];
    private final List<String> specials = new ArrayList<>();
    private final int unk;
    private final boolean addSpacePrefix;

    public SentencePieceTokenizer(String[] pieces, float[] scores, int[] tokenType, int bos, int eos, int eot, int unk,
                                  boolean addBos, boolean addSpacePrefix) {
        super(pieces, bos, eos, eot, addBos);
        this.scores = scores;
        this.tokenType = tokenType;
        java.util.Arrays.fill(byteTokens, -1);
        for (int i = 0; i < pieces.length; i++) {
            String p = pieces[i];
            if (p.length() == 6 && p.startsWith("<0x") && p.endsWith(">")) {
                try {
                    byteTokens[Integer.parseInt(p.substring(3, 5), 16)] = i;
                } catch (NumberFormatException ignored) {
                    // not a byte token
                }
            }
            if (tokenType != null && (tokenType[i] == 3 || tokenType[i] == 4) && !p.isEmpty()) specials.add(p);
        }
        specials.sort(Comparator.comparingInt(String::length).reversed());
        this.unk = unk;
        this.addSpacePrefix = addSpacePrefix;
    }

    @Override
    public int[] encode(String text, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        int i = 0, start = 0;
        boolean first = true;
        while (parseSpecial && i < text.length()) {
            String hit = null;
            for (String s : specials) {
                if (text.startsWith(s, i)) {
                    hit = s;
                    break;
                }
            }
            if (hit != null) {
                if (i > start) {
                    encodeOrdinary(text.substring(start, i), first, out);
                    first = false;
                }
                out.add(ids.get(hit));
                i += hit.length();
                start = i;
            } else {
                i++;
            }
        }
        if (start < text.length()) encodeOrdinary(text.substring(start), first, out);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeOrdinary(String text, boolean first, List<Integer> out) {
        String s = ((addSpacePrefix && first) ? " " : "") + text;
        s = s.replace(' ', '\u2581');
        List<String> sym = new ArrayList<>();
        s.codePoints().forEach(cp -> sym.add(new String(Character.toChars(cp))));
        while (sym.size() > 1) {
            int best = -1;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int k = 0; k + 1 < sym.size(); k++) {
                Integer id = ids.get(sym.get(k) + sym.get(k + 1));
                if (id != null && (best < 0 || scores[id] > bestScore)) {
                    bestScore = scores[id];
                    best = k;
                }
            }
            if (best < 0) break;
            sym.set(best, sym.get(best) + sym.get(best + 1));
            sym.remove(best + 1);
        }
        for (String p : sym) {
            Integer id = ids.get(p);
            if (id != null) {
                out.add(id);
                continue;
            }
            for (byte b : p.getBytes(StandardCharsets.UTF_8)) {
                int t = byteTokens[b & 0xFF];
                if (t < 0 && unk < 0) throw new IllegalArgumentException("no byte-fallback token <0x" + String.format("%02X", b & 0xFF) + "> and no unknown token");
                out.add(t >= 0 ? t : unk);
            }
        }
    }

    @Override
    public byte[] tokenBytes(int token) {
        if (token < 0 || token >= tokens.length) throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + tokens.length);
        for (int b = 0; b < 256; b++) if (byteTokens[b] == token) return new byte[]{(byte) b};
        boolean control = tokenType != null && tokenType[token] == 3;
        if (control) return new byte[0];
        return tokens[token].replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String decode(int[] tokens) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int i = 0; i < tokens.length; i++) {
            byte[] b = tokenBytes(tokens[i]);
            // SentencePiece drops the space it added in front of the first piece.
            if (i == 0 && addSpacePrefix && b.length > 0 && b[0] == ' ') out.write(b, 1, b.length - 1);
            else out.writeBytes(b);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
