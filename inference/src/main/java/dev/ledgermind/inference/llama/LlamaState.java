package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.RmsNorm;
import dev.ledgermind.inference.kernel.Rope;
import dev.ledgermind.inference.kernel.Silu;
import dev.ledgermind.inference.kernel.Softmax;
import dev.ledgermind.inference.kernel.WeightedSum;
import dev.ledgermind.inference.tensor.ComputeProfile;
import dev.ledgermind.inference.tensor.Int8Input;
import dev.ledgermind.inference.tensor.WeightTensor;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.VectorRoot;

/**
 * One sequence being run through a {@link LlamaModel}: its KV cache, scratch buffers and forward pass.
 *
 * <h2>The forward pass (canonical; every operation is a kernel with a scalar reference)</h2>
 * For each position p with residual {@code x} (the token's embedding row, dequantized), for each layer:
 * <pre>
 *   h = RmsNorm(x, attn_norm)
 *   q = Wq h (+ bq),  k = Wk h (+ bk),  v = Wv h (+ bv)       bias added by one binary32 addition
 *   RoPE(q head by head, p);  RoPE(k head by head, p);  K[p] = k;  V[p] = v
 *   for head i (kv head i / (heads / kvHeads)):
 *     s[t] = Dot(q_i, K[t]_kv) * (float) (1 / StrictMath.sqrt(headDim))     for t = 0..p
 *     Softmax(s);  o_i = WeightedSum(s, V[0..p]_kv)
 *   x = x + Wo o                                           elementwise binary32 addition
 *   h = RmsNorm(x, ffn_norm)
 *   x = x + Wdown (Silu(Wgate h) * (Wup h))
 *   leaf(p, layer) = keccak256(0x02 || vecRoot(x) || vecRoot(k) || vecRoot(v))    (k after RoPE; trace leaf v2)
 * </pre>
 * ({@link VectorRoot}: a Merkle root over 32-float chunks of canonical bytes, so that the dispute game can open one
 * element of a leaf; DESIGN.md section 4). The step program v1 ({@code dev.ledgermind.inference.step}) spells out
 * the same layer as 22 operations with their chunked reductions, with exactly these bits.
 * then {@code logits = Woutput RmsNorm(x, output_norm)}.
 *
 * <p>Batching: {@link #forward} takes a run of consecutive positions. Matrix products go through
 * {@link dev.ledgermind.inference.tensor.WeightTensor#matMul} (per-row results independent of the batch),
 * and attention for position p reads exactly the cache rows 0..p, so each position's bits are those of
 * decoding it alone (batch invariance). Threads split rows of each product and (position, head) pairs of
 * attention, never a reduction.
 *
 * <p>Under the {@link ComputeProfile#INT8_Q8} profile each product's input (h, o, the gated hidden state, the final
 * normed x) is quantized once ({@link Int8Input}) on the calling thread before the parallel call, and every matrix
 * multiplies the quantized input by its type's integer product; everything else is the same.
 */
public final class LlamaState {
    /** Positions per internal chunk: bounds the scratch (attention scores are chunk x heads x capacity). */
    public static final int MAX_BATCH = 32;

    private final LlamaModel model;
    private final LlamaConfig c;
    private final LlamaWeights w;
    private final KernelConfig cfg;
    private final Parallel par;
    private final int capacity;
    private final Rope rope;
    private final float attnScale;
    private final float[][] keyCache;
    private final float[][] valueCache;
    private int position;
    private StepHook stepHook;

    /** The int8-q8 profile: products read {@link #xq}, quantized before each parallel call. */
    private final boolean int8;
    private final Int8Input xq = new Int8Input();

    private int batchCapacity;
    private float[] x, xb, q, k, v, att, o, hb, hb2;

    public LlamaState(LlamaModel model, int capacity, KernelConfig cfg, Parallel par) {
        this.model = model;
        this.c = model.config();
        this.w = model.weights();
        this.cfg = cfg;
        this.par = par;
        this.int8 = model.profile() == ComputeProfile.INT8_Q8;
        if (capacity < 1) throw new IllegalArgumentException("capacity must be at least 1 position, found " + capacity);
        this.capacity = capacity;
        HeapTrim.beforeNewSequence();
        this.rope = model.rope(capacity);
        this.attnScale = (float) (1.0 / StrictMath.sqrt(c.headDim()));
        this.keyCache = new float[c.layers()][];
        this.valueCache = new float[c.layers()][];
        for (int l = 0; l < c.layers(); l++) {
            keyCache[l] = new float[capacity * c.kvDim()];
            valueCache[l] = new float[capacity * c.kvDim()];
        }
    }

