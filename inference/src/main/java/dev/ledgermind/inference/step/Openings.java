package dev.ledgermind.inference.step;

import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.MerkleProof;
import dev.ledgermind.inference.trace.MerkleTree;
import dev.ledgermind.inference.trace.VectorRoot;

import java.util.ArrayList;
import java.util.List;

/**
 * The openings a party posts in the dispute game (DESIGN.md section 4): a vector element by its 32-float chunk and
 * the chunk's proof against the vector's root; a weight element by its raw block and the block's proof against the
 * tensor root (whose own proof against the weights root is {@link WeightsCommitment#tensorProof}); a reduction
 * state by its bytes and proof against the states root.
 */
public final class Openings {
    private Openings() {
    }

    /** Chunk {@code chunk} of a vector: its canonical bytes and proof (verify with {@link MerkleProof#verifyNode} on
     * {@code keccak256(0x00 || bytes)}). */
    public record Chunk(int chunk, byte[] bytes, MerkleProof proof) {
        public byte[] node() {
            return VectorRoot.leafNodeOfBytes(bytes);
        }
    }

    /** Block {@code block} of committed tensor {@code tensor}: raw bytes, proof against the tensor root, and where
     * the opened element sits in the block. */
    public record Block(int tensor, String name, int block, int offsetInBlock, byte[] bytes, MerkleProof proof) {
        public byte[] node() {
            return VectorRoot.leafNodeOfBytes(bytes);
        }
    }

    /** The chunk holding element {@code element} of {@code v}. */
    public static Chunk element(float[] v, int element) {
        return range(v, element, 1).getFirst();
    }

    /** The chunks covering {@code v[from .. from+count)}, in order. */
    public static List<Chunk> range(float[] v, int from, int count) {
        if (count < 1 || from < 0 || from + count > v.length) {
            throw new IndexOutOfBoundsException("elements [" + from + ", " + (from + count) + ") outside a vector of " + v.length);
        }
        MerkleTree t = VectorRoot.tree(v);
        List<Chunk> out = new ArrayList<>();
        for (int c = from / VectorRoot.CHUNK; c <= (from + count - 1) / VectorRoot.CHUNK; c++) {
            out.add(new Chunk(c, VectorRoot.chunkBytes(v, 0, v.length, c), t.proof(c)));
        }
        return out;
    }

    /** The block holding row-major element {@code element} of tensor {@code name} ({@link WeightsCommitment#ROPE_TABLE} for the rope table). */
    public static Block weight(WeightsCommitment w, String name, long element) {
        int ti = w.indexOf(name);
        WeightsCommitment.Tensor t = w.tensor(ti);
        return block(w, ti, t.blockOf(element), t.offsetInBlock(element));
    }

    /** Block {@code b} of tensor {@code tensor}. */
    public static Block block(WeightsCommitment w, int tensor, int b, int offsetInBlock) {
        WeightsCommitment.Tensor t = w.tensor(tensor);
        return new Block(tensor, t.name(), b, offsetInBlock, t.block(b), w.blockProof(tensor, b));
    }

    /** The canonical bytes of a reduction state (16 or 1 floats). */
    public static byte[] stateBytes(float[] state) {
        byte[] b = new byte[4 * state.length];
        Keccak256.canonicalBytes(state, 0, state.length, b, 0);
        return b;
    }

    /**
     * The states tree of a reduction element: level-0 node c-1 is {@code keccak256(0x00 || bytes(S_c))} for c = 1..T
     * (S_0 is a constant and not in the tree); a party posts its root, and S_T with its proof.
     */
    public static MerkleTree statesTree(ReductionStates rs) {
        List<byte[]> nodes = new ArrayList<>(rs.chunks());
        for (int c = 1; c <= rs.chunks(); c++) nodes.add(VectorRoot.leafNodeOfBytes(stateBytes(rs.state(c))));
        return MerkleTree.ofLeafNodes(nodes);
    }
}
