package dev.ledgermind.inference.tokenizer.sentencepiece;

import dev.ledgermind.inference.tokenizer.PairMerge;
import dev.ledgermind.inference.tokenizer.Vocabulary;
import dev.ledgermind.inference.tokenizer.VocabularyTokenizer;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * SentencePiece-style BPE as GGUF stores it ({@code tokenizer.ggml.model = llama}): pieces with scores,
 * {@code ▁} (U+2581) for spaces, and byte fallback tokens {@code <0xNN>}; encoded as llama.cpp does.
 *
 * <p>Encoding: special tokens are split out first ({@link Vocabulary#partition}; {@code <unk>}, {@code <s>} and
 * {@code </s>} only with special parsing on). Every text fragment that follows a special token, or starts the
 * text, gets one {@code ▁} in front (when {@code addSpacePrefix}), so {@code </s><s>[INST] Hi} tokenizes its
 * second turn as the first; spaces become {@code ▁}; the fragment starts as one symbol per code point;
 * repeatedly, the adjacent pair whose concatenation is a piece with the highest score is merged (leftmost on
 * ties) until no pair is a piece ({@link PairMerge}, O(n log n) in the fragment's length). A final symbol that is not a piece is emitted as its UTF-8 bytes through the
 * {@code <0xNN>} tokens (or the unknown token where a byte token is missing).
 */
public final class SentencePieceTokenizer extends VocabularyTokenizer {
    /** Each piece's score as a {@link PairMerge} rank: ordered as the negated score, so the highest score merges first. */
    private final int[] scoreRank;
    private final int[] byteTokens = new int[256];
    private final boolean addSpacePrefix;

    public SentencePieceTokenizer(Vocabulary vocab, float[] scores, boolean addBos, boolean addSpacePrefix) {
        super(vocab, addBos);
        this.scoreRank = new int[scores.length];
        for (int i = 0; i < scores.length; i++) scoreRank[i] = rankOf(scores[i]);
        java.util.Arrays.fill(byteTokens, -1);
        for (int b = 0; b < 256; b++) {
            int id = vocab.id(String.format("<0x%02X>", b));
            // llama.cpp falls back to the byte itself as a token text (only ASCII can be one)
            byteTokens[b] = id >= 0 ? id : b < 0x80 ? vocab.id(String.valueOf((char) b)) : -1;
        }
        this.addSpacePrefix = addSpacePrefix;
    }

    @Override
    public int[] encode(String text, boolean parseSpecial) {
        List<Integer> out = new ArrayList<>();
        boolean afterSpecial = true; // the text's start counts as one
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
        final String merged = s;
        int[] bounds = PairMerge.merge(merged, (start, mid, end) -> {
            int id = vocab.id(merged.substring(start, end));
            return id < 0 ? PairMerge.NO_MERGE : scoreRank[id];
        });
        for (int k = 0; k + 1 < bounds.length; k++) {
            String p = merged.substring(bounds[k], bounds[k + 1]);
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

    /**
     * An int that orders as {@code -score}: the IEEE bits of {@code -score}, with the negative half flipped so that signed
     * int order is float order. -0 counts as 0 (equal scores tie, and ties go leftmost, as with {@code >}); a NaN score,
     * which orders with nothing (llama.cpp's comparator is then undefined), counts as -infinity: merged last.
     */
    static int rankOf(float score) {
        float f = Float.isNaN(score) ? Float.NEGATIVE_INFINITY : score == 0f ? 0f : score;
        int bits = Float.floatToIntBits(-f);
        return bits < 0 ? bits ^ 0x7FFF_FFFF : bits;
    }

    @Override
    public byte[] tokenBytes(int token) {
        if (token < 0 || token >= vocab.size()) throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + vocab.size());
        String t = vocab.text(token);
        if (t.length() == 6 && t.startsWith("<0x") && t.endsWith(">")) {
            int b = Character.digit(t.charAt(3), 16) << 4 | Character.digit(t.charAt(4), 16);
            if (b >= 0 && Character.digit(t.charAt(4), 16) >= 0 && Character.digit(t.charAt(3), 16) >= 0) return new byte[]{(byte) b};
        }
        if (vocab.is(token, Vocabulary.ATTR_CONTROL)) return new byte[0];
        return t.replace('\u2581', ' ').getBytes(StandardCharsets.UTF_8);
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
