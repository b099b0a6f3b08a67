package dev.ledgermind.inference.tokenizer.bpe;

import dev.ledgermind.inference.tokenizer.PairMerge;
import dev.ledgermind.inference.tokenizer.Vocabulary;
import dev.ledgermind.inference.tokenizer.VocabularyTokenizer;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * GPT-2 style byte-level BPE (GGUF {@code tokenizer.ggml.model = gpt2}), as llama.cpp encodes it. Special tokens
 * are split out first ({@link Vocabulary#partition}); each text fragment is split by the {@link PreTokenizer}; each
 * piece is mapped to the byte-level alphabet ({@link ByteLevel}) and, unless the pre-tokenizer ignores merges and
 * the piece is itself a token, merged lowest rank first (leftmost on ties) until no merge applies ({@link PairMerge},
 * O(n log n) in the piece's length). A final symbol
 * that is not a token is emitted byte by byte as llama.cpp does: each UTF-8 byte of its byte-level text that is
 * itself a token (only ASCII can be), the others dropped.
 */
public final class BpeTokenizer extends VocabularyTokenizer {
    private final Map<String, Integer> mergeRank = new HashMap<>();
    private final PreTokenizer pre;

    public BpeTokenizer(Vocabulary vocab, String[] merges, PreTokenizer pre, boolean addBos) {
        super(vocab, addBos);
        for (int i = 0; i < merges.length; i++) mergeRank.putIfAbsent(merges[i], i);
        this.pre = pre;
    }

    public PreTokenizer preTokenizer() {
        return pre;
    }

    @Override
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
        int[] bounds = PairMerge.merge(piece, (start, mid, end) -> {
            Integer r = mergeRank.get(piece.substring(start, mid) + " " + piece.substring(mid, end));
            return r == null ? PairMerge.NO_MERGE : r;
        });
        for (int k = 0; k + 1 < bounds.length; k++) {
            String s = piece.substring(bounds[k], bounds[k + 1]);
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

    @Override
    public byte[] tokenBytes(int token) {
        if (token < 0 || token >= vocab.size()) throw new IllegalArgumentException("token id " + token + " outside the vocabulary of " + vocab.size());
        String s = vocab.text(token);
        if (!vocab.is(token, Vocabulary.ATTR_CONTROL | Vocabulary.ATTR_USER_DEFINED)) {
            byte[] b = ByteLevel.decode(s);
            if (b != null) return b;
        }
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
