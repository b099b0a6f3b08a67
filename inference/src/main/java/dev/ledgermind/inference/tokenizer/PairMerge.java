package dev.ledgermind.inference.tokenizer;

import java.util.Arrays;

/**
 * The merge loop that BPE and SentencePiece share, in O(n log n) for a text of n code points: start from one
 * symbol per code point; while some adjacent pair can merge, merge the pair of lowest {@link Rank} (on equal
 * ranks the leftmost); stop when no adjacent pair can merge. This is llama.cpp's loop (a priority queue of
 * bigrams over a linked list of symbols, {@code llm_tokenizer_bpe_session} and {@code llm_tokenizer_spm}), and
 * it gives exactly what the plain loop gives that rescans every pair after every merge (the tests keep that
 * loop as the reference).
 *
 * <p>Notation: a symbol is a run of the text's chars, named by its start offset {@code s}; {@code len[s]} is its
 * length in chars (0 when {@code s} starts no symbol), so its right neighbour starts at {@code s + len[s]} and
 * {@code prev[s]} is the start of its left neighbour (-1 for the first). A pair is named by its left symbol's
 * start and the pair's total length {@code L}; the heap holds {@code (rank, s)} keys with {@code L} beside.
 *
 * <p>Invariants:
 * <ul>
 *   <li>every pair that is adjacent now and can merge is in the heap, with its rank: a pair is pushed when it
 *       becomes adjacent (at the start, and on each side of a merged symbol);</li>
 *   <li>an entry {@code (s, L)} is current exactly when {@code len[s] > 0}, its right neighbour exists and
 *       {@code len[s] + len[s + len[s]] == L}. A symbol only changes by growing (absorbing its right neighbour)
 *       or by being absorbed ({@code len} to 0), so once either symbol of a pair changed, that sum never returns
 *       to {@code L}: a stale entry is recognised and skipped, never merged;</li>
 *   <li>keys order by rank, then by {@code s}: among current pairs of equal rank the leftmost pops first, and
 *       there is at most one current pair per {@code s}, so the order is total and the result deterministic.</li>
 * </ul>
 * Each merge pushes at most two pairs, so the heap sees at most {@code 3n} entries.
 */
public final class PairMerge {
    /** The rank of a pair that cannot merge. */
    public static final long NO_MERGE = Long.MAX_VALUE;

    /** The rank of merging the symbol {@code [start, mid)} with {@code [mid, end)}: an int (lower merges first), or {@link #NO_MERGE}. */
    @FunctionalInterface
    public interface Rank {
        long of(int start, int mid, int end);
    }

    private PairMerge() {
    }

    /**
     * Merges {@code text} and returns the boundaries of the final symbols: {@code b[0] = 0 < b[1] < ... < b[m] = length},
     * symbol {@code i} being {@code [b[i], b[i+1])}. A code point is never split (a lone surrogate counts as one).
     */
    public static int[] merge(String text, Rank rank) {
        final int n = text.length();
        if (n == 0) return new int[]{0};
        final int[] len = new int[n];
        final int[] prev = new int[n];
        int symbols = 0;
        for (int i = 0, last = -1; i < n; symbols++) {
            int l = Character.charCount(text.codePointAt(i));
            len[i] = l;
            prev[i] = last;
            last = i;
            i += l;
        }
        Heap heap = new Heap(3 * symbols);
        for (int s = 0; s + len[s] < n; s += len[s]) heap.push(rank, s, s + len[s], s + len[s] + len[s + len[s]]);
        while (!heap.isEmpty()) {
            final int s = heap.topStart();
            final int pairLen = heap.topLength();
            heap.pop();
            final int ls = len[s];
            if (ls == 0) continue; // absorbed by its left neighbour
            final int t = s + ls;
            if (t >= n || ls + len[t] != pairLen) continue; // either side changed since the pair was pushed
            len[s] = pairLen;
            len[t] = 0;
            symbols--;
            final int u = s + pairLen;
            if (u < n) {
                prev[u] = s;
                heap.push(rank, s, u, u + len[u]);
            }
            if (prev[s] >= 0) heap.push(rank, prev[s], s, u);
        }
        int[] bounds = new int[symbols + 1];
        int k = 0;
        for (int s = 0; s < n; s += len[s]) {
            assert len[s] > 0 : "symbol at " + s + " has no length";
            bounds[k++] = s;
        }
        assert k == symbols : k + " symbols walked, " + symbols + " counted";
        bounds[k] = n;
        return bounds;
    }

    /**
     * A binary min-heap of pairs: key {@code rank << 32 | s} (so rank first, then the leftmost), with the pair's
     * length beside it. Ranks must fit an int.
     */
    private static final class Heap {
        private long[] keys;
        private int[] lengths;
        private int size;

        Heap(int capacity) {
            keys = new long[Math.max(4, capacity)];
            lengths = new int[keys.length];
        }

        boolean isEmpty() {
            return size == 0;
        }

        int topStart() {
            return (int) keys[0];
        }

        int topLength() {
            return lengths[0];
        }

        void push(Rank rank, int start, int mid, int end) {
            long r = rank.of(start, mid, end);
            if (r == NO_MERGE) return;
            if (r < Integer.MIN_VALUE || r > Integer.MAX_VALUE) throw new IllegalArgumentException("pair rank " + r + " does not fit an int");
            long key = r << 32 | start & 0xFFFF_FFFFL;
            if (size == keys.length) {
                keys = Arrays.copyOf(keys, size * 2);
                lengths = Arrays.copyOf(lengths, size * 2);
            }
            int i = size++;
            int len = end - start;
            while (i > 0) {
                int parent = (i - 1) >>> 1;
                if (keys[parent] <= key) break;
                keys[i] = keys[parent];
                lengths[i] = lengths[parent];
                i = parent;
            }
            keys[i] = key;
            lengths[i] = len;
        }

        void pop() {
            int n = --size;
            if (n == 0) return;
            long key = keys[n];
            int len = lengths[n];
            int i = 0;
            while (true) {
                int c = 2 * i + 1;
                if (c >= n) break;
                if (c + 1 < n && keys[c + 1] < keys[c]) c++;
                if (keys[c] >= key) break;
                keys[i] = keys[c];
                lengths[i] = lengths[c];
                i = c;
            }
            keys[i] = key;
            lengths[i] = len;
        }
    }
}