    /**
     * Sets (or clears, with null) the hook that observes or replaces single steps of later {@link #forward} calls
     * (the dispute game's taps and the dishonest worker's fault). Absent, the forward pass is unchanged.
     */
    public void setStepHook(StepHook hook) {
        this.stepHook = hook;
    }

    /** Positions already in the KV cache (the next position to run). */
    public int position() {
        return position;
    }

    public int capacity() {
        return capacity;
    }

    private void ensureBatch(int n) {
        if (n <= batchCapacity) return;
        batchCapacity = n;
        x = new float[n * c.dim()];
        xb = new float[n * c.dim()];
        q = new float[n * c.qDim()];
        k = new float[n * c.kvDim()];
        v = new float[n * c.kvDim()];
        o = new float[n * c.qDim()];
        att = new float[n * c.heads() * capacity];
        hb = new float[n * c.ffnDim()];
        hb2 = new float[n * c.ffnDim()];
    }

    /**
     * Runs {@code n} positions starting at {@link #position()} on {@code tokens[off .. off+n)} and advances the
     * position. For the positions with index {@code t >= logitsFrom} (relative to this call), writes the logits to
     * {@code logits[(t - logitsFrom) * vocab ..]}. Leaf hashes go to {@code sink} (may be null) in (position, layer) order.
     */
    public void forward(int[] tokens, int off, int n, int logitsFrom, float[] logits, LeafSink sink) {
        if (n <= 0) return;
        if (position + n > capacity) {
            throw new IllegalStateException("sequence of " + (position + n) + " positions exceeds the context of " + capacity);
        }
        for (int done = 0; done < n; done += MAX_BATCH) {
            int m = Math.min(MAX_BATCH, n - done);
            int from = logitsFrom - done;
            int logitsOff = Math.max(0, done - Math.max(0, logitsFrom)) * c.vocab();
            forwardChunk(tokens, off + done, m, from, logits, logitsOff, sink);
        }
    }

