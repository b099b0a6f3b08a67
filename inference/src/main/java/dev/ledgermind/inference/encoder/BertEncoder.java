package dev.ledgermind.inference.encoder;

import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.LayerNorm;
import dev.ledgermind.inference.kernel.PackedMatMul;
import dev.ledgermind.inference.kernel.PackedMatMul.Activation;
import dev.ledgermind.inference.kernel.PackedMatMul.Packed;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.Softmax;
import dev.ledgermind.inference.kernel.Sum;
import dev.ledgermind.inference.onnx.OnnxFormatException;
import dev.ledgermind.inference.onnx.OnnxModel;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.MerkleTree;
import dev.ledgermind.inference.trace.TraceBuilder;
import dev.ledgermind.inference.trace.VectorRoot;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

/**
 * A BERT-family encoder (post-LayerNorm blocks, GELU feed-forward), computed with the canonical kernels.
 *
 * <p>Per layer, for a sequence of n tokens with hidden size H, h heads of size d = H/h:
 * <pre>
 *   q, k, v   = x Wq + bq, x Wk + bk, x Wv + bv                 (PackedMatMul: one fma chain, then + bias)
 *   s_ij      = dot(q_i, k_j) / sqrt(d)   per head; p_i = softmax(s_i)
 *   c_i       = sum_j p_ij v_j            per head, as dot(p_i, column of v)
 *   a         = LayerNorm(c Wo + bo + x)
 *   x'        = LayerNorm(gelu(a Wi + bi) Wo2 + bo2 + a)
 * </pre>
 * Every sequence is computed on its own (no padding), so a batch gives each text exactly the bits it
 * gets alone. Threads split by positions, heads and output rows only. The trace has one leaf per layer:
 * keccak256 of the concatenated keccak256 hashes of each position's row of x' (little-endian binary32),
 * so rows are hashed in parallel, and a dispute inside a layer can go straight to the first differing row.
 */
public final class BertEncoder {
    private static final float LN_EPS = 1e-12f;

    /** One block's weights; {@code wqkv} stacks the query, key and value rows (3H x H) so one kernel call computes all three. */
    private record Layer(Packed wqkv, float[] bqkv, Packed wo, float[] bo, float[] ln1g, float[] ln1b,
                         Packed wi, float[] bi, Packed wo2, float[] bo2, float[] ln2g, float[] ln2b) {}

    private final int hidden, heads, intermediate, maxPositions, vocab;
    private final float[] word, position, tokenType, lnEg, lnEb;
    private final Layer[] layers;

    private BertEncoder(int hidden, int heads, int intermediate, int maxPositions, int vocab, float[] word, float[] position,
                        float[] tokenType, float[] lnEg, float[] lnEb, Layer[] layers) {
        this.hidden = hidden;
        this.heads = heads;
        this.intermediate = intermediate;
        this.maxPositions = maxPositions;
        this.vocab = vocab;
        this.word = word;
        this.position = position;
        this.tokenType = tokenType;
        this.lnEg = lnEg;
        this.lnEb = lnEb;
        this.layers = layers;
    }

    public int hidden() {
        return hidden;
    }

    public int layers() {
        return layers.length;
    }

    /** Rows of the word-embedding table: the vocabulary size the tokenizer must match. */
    public int vocabSize() {
        return vocab;
    }

    public int maxPositions() {
        return maxPositions;
    }

