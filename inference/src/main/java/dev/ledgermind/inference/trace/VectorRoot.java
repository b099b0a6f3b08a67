package dev.ledgermind.inference.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * The root of a float vector cut in chunks of {@link #CHUNK} elements, so that one element can be opened
 * with a chunk and a short proof (trace leaves v2, DESIGN.md section 4).
 *
 * <h2>Definition</h2>
 * For {@code v[0..n)}, {@code n >= 1}, with {@code bytes(f)} the 4 little-endian bytes of
 * {@link Keccak256#canonicalBits} (NaN canonical, -0 kept), chunk {@code c} is {@code v[32c .. min(32c+32, n))}
 * (the last may be short) and
 * <pre>
 *   node[0][c]   = keccak256(0x00 || bytes(chunk c))            (at most 129 bytes: one keccak block)
 *   node[k+1][j] = keccak256(0x01 || node[k][2j] || node[k][2j+1]),  an odd last node promoted unchanged
 *   vecRoot(v)   = the single node of the top level
 * </pre>
 * This is {@link MerkleTree}'s rule with the leaf node hashing the chunk bytes directly. In Solidity:
 * {@code keccak256(abi.encodePacked(bytes1(0x00), chunkBytes))}.
 *
 * <p>{@link Hasher} computes roots without allocating per node, reusing one digest; one per thread.
 */
public final class VectorRoot {
    /** Elements per chunk. */
    public static final int CHUNK = 32;

    private VectorRoot() {
    }

    /** Number of chunks of a vector of {@code n} elements. */
    public static int chunks(int n) {
        return (n + CHUNK - 1) / CHUNK;
    }

    /**
     * Chunks in a group: the unit of hashing one vector's tree on several threads. The node of level
     * {@code log2(GROUP_CHUNKS)} with index j covers chunks {@code [16j, min(16j + 16, count))}, and its value is the root
     * of those chunks alone: pairs are taken by index, a group starts at an index that is even at every level below, and
     * a short last group is the end of every level it spans, so its own fold pairs and promotes exactly as the whole
     * tree does and its single node is then promoted unchanged up to that level. So {@code vecRoot(v)} is the fold
     * ({@link Hasher#fold}) of its groups' roots ({@link Hasher#group}), which can be hashed independently.
     */
    public static final int GROUP_CHUNKS = 16;

    /** Number of groups ({@link #GROUP_CHUNKS} chunks) of a vector of {@code n} elements. */
    public static int groups(int n) {
        return (chunks(n) + GROUP_CHUNKS - 1) / GROUP_CHUNKS;
    }

    /** {@code vecRoot(v[off .. off+n))}. */
    public static byte[] of(float[] v, int off, int n) {
        byte[] out = new byte[Keccak256.SIZE];
        new Hasher().root(v, off, n, out, 0);
        return out;
    }

    /** {@code vecRoot(v)}. */
    public static byte[] of(float[] v) {
        return of(v, 0, v.length);
    }

    /** The canonical bytes of chunk {@code c} of {@code v[off .. off+n)}. */
    public static byte[] chunkBytes(float[] v, int off, int n, int c) {
        int from = c * CHUNK;
        if (c < 0 || from >= n) throw new IndexOutOfBoundsException("chunk " + c + " outside a vector of " + n + " elements");
        int len = Math.min(CHUNK, n - from);
        byte[] b = new byte[4 * len];
        Keccak256.canonicalBytes(v, off + from, len, b, 0);
        return b;
    }

    /** {@code keccak256(0x00 || bytes)}: the level-0 node of one chunk's (or state's, or block's) bytes. */
    public static byte[] leafNodeOfBytes(byte[] bytes) {
        return new Keccak256().update((byte) 0x00).update(bytes).digest();
    }

    /** The whole tree of {@code v[off .. off+n)}, for chunk proofs and the game's descent. */
    public static MerkleTree tree(float[] v, int off, int n) {
        if (n < 1) throw new IllegalArgumentException("a vector root needs at least one element");
        List<byte[]> nodes = new ArrayList<>(chunks(n));
        for (int c = 0; c < chunks(n); c++) nodes.add(leafNodeOfBytes(chunkBytes(v, off, n, c)));
        return MerkleTree.ofLeafNodes(nodes);
    }

    public static MerkleTree tree(float[] v) {
        return tree(v, 0, v.length);
    }

    /**
     * Reusable root computation (not thread-safe): every node of a vector tree is one keccak block (a chunk node
     * hashes at most 129 bytes, an inner node 65, a leaf 97), hashed by {@link OneBlockKeccak} without buffering,
     * with one node buffer and no allocation per node.
     */
    public static final class Hasher {
        private final OneBlockKeccak k = new OneBlockKeccak();
        private byte[] nodes = new byte[64 * Keccak256.SIZE];

        /** Writes {@code vecRoot(v[off .. off+n))} to {@code out[outOff .. outOff+32)}. */
        public void root(float[] v, int off, int n, byte[] out, int outOff) {
            if (n < 1) throw new IllegalArgumentException("a vector root needs at least one element");
            java.util.Objects.checkFromIndexSize(off, n, v.length);
            int count = chunks(n);
            if (nodes.length < count * Keccak256.SIZE) nodes = new byte[count * Keccak256.SIZE];
            final byte[] nd = nodes, block = k.block;
            for (int c = 0; c < count; c++) {
                int len = Math.min(CHUNK, n - c * CHUNK);
                block[0] = 0x00;
                Keccak256.canonicalBytes(v, off + c * CHUNK, len, block, 1);
                k.hash(1 + 4 * len, nd, c * Keccak256.SIZE);
            }
            foldInPlace(count);
            System.arraycopy(nd, 0, out, outOff, Keccak256.SIZE);
        }

        /** The root of group {@code g} ({@link #GROUP_CHUNKS} chunks) of {@code v[off .. off+n)} into {@code out[outOff ..]}. */
        public void group(float[] v, int off, int n, int g, byte[] out, int outOff) {
            int from = g * GROUP_CHUNKS * CHUNK;
            if (g < 0 || from >= n) throw new IndexOutOfBoundsException("group " + g + " outside a vector of " + n + " elements");
            root(v, off + from, Math.min(GROUP_CHUNKS * CHUNK, n - from), out, outOff);
        }

        /**
         * The tree's fold of {@code count} nodes at {@code nodes[off ..]} (32 bytes each, in order) into {@code out[outOff ..]}:
         * with a vector's group roots, its {@code vecRoot}.
         */
        public void fold(byte[] in, int off, int count, byte[] out, int outOff) {
            if (count < 1) throw new IllegalArgumentException("a fold needs at least one node");
            if (nodes.length < count * Keccak256.SIZE) nodes = new byte[count * Keccak256.SIZE];
            System.arraycopy(in, off, nodes, 0, count * Keccak256.SIZE);
            foldInPlace(count);
            System.arraycopy(nodes, 0, out, outOff, Keccak256.SIZE);
        }

        /** Folds the {@code count} nodes at the start of {@link #nodes} to one, at its start. */
        private void foldInPlace(int count) {
            final byte[] nd = nodes, block = k.block;
            // Fold in place: node j of the next level overwrites slot j, which was read already (j <= 2j).
            while (count > 1) {
                int next = (count + 1) / 2;
                for (int j = 0; j < next; j++) {
                    int l = 2 * j;
                    if (l + 1 < count) {
                        block[0] = 0x01;
                        System.arraycopy(nd, l * Keccak256.SIZE, block, 1, 2 * Keccak256.SIZE);
                        k.hash(1 + 2 * Keccak256.SIZE, nd, j * Keccak256.SIZE);
                    } else {
                        System.arraycopy(nd, l * Keccak256.SIZE, nd, j * Keccak256.SIZE, Keccak256.SIZE);
                    }
                }
                count = next;
            }
        }

        /** {@code keccak256(0x02 || xRoot || kRoot || vRoot)}: a decoder trace leaf v2 from its three vector roots (97 bytes). */
        public void leaf(byte[] roots, int rootsOff, byte[] out, int outOff) {
            k.block[0] = 0x02;
            System.arraycopy(roots, rootsOff, k.block, 1, 3 * Keccak256.SIZE);
            k.hash(1 + 3 * Keccak256.SIZE, out, outOff);
        }
    }
}
