package dev.ledgermind.inference.tokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Test-only reference: SentencePiece encoding with the plain merge loop that {@code SentencePieceTokenizer} had
 * before {@link PairMerge}: after every merge, rescan every adjacent pair for the piece of highest score (the first
 * found on ties). O(n^2) in a fragment's length; kept verbatim as the separately written reference
 * ({@code PairMergeReferenceTest}, {@code TokenizerMergeBench}).
 */
public final class PlainSentencePiece {
    private final Vocabulary vocab;
    private final float[] scores;
    private final int[] byteTokens = new int[256];
    private final boolean addSpacePrefix;

    public PlainSentencePiece(Vocabulary vocab, float[] scores, boolean addSpacePrefix) {
        this.vocab = vocab;
        this.scores = scores;
        java.util.Arrays.fill(byteTokens, -1);
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            byteTokens[b] = id >= 0 ? id : b < 0x80 ? vocab.id(String.valueOf((char) b)) : -1;
        }
        this.addSpacePrefix = addSpacePrefix;
    }

    public int[] encode(String text, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        boolean afterSpecial = true;
        for (Vocabulary.Fragment f : vocab.partition(text, parseSpecial)) {
            if (f.isText()) {
                encodeOrdinary(text.substring(f.start(), f.end()), addSpacePrefix && afterSpecial, out);
                afterSpecial = false;
            } else {
                out.add(f.token());
                afterSpecial = true;
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void encodeOrdinary(String text, boolean prefix, List<Integer> out) {
        String s = (prefix ? " " : "") + text;
        s = s.replace(' ', '\u2581');
        List<String> sym = new ArrayList<>();
        s.codePoints().forEach(cp -> sym.add(new String(Character.toChars(cp))));
        while (sym.size() > 1) {
            int best = -1;
            float bestScore = Float.NEGATIVE_INFINITY;
            for (int k = 0; k + 1 < sym.size(); k++) {
                int id = vocab.id(sym.get(k) + sym.get(k + 1));
                if (id >= 0 && (best < 0 || scores[id] > bestScore)) {
                    bestScore = scores[id];
                    best = k;
                }
            }
            if (best < 0) break;
            sym.set(best, sym.get(best) + sym.get(best + 1));
            sym.remove(best + 1);
        }
        for (String p : sym) {
            int id = vocab.id(p);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            int unk = vocab.special().unk();
            for (byte b : p.getBytes(StandardCharsets.UTF_8)) {
                int t = byteTokens[b & 0xFF];
                if (t < 0 && unk < 0) throw new IllegalArgumentException("no byte-fallback token <0x" + String.format("%02X", b & 0xFF) + "> and no unknown token");
                out.add(t >= 0 ? t : unk);
            }
        }
    }
}
