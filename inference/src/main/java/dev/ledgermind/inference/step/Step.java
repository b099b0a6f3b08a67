package dev.ledgermind.inference.step;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.Rope;
import dev.ledgermind.inference.kernel.Silu;
import dev.ledgermind.inference.kernel.Softmax;
import dev.ledgermind.inference.llama.LlamaWeights;
import dev.ledgermind.inference.tensor.Q4_KTensor;
import dev.ledgermind.inference.tensor.Q6_KTensor;
import dev.ledgermind.inference.tensor.WeightTensor;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.MerkleTree;
import dev.ledgermind.inference.trace.VectorRoot;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * One executed step of the step program v1 ({@link StepOp}): the 22 op outputs of layer {@code l} at position
 * {@code p}, computed from the step's {@link StepInputs} and the layer's weights, and everything the dispute game
 * opens inside it: op roots, each reduction element's chunk states S_0..S_T, each elementwise element's operands.
 *
 * <h2>Arithmetic (each the scalar reference of the kernel LlamaState runs; all binary32)</h2>
 * <pre>
 *   DOT chunk c of a.b:        for j in [32c, min(32c+32, n)):  s[j mod 16] = fma(a[j], b[j], s[j mod 16])
 *   MATMUL F32 chunk c:        the same with a = the weight row (Dot's reference with F32 weights)
 *   MATMUL Q8_0 chunk c:       block c of the row, scale d, codes q[0..31], x = a[32c ..]:
 *                              for m &lt; 16: t = q[m]*x[m]; t = fma(q[m+16], x[m+16], t); s[m] = fma(t, d, s[m])
 *   MATMUL Q4_0 chunk c:       the same with q[m] = (qs[m] &amp; 15) - 8, q[m+16] = (qs[m] &gt;&gt;&gt; 4) - 8 (Q4_0Tensor)
 *   MATMUL Q4_K, Q6_K chunk c: sub-block c % 8 of super-block c / 8, each value w[j] as the tensor class decodes it
 *                              (Q4_K (d*sc)*q - dmin*mn, Q6_K (d*sc)*(q-32), one rounding per operation), then
 *                              for j in the chunk: s[j mod 16] = fma(w[j], a[j], s[j mod 16])  (DequantDot's layout)
 *   finish (DOT, MATMUL, SUM): Dot.combine(s), then the op's epilogue: q/k/v + bias (one addition),
 *                              scores * attnScale
 *   SUM chunk c:               s[j mod 16] = s[j mod 16] + e[j]
 *   MAX chunk c:               for t in the chunk: m = v &gt; m ? v : m            (Softmax's scan; S_0 = -Infinity)
 *   WEIGHTED_SUM chunk c:      for t in [8c, min(8c+8, p+1)): o = fma(prob[t], V[t][i], o)   (S_0 = +0.0f)
 *   attn_norm / ffn_norm:      inv = 1 / (float) sqrt(ss / dim + eps);  y = (x * inv) * w       (RmsNorm)
 *   q_rope / k_rope:           NORM pair (2i, 2i+1), NEOX pair (i, i + rotDim/2), c/s from the rope table:
 *                              first = a*c - b*s, second = a*s + b*c; elements at or past rotDim copied
 *   att_exp:                   m == -Infinity ? +0 : Softmax.exp(s - m)   (d = (double)(s - m); d &lt; -104 ? 0 : (float) Erf.exp(d))
 *   att_prob:                  m == -Infinity ? +0 : e / sum              (Softmax's all -Infinity row is all zeros)
 *   act:                       Silu(g) * u,  Silu(g) = g / (1 + (float) StrictMath.exp(-(double) g))
 *   x_mid, x_out:              a + b
 * </pre>
 * A {@link StepFault} at this step replaces its element right after the element is computed (for a reduction,
 * after its finish); every later op reads the replaced value.
 */
public final class Step {
    private static final ValueLayout.OfShort F16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int Q8_BLOCK_BYTES = 34;
    private static final int Q4_0_BLOCK_BYTES = 18;

    private final StepShape s;
    private final LlamaWeights.Layer w;
    private final Rope rope;
    private final StepInputs in;
    private final StepFault fault;
    private final int p, positions;
    private final float[][] out = new float[StepOp.COUNT][];
    private byte[][] roots;

    Step(StepShape shape, LlamaWeights.Layer weights, Rope rope, StepInputs inputs, StepFault fault) {
        this.s = shape;
        this.w = weights;
        this.rope = rope;
        this.in = inputs;
        this.p = inputs.position();
        this.positions = p + 1;
        this.fault = fault != null && fault.position() == p && fault.layer() == inputs.layer() ? fault : null;
        if (inputs.xIn().length != shape.dim()) throw new IllegalArgumentException("x_in has " + inputs.xIn().length + " elements, expected " + shape.dim());
        for (StepOp op : StepOp.values()) {
            int n = op.length(s, p);
            float[] y = new float[n];
            out[op.ordinal()] = y;
            if (op.kind.reduction()) {
                float[] st = new float[op.kind.stateSize];
                for (int e = 0; e < n; e++) {
                    initial(op, st);
                    int T = op.chunks(s, p);
                    for (int c = 0; c < T; c++) chunk(op, e, c, st);
                    y[e] = finish(op, e, st);
                }
            } else {
                for (int e = 0; e < n; e++) y[e] = element(op, e);
            }
            if (this.fault != null && this.fault.op() == op) {
                if (this.fault.element() >= n) {
                    throw new IllegalArgumentException("fault element " + this.fault.element() + " outside op " + op.opName + " of " + n + " elements");
                }
                y[this.fault.element()] = this.fault.value();
            }
        }
    }

    public StepShape shape() {
        return s;
    }

    public StepInputs inputs() {
        return in;
    }

    public int position() {
        return p;
    }

    public int layer() {
        return in.layer();
    }

    /** The output vector of {@code op} (a copy). */
    public float[] output(StepOp op) {
        return out[op.ordinal()].clone();
    }

    /**
     * A vector of the step by the name its operands use: {@code x_in}, {@code K[t]} / {@code V[t]} (t &lt; p: the agreed
     * rows of leaf (t, l); t = p: this step's k_rope / v), or an op's name (its output). A copy.
     */
    public float[] vector(String name) {
        if (name.equals("x_in")) return in.xIn().clone();
        if (name.startsWith("K[") || name.startsWith("V[")) {
            int t;
            try {
                t = Integer.parseInt(name.substring(2, name.length() - 1));
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                throw new IllegalArgumentException("no vector named '" + name + "' (K[t] or V[t] with t a position)");
            }
            if (t < 0 || t > p || !name.endsWith("]")) throw new IllegalArgumentException("no vector named '" + name + "': t must be in [0, " + p + "]");
            boolean key = name.charAt(0) == 'K';
            if (t < p) return (key ? in.keys()[t] : in.values()[t]).clone();
            return output(key ? StepOp.K_ROPE : StepOp.V);
        }
        return output(StepOp.named(name));
    }

    /** {@code vecRoot} of each op's output, {@code opRoots[0..21]}: the party's step commitment. */
    public byte[][] opRoots() {
        if (roots == null) {
            byte[][] r = new byte[StepOp.COUNT][];
            for (int j = 0; j < StepOp.COUNT; j++) r[j] = VectorRoot.of(out[j]);
            roots = r;
        }
        byte[][] copy = new byte[StepOp.COUNT][];
        for (int j = 0; j < StepOp.COUNT; j++) copy[j] = roots[j].clone();
        return copy;
    }

    /** The tree of op {@code op}'s output (chunk proofs, descent). */
    public MerkleTree opTree(StepOp op) {
        return VectorRoot.tree(out[op.ordinal()]);
    }

    /** {@code keccak256(0x02 || opRoots[21] || opRoots[6] || opRoots[4])}: must equal the party's leaf (p, l). */
    public byte[] leafHash() {
        byte[][] r = opRoots();
        return Keccak256.hash(new byte[]{0x02}, r[StepOp.X_OUT.ordinal()], r[StepOp.K_ROPE.ordinal()], r[StepOp.V.ordinal()]);
    }

    // ------------------------------------------------------------------ reductions

    /** The states S_0..S_T of element {@code e} of reduction {@code op}, and its finish (as computed here, before a fault). */
    public ReductionStates states(StepOp op, int e) {
        requireReduction(op);
        checkElement(op, e);
        float[] st = new float[op.kind.stateSize];
        initial(op, st);
        List<float[]> states = new ArrayList<>();
        states.add(st.clone());
        int T = op.chunks(s, p);
        for (int c = 0; c < T; c++) {
            chunk(op, e, c, st);
            states.add(st.clone());
        }
        return new ReductionStates(op, e, states, finish(op, e, st.clone()));
    }

    /** Re-executes chunk {@code c} (0-based; it produces S_{c+1}) of element {@code e} from {@code state} (in place). */
    public void runChunk(StepOp op, int e, int c, float[] state) {
        requireReduction(op);
        checkElement(op, e);
        if (c < 0 || c >= op.chunks(s, p)) throw new IndexOutOfBoundsException("chunk " + c + " outside op " + op.opName + " of " + op.chunks(s, p) + " chunks");
        if (state.length != op.kind.stateSize) throw new IllegalArgumentException("state of " + state.length + " floats, expected " + op.kind.stateSize);
        chunk(op, e, c, state);
    }

    /** {@code finish(S_T)} of element {@code e}: the combine and the op's epilogue. */
    public float finishOf(StepOp op, int e, float[] state) {
        requireReduction(op);
        checkElement(op, e);
        return finish(op, e, state.clone());
    }

    /** The bias added in {@code op}'s finish at element {@code e}, or null when there is none. */
    public Float bias(StepOp op, int e) {
        float[] b = switch (op) {
            case Q -> w.bq();
            case K -> w.bk();
            case V -> w.bv();
            default -> null;
        };
        return b == null ? null : b[e];
    }

    /** The weight matrix a MATMUL op reads. */
    public WeightTensor matrix(StepOp op) {
        return switch (op) {
            case Q -> w.wq();
            case K -> w.wk();
            case V -> w.wv();
            case WO -> w.wo();
            case GATE -> w.wGate();
            case UP -> w.wUp();
            case DOWN -> w.wDown();
            default -> throw new IllegalArgumentException("op " + op.opName + " reads no weight matrix");
        };
    }

    /** The activation vector a MATMUL or DOT op multiplies (the first operand of the chunk). */
    public float[] reductionActivations(StepOp op, int e) {
        return switch (op) {
            case ATTN_SS -> in.xIn().clone();
            case FFN_SS -> out[StepOp.X_MID.ordinal()].clone();
            case Q, K, V -> out[StepOp.ATTN_NORM.ordinal()].clone();
            case WO -> out[StepOp.ATT_OUT.ordinal()].clone();
            case GATE, UP -> out[StepOp.FFN_NORM.ordinal()].clone();
            case DOWN -> out[StepOp.ACT.ordinal()].clone();
            case SCORES -> {
                int h = e / positions;
                float[] q = new float[s.headDim()];
                System.arraycopy(out[StepOp.Q_ROPE.ordinal()], h * s.headDim(), q, 0, s.headDim());
                yield q;
            }
            default -> throw new IllegalArgumentException("op " + op.opName + " has no activation operand");
        };
    }

    /** For scores: the K row (kv head slice) element {@code e} multiplies; K[p] is this step's k_rope. */
    public float[] scoreKey(int e) {
        int h = e / positions, t = e % positions;
        float[] row = t < p ? in.keys()[t] : out[StepOp.K_ROPE.ordinal()];
        float[] k = new float[s.headDim()];
        System.arraycopy(row, (h / s.group()) * s.headDim(), k, 0, s.headDim());
        return k;
    }

    /** For att_out: V[t][kvh * hd + i] over t = 0..p (V[p] is this step's v) of element {@code e} = h * hd + i. */
    public float[] attOutValues(int e) {
        int h = e / s.headDim(), i = e % s.headDim();
        int col = (h / s.group()) * s.headDim() + i;
        float[] v = new float[positions];
        for (int t = 0; t < positions; t++) v[t] = (t < p ? in.values()[t] : out[StepOp.V.ordinal()])[col];
        return v;
    }

    private void initial(StepOp op, float[] st) {
        java.util.Arrays.fill(st, op.kind == StepOp.Kind.MAX ? Float.NEGATIVE_INFINITY : 0.0f);
    }

    private void chunk(StepOp op, int e, int c, float[] st) {
        switch (op) {
            case ATTN_SS -> dotChunk(in.xIn(), 0, in.xIn(), 0, s.dim(), c, st);
            case FFN_SS -> {
                float[] x = out[StepOp.X_MID.ordinal()];
                dotChunk(x, 0, x, 0, s.dim(), c, st);
            }
            case Q, K, V, WO, GATE, UP, DOWN -> matChunk(matrix(op), e, c, out[inputOf(op).ordinal()], st);
            case SCORES -> {
                int h = e / positions, t = e % positions;
                float[] row = t < p ? in.keys()[t] : out[StepOp.K_ROPE.ordinal()];
                dotChunk(out[StepOp.Q_ROPE.ordinal()], h * s.headDim(), row, (h / s.group()) * s.headDim(), s.headDim(), c, st);
            }
            case ATT_MAX -> {
                float[] sc = out[StepOp.SCORES.ordinal()];
                float m = st[0];
                for (int t = c * StepOp.CHUNK, end = Math.min(positions, t + StepOp.CHUNK); t < end; t++) {
                    float v = sc[e * positions + t];
                    if (v > m) m = v;
                }
                st[0] = m;
            }
            case ATT_SUM -> {
                float[] ex = out[StepOp.ATT_EXP.ordinal()];
                for (int t = c * StepOp.CHUNK, end = Math.min(positions, t + StepOp.CHUNK); t < end; t++) {
                    st[t & 15] = st[t & 15] + ex[e * positions + t];
                }
            }
            case ATT_OUT -> {
                int h = e / s.headDim(), i = e % s.headDim();
                int col = (h / s.group()) * s.headDim() + i;
                float[] prob = out[StepOp.ATT_PROB.ordinal()];
                float o = st[0];
                for (int t = c * StepOp.ATT_OUT_CHUNK, end = Math.min(positions, t + StepOp.ATT_OUT_CHUNK); t < end; t++) {
                    float[] vr = t < p ? in.values()[t] : out[StepOp.V.ordinal()];
                    o = Math.fma(prob[h * positions + t], vr[col], o);
                }
                st[0] = o;
            }
            default -> throw new IllegalStateException(op.opName + " is not a reduction");
        }
    }

    private static StepOp inputOf(StepOp op) {
        return switch (op) {
            case Q, K, V -> StepOp.ATTN_NORM;
            case WO -> StepOp.ATT_OUT;
            case GATE, UP -> StepOp.FFN_NORM;
            case DOWN -> StepOp.ACT;
            default -> throw new IllegalArgumentException(op.opName);
        };
    }

    /** Chunk c of the canonical Dot of {@code a[aOff ..]} and {@code b[bOff ..]} of length n. */
    private static void dotChunk(float[] a, int aOff, float[] b, int bOff, int n, int c, float[] st) {
        for (int j = c * StepOp.CHUNK, end = Math.min(n, j + StepOp.CHUNK); j < end; j++) {
            st[j & 15] = Math.fma(a[aOff + j], b[bOff + j], st[j & 15]);
        }
    }

    /** Chunk c of row {@code row} of {@code m} with activations {@code a}: F32 as Dot, Q8_0 by its block c. */
    static void matChunk(WeightTensor m, int row, int c, float[] a, float[] st) {
        MemorySegment d = m.data();
        int cols = m.cols();
        if (m.type() == GgmlType.F32) {
            long base = (long) row * cols * 4;
            for (int j = c * StepOp.CHUNK, end = Math.min(cols, j + StepOp.CHUNK); j < end; j++) {
                st[j & 15] = Math.fma(d.get(Dot.F32_LE, base + 4L * j), a[j], st[j & 15]);
            }
        } else if (m.type() == GgmlType.Q8_0) {
            long o = (long) row * (cols / 32) * Q8_BLOCK_BYTES + (long) c * Q8_BLOCK_BYTES;
            float scale = Float.float16ToFloat(d.get(F16, o));
            int xb = 32 * c;
            for (int k = 0; k < 16; k++) {
                float q0 = d.get(ValueLayout.JAVA_BYTE, o + 2 + k);
                float q1 = d.get(ValueLayout.JAVA_BYTE, o + 2 + k + 16);
                float t = q0 * a[xb + k];
                t = Math.fma(q1, a[xb + k + 16], t);
                st[k] = Math.fma(t, scale, st[k]);
            }
        } else if (m.type() == GgmlType.Q4_0) {
            long o = (long) row * (cols / 32) * Q4_0_BLOCK_BYTES + (long) c * Q4_0_BLOCK_BYTES;
            float scale = Float.float16ToFloat(d.get(F16, o));
            int xb = 32 * c;
            for (int k = 0; k < 16; k++) {
                int v = d.get(ValueLayout.JAVA_BYTE, o + 2 + k) & 0xFF;
                float q0 = (v & 15) - 8;
                float q1 = (v >>> 4) - 8;
                float t = q0 * a[xb + k];
                t = Math.fma(q1, a[xb + k + 16], t);
                st[k] = Math.fma(t, scale, st[k]);
            }
        } else if (m.type() == GgmlType.Q4_K || m.type() == GgmlType.Q6_K) {
            // the tensor class's own scalar decoding of 16 elements (its dotReference's), then Dot's layout
            long rowOffset = (long) row * m.type().bytesFor(cols);
            float[] w16 = new float[16];
            for (int half = 0; half < 2; half++) {
                if (m instanceof Q4_KTensor q) q.chunk(rowOffset, 2 * c + half, w16);
                else ((Q6_KTensor) m).chunk(rowOffset, 2 * c + half, w16);
                int xb = 32 * c + 16 * half;
                for (int k = 0; k < 16; k++) st[k] = Math.fma(w16[k], a[xb + k], st[k]);
            }
        } else {
            throw unsupported(m);
        }
    }

    static IllegalArgumentException unsupported(WeightTensor m) {
        return new IllegalArgumentException("tensor '" + m.name() + "' is " + m.type()
                + ": the step program v1 covers F32, Q8_0, Q4_0, Q4_K and Q6_K weights only (Q5_*, Q4_1, F16, BF16 are not covered yet)");
    }

    private float finish(StepOp op, int e, float[] st) {
        return switch (op) {
            case ATTN_SS, FFN_SS, WO, GATE, UP, DOWN, ATT_SUM -> Dot.combine(st, 0);
            case Q, K, V -> {
                float v = Dot.combine(st, 0);
                Float b = bias(op, e);
                yield b == null ? v : v + b;
            }
            case SCORES -> Dot.combine(st, 0) * s.attnScale();
            case ATT_MAX, ATT_OUT -> st[0];
            default -> throw new IllegalStateException(op.opName + " is not a reduction");
        };
    }

    // ------------------------------------------------------------------ elementwise

    private float element(StepOp op, int e) {
        return switch (op) {
            case ATTN_NORM -> rmsScale(in.xIn()[e], rmsInv(out[StepOp.ATTN_SS.ordinal()][0], s.dim(), s.rmsEps()), w.attnNorm()[e]);
            case FFN_NORM -> rmsScale(out[StepOp.X_MID.ordinal()][e], rmsInv(out[StepOp.FFN_SS.ordinal()][0], s.dim(), s.rmsEps()), w.ffnNorm()[e]);
            case Q_ROPE -> ropeElement(out[StepOp.Q.ordinal()], e);
            case K_ROPE -> ropeElement(out[StepOp.K.ordinal()], e);
            case ATT_EXP -> softmaxExp(out[StepOp.SCORES.ordinal()][e], out[StepOp.ATT_MAX.ordinal()][e / positions]);
            case ATT_PROB -> softmaxProb(out[StepOp.ATT_EXP.ordinal()][e], out[StepOp.ATT_SUM.ordinal()][e / positions],
                    out[StepOp.ATT_MAX.ordinal()][e / positions]);
            case X_MID -> in.xIn()[e] + out[StepOp.WO.ordinal()][e];
            case ACT -> siluMul(out[StepOp.GATE.ordinal()][e], out[StepOp.UP.ordinal()][e]);
            case X_OUT -> out[StepOp.X_MID.ordinal()][e] + out[StepOp.DOWN.ordinal()][e];
            default -> throw new IllegalStateException(op.opName + " is not elementwise");
        };
    }

    /** RmsNorm's {@code 1 / sqrt(ss / n + eps)}: division by the float n, addition, correctly rounded sqrt, division. */
    public static float rmsInv(float ss, int n, float eps) {
        return 1.0f / (float) Math.sqrt(ss / n + eps);
    }

    /** RmsNorm's {@code (x * inv) * w}, two roundings. */
    public static float rmsScale(float x, float inv, float w) {
        return (x * inv) * w;
    }

    /** att_exp: Softmax's exponential, and +0 for a row whose max is -Infinity (Softmax's all-masked rule). */
    public static float softmaxExp(float score, float max) {
        return max == Float.NEGATIVE_INFINITY ? 0.0f : Softmax.exp(score - max);
    }

    /** att_prob: {@code e / sum}, and +0 for a row whose max is -Infinity. */
    public static float softmaxProb(float e, float sum, float max) {
        return max == Float.NEGATIVE_INFINITY ? 0.0f : e / sum;
    }

    /** act: {@code Silu(g) * u}. */
    public static float siluMul(float g, float u) {
        return Silu.apply(g) * u;
    }

    /** RoPE's rotated pair: {@code {a*c - b*s, a*s + b*c}}. */
    public static float[] ropePair(float a, float b, float c, float sn) {
        return new float[]{a * c - b * sn, a * sn + b * c};
    }

    /** The pair partner of element {@code i} of a head, or -1 when {@code i} is past rotDim (copied unchanged). */
    int ropePartner(int i) {
        int rot = s.rotDim(), half = rot / 2;
        if (i >= rot) return -1;
        if (s.pairing() == Rope.Pairing.NORM) return i ^ 1;
        return i < half ? i + half : i - half;
    }

    /** The pair index j of element i (< rotDim) and whether it is the pair's first element. */
    int ropePairIndex(int i) {
        return s.pairing() == Rope.Pairing.NORM ? i / 2 : i % (s.rotDim() / 2);
    }

    boolean ropeFirst(int i) {
        return s.pairing() == Rope.Pairing.NORM ? (i & 1) == 0 : i < s.rotDim() / 2;
    }

    private float ropeElement(float[] x, int e) {
        int hd = s.headDim(), base = (e / hd) * hd, i = e % hd;
        int partner = ropePartner(i);
        if (partner < 0) return x[e];
        int j = ropePairIndex(i);
        float c = rope.cos(p, j), sn = rope.sin(p, j);
        boolean first = ropeFirst(i);
        float a = first ? x[e] : x[base + partner];
        float b = first ? x[base + partner] : x[e];
        return first ? a * c - b * sn : a * sn + b * c;
    }

    /** The operands element {@code e} of elementwise op {@code op} reads, with their sources. */
    public List<Operand> operands(StepOp op, int e) {
        if (op.kind.reduction()) throw new IllegalArgumentException("op " + op.opName + " is a reduction: use states()");
        checkElement(op, e);
        String blk = "w:blk." + in.layer() + ".";
        List<Operand> o = new ArrayList<>();
        switch (op) {
            case ATTN_NORM -> {
                o.add(new Operand("x", "x_in", e, in.xIn()[e]));
                o.add(new Operand("ss", "attn_ss", 0, out[StepOp.ATTN_SS.ordinal()][0]));
                o.add(new Operand("w", blk + "attn_norm.weight", e, w.attnNorm()[e]));
            }
            case FFN_NORM -> {
                o.add(new Operand("x", "x_mid", e, out[StepOp.X_MID.ordinal()][e]));
                o.add(new Operand("ss", "ffn_ss", 0, out[StepOp.FFN_SS.ordinal()][0]));
                o.add(new Operand("w", blk + "ffn_norm.weight", e, w.ffnNorm()[e]));
            }
            case Q_ROPE, K_ROPE -> {
                StepOp src = op == StepOp.Q_ROPE ? StepOp.Q : StepOp.K;
                float[] x = out[src.ordinal()];
                int hd = s.headDim(), base = (e / hd) * hd, i = e % hd;
                int partner = ropePartner(i);
                o.add(new Operand("x", src.opName, e, x[e]));
                if (partner >= 0) {
                    int j = ropePairIndex(i);
                    o.add(new Operand("partner", src.opName, base + partner, x[base + partner]));
                    o.add(new Operand("cos", "rope", p * s.rotDim() + 2 * j, rope.cos(p, j)));
                    o.add(new Operand("sin", "rope", p * s.rotDim() + 2 * j + 1, rope.sin(p, j)));
                }
            }
            case ATT_EXP -> {
                o.add(new Operand("score", "scores", e, out[StepOp.SCORES.ordinal()][e]));
                o.add(new Operand("max", "att_max", e / positions, out[StepOp.ATT_MAX.ordinal()][e / positions]));
            }
            case ATT_PROB -> {
                o.add(new Operand("e", "att_exp", e, out[StepOp.ATT_EXP.ordinal()][e]));
                o.add(new Operand("sum", "att_sum", e / positions, out[StepOp.ATT_SUM.ordinal()][e / positions]));
                o.add(new Operand("max", "att_max", e / positions, out[StepOp.ATT_MAX.ordinal()][e / positions]));
            }
            case X_MID -> {
                o.add(new Operand("a", "x_in", e, in.xIn()[e]));
                o.add(new Operand("b", "wo", e, out[StepOp.WO.ordinal()][e]));
            }
            case ACT -> {
                o.add(new Operand("g", "gate", e, out[StepOp.GATE.ordinal()][e]));
                o.add(new Operand("u", "up", e, out[StepOp.UP.ordinal()][e]));
            }
            case X_OUT -> {
                o.add(new Operand("a", "x_mid", e, out[StepOp.X_MID.ordinal()][e]));
                o.add(new Operand("b", "down", e, out[StepOp.DOWN.ordinal()][e]));
            }
            default -> throw new IllegalStateException(op.opName);
        }
        return o;
    }

    /** Re-executes elementwise element {@code e} from the operands (in {@link #operands} order): the referee's formula. */
    public float evaluate(StepOp op, List<Operand> operands) {
        float[] v = new float[operands.size()];
        for (int i = 0; i < v.length; i++) v[i] = operands.get(i).value();
        return switch (op) {
            case ATTN_NORM, FFN_NORM -> rmsScale(v[0], rmsInv(v[1], s.dim(), s.rmsEps()), v[2]);
            case Q_ROPE, K_ROPE -> {
                if (v.length == 1) yield v[0];
                boolean first = ropeFirst(operands.get(0).index() % s.headDim());
                float[] r = first ? ropePair(v[0], v[1], v[2], v[3]) : ropePair(v[1], v[0], v[2], v[3]);
                yield first ? r[0] : r[1];
            }
            case ATT_EXP -> softmaxExp(v[0], v[1]);
            case ATT_PROB -> softmaxProb(v[0], v[1], v[2]);
            case X_MID, X_OUT -> v[0] + v[1];
            case ACT -> siluMul(v[0], v[1]);
            default -> throw new IllegalArgumentException(op.opName + " is not elementwise");
        };
    }

    private static void requireReduction(StepOp op) {
        if (!op.kind.reduction()) throw new IllegalArgumentException("op " + op.opName + " is elementwise: it has no chunk states");
    }

    private void checkElement(StepOp op, int e) {
        int n = op.length(s, p);
        if (e < 0 || e >= n) throw new IndexOutOfBoundsException("element " + e + " outside op " + op.opName + " of " + n + " elements");
    }
}
