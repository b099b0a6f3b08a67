package dev.ledgermind.node.game;

import dev.ledgermind.inference.step.Openings;
import dev.ledgermind.inference.step.Step;
import dev.ledgermind.inference.step.StepOp;
import dev.ledgermind.inference.step.TraceCommitment;
import dev.ledgermind.inference.step.WeightsCommitment;
import dev.ledgermind.inference.trace.MerkleProof;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.StaticArray3;
import org.web3j.utils.Numeric;

import java.util.ArrayList;
import java.util.List;

/**
 * The {@code openings} of a one-step move, as the OneStep verifier decodes them (contracts/src/game/OneStep.sol:
 * one ABI-encoded blob per input, in the order it lists per op). Every proof is against this party's own
 * roots: the leaves, op outputs and states a one step opens lie before the first disagreement, so they are
 * equal in both parties' trees, and DisputeGame checks them against the mover's own trace and states roots.
 */
final class OneStepOpenings {
    private final GameWitness w;

    OneStepOpenings(GameWitness w) {
        this.w = w;
    }

    /** The finish openings of reduction {@code op}'s element {@code e}: the bias block for q/k/v of a model with biases, else empty. */
    byte[] finish(Step step, StepOp op, int e) {
        if (step.bias(op, e) == null) return new byte[0];
        String name = switch (op) {
            case Q -> "attn_q.bias";
            case K -> "attn_k.bias";
            default -> "attn_v.bias";
        };
        return weightBlock(layerTensor(step.layer(), name), e / 32);
    }

    /** The openings of the one step of {@code op} at element {@code e}, reduction chunk {@code c}. */
    byte[] step(Step step, StepOp op, int e, int c) {
        int l = step.layer();
        return switch (op) {
            case X_MID -> tuple(xIn(step, e / 32), opChunk(step, StepOp.WO, e / 32));
            case X_OUT -> tuple(opChunk(step, StepOp.X_MID, e / 32), opChunk(step, StepOp.DOWN, e / 32));
            case ATTN_NORM -> tuple(xIn(step, e / 32), opChunk(step, StepOp.ATTN_SS, 0),
                    weightBlock(layerTensor(l, "attn_norm.weight"), e / 32));
            case FFN_NORM -> tuple(opChunk(step, StepOp.X_MID, e / 32), opChunk(step, StepOp.FFN_SS, 0),
                    weightBlock(layerTensor(l, "ffn_norm.weight"), e / 32));
            case ACT -> tuple(opChunk(step, StepOp.GATE, e / 32), opChunk(step, StepOp.UP, e / 32));
            case ATT_EXP -> {
                int h = e / (step.position() + 1);
                yield tuple(opChunk(step, StepOp.SCORES, e / 32), opChunk(step, StepOp.ATT_MAX, h / 32));
            }
            case ATT_PROB -> {
                int h = e / (step.position() + 1);
                yield tuple(opChunk(step, StepOp.ATT_EXP, e / 32), opChunk(step, StepOp.ATT_SUM, h / 32),
                        opChunk(step, StepOp.ATT_MAX, h / 32));
            }
            case Q_ROPE, K_ROPE -> rope(step, op == StepOp.Q_ROPE ? StepOp.Q : StepOp.K, e);
            case SCORES -> {
                int pp = step.position() + 1, hd = w.model().config().headDim();
                int h = e / pp, t = e % pp;
                int kvh = h / (w.model().config().heads() / w.model().config().kvHeads());
                int kc = (kvh * hd) / 32 + c;
                byte[] k = t == step.position() ? opChunk(step, StepOp.K_ROPE, kc) : leafChunk(step, t, 1, step.vector("K[" + t + "]"), kc);
                yield tuple(opChunk(step, StepOp.Q_ROPE, (h * hd) / 32 + c), k);
            }
            case ATT_MAX, ATT_SUM -> {
                int pp = step.position() + 1;
                int a = e * pp + 32 * c, b = e * pp + Math.min(32 * c + 32, pp);
                yield encode(slice(step, op == StepOp.ATT_MAX ? StepOp.SCORES : StepOp.ATT_EXP, a, b));
            }
            case ATT_OUT -> {
                int pp = step.position() + 1, hd = w.model().config().headDim();
                int h = e / hd;
                int kvi = (h / (w.model().config().heads() / w.model().config().kvHeads())) * hd + e % hd;
                int t0 = 8 * c, t1 = Math.min(t0 + 8, pp);
                List<DynamicBytes> v = new ArrayList<>();
                for (int t = t0; t < t1; t++) {
                    v.add(new DynamicBytes(t == step.position() ? opChunk(step, StepOp.V, kvi / 32)
                            : leafChunk(step, t, 2, step.vector("V[" + t + "]"), kvi / 32)));
                }
                yield encode(slice(step, StepOp.ATT_PROB, h * pp + t0, h * pp + t1), new DynamicArray<>(DynamicBytes.class, v));
            }
            case ATTN_SS -> xIn(step, c);
            case FFN_SS -> opChunk(step, StepOp.X_MID, c);
            case Q, K, V, WO, GATE, UP, DOWN -> {
                StepOp src = switch (op) {
                    case Q, K, V -> StepOp.ATTN_NORM;
                    case GATE, UP -> StepOp.FFN_NORM;
                    case WO -> StepOp.ATT_OUT;
                    default -> StepOp.ACT;
                };
                int t = layerTensor(l, matrixName(op));
                // the block holding chunk c of row e: block c (F32, Q8_0, Q4_0) or super-block c / 8 (Q4_K, Q6_K)
                yield tuple(opChunk(step, src, c), weightBlock(t, w.weights().tensor(t).chunkBlock(e, c)));
            }
            default -> throw new UnsupportedOperationException("the one step of op " + op.opName
                    + " is not covered by the verifier yet (docs/DESIGN.md section 4, not covered)");
        };
    }

