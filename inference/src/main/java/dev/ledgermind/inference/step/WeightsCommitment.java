package dev.ledgermind.inference.step;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.gguf.GgufFile;
import dev.ledgermind.inference.gguf.GgufTensorInfo;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.Rope;
import dev.ledgermind.inference.llama.LlamaConfig;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.MerkleProof;
import dev.ledgermind.inference.trace.MerkleTree;
import dev.ledgermind.inference.trace.StreamingRoot;
import dev.ledgermind.inference.trace.VectorRoot;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The weights commitment of a llama-family model for the dispute game (the model registry's {@code weightsHash} of an
 * optimistic-capable model; DESIGN.md section 4).
 *
 * <h2>Definition</h2>
 * Tensors in canonical order: for each layer l: {@code attn_norm, attn_q, attn_k, attn_v, [attn_q.bias, attn_k.bias,
 * attn_v.bias], attn_output, ffn_norm, ffn_gate, ffn_up, ffn_down} (GGUF names {@code blk.l.*.weight}), then
 * {@code token_embd, output_norm, output} (the last absent when tied), then the <b>rope table</b> pseudo-tensor
 * {@link #ROPE_TABLE} (F32, {@code ropePositions = contextLength} rows of {@code rotDim} columns, row p =
 * {@code cos(p,0), sin(p,0), cos(p,1), sin(p,1), ...} as {@link Rope} builds them).
 * <pre>
 *   a tensor's blocks:  F32: each row cut in blocks of 32 elements (never across rows; a row whose length is not a
 *                       multiple of 32 ends with a short block); a quantized type: its GGUF blocks (Q8_0, Q4_0: 32
 *                       elements; Q4_K, Q6_K: super-blocks of 256); block b of row r has index r * blocksPerRow + b
 *   block node:         keccak256(0x00 || the block's raw bytes as in the GGUF file)
 *                       (F32: 4 bytes LE per element; Q8_0: 34 bytes, f16 scale then 32 int8; Q4_0: 18 bytes, f16
 *                       scale then 16 bytes of nibbles; Q4_K: 144 bytes; Q6_K: 210 bytes)
 *   tensor root:        MerkleTree rule over the block nodes (inner keccak256(0x01 || l || r), odd last promoted)
 *   weights root:       MerkleTree.of(tensor roots), the tensor roots taken as leaf hashes (node = keccak256(0x00 || root))
 * </pre>
 * Tensor roots are computed streaming ({@link StreamingRoot}), one tensor per thread; a block proof streams its
 * tensor's blocks again (O(blocks) hashing, O(log) memory), so even a billion-parameter model needs no tree in memory.
 * Game v1 covers F32, Q8_0, Q4_0, Q4_K and Q6_K tensors ({@link #COVERED}); any other type is refused with its name.
 *
 * <p>A 32-element chunk c of a row (a reduction chunk of the step program) lies in block
 * {@code 32c / elementsPerBlock} of its row ({@link Tensor#chunkBlock}); for the 256-element super-blocks of Q4_K and
 * Q6_K that is super-block {@code c / 8}, and the chunk is its sub-block {@code c % 8}
 * ({@link Tensor#subBlockOfChunk}): the opening is the whole raw super-block, whose header (scales) every one of its
 * eight chunks needs (DESIGN.md section 4.4 gives the reason).
 */
public final class WeightsCommitment {
    /** The name of the rope table pseudo-tensor. */
    public static final String ROPE_TABLE = "rope_table";
    /** Elements per block of an F32 tensor, and per chunk of a reduction. */
    public static final int BLOCK = 32;
    /** The weight types the game covers. */
    public static final java.util.Set<GgmlType> COVERED =
            java.util.EnumSet.of(GgmlType.F32, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K);

    /** One committed tensor: its GGUF data (null for the rope table, whose F32 values are {@code ropeTable}). */
    public record Tensor(String name, GgmlType type, int rows, int cols, MemorySegment data, float[] ropeTable) {
        /** Elements per block: 32 for F32 (a row's last block may be short), else the GGUF type's block size. */
        public int elementsPerBlock() {
            return type == GgmlType.F32 ? BLOCK : type.blockSize;
        }

        public int blocksPerRow() {
            int n = elementsPerBlock();
            return (cols + n - 1) / n;
        }

        /** The block holding the 32-element chunk {@code c} of row {@code row}. */
        public int chunkBlock(int row, int c) {
            return row * blocksPerRow() + BLOCK * c / elementsPerBlock();
        }

        /** Chunk {@code c}'s 32-element sub-block inside its block (0 unless the block is a 256-element super-block). */
        public static int subBlockOfChunk(int c, GgmlType type) {
            return type.blockSize > BLOCK ? c % (type.blockSize / BLOCK) : 0;
        }

        public int blocks() {
            return rows * blocksPerRow();
        }

        /** The raw bytes of block {@code b}. */
        public byte[] block(int b) {
            if (b < 0 || b >= blocks()) throw new IndexOutOfBoundsException("block " + b + " outside tensor '" + name + "' of " + blocks() + " blocks");
            int r = b / blocksPerRow(), j = b % blocksPerRow();
            if (type != GgmlType.F32) {
                long o = (long) r * type.bytesFor(cols) + (long) j * type.blockBytes;
                return data.asSlice(o, type.blockBytes).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
            }
            int len = Math.min(BLOCK, cols - BLOCK * j);
            long first = (long) r * cols + (long) BLOCK * j;
            if (ropeTable != null) {
                byte[] out = new byte[4 * len];
                Keccak256.canonicalBytes(ropeTable, (int) first, len, out, 0);
                return out;
            }
            return data.asSlice(4 * first, 4L * len).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
        }

        /** {@code keccak256(0x00 || block b)}. */
        public byte[] blockNode(int b) {
            return VectorRoot.leafNodeOfBytes(block(b));
        }

        /** The block holding row-major element {@code e} ({@code e = row * cols + col}). */
        public int blockOf(long e) {
            int r = (int) (e / cols), c = (int) (e % cols);
            return r * blocksPerRow() + c / elementsPerBlock();
        }

        /** Element {@code e}'s position inside its block. */
        public int offsetInBlock(long e) {
            return (int) (e % cols) % elementsPerBlock();
        }
    }

    private final List<Tensor> tensors;
    private final byte[][] tensorRoots;
    private final MerkleTree tree;

    private WeightsCommitment(List<Tensor> tensors, byte[][] tensorRoots) {
        this.tensors = tensors;
        this.tensorRoots = tensorRoots;
        List<byte[]> leaves = new ArrayList<>();
        Collections.addAll(leaves, tensorRoots);
        this.tree = MerkleTree.of(leaves);
    }

    /** The canonical tensor names of a model (rope table last). */
    public static List<String> tensorNames(LlamaConfig c, boolean qkvBias, boolean tiedOutput) {
        List<String> n = new ArrayList<>();
        for (int l = 0; l < c.layers(); l++) {
            String b = "blk." + l + ".";
            n.add(b + "attn_norm.weight");
            n.add(b + "attn_q.weight");
            n.add(b + "attn_k.weight");
            n.add(b + "attn_v.weight");
            if (qkvBias) {
                n.add(b + "attn_q.bias");
                n.add(b + "attn_k.bias");
                n.add(b + "attn_v.bias");
            }
            n.add(b + "attn_output.weight");
            n.add(b + "ffn_norm.weight");
            n.add(b + "ffn_gate.weight");
            n.add(b + "ffn_up.weight");
            n.add(b + "ffn_down.weight");
        }
        n.add("token_embd.weight");
        n.add("output_norm.weight");
        if (!tiedOutput) n.add("output.weight");
        n.add(ROPE_TABLE);
        return n;
    }

    /**
     * Why {@code m} cannot be played by the step game v1 (its first tensor of a type not {@link #COVERED}), or empty
     * when it can: a node registers such a model with this commitment's root and {@link StepModelSpec#hash}.
     */
    public static java.util.Optional<String> notCovered(LlamaModel m) {
        boolean bias = m.weights().layers[0].bq() != null;
        for (String name : tensorNames(m.config(), bias, m.weights().tiedOutput)) {
            if (name.equals(ROPE_TABLE)) continue;
            GgmlType t = m.file().tensor(name).type();
            if (!covered(name, t)) return java.util.Optional.of(refusal(name, t));
        }
        return java.util.Optional.empty();
    }

    public static WeightsCommitment of(LlamaModel m) {
        return of(m, Parallel.serial());
    }

    /** The commitment of {@code m}, tensor roots hashed on {@code par}'s threads. */
    public static WeightsCommitment of(LlamaModel m, Parallel par) {
        LlamaConfig c = m.config();
        GgufFile f = m.file();
        boolean bias = m.weights().layers[0].bq() != null;
        List<Tensor> tensors = new ArrayList<>();
        for (String name : tensorNames(c, bias, m.weights().tiedOutput)) {
            if (name.equals(ROPE_TABLE)) {
                int positions = c.contextLength(), rot = c.ropeDim();
                Rope rope = m.rope(positions);
                float[] table = new float[positions * rot];
                for (int p = 0; p < positions; p++) {
                    for (int i = 0; i < rot / 2; i++) {
                        table[p * rot + 2 * i] = rope.cos(p, i);
                        table[p * rot + 2 * i + 1] = rope.sin(p, i);
                    }
                }
                tensors.add(new Tensor(ROPE_TABLE, GgmlType.F32, positions, rot, null, table));
                continue;
            }
            GgufTensorInfo t = f.tensor(name);
            if (!covered(name, t.type())) throw new IllegalArgumentException(refusal(name, t.type()));
            int rows = t.dims().length == 1 ? 1 : t.rows();
            int cols = t.dims().length == 1 ? (int) t.dims()[0] : t.cols();
            tensors.add(new Tensor(name, t.type(), rows, cols, t.data(), null));
        }
        byte[][] roots = new byte[tensors.size()][];
        par.forChunks(tensors.size(), 1, (from, to) -> {
            for (int i = from; i < to; i++) {
                Tensor t = tensors.get(i);
                roots[i] = tensorRoot(t);
                // Hashing touched every page of the tensor; the engine runs Q8_0 on its packed copy, so drop them again
                // (resident memory would otherwise hold the file twice while a game runs). Later openings re-read a few.
                if (t.data() != null && t.data().isMapped()) t.data().unload();
            }
        });
        return new WeightsCommitment(List.copyOf(tensors), roots);
    }

    /**
     * Whether tensor {@code name} of type {@code t} is covered: matrices (and the token embedding) in a
     * {@link #COVERED} type; vectors (norms, biases) F32 only, because the game reads their elements as raw floats.
     */
    static boolean covered(String name, GgmlType t) {
        boolean vector = name.endsWith("_norm.weight") || name.endsWith(".bias");
        return vector ? t == GgmlType.F32 : COVERED.contains(t);
    }

    private static String refusal(String name, GgmlType t) {
        boolean vector = name.endsWith("_norm.weight") || name.endsWith(".bias");
        return "tensor '" + name + "' is " + t + ": the weights commitment of game v1 covers "
                + (vector ? "norm and bias vectors in F32 only" : "F32, Q8_0, Q4_0, Q4_K and Q6_K weights only (Q5_*, Q4_1, F16, BF16 are not covered yet)");
    }

    private static byte[] tensorRoot(Tensor t) {
        StreamingRoot r = new StreamingRoot();
        for (int b = 0; b < t.blocks(); b++) r.add(t.blockNode(b));
        return r.root();
    }

    /** The weights root (32 bytes): the registry's weightsHash. */
    public byte[] root() {
        return tree.rootBytes();
    }

    public List<Tensor> tensors() {
        return tensors;
    }

    public int size() {
        return tensors.size();
    }

    /** The index of tensor {@code name} in the canonical order. */
    public int indexOf(String name) {
        for (int i = 0; i < tensors.size(); i++) if (tensors.get(i).name().equals(name)) return i;
        throw new IllegalArgumentException("no tensor '" + name + "' in the weights commitment");
    }

    public Tensor tensor(int i) {
        return tensors.get(i);
    }

    public byte[] tensorRoot(int i) {
        return tensorRoots[i].clone();
    }

    /** The proof of tensor {@code i}'s root (as a leaf hash) against {@link #root()}. */
    public MerkleProof tensorProof(int i) {
        return tree.proof(i);
    }

    /** The proof of block {@code b}'s node against tensor {@code i}'s root. */
    public MerkleProof blockProof(int i, int b) {
        Tensor t = tensors.get(i);
        return StreamingRoot.rangeProof(j -> t.blockNode((int) j), t.blocks(), b);
    }

    /** The ggml type id of every committed tensor in canonical order (the rope table F32 = 0): the spec's tensorTypes. */
    public int[] tensorTypes() {
        int[] ids = new int[tensors.size()];
        for (int i = 0; i < ids.length; i++) ids[i] = tensors.get(i).type().id;
        return ids;
    }
}
