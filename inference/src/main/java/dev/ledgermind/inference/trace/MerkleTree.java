package dev.ledgermind.inference.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * The binary keccak256 Merkle tree over a trace's leaf hashes (DESIGN.md section 4).
 *
 * <h2>Definition</h2>
 * Input: leaf hashes {@code h[0..n-1]}, each 32 bytes (a leaf hash is keccak256 of the leaf's canonical
 * little-endian bytes; see {@link TraceBuilder}). With {@code ||} for concatenation:
 * <pre>
 *   level 0:    node[0][i] = keccak256(0x00 || h[i])                      (33 bytes hashed)
 *   level k+1:  node[k+1][j] = keccak256(0x01 || node[k][2j] || node[k][2j+1])   (65 bytes hashed)
 *               if level k has an odd count, its last node is promoted unchanged: node[k+1][last] = node[k][last]
 *   root:       the single node of the top level
 * </pre>
 * The one-byte prefixes separate leaves from inner nodes, so no inner node can be passed off as a leaf
 * (second-preimage defence). In Solidity: {@code keccak256(abi.encodePacked(bytes1(0x00), leaf))} and
 * {@code keccak256(abi.encodePacked(bytes1(0x01), left, right))}. An empty tree has no root.
 *
 * <h2>Proofs</h2>
 * A {@link MerkleProof} for leaf {@code index} of {@code n} carries the sibling of each level where one
 * exists, bottom-up. The verifier walks up with {@code (index, size)}: at each level, if {@code index}
 * is the last node and {@code size} is odd it is promoted (no sibling consumed); otherwise the sibling
 * is on the right when {@code index} is even, on the left when odd. Then {@code index /= 2},
 * {@code size = ceil(size / 2)}.
 */
public final class MerkleTree {
    static final byte LEAF_PREFIX = 0x00;
    static final byte NODE_PREFIX = 0x01;

    private final List<byte[][]> levels; // levels.get(0) = leaf nodes, last = {root}

    private MerkleTree(List<byte[][]> levels) {
        this.levels = levels;
    }

    /**
     * Builds the tree over level-0 nodes computed by the caller (each 32 bytes; at least one). The vector,
     * state and weight trees of the dispute game (DESIGN.md section 4) hash their leaf's bytes directly:
     * {@code node[0][i] = keccak256(0x00 || bytes_i)} instead of a hash of a hash; the inner rule is the same.
     */
    public static MerkleTree ofLeafNodes(List<byte[]> nodes) {
        if (nodes.isEmpty()) throw new IllegalArgumentException("a Merkle tree needs at least one leaf");
        byte[][] level = new byte[nodes.size()][];
        for (int i = 0; i < level.length; i++) {
            byte[] h = nodes.get(i);
            if (h.length != Keccak256.SIZE) {
                throw new IllegalArgumentException("leaf node " + i + " is " + h.length + " bytes, expected 32");
            }
            level[i] = h.clone();
        }
        return build(level);
    }

    /** Builds the tree over {@code leafHashes} (each 32 bytes; at least one). */
    public static MerkleTree of(List<byte[]> leafHashes) {
        if (leafHashes.isEmpty()) throw new IllegalArgumentException("a Merkle tree needs at least one leaf");
        byte[][] level = new byte[leafHashes.size()][];
        for (int i = 0; i < level.length; i++) {
            byte[] h = leafHashes.get(i);
            if (h.length != Keccak256.SIZE) {
                throw new IllegalArgumentException("leaf " + i + " hash is " + h.length + " bytes, expected 32");
            }
            level[i] = leafNode(h);
        }
        return build(level);
    }

    private static MerkleTree build(byte[][] level) {
        List<byte[][]> levels = new ArrayList<>();
        levels.add(level);
        while (level.length > 1) {
            byte[][] next = new byte[(level.length + 1) / 2][];
            for (int j = 0; j < next.length; j++) {
                int l = 2 * j;
                next[j] = l + 1 < level.length ? innerNode(level[l], level[l + 1]) : level[l];
            }
            levels.add(next);
            level = next;
        }
        return new MerkleTree(levels);
    }

