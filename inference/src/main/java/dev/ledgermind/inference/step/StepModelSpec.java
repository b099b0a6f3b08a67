package dev.ledgermind.inference.step;

import dev.ledgermind.inference.kernel.Rope;
import dev.ledgermind.inference.llama.LlamaConfig;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.trace.Keccak256;

/**
 * The model spec the dispute game checks a step against (the model registry's {@code architectureHash} of an
 * optimistic-capable model; DESIGN.md section 4):
 * <pre>
 *   specHash = keccak256(abi.encode(uint32 stepProgramVersion, uint32 layers, uint32 dim, uint32 heads,
 *       uint32 kvHeads, uint32 headDim, uint32 ffnDim, uint32 vocab, uint32 rmsEpsBits, uint32 attnScaleBits,
 *       uint8 ropePairing (0 NORM, 1 NEOX), uint32 rotDim, uint32 ropePositions, bool hasQkvBias, bool tiedOutput,
 *       uint8[] tensorTypes))
 * </pre>
 * {@code tensorTypes} holds the ggml type id of every tensor of the {@link WeightsCommitment}, in its canonical
 * order, the rope table included (F32 = 0), so its length is the number of tensor roots. Encoded here by hand
 * (inference does not depend on web3j): 15 static words, the offset 0x200 of the array, then its length and one
 * word per element.
 */
public record StepModelSpec(int stepProgramVersion, int layers, int dim, int heads, int kvHeads, int headDim, int ffnDim,
                        int vocab, int rmsEpsBits, int attnScaleBits, int ropePairing, int rotDim, int ropePositions,
                        boolean hasQkvBias, boolean tiedOutput, int[] tensorTypes) {
    public StepModelSpec {
        tensorTypes = tensorTypes.clone();
        for (int t : tensorTypes) if (t < 0 || t > 255) throw new IllegalArgumentException("tensor type id " + t + " is not a uint8");
    }

    public static StepModelSpec of(LlamaModel m, WeightsCommitment w) {
        LlamaConfig c = m.config();
        return new StepModelSpec(StepOp.STEP_PROGRAM_VERSION, c.layers(), c.dim(), c.heads(), c.kvHeads(), c.headDim(), c.ffnDim(),
                c.vocab(), Float.floatToIntBits(c.rmsEps()), Float.floatToIntBits(StepShape.attnScale(c.headDim())),
                c.ropePairing() == Rope.Pairing.NORM ? 0 : 1, c.ropeDim(), c.contextLength(),
                m.weights().layers[0].bq() != null, m.weights().tiedOutput, w.tensorTypes());
    }

    @Override
    public int[] tensorTypes() {
        return tensorTypes.clone();
    }

    /** {@code abi.encode(...)} of the fields, in order. */
    public byte[] encode() {
        int n = tensorTypes.length;
        byte[] out = new byte[32 * (16 + 1 + n)];
        long[] head = {Integer.toUnsignedLong(stepProgramVersion), Integer.toUnsignedLong(layers), Integer.toUnsignedLong(dim),
                Integer.toUnsignedLong(heads), Integer.toUnsignedLong(kvHeads), Integer.toUnsignedLong(headDim),
                Integer.toUnsignedLong(ffnDim), Integer.toUnsignedLong(vocab), Integer.toUnsignedLong(rmsEpsBits),
                Integer.toUnsignedLong(attnScaleBits), ropePairing, Integer.toUnsignedLong(rotDim),
                Integer.toUnsignedLong(ropePositions), hasQkvBias ? 1 : 0, tiedOutput ? 1 : 0, 16 * 32};
        for (int i = 0; i < head.length; i++) word(out, i, head[i]);
        word(out, 16, n);
        for (int i = 0; i < n; i++) word(out, 17 + i, tensorTypes[i]);
        return out;
    }

    /** {@code keccak256(encode())}: the registry's architectureHash. */
    public byte[] hash() {
        return Keccak256.hash(encode());
    }

    private static void word(byte[] out, int index, long v) {
        int end = 32 * index + 32;
        for (int k = 0; k < 8; k++) out[end - 1 - k] = (byte) (v >>> (8 * k));
    }
}
