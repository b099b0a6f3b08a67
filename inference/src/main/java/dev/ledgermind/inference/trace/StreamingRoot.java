package dev.ledgermind.inference.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * The root of a {@link MerkleTree} over level-0 nodes fed one at a time, in O(log n) memory (a weights tensor has
 * millions of blocks).
 *
 * <h2>Why a stack gives the same root</h2>
 * In MerkleTree, level k+1 pairs the nodes of level k in order and promotes an odd last one. Streaming keeps at most
 * one pending node per level: a node arriving at level k pairs with the pending one (left = pending) and the parent
 * arrives at level k+1; otherwise it waits. At the end, from the bottom up, a pending node at level k is the last
 * node of an odd level: it is promoted, i.e. arrives at level k+1 after every other node there, exactly as in the tree.
 * Node (k, j) of the tree is the root of leaves {@code [j 2^k, min((j+1) 2^k, n))}, which is what {@link #rangeProof}
 * relies on.
 */
public final class StreamingRoot {
    private final List<byte[]> pending = new ArrayList<>(); // pending.get(k): the waiting node of level k, or null
    private long count;

    /** Adds the next level-0 node (32 bytes). */
    public void add(byte[] node) {
        if (node.length != Keccak256.SIZE) throw new IllegalArgumentException("a node is 32 bytes, found " + node.length);
        count++;
        push(0, node.clone());
    }

    private void push(int level, byte[] node) {
        while (true) {
            if (pending.size() <= level) pending.add(null);
            byte[] left = pending.get(level);
            if (left == null) {
                pending.set(level, node);
                return;
            }
            pending.set(level, null);
            node = MerkleTree.innerNode(left, node);
            level++;
        }
    }

    public long count() {
        return count;
    }

    /** The root over the nodes added so far (at least one); the builder is left unchanged. */
    public byte[] root() {
        if (count == 0) throw new IllegalStateException("a Merkle tree needs at least one leaf");
        byte[] carry = null;
        for (byte[] p : pending) {
            if (p == null) continue;
            carry = carry == null ? p : MerkleTree.innerNode(p, carry);
        }
        return carry.clone();
    }

    /** Supplies level-0 node {@code i} of a tree. */
    @FunctionalInterface
    public interface Nodes {
        byte[] node(long i);
    }

    /**
     * The inclusion proof of leaf {@code index} in the tree over {@code n} level-0 nodes, computed without holding the
     * tree: each sibling is the root of its range of leaves, streamed. O(n) hashing, O(log n) memory.
     */
    public static MerkleProof rangeProof(Nodes nodes, int n, int index) {
        if (index < 0 || index >= n) throw new IndexOutOfBoundsException("leaf " + index + " outside a tree of " + n + " leaves");
        List<byte[]> siblings = new ArrayList<>();
        long i = index, size = n;
        for (int k = 0; size > 1; k++) {
            boolean promoted = (i == size - 1) && (size % 2 == 1);
            if (!promoted) {
                long sib = i ^ 1;
                long from = sib << k, to = Math.min((sib + 1) << k, n);
                StreamingRoot r = new StreamingRoot();
                for (long j = from; j < to; j++) r.add(nodes.node(j));
                siblings.add(r.root());
            }
            i /= 2;
            size = (size + 1) / 2;
        }
        return new MerkleProof(index, n, siblings);
    }
}