    private void forwardChunk(int[] tokens, int off, int n, int logitsFrom, float[] logits, int logitsOff, LeafSink sink) {
        ensureBatch(n);
        final int dim = c.dim(), kvDim = c.kvDim(), qDim = c.qDim(), ffn = c.ffnDim();
        final int hd = c.headDim(), heads = c.heads(), group = c.heads() / c.kvHeads();
        final int p0 = position;
        for (int t = 0; t < n; t++) {
            int tok = tokens[off + t];
            if (tok < 0 || tok >= c.vocab()) throw new IllegalArgumentException("token id " + tok + " at index " + (off + t) + " is outside the vocabulary of " + c.vocab());
            w.tokenEmbedding.dequantizeRow(tok, x, t * dim);
        }
        boolean leaves = sink != null;
        // per leaf (t, l): vecRoot(x) || vecRoot(k) || vecRoot(v) || leaf hash, 128 bytes
        final byte[] roots = leaves ? new byte[n * c.layers() * 4 * Keccak256.SIZE] : null;
        for (int l = 0; l < c.layers(); l++) {
            LlamaWeights.Layer L = w.layers[l];
            for (int t = 0; t < n; t++) RmsNorm.apply(cfg, x, t * dim, L.attnNorm(), c.rmsEps(), xb, t * dim, dim);
            // q, k and v in one parallel call over their rows together (one hand-off instead of three)
            final WeightTensor wq = L.wq(), wk = L.wk(), wv = L.wv();
            quantizeFor(xb, 0, dim, n, dim, wq, wk, wv);
            par.forChunks(qDim + 2 * kvDim, WeightTensor.ROW_GRAIN, (from, to) -> {
                rowsOf(wq, 0, from, to, xb, dim, n, q);
                rowsOf(wk, qDim, from, to, xb, dim, n, k);
                rowsOf(wv, qDim + kvDim, from, to, xb, dim, n, v);
            });
            if (L.bq() != null) {
                for (int t = 0; t < n; t++) {
                    addInPlace(q, t * qDim, L.bq(), qDim);
                    addInPlace(k, t * kvDim, L.bk(), kvDim);
                    addInPlace(v, t * kvDim, L.bv(), kvDim);
                }
            }
            final float[] kc = keyCache[l], vc = valueCache[l];
            for (int t = 0; t < n; t++) {
                int p = p0 + t;
                for (int h = 0; h < heads; h++) rope.apply(q, t * qDim + h * hd, p);
                for (int h = 0; h < c.kvHeads(); h++) rope.apply(k, t * kvDim + h * hd, p);
                System.arraycopy(k, t * kvDim, kc, p * kvDim, kvDim);
                System.arraycopy(v, t * kvDim, vc, p * kvDim, kvDim);
            }
            float[][] replaced = stepHook != null ? hookLayer(l, p0, n) : null;
            par.forChunks(n * heads, 1, (from, to) -> {
                for (int th = from; th < to; th++) {
                    int t = th / heads, h = th % heads;
                    int p = p0 + t;
                    int kvOff = (h / group) * hd;
                    int qo = t * qDim + h * hd;
                    int ao = th * capacity;
                    for (int s = 0; s <= p; s++) {
                        att[ao + s] = Dot.dot(cfg, q, qo, kc, s * kvDim + kvOff, hd) * attnScale;
                    }
                    Softmax.apply(cfg, att, ao, p + 1);
                    WeightedSum.apply(cfg, att, ao, p + 1, vc, kvOff, kvDim, o, qo, hd);
                }
            });
            // x = x + Wo o: each chunk adds the rows it computed (elementwise, so the same bits as a separate loop)
            final WeightTensor wo = L.wo();
            quantizeFor(o, 0, qDim, n, qDim, wo);
            par.forChunks(dim, WeightTensor.ROW_GRAIN, (from, to) -> {
                rows(wo, from, to, o, 0, qDim, n, xb, 0, dim);
                addRows(x, xb, dim, n, from, to);
            });
            for (int t = 0; t < n; t++) RmsNorm.apply(cfg, x, t * dim, L.ffnNorm(), c.rmsEps(), xb, t * dim, dim);
            // gate and up in one parallel call, each chunk gating the rows it computed: hb = Silu(Wgate h) * (Wup h)
            final WeightTensor wg = L.wGate(), wu = L.wUp(), wd = L.wDown();
            quantizeFor(xb, 0, dim, n, dim, wg, wu);
            par.forChunks(ffn, WeightTensor.ROW_GRAIN, (from, to) -> {
                rows(wg, from, to, xb, 0, dim, n, hb, 0, ffn);
                rows(wu, from, to, xb, 0, dim, n, hb2, 0, ffn);
                for (int t = 0; t < n; t++) Silu.gate(cfg, hb, t * ffn + from, hb2, t * ffn + from, to - from);
            });
            // x = x + Wdown hb, likewise
            quantizeFor(hb, 0, ffn, n, ffn, wd);
            par.forChunks(dim, WeightTensor.ROW_GRAIN, (from, to) -> {
                rows(wd, from, to, hb, 0, ffn, n, xb, 0, dim);
                addRows(x, xb, dim, n, from, to);
            });
            if (replaced != null) {
                for (int t = 0; t < n; t++) if (replaced[t] != null) System.arraycopy(replaced[t], 0, x, t * dim, dim);
            }
            if (leaves) hashLeaves(n, l, roots);
        }
        position += n;
        if (leaves) {
            final int R = 3 * Keccak256.SIZE;
            for (int t = 0; t < n; t++) {
                for (int l = 0; l < c.layers(); l++) {
                    int i = t * c.layers() + l;
                    byte[] hash = new byte[Keccak256.SIZE];
                    System.arraycopy(roots, i * (R + Keccak256.SIZE) + R, hash, 0, Keccak256.SIZE);
                    byte[] pre = new byte[R];
                    System.arraycopy(roots, i * (R + Keccak256.SIZE), pre, 0, R);
                    sink.leaf(p0 + t, l, pre, hash);
                }
            }
        }
        int first = Math.max(0, logitsFrom);
        if (first < n && logits != null) {
            int m = n - first;
            for (int t = first; t < n; t++) RmsNorm.apply(cfg, x, t * dim, w.outputNorm, c.rmsEps(), xb, t * dim, dim);
            if (int8) {
                quantizeFor(xb, first * dim, dim, m, dim, w.output);
                w.output.matMulInt8(cfg, par, xq, logits, logitsOff, c.vocab());
            } else {
                w.output.matMul(cfg, par, xb, first * dim, dim, m, logits, logitsOff, c.vocab());
            }
        }
    }

    /** Group roots of one layer's leaves (n positions x (groups of x, k, v)), 32 bytes each; grown on demand. */
    private byte[] groupNodes = new byte[0];