    /**
     * Maps an ONNX export's initializers to the architecture. Linear weights may be named
     * ({@code ...query.weight}, PyTorch's [out, in]) or anonymous MatMul inputs ([in, out]), which are
     * found through the graph: the MatMul whose output is added to the named bias.
     */
    public static BertEncoder fromOnnx(OnnxModel onnx, int heads, String source) {
        Map<String, OnnxModel.Tensor> named = new HashMap<>();
        onnx.initializers().forEach((k, v) -> named.put(k.startsWith("bert.") ? k.substring(5) : k, v));
        Map<String, float[]> linear = linearWeights(onnx);
        OnnxModel.Tensor wordT = need(named, "embeddings.word_embeddings.weight", source);
        int hidden = wordT.size(1), vocab = wordT.size(0);
        OnnxModel.Tensor posT = need(named, "embeddings.position_embeddings.weight", source);
        int layerCount = 0;
        while (named.containsKey("encoder.layer." + layerCount + ".attention.self.query.bias")) layerCount++;
        if (layerCount == 0) throw new OnnxFormatException(source + ": no encoder layers found (encoder.layer.0.attention.self.query.bias)");
        if (hidden % heads != 0) throw new OnnxFormatException(source + ": hidden size " + hidden + " is not divisible by " + heads + " heads");
        Layer[] layers = new Layer[layerCount];
        int inter = need(named, "encoder.layer.0.intermediate.dense.bias", source).data().length;
        for (int l = 0; l < layerCount; l++) {
            String p = "encoder.layer." + l + ".";
            String[] qkv = {p + "attention.self.query", p + "attention.self.key", p + "attention.self.value"};
            float[] wqkv = new float[3 * hidden * hidden], bqkv = new float[3 * hidden];
            for (int part = 0; part < 3; part++) {
                System.arraycopy(rowMajor(named, linear, qkv[part], hidden, hidden, source), 0, wqkv, part * hidden * hidden, hidden * hidden);
                System.arraycopy(bias(named, qkv[part], hidden, source), 0, bqkv, part * hidden, hidden);
            }
            layers[l] = new Layer(PackedMatMul.pack(wqkv, 3 * hidden, hidden), bqkv,
                    weight(named, linear, p + "attention.output.dense", hidden, hidden, source), bias(named, p + "attention.output.dense", hidden, source),
                    vec(named, p + "attention.output.LayerNorm.weight", hidden, source), vec(named, p + "attention.output.LayerNorm.bias", hidden, source),
                    weight(named, linear, p + "intermediate.dense", inter, hidden, source), bias(named, p + "intermediate.dense", inter, source),
                    weight(named, linear, p + "output.dense", hidden, inter, source), bias(named, p + "output.dense", hidden, source),
                    vec(named, p + "output.LayerNorm.weight", hidden, source), vec(named, p + "output.LayerNorm.bias", hidden, source));
        }
        float[] types = named.containsKey("embeddings.token_type_embeddings.weight")
                ? named.get("embeddings.token_type_embeddings.weight").data() : new float[hidden];
        return new BertEncoder(hidden, heads, inter, posT.size(0), vocab, wordT.data(), posT.data(), types,
                vec(named, "embeddings.LayerNorm.weight", hidden, source), vec(named, "embeddings.LayerNorm.bias", hidden, source), layers);
    }

    /** bias name prefix -> the transposed ([out][in]) weight of the MatMul feeding its Add. */
    private static Map<String, float[]> linearWeights(OnnxModel onnx) {
        Map<String, OnnxModel.Node> producer = new HashMap<>();
        for (OnnxModel.Node n : onnx.nodes()) for (String o : n.outputs()) producer.put(o, n);
        Map<String, float[]> out = new HashMap<>();
        for (OnnxModel.Node add : onnx.nodes()) {
            if (!add.opType().equals("Add") || add.inputs().size() != 2) continue;
            for (int side = 0; side < 2; side++) {
                String biasName = add.inputs().get(side);
                String clean = biasName.startsWith("bert.") ? biasName.substring(5) : biasName;
                if (!clean.endsWith(".bias") || !onnx.initializers().containsKey(biasName)) continue;
                OnnxModel.Node mm = producer.get(add.inputs().get(1 - side));
                if (mm == null || !mm.opType().equals("MatMul")) continue;
                OnnxModel.Tensor w = onnx.initializers().get(mm.inputs().get(1));
                if (w == null || w.dims().length != 2) continue;
                out.put(clean.substring(0, clean.length() - 5), transpose(w.data(), w.size(0), w.size(1)));
            }
        }
        return out;
    }

