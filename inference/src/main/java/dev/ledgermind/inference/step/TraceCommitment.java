package dev.ledgermind.inference.step;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LeafSink;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.LlamaState;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.MerkleProof;
import dev.ledgermind.inference.trace.MerkleTree;
import dev.ledgermind.inference.trace.TraceRoot;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A decoder run's whole trace as the dispute game needs it: every leaf hash with its preimage (the three vector
 * roots), the trace tree for descent nodes and proofs, and the positions' tokens. Leaf {@code i = p * layers + l}.
 * The run is the real {@link LlamaState} forward over the claimed token sequence (prompt, then the output tokens but
 * the last), honest or with a {@link StepFault}: its root equals the trace root of generation and replay.
 */
public final class TraceCommitment {
    private final int[] tokens;
    private final int layers;
    private final byte[][] hashes;
    private final byte[][] preimages;
    private final MerkleTree tree;

    private TraceCommitment(int[] tokens, int layers, byte[][] hashes, byte[][] preimages) {
        this.tokens = tokens;
        this.layers = layers;
        this.hashes = hashes;
        this.preimages = preimages;
        this.tree = MerkleTree.of(Arrays.asList(hashes));
    }

    /** The trace of {@code tokens} (every position runs); {@code fault} null for the honest run. */
    public static TraceCommitment of(LlamaModel m, int[] tokens, StepFault fault, KernelConfig cfg, Parallel par) {
        if (tokens.length == 0) throw new IllegalArgumentException("a trace needs at least one position");
        int layers = m.config().layers();
        byte[][] h = new byte[tokens.length * layers][], pre = new byte[tokens.length * layers][];
        LlamaState state = new LlamaState(m, tokens.length, cfg, par);
        if (fault != null) state.setStepHook(new StepEngine(m, cfg, par).faultHook(fault));
        LeafSink sink = new LeafSink() {
            @Override
            public void leaf(int position, int layer, byte[] hash) {
                throw new IllegalStateException("LlamaState gives leaves with their roots");
            }

            @Override
            public void leaf(int position, int layer, byte[] roots, byte[] hash) {
                h[position * layers + layer] = hash;
                pre[position * layers + layer] = roots;
            }
        };
        for (int start = 0; start < tokens.length; start += LlamaState.MAX_BATCH) {
            state.forward(tokens, start, Math.min(LlamaState.MAX_BATCH, tokens.length - start), LlamaState.MAX_BATCH, null, sink);
        }
        return new TraceCommitment(tokens.clone(), layers, h, pre);
    }

    public static TraceCommitment of(LlamaModel m, int[] tokens) {
        return of(m, tokens, null, KernelConfig.defaults(), Parallel.serial());
    }

    /** {@code keccak256} of the token ids as uint32 little-endian: the claim's tokensHash. */
    public static byte[] tokensHash(int[] tokens) {
        Keccak256 k = new Keccak256();
        for (int t : tokens) k.updateIntLE(t);
        return k.digest();
    }

    public int[] tokens() {
        return tokens.clone();
    }

    public int layers() {
        return layers;
    }

    public int leafCount() {
        return hashes.length;
    }

    public int index(int position, int layer) {
        return position * layers + layer;
    }

    public byte[] leafHash(int i) {
        return hashes[i].clone();
    }

    /** The leaf's preimage {@code xRoot || kRoot || vRoot} (96 bytes): {@code leafHash = keccak256(0x02 || preimage)}. */
    public byte[] preimage(int i) {
        return preimages[i].clone();
    }

    public byte[] xRoot(int i) {
        return Arrays.copyOfRange(preimages[i], 0, 32);
    }

    public byte[] kRoot(int i) {
        return Arrays.copyOfRange(preimages[i], 32, 64);
    }

    public byte[] vRoot(int i) {
        return Arrays.copyOfRange(preimages[i], 64, 96);
    }

    public MerkleTree tree() {
        return tree;
    }

    public TraceRoot root() {
        return tree.root();
    }

    /** The proof of leaf {@code i}'s hash against the trace root. */
    public MerkleProof proof(int i) {
        return tree.proof(i);
    }

    /** Every leaf hash, in order. */
    public List<byte[]> leafHashes() {
        List<byte[]> l = new ArrayList<>(hashes.length);
        for (byte[] h : hashes) l.add(h.clone());
        return l;
    }
}