    /**
     * Trace leaves v2 of layer {@code l} for the {@code n} positions of this chunk. Each vector root is the fold of its
     * groups' roots ({@link VectorRoot#GROUP_CHUNKS} chunks of 32 floats each: a 1B model's x has 4, its k and v one each),
     * so the groups of all three vectors of all positions are hashed in one parallel call, units of equal size; the few
     * remaining nodes (the fold of x's 4 group roots: 3 hashes) and the leaf hash follow on the calling thread.
     */
    private void hashLeaves(int n, int l, byte[] roots) {
        final int dim = c.dim(), kvDim = c.kvDim(), layers = c.layers();
        final int S = Keccak256.SIZE, rec = 4 * S;
        final int gx = VectorRoot.groups(dim), gkv = VectorRoot.groups(kvDim), per = gx + 2 * gkv;
        if (groupNodes.length < n * per * S) groupNodes = new byte[n * per * S];
        final byte[] nodes = groupNodes;
        par.forChunks(n * per, 1, (from, to) -> {
            VectorRoot.Hasher h = new VectorRoot.Hasher();
            for (int u = from; u < to; u++) {
                int t = u / per, g = u % per;
                if (g < gx) h.group(x, t * dim, dim, g, nodes, u * S);
                else if (g < gx + gkv) h.group(k, t * kvDim, kvDim, g - gx, nodes, u * S);
                else h.group(v, t * kvDim, kvDim, g - gx - gkv, nodes, u * S);
            }
        });
        VectorRoot.Hasher h = new VectorRoot.Hasher();
        for (int t = 0; t < n; t++) {
            int o = (t * layers + l) * rec, u = t * per * S;
            h.fold(nodes, u, gx, roots, o);
            h.fold(nodes, u + gx * S, gkv, roots, o + S);
            h.fold(nodes, u + (gx + gkv) * S, gkv, roots, o + 2 * S);
            h.leaf(roots, o, roots, o + 3 * S);
        }
    }

    /**
     * Runs the step hook for the positions of this chunk it covers, at layer {@code l}, after the layer's K/V rows are
     * in the cache and before its attention. A replacing hook's k_rope and v go into the buffers and the cache now
     * (later positions of the chunk attend to them); its x_out replaces the layer's result at the end (returned).
     */
    private float[][] hookLayer(int l, int p0, int n) {
        final int dim = c.dim(), kvDim = c.kvDim();
        float[][] replaced = null;
        for (int t = 0; t < n; t++) {
            int p = p0 + t;
            if (!stepHook.covers(p, l)) continue;
            float[] kOut = new float[kvDim], vOut = new float[kvDim], xOut = new float[dim];
            if (stepHook.step(p, l, x, t * dim, keyCache[l], valueCache[l], kOut, vOut, xOut)) {
                System.arraycopy(kOut, 0, k, t * kvDim, kvDim);
                System.arraycopy(vOut, 0, v, t * kvDim, kvDim);
                System.arraycopy(kOut, 0, keyCache[l], p * kvDim, kvDim);
                System.arraycopy(vOut, 0, valueCache[l], p * kvDim, kvDim);
                if (replaced == null) replaced = new float[n][];
                replaced[t] = xOut;
            }
        }
        return replaced;
    }

    /**
     * Rows {@code [from, to)} of a parallel call over several products' rows laid end to end: the part of them that
     * falls in {@code w}'s rows, which start at {@code base}; {@code y} gets row r of input t at {@code t * w.rows() + r}.
     */
    private void rowsOf(WeightTensor w, int base, int from, int to, float[] xs, int xStride, int n, float[] y) {
        int a = Math.max(from, base) - base, b = Math.min(to, base + w.rows()) - base;
        if (a < b) rows(w, a, b, xs, 0, xStride, n, y, 0, w.rows());
    }

    /** Under the int8-q8 profile, quantizes the input of the next parallel call in the formats its matrices read. */
    private void quantizeFor(float[] xs, int xOff, int xStride, int n, int cols, WeightTensor... ws) {
        if (!int8) return;
        int formats = 0;
        for (WeightTensor t : ws) formats |= t.int8Format();
        xq.quantize(xs, xOff, xStride, n, cols, formats);
    }

    /** Rows {@code [from, to)} of one product, under the model's profile (the int8 one reads {@link #xq}). */
    private void rows(WeightTensor w, int from, int to, float[] xs, int xOff, int xStride, int n, float[] y, int yOff, int yStride) {
        if (int8) w.matMulRowsInt8(cfg, from, to, xq, y, yOff, yStride);
        else w.matMulRows(cfg, from, to, xs, xOff, xStride, n, y, yOff, yStride);
    }

    /** {@code x[t*dim + i] = x[t*dim + i] + d[t*dim + i]} for {@code t < n}, {@code i} in {@code [from, to)}. */
    private static void addRows(float[] x, float[] d, int dim, int n, int from, int to) {
        for (int t = 0; t < n; t++) {
            for (int i = t * dim + from, e = t * dim + to; i < e; i++) x[i] = x[i] + d[i];
        }
    }

    private static void addInPlace(float[] a, int off, float[] b, int n) {
        for (int i = 0; i < n; i++) a[off + i] = a[off + i] + b[i];
    }

    /** Forgets every position (the cache is overwritten by the next run). */
    public void reset() {
        position = 0;
    }

    public LlamaModel model() {
        return model;
    }
}
