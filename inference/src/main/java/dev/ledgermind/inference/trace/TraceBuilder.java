package dev.ledgermind.inference.trace;

import java.util.ArrayList;
import java.util.List;

/**
 * Collects a run's trace leaf hashes in order and builds their {@link MerkleTree}. The engines compute the leaves
 * (trace leaves v2, DESIGN.md section 4: a decoder leaf hashes the {@link VectorRoot}s of its state, an encoder leaf
 * the tree over its rows' roots) and add them with {@link #addLeafHash}, in the canonical order the engine defines
 * (decoder: (position, layer); encoder: layer). Not thread-safe.
 */
public final class TraceBuilder {
    private final List<byte[]> leaves = new ArrayList<>();

    /** Adds a leaf over {@code x[off .. off+n)} and returns its hash. */
    public byte[] addFloats(float[] x, int off, int n) {
        return addLeafHash(Keccak256.hashFloats(x, off, n));
    }

    /** Adds a leaf whose canonical bytes are {@code data}; returns its hash. */
    public byte[] addBytes(byte[] data) {
        return addLeafHash(Keccak256.hash(data));
    }

    /** Adds an already computed leaf hash (32 bytes). */
    public byte[] addLeafHash(byte[] leafHash) {
        if (leafHash.length != Keccak256.SIZE) {
            throw new IllegalArgumentException("leaf hash is " + leafHash.length + " bytes, expected 32");
        }
        leaves.add(leafHash.clone());
        return leafHash;
    }

    public int size() {
        return leaves.size();
    }

    public List<byte[]> leafHashes() {
        List<byte[]> copy = new ArrayList<>(leaves.size());
        for (byte[] h : leaves) copy.add(h.clone());
        return copy;
    }

    public MerkleTree tree() {
        return MerkleTree.of(leaves);
    }

    public TraceRoot root() {
        return tree().root();
    }
}
