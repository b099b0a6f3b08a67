package dev.ledgermind.inference.tokenizer;

import dev.ledgermind.inference.tokenizer.bpe.ByteLevel;
import dev.ledgermind.inference.tokenizer.bpe.PreTokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Test-only reference: byte-level BPE encoding with the plain merge loop that {@code BpeTokenizer} had before
 * {@link PairMerge}: after every merge, rescan every adjacent pair for the lowest rank (the first found on ties).
 * O(n^2) in a piece's length, and obviously the rule; kept verbatim, so that the fast loop is compared
 * against a separately written one ({@code PairMergeReferenceTest}) and timed against it ({@code TokenizerMergeBench}).
 */
public final class PlainBpe {
    private final Vocabulary vocab;
    private final Map<String, Integer> mergeRank = new HashMap<>();
    private final PreTokenizer pre;

    public PlainBpe(Vocabulary vocab, String[] merges, PreTokenizer pre) {
        this.vocab = vocab;
        for (int i = 0; i < merges.length; i++) mergeRank.putIfAbsent(merges[i], i);
        this.pre = pre;
    }

    public int[] encode(String text, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        for (Vocabulary.Fragment f : vocab.partition(text, parseSpecial)) {
            if (!f.isText()) {
                out.add(f.token());
                continue;
            }
            for (String piece : pre.split(text.substring(f.start(), f.end()))) {
                bpe(ByteLevel.encode(piece.getBytes(StandardCharsets.UTF_8)), out);
            }
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private void bpe(String piece, List<Integer> out) {
        if (piece.isEmpty()) return;
        if (pre.ignoreMerges()) {
            int whole = vocab.id(piece);
            if (whole >= 0) {
                out.add(whole);
                return;
            }
        }
        List<String> sym = new ArrayList<>(piece.length());
        piece.codePoints().forEach(c -> sym.add(new String(Character.toChars(c))));
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
            int id = vocab.id(s);
            if (id >= 0) {
                out.add(id);
                continue;
            }
            for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
                int single = b >= 0 ? vocab.id(String.valueOf((char) b)) : -1;
                if (single >= 0) out.add(single);
            }
        }
    }
}
