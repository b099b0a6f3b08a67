package dev.ledgermind.chain.batch;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.web3j.crypto.Hash;

/**
 * The batch tree (docs/DESIGN.md section 6.4): the domain-separated keccak256 Merkle tree that the contract
 * {@code BatchTree.sol} checks, over a batch's request items or its results.
 *
 * <h2>Definition</h2>
 * Input: leaf hashes {@code h[0..n-1]} (n >= 1, 32 bytes each).
 * <pre>
 *   level 0:    node[0][i]   = keccak256(0x00 || h[i])                              (33 bytes)
 *   level k+1:  node[k+1][j] = keccak256(0x01 || node[k][2j] || node[k][2j+1])      (65 bytes)
 *               the last node of an odd level is promoted unchanged
 *   root:       the single node of the top level
 * </pre>
 * This is exactly the rule of inference's trace tree ({@code MerkleTree}); chain may not import inference,
 * so it has its own copy, and both (and the contract) are checked against one vector file,
 * {@code docs/vectors/batch-tree.json}, computed by a third implementation.
 *
 * <p>Leaves: a request item's leaf is keccak256 of its bytes as submitted ({@link BatchItem#encode()}); a
 * result's leaf is {@link #resultLeaf keccak256(abi.encode(requestId, resultHash, traceRoot))} with
 * {@code requestId = batchId << 32 | index}.
 *
 * <p>A {@link Proof} holds the sibling of each level where one exists, bottom-up; promoted levels hold none.
 */
public final class BatchTree {
    private final List<byte[][]> levels; // levels.get(0) = leaf nodes; last = {root}

    private BatchTree(List<byte[][]> levels) {
        this.levels = levels;
    }

    /** The tree over {@code leafHashes} (at least one, 32 bytes each). */
    public static BatchTree of(List<byte[]> leafHashes) {
        if (leafHashes.isEmpty()) throw new IllegalArgumentException("a batch tree needs at least one leaf");
        byte[][] level = new byte[leafHashes.size()][];
        for (int i = 0; i < level.length; i++) {
            byte[] h = leafHashes.get(i);
            if (h == null || h.length != 32) {
                throw new IllegalArgumentException("leaf " + i + " is " + (h == null ? "null" : h.length + " bytes")
                        + ", expected a 32-byte hash");
            }
            level[i] = leafNode(h);
        }
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
        return new BatchTree(levels);
    }

    /** keccak256(abi.encode(uint256 requestId, bytes32 resultHash, bytes32 traceRoot)). */
    public static byte[] resultLeaf(BigInteger requestId, byte[] resultHash, byte[] traceRoot) {
        byte[] buf = new byte[96];
        byte[] id = requestId.toByteArray();
        if (requestId.signum() < 0 || requestId.bitLength() > 256) {
            throw new IllegalArgumentException("requestId " + requestId + " is not a uint256");
        }
        int n = Math.min(id.length, 32);
        System.arraycopy(id, id.length - n, buf, 32 - n, n);
        System.arraycopy(check32(resultHash, "resultHash"), 0, buf, 32, 32);
        System.arraycopy(check32(traceRoot, "traceRoot"), 0, buf, 64, 32);
        return Hash.sha3(buf);
    }

    /** The request id of item {@code index} of batch {@code batchId}: batchId << 32 | index. */
    public static BigInteger requestId(BigInteger batchId, int index) {
        if (index < 0) throw new IllegalArgumentException("item index " + index + " is negative");
        return batchId.shiftLeft(32).or(BigInteger.valueOf(index));
    }

    public int size() {
        return levels.get(0).length;
    }

    public byte[] root() {
        return levels.get(levels.size() - 1)[0].clone();
    }

    /** The proof of leaf {@code index}. */
    public Proof proof(int index) {
        int n = size();
        if (index < 0 || index >= n) {
            throw new IndexOutOfBoundsException("item " + index + " outside a batch of " + n);
        }
        List<byte[]> siblings = new ArrayList<>();
        int i = index;
        for (int k = 0; k + 1 < levels.size(); k++) {
            byte[][] level = levels.get(k);
            boolean promoted = i == level.length - 1 && level.length % 2 == 1;
            if (!promoted) siblings.add(level[i ^ 1].clone());
            i /= 2;
        }
        return new Proof(index, n, siblings);
    }

    static byte[] leafNode(byte[] h) {
        byte[] buf = new byte[33];
        System.arraycopy(h, 0, buf, 1, 32);
        return Hash.sha3(buf);
    }

    static byte[] innerNode(byte[] left, byte[] right) {
        byte[] buf = new byte[65];
        buf[0] = 1;
        System.arraycopy(left, 0, buf, 1, 32);
        System.arraycopy(right, 0, buf, 33, 32);
        return Hash.sha3(buf);
    }

    private static byte[] check32(byte[] b, String what) {
        if (b == null || b.length != 32) {
            throw new IllegalArgumentException(what + " is " + (b == null ? "null" : b.length + " bytes") + ", expected 32");
        }
        return b;
    }

    /**
     * An inclusion proof: leaf {@code index} of a tree of {@code size} leaves, siblings bottom-up.
     */
    public record Proof(int index, int size, List<byte[]> siblings) {
        public Proof {
            siblings = siblings.stream().map(byte[]::clone).toList();
        }

        /** The root that {@code leafHash} gives with this proof, or null when the proof does not fit the tree. */
        public byte[] rootFrom(byte[] leafHash) {
            if (leafHash == null || leafHash.length != 32 || index < 0 || index >= size) return null;
            byte[] node = leafNode(leafHash);
            int i = index;
            int s = size;
            int used = 0;
            while (s > 1) {
                boolean promoted = i == s - 1 && s % 2 == 1;
                if (!promoted) {
                    if (used >= siblings.size()) return null;
                    byte[] sibling = siblings.get(used++);
                    if (sibling.length != 32) return null;
                    node = (i & 1) == 0 ? innerNode(node, sibling) : innerNode(sibling, node);
                }
                i /= 2;
                s = (s + 1) / 2;
            }
            return used == siblings.size() ? node : null;
        }

        /** True when {@code leafHash} at this proof's index hashes up to {@code root}. */
        public boolean verify(byte[] root, byte[] leafHash) {
            byte[] r = rootFrom(leafHash);
            return r != null && Arrays.equals(r, root);
        }
    }
}