    /**
     * q_rope / k_rope element {@code e}: past rotDim {@code (bytes x)}; else {@code (bytes x, bytes partner, bytes
     * ropeBlock)}, the pair partner as Rope pairs it (NORM: e ^ 1; NEOX: e +- rotDim/2) and the rope table's block
     * holding cos(p, i), sin(p, i) (columns 2i, 2i+1 of row p).
     */
    private byte[] rope(Step step, StepOp src, int e) {
        var c = w.model().config();
        int hd = c.headDim(), rot = c.ropeDim(), d = e % hd;
        if (d >= rot) return encode(new DynamicBytes(opChunk(step, src, e / 32)));
        int i, partner;
        if (c.ropePairing() == dev.ledgermind.inference.kernel.Rope.Pairing.NORM) {
            i = d / 2;
            partner = e ^ 1;
        } else {
            int half = rot / 2;
            boolean first = d < half;
            i = first ? d : d - half;
            partner = first ? e + half : e - half;
        }
        int table = w.weights().indexOf(WeightsCommitment.ROPE_TABLE);
        int b = w.weights().tensor(table).blocksPerRow() * step.position() + (2 * i) / 32;
        return tuple(opChunk(step, src, e / 32), opChunk(step, src, partner / 32), weightBlock(table, b));
    }

    /** {@code bytes[]} of the op chunk openings of op {@code k} covering its elements {@code [a, b)}. */
    private static DynamicArray<DynamicBytes> slice(Step step, StepOp k, int a, int b) {
        List<DynamicBytes> out = new ArrayList<>();
        for (int ci = a / 32; ci <= (b - 1) / 32; ci++) out.add(new DynamicBytes(opChunk(step, k, ci)));
        return new DynamicArray<>(DynamicBytes.class, out);
    }

    /**
     * {@code (bytes32[3] leafRoots, bytes32[] traceProof, bytes chunk, bytes32[] proof)}: chunk {@code c} of
     * component {@code comp} (0 x, 1 k, 2 v) of the agreed leaf (t, l), whose vector is {@code v}.
     */
    private byte[] leafChunk(Step step, int t, int comp, float[] v, int c) {
        TraceCommitment tc = w.trace();
        int idx = tc.index(t, step.layer());
        byte[] pre = tc.preimage(idx);
        List<Bytes32> roots = List.of(new Bytes32(slice(pre, 0)), new Bytes32(slice(pre, 32)), new Bytes32(slice(pre, 64)));
        Openings.Chunk ch = Openings.element(v, 32 * c);
        return encode(new StaticArray3<>(Bytes32.class, roots), proof(tc.proof(idx)), new DynamicBytes(ch.bytes()), proof(ch.proof()));
    }

