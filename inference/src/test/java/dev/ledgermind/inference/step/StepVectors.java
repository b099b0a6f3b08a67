package dev.ledgermind.inference.step;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.trace.MerkleProof;
import dev.ledgermind.inference.trace.MerkleTree;
import dev.ledgermind.inference.trace.VectorRoot;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Writes the step-v1 test vectors the Solidity referee and game read (docs/vectors/step-v1/, format in its README):
 * from a tiny synthetic model per weight type (F32: qwen2 family, q/k/v biases, NEOX RoPE; Q8_0: llama3, no biases,
 * NORM RoPE), the engine being the reference. {@link StepVectorsTest} checks that the committed files are exactly what
 * this produces; {@code -Dledgermind.step.vectors.write=true} rewrites them.
 */
final class StepVectors {
    static final int[] TOKENS = {1, 17, 42, 99, 5, 250, 3, 77, 128, 64};
    static final int POSITION = 9, LAYER = 1;
    /** The quantized types' step (addendum): layer 0, so that x_in is the token's dequantized embedding row. */
    static final int QUANT_LAYER = 0;
    static final long SEED = 1;
    /** The types of the full step files, then those of the addendum (weight-dependent elements only). */
    static final GgmlType[] FULL = {GgmlType.F32, GgmlType.Q8_0};
    static final GgmlType[] QUANT = {GgmlType.Q4_0, GgmlType.Q6_K, GgmlType.Q4_K};
    /** The ops of a layer-0 step whose element reads a weight tensor or the embedding row (the addendum's cases). */
    static final java.util.Set<StepOp> WEIGHT_OPS = java.util.EnumSet.of(StepOp.ATTN_SS, StepOp.ATTN_NORM, StepOp.Q, StepOp.K,
            StepOp.V, StepOp.WO, StepOp.X_MID, StepOp.GATE, StepOp.UP, StepOp.DOWN);

    private StepVectors() {
    }

    static String family(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.Q6_K ? "qwen2" : "llama3";
    }

    static String suffix(GgmlType type) {
        return type.name().toLowerCase(java.util.Locale.ROOT);
    }

    static boolean full(GgmlType type) {
        return type == GgmlType.F32 || type == GgmlType.Q8_0;
    }

    /** Every file: name to content. */
    static Map<String, String> all() {
        Map<String, String> files = new LinkedHashMap<>();
        files.put("vecroot.json", Json.write(vecRoots()));
        List<GgmlType> types = new ArrayList<>(List.of(FULL));
        types.addAll(List.of(QUANT));
        for (GgmlType type : types) {
            try (LlamaModel m = StepModels.load(family(type), StepModels.vectorsShape(type), type, SEED)) {
                WeightsCommitment w = WeightsCommitment.of(m);
                TraceCommitment trace = TraceCommitment.of(m, TOKENS);
                Step step = new StepEngine(m).step(TOKENS, POSITION, full(type) ? LAYER : QUANT_LAYER);
                files.put("model-" + suffix(type) + ".json", Json.write(model(m, type, w)));
                files.put("trace-" + suffix(type) + ".json", Json.write(trace(trace)));
                files.put("step-" + suffix(type) + ".json", Json.write(step(m, type, w, trace, step)));
            }
        }
        return files;
    }

    // ------------------------------------------------------------------ vecRoot