    private static float[] transpose(float[] m, int rows, int cols) {
        float[] t = new float[m.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[c * rows + r] = m[r * cols + c];
        return t;
    }

    private static OnnxModel.Tensor need(Map<String, OnnxModel.Tensor> named, String name, String source) {
        OnnxModel.Tensor t = named.get(name);
        if (t == null) throw new OnnxFormatException(source + ": missing tensor '" + name + "': not a BERT-family encoder export");
        return t;
    }

    private static float[] vec(Map<String, OnnxModel.Tensor> named, String name, int size, String source) {
        float[] v = need(named, name, source).data();
        if (v.length != size) throw new OnnxFormatException(source + ": tensor '" + name + "' has " + v.length + " values, expected " + size);
        return v;
    }

    private static float[] bias(Map<String, OnnxModel.Tensor> named, String prefix, int size, String source) {
        return vec(named, prefix + ".bias", size, source);
    }

    private static Packed weight(Map<String, OnnxModel.Tensor> named, Map<String, float[]> linear, String prefix, int out, int in,
                                  String source) {
        // packed in 16-row panels, off-heap and 64-byte aligned, for the batched kernel
        return PackedMatMul.pack(rowMajor(named, linear, prefix, out, in, source), out, in);
    }

    /** A linear layer's weight as {@code out} rows of {@code in} values. */
    private static float[] rowMajor(Map<String, OnnxModel.Tensor> named, Map<String, float[]> linear, String prefix, int out, int in,
                                    String source) {
        float[] w;
        OnnxModel.Tensor t = named.get(prefix + ".weight");
        if (t != null && t.dims().length == 2) {
            w = t.data(); // PyTorch Linear: [out, in], already one row per output
        } else {
            w = linear.get(prefix);
            if (w == null) throw new OnnxFormatException(source + ": no weight found for " + prefix + " (neither a named .weight nor a MatMul feeding its bias)");
        }
        if (w.length != out * in) throw new OnnxFormatException(source + ": weight of " + prefix + " has " + w.length + " values, expected " + out + "x" + in);
        return w;
    }

    /**
     * Runs the encoder on one token sequence; returns the final hidden states (n x H, flat) and adds one
     * trace leaf per layer to {@code trace} (leaf v2): {@code keccak256(0x03 || R)}, where R is the Merkle root
     * over the positions' row roots, a row root being {@code vecRoot} of that position's H values (32-float
     * chunks of canonical little-endian binary32). Rows are hashed by the threads that have just normalised them.
     */
    public float[] forward(int[] ids, KernelConfig cfg, Parallel par, TraceBuilder trace) {
        final int n = ids.length, H = hidden, H3 = 3 * hidden;
        if (n > maxPositions) throw new IllegalArgumentException("sequence of " + n + " tokens exceeds the model's " + maxPositions + " positions");
        float[] x = new float[n * H];
        for (int i = 0; i < n; i++) {
            int id = ids[i];
            if (id < 0 || id >= vocab) throw new IllegalArgumentException("token id " + id + " at position " + i + " is outside the vocabulary of " + vocab);
            for (int c = 0; c < H; c++) x[i * H + c] = (word[id * H + c] + position[i * H + c]) + tokenType[c];
            LayerNorm.apply(cfg, x, i * H, lnEg, lnEb, LN_EPS, x, i * H, H);
        }
        float[] qkv = new float[n * H3], ctx = new float[n * H], a = new float[n * H], mid = new float[n * intermediate];
        byte[] rowRoots = trace == null ? null : new byte[n * Keccak256.SIZE];
        for (Layer L : layers) {
            PackedMatMul.linear(cfg, par, L.wqkv, L.bqkv, Activation.NONE, x, 0, H, n, qkv, 0, H3);
            attention(qkv, ctx, n, cfg, par);
            PackedMatMul.linear(cfg, par, L.wo, L.bo, Activation.NONE, ctx, 0, H, n, a, 0, H);
            par.forRange(n, (from, to) -> {
                for (int i = from; i < to; i++) {
                    for (int c = 0; c < H; c++) a[i * H + c] += x[i * H + c];
                    LayerNorm.apply(cfg, a, i * H, L.ln1g, L.ln1b, LN_EPS, a, i * H, H);
                }
            });
            PackedMatMul.linear(cfg, par, L.wi, L.bi, Activation.GELU, a, 0, H, n, mid, 0, intermediate);
            PackedMatMul.linear(cfg, par, L.wo2, L.bo2, Activation.NONE, mid, 0, intermediate, n, x, 0, H);
            par.forRange(n, (from, to) -> {
                for (int i = from; i < to; i++) {
                    for (int c = 0; c < H; c++) x[i * H + c] += a[i * H + c];
                    LayerNorm.apply(cfg, x, i * H, L.ln2g, L.ln2b, LN_EPS, x, i * H, H);
                }
                if (rowRoots != null) {
                    VectorRoot.Hasher h = new VectorRoot.Hasher();
                    for (int i = from; i < to; i++) h.root(x, i * H, H, rowRoots, i * Keccak256.SIZE);
                }
            });
            if (trace != null) trace.addLeafHash(layerLeaf(rowRoots, n));
        }
        return x;
    }

    /**
     * Encoder trace leaf v2 of one layer: {@code keccak256(0x03 || R)}, R the {@link MerkleTree} root over the
     * positions' row roots {@code vecRoot(row_p)} taken as leaf hashes (DESIGN.md section 4).
     */
    static byte[] layerLeaf(byte[] rowRoots, int n) {
        java.util.List<byte[]> rows = new java.util.ArrayList<>(n);
        for (int i = 0; i < n; i++) rows.add(java.util.Arrays.copyOfRange(rowRoots, i * Keccak256.SIZE, (i + 1) * Keccak256.SIZE));
        return new Keccak256().update((byte) 0x03).update(MerkleTree.of(rows).rootBytes()).digest();
    }

    /**
     * Self-attention over {@code qkv} (per position: the H query, H key and H value values), split across
     * threads by head. Per head h (d = H/heads) the scores are one canonical packed matmul,
     * {@code s[i][j] = chain(k_h[j], q_h[i])}, then {@code / sqrt(d)} and Softmax per row; the context is
     * another, {@code c[i][c] = chain(vt_h[c], p[i])} with v transposed so the chain runs over positions j.
     * Same bits at any width, thread count or batch: each output is one fma chain.
     */
    private void attention(float[] qkv, float[] ctx, int n, KernelConfig cfg, Parallel par) {
        final int H = hidden, H3 = 3 * hidden, d = H / heads;
        final float sqrtD = (float) Math.sqrt(d);
        par.forChunks(heads, 1, (from, to) -> {
            float[] qh = new float[n * d], kh = new float[n * d], vt = new float[d * n], p = new float[n * n], out = new float[n * d];
            // K and V^T are packed into native memory: the kernel reads its "weight" operand as 16-row panels
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment kSeg = arena.allocate(PackedMatMul.packedBytes(n, d), 64);
                MemorySegment vSeg = arena.allocate(PackedMatMul.packedBytes(d, n), 64);
                for (int h = from; h < to; h++) {
                    for (int j = 0; j < n; j++) {
                        int row = j * H3 + h * d;
                        System.arraycopy(qkv, row, qh, j * d, d);
                        System.arraycopy(qkv, row + H, kh, j * d, d);
                        for (int c = 0; c < d; c++) vt[c * n + j] = qkv[row + 2 * H + c];
                    }
                    PackedMatMul.matMul(cfg, Parallel.serial(), PackedMatMul.pack(kh, n, d, kSeg), qh, 0, d, n, p, 0, n);
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) p[i * n + j] = p[i * n + j] / sqrtD;
                        Softmax.apply(cfg, p, i * n, n);
                    }
                    PackedMatMul.matMul(cfg, Parallel.serial(), PackedMatMul.pack(vt, d, n, vSeg), p, 0, n, n, out, 0, d);
                    for (int i = 0; i < n; i++) System.arraycopy(out, i * d, ctx, i * H + h * d, d);
                }
            }
        });
    }

    /** Pools final states (n x H) into one vector and L2-normalises it: {@code v / max(||v||, 1e-12)}. */
    public float[] pool(float[] states, int n, Pooling pooling) {
        final int H = hidden;
        float[] out = new float[H];
        if (pooling == Pooling.CLS) {
            System.arraycopy(states, 0, out, 0, H);
        } else {
            float[] column = new float[n];
            for (int c = 0; c < H; c++) {
                for (int i = 0; i < n; i++) column[i] = states[i * H + c];
                out[c] = Sum.reference(column, 0, n) / n;
            }
        }
        float norm = (float) Math.sqrt(Dot.reference(out, 0, out, 0, H));
        float div = Math.max(norm, 1e-12f);
        for (int c = 0; c < H; c++) out[c] = out[c] / div;
        return out;
    }
}