    private static String matrixName(StepOp op) {
        return switch (op) {
            case Q -> "attn_q.weight";
            case K -> "attn_k.weight";
            case V -> "attn_v.weight";
            case WO -> "attn_output.weight";
            case GATE -> "ffn_gate.weight";
            case UP -> "ffn_up.weight";
            default -> "ffn_down.weight";
        };
    }

    private int layerTensor(int l, String name) {
        return w.weights().indexOf("blk." + l + "." + name);
    }

    /** {@code (bytes chunk, bytes32[] proof)}: chunk {@code c} of op {@code k}'s output and its proof against opRoots[k]. */
    private static byte[] opChunk(Step step, StepOp k, int c) {
        Openings.Chunk ch = Openings.element(step.output(k), 32 * c);
        return encode(new DynamicBytes(ch.bytes()), proof(ch.proof()));
    }

    /**
     * Chunk {@code c} of x_in. Layer l > 0: {@code (bytes32[3] leafRoots, bytes32[] traceProof, bytes chunk,
     * bytes32[] proof)}, leaf (p, l-1) by its preimage and trace proof; layer 0: {@code (bytes tokens, bytes blk,
     * bytes32[] blockProof, bytes32[] tensorProof)}, the block of token_embd's row token[p] holding chunk c (a Q4_K or
     * Q6_K super-block holds eight chunks; OneStep takes sub-block c % 8).
     */
    private byte[] xIn(Step step, int c) {
        int p = step.position(), l = step.layer();
        if (l > 0) {
            TraceCommitment t = w.trace();
            int idx = t.index(p, l - 1);
            byte[] pre = t.preimage(idx);
            List<Bytes32> roots = List.of(new Bytes32(slice(pre, 0)), new Bytes32(slice(pre, 32)), new Bytes32(slice(pre, 64)));
            Openings.Chunk ch = Openings.element(step.vector("x_in"), 32 * c);
            return encode(new StaticArray3<>(Bytes32.class, roots), proof(t.proof(idx)), new DynamicBytes(ch.bytes()), proof(ch.proof()));
        }
        int[] tokens = w.tokens();
        byte[] ids = new byte[4 * tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            for (int k = 0; k < 4; k++) ids[4 * i + k] = (byte) (tokens[i] >>> (8 * k));
        }
        int embd = w.weights().indexOf("token_embd.weight");
        int b = w.weights().tensor(embd).chunkBlock(tokens[p], c);
        Openings.Block blk = Openings.block(w.weights(), embd, b, 0);
        return encode(new DynamicBytes(ids), new DynamicBytes(blk.bytes()), proof(blk.proof()), proof(w.weights().tensorProof(embd)));
    }

    /** {@code (bytes blk, bytes32[] blockProof, bytes32[] tensorProof)}: block {@code b} of committed tensor {@code t}. */
    private byte[] weightBlock(int t, int b) {
        WeightsCommitment wc = w.weights();
        Openings.Block blk = Openings.block(wc, t, b, 0);
        return encode(new DynamicBytes(blk.bytes()), proof(blk.proof()), proof(wc.tensorProof(t)));
    }

    static DynamicArray<Bytes32> proof(MerkleProof p) {
        List<Bytes32> s = new ArrayList<>();
        for (byte[] sib : p.siblings()) s.add(new Bytes32(sib));
        return new DynamicArray<>(Bytes32.class, s);
    }

    private static byte[] tuple(byte[]... blobs) {
        List<Type> parts = new ArrayList<>();
        for (byte[] b : blobs) parts.add(new DynamicBytes(b));
        return encode(parts.toArray(new Type[0]));
    }

    @SuppressWarnings("rawtypes")
    static byte[] encode(Type... parts) {
        return Numeric.hexStringToByteArray(FunctionEncoder.encodeConstructor(List.of(parts)));
    }

    private static byte[] slice(byte[] b, int off) {
        byte[] out = new byte[32];
        System.arraycopy(b, off, out, 0, 32);
        return out;
    }
}
