package dev.ledgermind.inference.trace;

import java.util.List;

/**
 * An inclusion proof for one leaf of a {@link MerkleTree}: the leaf's index, the tree's leaf count, and
 * the sibling node hashes bottom-up (levels where the node was promoted contribute none). See
 * {@link MerkleTree} for the exact walk, which a Solidity verifier repeats.
 */
public record MerkleProof(int index, int leafCount, List<byte[]> siblings) {
    public MerkleProof {
        siblings = List.copyOf(siblings);
    }

    /** True when {@code leafHash} at {@link #index()} of {@link #leafCount()} leaves hashes up to {@code root}. */
    public boolean verify(TraceRoot root, byte[] leafHash) {
        if (leafHash == null || leafHash.length != Keccak256.SIZE) return false;
        return verifyNode(root, MerkleTree.leafNode(leafHash));
    }

    /** True when the level-0 node {@code leafNode} at {@link #index()} hashes up to {@code root} (trees of {@link MerkleTree#ofLeafNodes}). */
    public boolean verifyNode(TraceRoot root, byte[] leafNode) {
        if (leafNode == null || leafNode.length != Keccak256.SIZE) return false;
        if (index < 0 || index >= leafCount) return false;
        byte[] node = leafNode;
        int i = index;
        int size = leafCount;
        int used = 0;
        while (size > 1) {
            boolean promoted = (i == size - 1) && (size % 2 == 1);
            if (!promoted) {
                if (used >= siblings.size()) return false;
                byte[] sibling = siblings.get(used++);
                if (sibling.length != Keccak256.SIZE) return false;
                node = (i & 1) == 0 ? MerkleTree.innerNode(node, sibling) : MerkleTree.innerNode(sibling, node);
            }
            i /= 2;
            size = (size + 1) / 2;
        }
        return used == siblings.size() && root.equals(new TraceRoot(node));
    }
}