    static Map<String, Object> vecRoots() {
        Map<String, Object> o = Json.obj();
        o.put("version", 1);
        o.put("chunk", VectorRoot.CHUNK);
        List<Object> cases = Json.arr();
        SplittableRandom r = new SplittableRandom(5);
        int[] sizes = {1, 3, 32, 33, 70, 100};
        for (int n : sizes) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = (float) r.nextGaussian();
            if (n == 3) {
                v[0] = -0.0f;
                v[1] = Float.intBitsToFloat(0xffc00000); // x86's NaN: written and hashed as 0x7fc00000
                v[2] = Float.POSITIVE_INFINITY;
            }
            Map<String, Object> c = Json.obj();
            c.put("n", n);
            c.put("bits", Json.bits(v));
            MerkleTree t = VectorRoot.tree(v);
            c.put("root", Json.hex(t.rootBytes()));
            List<Object> chunks = Json.arr();
            for (int k = 0; k < VectorRoot.chunks(n); k++) {
                Map<String, Object> ch = Json.obj();
                ch.put("chunk", k);
                ch.put("bytes", Json.hex(VectorRoot.chunkBytes(v, 0, n, k)));
                ch.put("node", Json.hex(t.node(0, k)));
                ch.put("proof", proof(t.proof(k)));
                chunks.add(ch);
            }
            c.put("chunks", chunks);
            cases.add(c);
        }
        o.put("cases", cases);
        return o;
    }

    static Map<String, Object> proof(MerkleProof p) {
        Map<String, Object> o = Json.obj();
        o.put("index", p.index());
        o.put("leafCount", p.leafCount());
        o.put("siblings", Json.hexList(p.siblings()));
        return o;
    }

    // ------------------------------------------------------------------ model: spec and weights

    static Map<String, Object> model(LlamaModel m, GgmlType type, WeightsCommitment w) {
        Map<String, Object> o = Json.obj();
        o.put("version", 1);
        Map<String, Object> desc = Json.obj();
        desc.put("generator", "SyntheticModel.write(family, shape, type, seed)");
        desc.put("family", family(type));
        desc.put("type", type.name());
        desc.put("seed", (int) SEED);
        desc.put("shape", StepModels.vectorsShape(type).toString());
        o.put("model", desc);
        StepModelSpec spec = StepModelSpec.of(m, w);
        Map<String, Object> s = Json.obj();
        s.put("stepProgramVersion", spec.stepProgramVersion());
        s.put("layers", spec.layers());
        s.put("dim", spec.dim());
        s.put("heads", spec.heads());
        s.put("kvHeads", spec.kvHeads());
        s.put("headDim", spec.headDim());
        s.put("ffnDim", spec.ffnDim());
        s.put("vocab", spec.vocab());
        s.put("rmsEpsBits", Integer.toUnsignedLong(spec.rmsEpsBits()));
        s.put("attnScaleBits", Integer.toUnsignedLong(spec.attnScaleBits()));
        s.put("ropePairing", spec.ropePairing());
        s.put("rotDim", spec.rotDim());
        s.put("ropePositions", spec.ropePositions());
        s.put("hasQkvBias", spec.hasQkvBias());
        s.put("tiedOutput", spec.tiedOutput());
        List<Object> types = Json.arr();
        for (int t : spec.tensorTypes()) types.add(t);
        s.put("tensorTypes", types);
        s.put("encoding", Json.hex(spec.encode()));
        s.put("hash", Json.hex(spec.hash()));
        o.put("spec", s);

        Map<String, Object> wo = Json.obj();
        wo.put("root", Json.hex(w.root()));
        List<Object> tensors = Json.arr();
        for (int i = 0; i < w.size(); i++) {
            WeightsCommitment.Tensor t = w.tensor(i);
            Map<String, Object> to = Json.obj();
            to.put("index", i);
            to.put("name", t.name());
            to.put("type", t.type().id);
            to.put("rows", t.rows());
            to.put("cols", t.cols());
            to.put("blocks", t.blocks());
            to.put("root", Json.hex(w.tensorRoot(i)));
            to.put("proof", proof(w.tensorProof(i)));
            String nm = t.name();
            if (nm.equals("blk.0.attn_norm.weight") || nm.equals("blk.0.attn_q.weight") || nm.equals("token_embd.weight")
                    || nm.equals(WeightsCommitment.ROPE_TABLE)) {
                to.put("block0", block(w, i, 0)); // a few samples; the step file opens many more
                to.put("lastBlock", block(w, i, t.blocks() - 1));
            }
            tensors.add(to);
        }
        wo.put("tensors", tensors);
        o.put("weights", wo);

        // dequantisation of embedding rows (a layer-0 step's x_in): a few elements of token_embd
        List<Object> deq = Json.arr();
        int emb = w.indexOf("token_embd.weight");
        float[] row = new float[m.config().dim()];
        for (int tok : new int[]{TOKENS[POSITION]}) {
            m.weights().tokenEmbedding.dequantizeRow(tok, row, 0);
            for (int col : new int[]{0, 31, 33, m.config().dim() - 1}) {
                long e = (long) tok * m.config().dim() + col;
                WeightsCommitment.Tensor t = w.tensor(emb);
                Map<String, Object> d = Json.obj();
                d.put("row", tok);
                d.put("col", col);
                d.put("offsetInBlock", t.offsetInBlock(e));
                d.put("block", block(w, emb, t.blockOf(e)));
                d.put("value", Json.bits(row[col]));
                deq.add(d);
            }
        }
        o.put("embeddingDequant", deq);
        return o;
    }

    /** A weight block's opening: bytes, proof to its tensor root (that root's proof is the tensor's). */
    static Map<String, Object> block(WeightsCommitment w, int tensor, int b) {
        Map<String, Object> o = Json.obj();
        o.put("tensor", tensor);
        o.put("name", w.tensor(tensor).name());
        o.put("block", b);
        o.put("bytes", Json.hex(w.tensor(tensor).block(b)));
        o.put("proof", proof(w.blockProof(tensor, b)));
        return o;
    }

    // ------------------------------------------------------------------ trace

    static Map<String, Object> trace(TraceCommitment t) {
        Map<String, Object> o = Json.obj();
        o.put("version", 1);
        List<Object> tok = Json.arr();
        for (int x : t.tokens()) tok.add(x);
        o.put("tokens", tok);
        o.put("tokensHash", Json.hex(TraceCommitment.tokensHash(t.tokens())));
        o.put("layers", t.layers());
        o.put("root", t.root().hex());
        List<Object> leaves = Json.arr();
        for (int i = 0; i < t.leafCount(); i++) {
            Map<String, Object> l = Json.obj();
            l.put("index", i);
            l.put("position", i / t.layers());
            l.put("layer", i % t.layers());
            l.put("xRoot", Json.hex(t.xRoot(i)));
            l.put("kRoot", Json.hex(t.kRoot(i)));
            l.put("vRoot", Json.hex(t.vRoot(i)));
            l.put("hash", Json.hex(t.leafHash(i)));
            l.put("proof", proof(t.proof(i)));
            leaves.add(l);
        }
        o.put("leaves", leaves);
        return o;
    }

    // ------------------------------------------------------------------ step

    static Map<String, Object> step(LlamaModel m, GgmlType type, WeightsCommitment w, TraceCommitment trace, Step st) {
        int p = st.position(), l = st.layer();
        Map<String, Object> o = Json.obj();
        o.put("version", 1);
        o.put("stepProgramVersion", StepOp.STEP_PROGRAM_VERSION);
        o.put("model", "model-" + suffix(type) + ".json");
        o.put("trace", "trace-" + suffix(type) + ".json");
        o.put("position", p);
        o.put("layer", l);
        o.put("token", TOKENS[p]);
        o.put("leafIndex", trace.index(p, l));
        o.put("leafHash", Json.hex(st.leafHash()));
        byte[][] roots = st.opRoots();
        List<Object> ops = Json.arr();
        for (StepOp op : StepOp.values()) {
            Map<String, Object> d = Json.obj();
            d.put("index", op.ordinal());
            d.put("name", op.opName);
            d.put("kind", kind(op));
            d.put("length", op.length(st.shape(), p));
            if (op.kind.reduction()) {
                d.put("chunkLength", op.chunkLength());
                d.put("chunks", op.chunks(st.shape(), p));
            }
            d.put("root", Json.hex(roots[op.ordinal()]));
            ops.add(d);
        }
        o.put("ops", ops);
        Map<String, Object> agreed = Json.obj();
        agreed.put("xInLeaf", l > 0 ? trace.index(p, l - 1) : -1);
        List<Object> kv = Json.arr();
        for (int t = 0; t < p; t++) kv.add(trace.index(t, l));
        agreed.put("kvLeaves", kv);
        if (l == 0) agreed.put("tokensBytes", Json.hex(tokenBytes(trace.tokens())));
        o.put("agreed", agreed);

        Sources src = new Sources(st, w, trace);
        List<Object> cases = Json.arr();
        for (StepOp op : StepOp.values()) {
            // elementwise: the first and the last element (RoPE: both roles of a pair); a reduction: its last element
            // (scores: also element 0, whose K row is an agreed leaf's while the last one's is this step's k_rope),
            // re-executing the first chunk (from the constant S_0) for even op indices and the last (often short) for odd
            // (the addendum's types: only the ops that read weights or the embedding, and their last element's chunk
            // op index mod T, so that the super-block types open several sub-blocks)
            int n = op.length(st.shape(), p);
            if (!full(type) && !WEIGHT_OPS.contains(op)) continue;
            if (!op.kind.reduction()) {
                cases.add(elementwiseCase(st, src, op, 0));
                if (n > 1) cases.add(elementwiseCase(st, src, op, n - 1));
            } else {
                int T = op.chunks(st.shape(), p);
                if (op == StepOp.SCORES) cases.add(reductionCase(st, src, op, 0, 0));
                cases.add(reductionCase(st, src, op, n - 1, !full(type) ? op.ordinal() % T : op.ordinal() % 2 == 1 ? T - 1 : 0));
            }
        }
        o.put("elements", cases);
        return o;
    }

    static String kind(StepOp op) {
        return switch (op.kind) {
            case DOT -> "dot";
            case MATMUL -> "matmul";
            case SUM -> "sum";
            case MAX -> "max";
            case WEIGHTED_SUM -> "weightedSum";
            case ELEMENTWISE -> "elementwise";
        };
    }

    /** Where each named vector of a step is opened from, and its tree. */
    static final class Sources {
        final Step st;
        final WeightsCommitment w;
        final TraceCommitment trace;

        Sources(Step st, WeightsCommitment w, TraceCommitment trace) {
            this.st = st;
            this.w = w;
            this.trace = trace;
        }

        /** Openings of elements [from, from+len) of a named vector: one per chunk covered. */
        List<Object> open(String source, int from, int len) {
            int p = st.position(), l = st.layer();
            if (source.equals("x_in") && l == 0) return openEmbedding(from, len);
            String rootOf;
            if (source.equals("x_in")) rootOf = "leaf " + trace.index(p, l - 1) + " xRoot";
            else if (source.startsWith("K[") || source.startsWith("V[")) {
                int t = Integer.parseInt(source.substring(2, source.length() - 1));
                boolean key = source.charAt(0) == 'K';
                rootOf = t < p ? "leaf " + trace.index(t, l) + (key ? " kRoot" : " vRoot") : (key ? "op k_rope" : "op v");
            } else rootOf = "op " + StepOp.named(source).opName;
            List<Object> out = Json.arr();
            for (Openings.Chunk c : Openings.range(st.vector(source), from, len)) {
                Map<String, Object> o = Json.obj();
                o.put("source", source);
                o.put("rootOf", rootOf);
                o.put("chunk", c.chunk());
                o.put("bytes", Json.hex(c.bytes()));
                o.put("proof", proof(c.proof()));
                out.add(o);
            }
            return out;
        }

        /**
         * x_in at layer 0, chunk by chunk: {@code {source: "x_in", rootOf: "token_embd", chunk, bytes, block, [subBlock]}},
         * the dequantized chunk's bytes and the token_embd block holding it (row token[p]; a super-block's chunk is its
         * sub-block {@code subBlock}).
         */
        List<Object> openEmbedding(int from, int len) {
            int emb = w.indexOf("token_embd.weight");
            WeightsCommitment.Tensor t = w.tensor(emb);
            float[] x = st.vector("x_in");
            List<Object> out = Json.arr();
            for (int c = from / VectorRoot.CHUNK; c <= (from + len - 1) / VectorRoot.CHUNK; c++) {
                Map<String, Object> o = Json.obj();
                o.put("source", "x_in");
                o.put("rootOf", "token_embd");
                o.put("chunk", c);
                o.put("bytes", Json.hex(VectorRoot.chunkBytes(x, 0, x.length, c)));
                o.put("block", block(w, emb, t.chunkBlock(TOKENS[st.position()], c)));
                if (t.type().blockSize > WeightsCommitment.BLOCK) o.put("subBlock", WeightsCommitment.Tensor.subBlockOfChunk(c, t.type()));
                out.add(o);
            }
            return out;
        }

        /** The opening of element {@code index} of a weights tensor ({@code w:NAME} or {@code rope}). */
        Map<String, Object> openWeight(String source, long index) {
            String name = source.equals("rope") ? WeightsCommitment.ROPE_TABLE : source.substring(2);
            Openings.Block b = Openings.weight(w, name, index);
            Map<String, Object> o = Json.obj();
            o.put("tensor", b.tensor());
            o.put("name", b.name());
            o.put("block", b.block());
            o.put("bytes", Json.hex(b.bytes()));
            o.put("proof", proof(b.proof()));
            o.put("offsetInBlock", b.offsetInBlock());
            return o;
        }
    }

    static Map<String, Object> elementwiseCase(Step st, Sources src, StepOp op, int e) {
        Map<String, Object> o = Json.obj();
        o.put("op", op.ordinal());
        o.put("name", op.opName);
        o.put("kind", "elementwise");
        o.put("element", e);
        o.put("output", Json.bits(st.output(op)[e]));
        o.put("outputOpening", src.open(op.opName, e, 1).getFirst());
        List<Object> operands = Json.arr();
        for (Operand x : st.operands(op, e)) {
            Map<String, Object> d = Json.obj();
            d.put("role", x.role());
            d.put("source", x.source());
            d.put("index", x.index());
            d.put("value", Integer.toUnsignedLong(x.bits()));
            if (x.source().startsWith("w:") || x.source().equals("rope")) d.put("opening", src.openWeight(x.source(), x.index()));
            else d.put("opening", src.open(x.source(), x.index(), 1).getFirst());
            operands.add(d);
        }
        o.put("operands", operands);
        return o;
    }

    static byte[] tokenBytes(int[] tokens) {
        byte[] ids = new byte[4 * tokens.length];
        for (int i = 0; i < tokens.length; i++) for (int k = 0; k < 4; k++) ids[4 * i + k] = (byte) (tokens[i] >>> (8 * k));
        return ids;
    }

    static Map<String, Object> reductionCase(Step st, Sources src, StepOp op, int e, int c) {
        StepShape s = st.shape();
        int p = st.position(), P = p + 1;
        ReductionStates rs = st.states(op, e);
        Map<String, Object> o = Json.obj();
        o.put("op", op.ordinal());
        o.put("name", op.opName);
        o.put("kind", kind(op));
        o.put("element", e);
        o.put("output", Json.bits(st.output(op)[e]));
        o.put("outputOpening", src.open(op.opName, e, 1).getFirst());
        o.put("chunkLength", op.chunkLength());
        o.put("chunks", rs.chunks());
        List<Object> states = Json.arr();
        for (int k = 0; k <= rs.chunks(); k++) states.add(Json.bits(rs.state(k)));
        o.put("states", states);
        MerkleTree stateTree = Openings.statesTree(rs);
        o.put("statesRoot", Json.hex(stateTree.rootBytes()));
        List<Object> stateProofs = Json.arr();
        for (int k = 0; k < rs.chunks(); k++) stateProofs.add(proof(stateTree.proof(k)));
        o.put("stateProofs", stateProofs);

        Map<String, Object> fin = Json.obj();
        fin.put("state", Json.bits(rs.state(rs.chunks())));
        Float bias = st.bias(op, e);
        if (bias != null) {
            Map<String, Object> b = Json.obj();
            String name = "w:blk." + st.layer() + "." + switch (op) {
                case Q -> "attn_q.bias";
                case K -> "attn_k.bias";
                default -> "attn_v.bias";
            };
            b.put("value", Json.bits(bias));
            b.put("opening", src.openWeight(name, e));
            fin.put("bias", b);
        }
        if (op == StepOp.SCORES) fin.put("scale", Json.bits(s.attnScale()));
        fin.put("output", Json.bits(rs.value()));
        o.put("finish", fin);

        Map<String, Object> ch = Json.obj();
        ch.put("chunk", c);
        ch.put("before", Json.bits(rs.state(c)));
        ch.put("after", Json.bits(rs.state(c + 1)));
        int len = op.reductionLength(s, p);
        int from = c * op.chunkLength(), count = Math.min(op.chunkLength(), len - from);
        ch.put("start", from);
        ch.put("count", count);
        switch (op) {
            case ATTN_SS, FFN_SS -> {
                String x = op == StepOp.ATTN_SS ? "x_in" : "x_mid";
                ch.put("a", values(src, x, from, count));
            }
            case Q, K, V, WO, GATE, UP, DOWN -> {
                String in = switch (op) {
                    case Q, K, V -> "attn_norm";
                    case WO -> "att_out";
                    case GATE, UP -> "ffn_norm";
                    default -> "act";
                };
                ch.put("a", values(src, in, from, count));
                var m = st.matrix(op);
                int ti = src.w.indexOf(m.name());
                WeightsCommitment.Tensor t = src.w.tensor(ti);
                ch.put("weightBlock", block(src.w, ti, t.chunkBlock(e, c)));
                if (t.type().blockSize > WeightsCommitment.BLOCK) ch.put("subBlock", WeightsCommitment.Tensor.subBlockOfChunk(c, t.type()));
            }
            case SCORES -> {
                int h = e / P, t = e % P;
                ch.put("a", values(src, "q_rope", h * s.headDim() + from, count));
                ch.put("b", values(src, "K[" + t + "]", (h / s.group()) * s.headDim() + from, count));
            }
            case ATT_MAX -> ch.put("a", values(src, "scores", e * P + from, count));
            case ATT_SUM -> ch.put("a", values(src, "att_exp", e * P + from, count));
            case ATT_OUT -> {
                int h = e / s.headDim(), i = e % s.headDim();
                int col = (h / s.group()) * s.headDim() + i;
                ch.put("prob", values(src, "att_prob", h * P + from, count));
                List<Object> vs = Json.arr();
                for (int t = from; t < from + count; t++) vs.add(values(src, "V[" + t + "]", col, 1));
                ch.put("v", vs);
            }
            default -> throw new IllegalStateException(op.opName);
        }
        o.put("step", ch);
        return o;
    }

    /** The values of a vector slice and their chunk openings. */
    static Map<String, Object> values(Sources src, String source, int from, int count) {
        Map<String, Object> o = Json.obj();
        o.put("source", source);
        o.put("from", from);
        o.put("values", valuesOf(src, source, from, count));
        o.put("openings", src.open(source, from, count));
        return o;
    }

    static List<Object> valuesOf(Sources src, String source, int from, int count) {
        float[] slice = new float[count];
        System.arraycopy(src.st.vector(source), from, slice, 0, count);
        return Json.bits(slice);
    }
}
