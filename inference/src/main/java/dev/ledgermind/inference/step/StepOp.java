package dev.ledgermind.inference.step;

import java.util.List;

/**
 * The step program v1 as data: the 22 operations of one llama layer at one position p, in their canonical order
 * (the index is {@link #ordinal()}), with each op's kind, output length, chunking and inputs (DESIGN.md section 4,
 * the table "step program v1"). {@link StepEngine} executes it with exactly the bits of
 * {@link dev.ledgermind.inference.llama.LlamaState}; the referee contract re-executes one element or one chunk of it.
 *
 * <p>Notation: {@code dim, qDim = heads*hd, kvDim = kvHeads*hd, ffn}, {@code P = p + 1} positions attended,
 * {@code kvh(h) = h / (heads / kvHeads)}. Inputs named {@code x_in}, {@code K[t]}, {@code V[t]} (t &lt; p) come from
 * the agreed trace leaves; {@code w:NAME} from the weights commitment; {@code rope} from its rope table; an op's
 * own name means that op's output vector; {@code K[p]}, {@code V[p]} are this step's k_rope and v.
 */
public enum StepOp {
    ATTN_SS("attn_ss", Kind.DOT, List.of("x_in")),
    ATTN_NORM("attn_norm", Kind.ELEMENTWISE, List.of("x_in", "attn_ss", "w:attn_norm")),
    Q("q", Kind.MATMUL, List.of("attn_norm", "w:attn_q", "w:attn_q.bias")),
    K("k", Kind.MATMUL, List.of("attn_norm", "w:attn_k", "w:attn_k.bias")),
    V("v", Kind.MATMUL, List.of("attn_norm", "w:attn_v", "w:attn_v.bias")),
    Q_ROPE("q_rope", Kind.ELEMENTWISE, List.of("q", "rope")),
    K_ROPE("k_rope", Kind.ELEMENTWISE, List.of("k", "rope")),
    SCORES("scores", Kind.DOT, List.of("q_rope", "K[t]", "k_rope")),
    ATT_MAX("att_max", Kind.MAX, List.of("scores")),
    ATT_EXP("att_exp", Kind.ELEMENTWISE, List.of("scores", "att_max")),
    ATT_SUM("att_sum", Kind.SUM, List.of("att_exp")),
    ATT_PROB("att_prob", Kind.ELEMENTWISE, List.of("att_exp", "att_sum", "att_max")),
    ATT_OUT("att_out", Kind.WEIGHTED_SUM, List.of("att_prob", "V[t]", "v")),
    WO("wo", Kind.MATMUL, List.of("att_out", "w:attn_output")),
    X_MID("x_mid", Kind.ELEMENTWISE, List.of("x_in", "wo")),
    FFN_SS("ffn_ss", Kind.DOT, List.of("x_mid")),
    FFN_NORM("ffn_norm", Kind.ELEMENTWISE, List.of("x_mid", "ffn_ss", "w:ffn_norm")),
    GATE("gate", Kind.MATMUL, List.of("ffn_norm", "w:ffn_gate")),
    UP("up", Kind.MATMUL, List.of("ffn_norm", "w:ffn_up")),
    ACT("act", Kind.ELEMENTWISE, List.of("gate", "up")),
    DOWN("down", Kind.MATMUL, List.of("act", "w:ffn_down")),
    X_OUT("x_out", Kind.ELEMENTWISE, List.of("x_mid", "down"));

    /** The version of this table; part of the model spec hash ({@link StepModelSpec}). */
    public static final int STEP_PROGRAM_VERSION = 1;
    /** Ops in a step. */
    public static final int COUNT = 22;
    /** Elements per chunk of every reduction but att_out. */
    public static final int CHUNK = 32;
    /** Positions per chunk of att_out's weighted sums. */
    public static final int ATT_OUT_CHUNK = 8;

    /**
     * How an op's element is computed. Reductions carry a state across chunks (section 4.3 of the game):
     * {@link #DOT} and {@link #MATMUL} and {@link #SUM} 16 partial sums (S_0 = 16 x +0.0f), {@link #MAX} one float
     * (S_0 = -Infinity), {@link #WEIGHTED_SUM} one float (S_0 = +0.0f). {@link #ELEMENTWISE} is one small formula.
     */
    public enum Kind {
        /** Canonical Dot of two activation vectors: partial (j mod 16) gets fma(a[j], b[j], s). */
        DOT(16),
        /** A weight row with activations: F32 as {@link #DOT}, Q8_0 / Q4_0 by blocks in Q8_0Tensor's order, Q4_K / Q6_K as DOT over the decoded values; then + bias. */
        MATMUL(16),
        /** Canonical Sum: partial (j mod 16) gets s + e[j]. */
        SUM(16),
        /** Sequential max scan: m = v &gt; m ? v : m. */
        MAX(1),
        /** Sequential fma: o = fma(prob[t], V[t][i], o). */
        WEIGHTED_SUM(1),
        ELEMENTWISE(0);

        /** Floats in the state (0 for elementwise). */
        public final int stateSize;

        Kind(int stateSize) {
            this.stateSize = stateSize;
        }

        public boolean reduction() {
            return this != ELEMENTWISE;
        }
    }

    public final String opName;
    public final Kind kind;
    /** The op's inputs, by name (see the class comment). */
    public final List<String> inputs;

    StepOp(String opName, Kind kind, List<String> inputs) {
        this.opName = opName;
        this.kind = kind;
        this.inputs = inputs;
    }

    /** The op's output length for a model of {@code shape} at position {@code p}. */
    public int length(StepShape s, int p) {
        return switch (this) {
            case ATTN_SS, FFN_SS -> 1;
            case ATTN_NORM, WO, X_MID, FFN_NORM, DOWN, X_OUT -> s.dim();
            case Q, Q_ROPE, ATT_OUT -> s.qDim();
            case K, V, K_ROPE -> s.kvDim();
            case SCORES, ATT_EXP, ATT_PROB -> s.heads() * (p + 1);
            case ATT_MAX, ATT_SUM -> s.heads();
            case GATE, UP, ACT -> s.ffn();
        };
    }

    /** Length of the reduction behind each element (elements summed or scanned); 0 for elementwise ops. */
    public int reductionLength(StepShape s, int p) {
        return switch (this) {
            case ATTN_SS, FFN_SS, Q, K, V, GATE, UP -> s.dim();
            case WO -> s.qDim();
            case DOWN -> s.ffn();
            case SCORES -> s.headDim();
            case ATT_MAX, ATT_SUM, ATT_OUT -> p + 1;
            default -> 0;
        };
    }

    /** Elements (or positions) per chunk of this reduction. */
    public int chunkLength() {
        return this == ATT_OUT ? ATT_OUT_CHUNK : CHUNK;
    }

    /** Chunks T of each element's reduction (0 for elementwise ops). */
    public int chunks(StepShape s, int p) {
        int n = reductionLength(s, p);
        return (n + chunkLength() - 1) / chunkLength();
    }

    /** The op named {@code name}. */
    public static StepOp named(String name) {
        for (StepOp op : values()) if (op.opName.equals(name)) return op;
        throw new IllegalArgumentException("no step op named '" + name + "'");
    }
}