    /** {@code keccak256(0x00 || leafHash)}: the level-0 node of a leaf hash. */
    public static byte[] leafNode(byte[] leafHash) {
        if (1 + leafHash.length >= OneBlockKeccak.RATE) return new Keccak256().update(LEAF_PREFIX).update(leafHash).digest();
        OneBlockKeccak k = NODE_HASH.get();
        k.block[0] = LEAF_PREFIX;
        System.arraycopy(leafHash, 0, k.block, 1, leafHash.length);
        byte[] out = new byte[Keccak256.SIZE];
        k.hash(1 + leafHash.length, out, 0);
        return out;
    }

    /** {@code keccak256(0x01 || left || right)}. */
    public static byte[] innerNode(byte[] left, byte[] right) {
        int len = 1 + left.length + right.length;
        if (len >= OneBlockKeccak.RATE) return new Keccak256().update(NODE_PREFIX).update(left).update(right).digest();
        OneBlockKeccak k = NODE_HASH.get();
        k.block[0] = NODE_PREFIX;
        System.arraycopy(left, 0, k.block, 1, left.length);
        System.arraycopy(right, 0, k.block, 1 + left.length, right.length);
        byte[] out = new byte[Keccak256.SIZE];
        k.hash(len, out, 0);
        return out;
    }

    /**
     * A node's message (33 or 65 bytes for 32-byte hashes) fits one Keccak block: hashed without a general digest
     * (which allocated a 4 KB buffer per node: about 40 MB of garbage per 100-token run). One per thread.
     */
    private static final ThreadLocal<OneBlockKeccak> NODE_HASH = ThreadLocal.withInitial(OneBlockKeccak::new);

    public int leafCount() {
        return levels.get(0).length;
    }

    /** Number of levels, from the leaf nodes (level 0) up to the root (level {@code height() - 1}). */
    public int height() {
        return levels.size();
    }

    /** Number of nodes at {@code level}. */
    public int levelSize(int level) {
        return levels.get(level).length;
    }

    /** The node at {@code (level, index)} (level 0: leaf nodes). */
    public byte[] node(int level, int index) {
        if (level < 0 || level >= levels.size()) throw new IndexOutOfBoundsException("level " + level + " outside a tree of " + levels.size() + " levels");
        byte[][] l = levels.get(level);
        if (index < 0 || index >= l.length) throw new IndexOutOfBoundsException("node " + index + " outside level " + level + " of " + l.length + " nodes");
        return l[index].clone();
    }

    /**
     * True when node {@code (level, index)} (level >= 1) is a promoted one: the last of its level whose
     * level-below counterpart had no sibling, so it equals node {@code (level-1, 2*index)} and has no children.
     * The game's descent goes down through it without a move (DESIGN.md section 4).
     */
    public boolean promoted(int level, int index) {
        if (level < 1) throw new IllegalArgumentException("level-0 nodes have no children");
        return 2 * index + 1 >= levels.get(level - 1).length;
    }

    /** The two children {@code {left, right}} of node {@code (level, index)}, level >= 1, not {@link #promoted}. */
    public byte[][] children(int level, int index) {
        if (promoted(level, index)) throw new IllegalArgumentException("node (" + level + ", " + index + ") is promoted: it has no children");
        return new byte[][]{node(level - 1, 2 * index), node(level - 1, 2 * index + 1)};
    }

    /** The root's 32 bytes. */
    public byte[] rootBytes() {
        return levels.get(levels.size() - 1)[0].clone();
    }

    public TraceRoot root() {
        return new TraceRoot(levels.get(levels.size() - 1)[0]);
    }

    /** The inclusion proof of leaf {@code index}. */
    public MerkleProof proof(int index) {
        int n = leafCount();
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("leaf index " + index + " outside a tree of " + n + " leaves");
        }
        List<byte[]> siblings = new ArrayList<>();
        int i = index;
        for (int k = 0; k + 1 < levels.size(); k++) {
            byte[][] level = levels.get(k);
            boolean promoted = (i == level.length - 1) && (level.length % 2 == 1);
            if (!promoted) siblings.add(level[i ^ 1].clone());
            i /= 2;
        }
        return new MerkleProof(index, n, siblings);
    }
}
