package dev.ledgermind.inference.step;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.RmsNorm;
import dev.ledgermind.inference.kernel.Rope;
import dev.ledgermind.inference.kernel.Silu;
import dev.ledgermind.inference.kernel.Softmax;
import dev.ledgermind.inference.kernel.Sum;
import dev.ledgermind.inference.kernel.WeightedSum;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.LlamaState;
import dev.ledgermind.inference.llama.LlamaWeights;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.inference.tensor.WeightTensor;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.VectorRoot;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The step program executed by {@link StepEngine} gives exactly LlamaState's bits: its x_out, k_rope and v op outputs
 * reproduce every trace leaf of random synthetic models (F32, Q8_0, Q4_0, Q4_K and Q6_K, llama NORM RoPE without biases and qwen2 NEOX
 * RoPE with q/k/v biases, GQA, short last chunks), and every op agrees with the kernel LlamaState runs, computed here
 * from the step's own inputs. Chunk states chain from S_0 to the element's value; a fault changes exactly the leaves
 * from its step on and the op outputs from its op and element on.
 */
class StepEngineTest {
    /** Leaves of a full LlamaState run (one batched forward), with their preimage roots. */
    record Leaves(byte[][] hashes, byte[][] roots) {
    }

    static Leaves leaves(LlamaModel m, int[] tokens, LlamaState state) {
        int layers = m.config().layers();
        byte[][] h = new byte[tokens.length * layers][], r = new byte[tokens.length * layers][];
        state.forward(tokens, 0, tokens.length, tokens.length, null, new dev.ledgermind.inference.llama.LeafSink() {
            @Override
            public void leaf(int position, int layer, byte[] hash) {
                throw new AssertionError("the 4-argument leaf is called");
            }

            @Override
            public void leaf(int position, int layer, byte[] roots, byte[] hash) {
                h[position * layers + layer] = hash;
                r[position * layers + layer] = roots;
            }
        });
        return new Leaves(h, r);
    }

    static Leaves leaves(LlamaModel m, int[] tokens) {
        try (Parallel par = new Parallel(2)) {
            return leaves(m, tokens, new LlamaState(m, tokens.length, KernelConfig.defaults(), par));
        }
    }

    @Test
    void leafV2IsTheHashOfTheThreeVectorRootsOfTheLayersState() {
        try (LlamaModel m = StepModels.load("llama3", StepModels.VECTORS, GgmlType.F32, 3)) {
            int[] tokens = {1, 2, 3};
            Leaves lv = leaves(m, tokens);
            Step st = new StepEngine(m).step(tokens, 2, 1);
            byte[] expected = Keccak256.hash(new byte[]{2}, VectorRoot.of(st.output(StepOp.X_OUT)),
                    VectorRoot.of(st.output(StepOp.K_ROPE)), VectorRoot.of(st.output(StepOp.V)));
            assertArrayEquals(expected, lv.hashes()[2 * 2 + 1]);
            byte[] roots = lv.roots()[2 * 2 + 1];
            assertArrayEquals(Arrays.copyOfRange(roots, 0, 32), VectorRoot.of(st.output(StepOp.X_OUT)));
            assertArrayEquals(Arrays.copyOfRange(roots, 32, 64), VectorRoot.of(st.output(StepOp.K_ROPE)));
            assertArrayEquals(Arrays.copyOfRange(roots, 64, 96), VectorRoot.of(st.output(StepOp.V)));
        }
    }

    @ParameterizedTest
    @CsvSource({"llama3, F32, 11", "qwen2, F32, 12", "llama3, Q8_0, 13", "qwen2, Q8_0, 14", "llama2, F32, 15", "qwen2, Q8_0, 16",
            "llama3, Q4_0, 17", "qwen2, Q4_0, 18", "llama3, Q6_K, 19", "qwen2, Q4_K, 20"})
    void stepOutputsReproduceEveryLeafOfRandomModels(String family, GgmlType type, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SyntheticModel.Shape shape = StepModels.random(r, type);
        try (LlamaModel m = StepModels.load(family, shape, type, seed)) {
            int n = 9 + r.nextInt(4); // past 8 positions: att_out has two chunks
            int[] tokens = StepModels.tokens(r, n, m.config().vocab());
            Leaves lv = leaves(m, tokens);
            StepEngine engine = new StepEngine(m);
            int layers = m.config().layers();
            List<int[]> steps = new ArrayList<>();
            steps.add(new int[]{0, 0});
            steps.add(new int[]{0, layers - 1});
            steps.add(new int[]{n - 1, 0});
            steps.add(new int[]{n - 1, layers - 1});
            for (int i = 0; i < 3; i++) steps.add(new int[]{r.nextInt(n), r.nextInt(layers)});
            for (int[] pl : steps) {
                Step st = engine.step(tokens, pl[0], pl[1]);
                int i = pl[0] * layers + pl[1];
                assertArrayEquals(lv.hashes()[i], st.leafHash(), shape + " " + family + " " + type + " leaf (" + pl[0] + ", " + pl[1] + ")");
                byte[][] roots = st.opRoots();
                assertArrayEquals(Arrays.copyOfRange(lv.roots()[i], 0, 32), roots[StepOp.X_OUT.ordinal()]);
                assertArrayEquals(Arrays.copyOfRange(lv.roots()[i], 32, 64), roots[StepOp.K_ROPE.ordinal()]);
                assertArrayEquals(Arrays.copyOfRange(lv.roots()[i], 64, 96), roots[StepOp.V.ordinal()]);
            }
        }
    }

    @Test
    void inputsOfAStepAreTheAgreedLeavesOutputs() {
        try (LlamaModel m = StepModels.load("qwen2", StepModels.VECTORS, GgmlType.Q8_0, 5)) {
            int[] tokens = {5, 6, 7, 8};
            StepEngine engine = new StepEngine(m);
            Step prev = engine.step(tokens, 3, 0);
            Step st = engine.step(tokens, 3, 1);
            assertArrayEquals(prev.output(StepOp.X_OUT), st.inputs().xIn());
            for (int t = 0; t < 3; t++) {
                Step earlier = engine.step(tokens, t, 1);
                assertArrayEquals(earlier.output(StepOp.K_ROPE), st.inputs().keys()[t]);
                assertArrayEquals(earlier.output(StepOp.V), st.inputs().values()[t]);
            }
            float[] emb = new float[m.config().dim()];
            m.weights().tokenEmbedding.dequantizeRow(tokens[3], emb, 0);
            assertArrayEquals(emb, prev.inputs().xIn());
        }
    }

    /** Each op against the kernel LlamaState runs, computed here from the step's own inputs and weights. */
    @ParameterizedTest
    @CsvSource({"llama3, F32, 21", "qwen2, F32, 22", "llama3, Q8_0, 23", "qwen2, Q8_0, 24", "qwen2, Q4_0, 25",
            "llama3, Q6_K, 26", "llama3, Q4_K, 27"})
    void everyOpEqualsItsKernel(String family, GgmlType type, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        SyntheticModel.Shape shape = StepModels.random(r, type);
        try (LlamaModel m = StepModels.load(family, shape, type, seed)) {
            int n = 10;
            int[] tokens = StepModels.tokens(r, n, m.config().vocab());
            int p = n - 1, l = m.config().layers() - 1;
            Step st = new StepEngine(m).step(tokens, p, l);
            StepShape s = st.shape();
            LlamaWeights.Layer w = m.weights().layers[l];
            KernelConfig[] cfgs = {KernelConfig.scalar(), KernelConfig.ofBits(128), KernelConfig.ofBits(256), KernelConfig.ofBits(512)};
            float[] x = st.inputs().xIn();
            int dim = s.dim(), hd = s.headDim(), P = p + 1;

            for (KernelConfig cfg : cfgs) {
                assertEquals(bits(Dot.dot(cfg, x, 0, x, 0, dim)), bits(st.output(StepOp.ATTN_SS)[0]), "attn_ss " + cfg);
                float[] norm = new float[dim];
                RmsNorm.apply(cfg, x, 0, w.attnNorm(), s.rmsEps(), norm, 0, dim);
                assertArrayEquals(bits(norm), bits(st.output(StepOp.ATTN_NORM)), "attn_norm " + cfg);
            }
            assertArrayEquals(bits(matVec(w.wq(), st.output(StepOp.ATTN_NORM), w.bq())), bits(st.output(StepOp.Q)));
            assertArrayEquals(bits(matVec(w.wk(), st.output(StepOp.ATTN_NORM), w.bk())), bits(st.output(StepOp.K)));
            assertArrayEquals(bits(matVec(w.wv(), st.output(StepOp.ATTN_NORM), w.bv())), bits(st.output(StepOp.V)));

            Rope rope = m.rope(P);
            float[] q = st.output(StepOp.Q), k = st.output(StepOp.K);
            for (int h = 0; h < s.heads(); h++) rope.apply(q, h * hd, p);
            for (int h = 0; h < s.kvHeads(); h++) rope.apply(k, h * hd, p);
            assertArrayEquals(bits(q), bits(st.output(StepOp.Q_ROPE)));
            assertArrayEquals(bits(k), bits(st.output(StepOp.K_ROPE)));

            float[] scores = new float[s.heads() * P];
            float[] attOut = new float[s.qDim()];
            float[] vAll = new float[P * s.kvDim()], kAll = new float[P * s.kvDim()];
            for (int t = 0; t < P; t++) {
                System.arraycopy(t < p ? st.inputs().keys()[t] : st.output(StepOp.K_ROPE), 0, kAll, t * s.kvDim(), s.kvDim());
                System.arraycopy(t < p ? st.inputs().values()[t] : st.output(StepOp.V), 0, vAll, t * s.kvDim(), s.kvDim());
            }
            for (int h = 0; h < s.heads(); h++) {
                int kvOff = (h / s.group()) * hd;
                for (int t = 0; t < P; t++) {
                    scores[h * P + t] = Dot.dot(KernelConfig.ofBits(256), q, h * hd, kAll, t * s.kvDim() + kvOff, hd) * s.attnScale();
                }
            }
            assertArrayEquals(bits(scores), bits(st.output(StepOp.SCORES)));
            float[] probs = scores.clone();
            float[] max = new float[s.heads()], sum = new float[s.heads()];
            for (int h = 0; h < s.heads(); h++) {
                float mx = Float.NEGATIVE_INFINITY;
                for (int t = 0; t < P; t++) mx = Math.max(mx, scores[h * P + t]);
                max[h] = mx;
                float[] e = st.output(StepOp.ATT_EXP);
                sum[h] = Sum.reference(e, h * P, P);
                Softmax.apply(KernelConfig.ofBits(256), probs, h * P, P);
                WeightedSum.reference(probs, h * P, P, vAll, kvOff(h, s), s.kvDim(), attOut, h * hd, hd);
            }
            assertArrayEquals(bits(max), bits(st.output(StepOp.ATT_MAX)));
            assertArrayEquals(bits(sum), bits(st.output(StepOp.ATT_SUM)));
            assertArrayEquals(bits(probs), bits(st.output(StepOp.ATT_PROB)));
            assertArrayEquals(bits(attOut), bits(st.output(StepOp.ATT_OUT)));

            assertArrayEquals(bits(matVec(w.wo(), attOut, null)), bits(st.output(StepOp.WO)));
            float[] mid = x.clone();
            float[] wo = st.output(StepOp.WO);
            for (int i = 0; i < dim; i++) mid[i] = mid[i] + wo[i];
            assertArrayEquals(bits(mid), bits(st.output(StepOp.X_MID)));
            float[] fn = new float[dim];
            RmsNorm.reference(mid, 0, w.ffnNorm(), s.rmsEps(), fn, 0, dim);
            assertEquals(bits(Dot.reference(mid, 0, mid, 0, dim)), bits(st.output(StepOp.FFN_SS)[0]));
            assertArrayEquals(bits(fn), bits(st.output(StepOp.FFN_NORM)));
            float[] g = matVec(w.wGate(), fn, null), u = matVec(w.wUp(), fn, null);
            assertArrayEquals(bits(g), bits(st.output(StepOp.GATE)));
            assertArrayEquals(bits(u), bits(st.output(StepOp.UP)));
            float[] act = new float[s.ffn()];
            for (int i = 0; i < act.length; i++) act[i] = Silu.apply(g[i]) * u[i];
            assertArrayEquals(bits(act), bits(st.output(StepOp.ACT)));
            float[] down = matVec(w.wDown(), act, null);
            assertArrayEquals(bits(down), bits(st.output(StepOp.DOWN)));
            float[] xo = mid.clone();
            for (int i = 0; i < dim; i++) xo[i] = xo[i] + down[i];
            assertArrayEquals(bits(xo), bits(st.output(StepOp.X_OUT)));
        }
    }

    private static int kvOff(int h, StepShape s) {
        return (h / s.group()) * s.headDim();
    }

    /** The kernel's product (dispatch width 256 and the scalar reference must agree), plus the bias by one addition. */
    private static float[] matVec(WeightTensor w, float[] x, float[] bias) {
        float[] y = new float[w.rows()];
        w.matVec(KernelConfig.ofBits(256), Parallel.serial(), x, 0, y, 0);
        for (int r = 0; r < y.length; r++) {
            assertEquals(bits(w.dotReference(r, x, 0)), bits(y[r]), w.name() + " row " + r);
            if (bias != null) y[r] = y[r] + bias[r];
        }
        return y;
    }

    @Test
    void chunkStatesChainFromTheInitialStateToTheElementsValue() {
        SplittableRandom r = new SplittableRandom(31);
        for (GgmlType type : new GgmlType[]{GgmlType.F32, GgmlType.Q8_0, GgmlType.Q4_0, GgmlType.Q4_K, GgmlType.Q6_K}) {
            try (LlamaModel m = StepModels.load("qwen2", StepModels.vectorsShape(type), type, 31)) {
                int[] tokens = StepModels.tokens(r, 11, m.config().vocab());
                Step st = new StepEngine(m).step(tokens, 10, 1);
                for (StepOp op : StepOp.values()) {
                    if (!op.kind.reduction()) {
                        assertThrows(IllegalArgumentException.class, () -> st.states(op, 0));
                        continue;
                    }
                    float[] y = st.output(op);
                    for (int e : new int[]{0, y.length / 2, y.length - 1}) {
                        ReductionStates rs = st.states(op, e);
                        assertEquals(op.chunks(st.shape(), 10), rs.chunks(), op.opName);
                        float s0 = op.kind == StepOp.Kind.MAX ? Float.NEGATIVE_INFINITY : 0.0f;
                        for (float v : rs.state(0)) assertEquals(bits(s0), bits(v));
                        for (int c = 0; c < rs.chunks(); c++) {
                            float[] s = rs.state(c);
                            st.runChunk(op, e, c, s);
                            assertArrayEquals(bits(rs.state(c + 1)), bits(s), op.opName + " element " + e + " chunk " + c);
                        }
                        assertEquals(bits(y[e]), bits(rs.value()), op.opName + " element " + e);
                        assertEquals(bits(y[e]), bits(st.finishOf(op, e, rs.state(rs.chunks()))));
                    }
                }
                assertEquals(2, StepOp.ATT_OUT.chunks(st.shape(), 10));
                assertEquals(type.blockSize == 256 ? 8 : 3, StepOp.DOWN.chunks(st.shape(), 10));
            }
        }
    }

    @Test
    void elementwiseOperandsReEvaluateToTheOutput() {
        try (LlamaModel m = StepModels.load("qwen2", StepModels.VECTORS, GgmlType.F32, 41)) {
            int[] tokens = StepModels.tokens(new SplittableRandom(41), 6, m.config().vocab());
            Step st = new StepEngine(m).step(tokens, 5, 0);
            for (StepOp op : StepOp.values()) {
                if (op.kind.reduction()) continue;
                float[] y = st.output(op);
                for (int e = 0; e < y.length; e++) {
                    List<Operand> ops = st.operands(op, e);
                    assertEquals(bits(y[e]), bits(st.evaluate(op, ops)), op.opName + " element " + e);
                }
            }
        }
    }

    @Test
    void softmaxEdgeCasesMatchTheKernel() {
        float[][] rows = {
                {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY},
                {Float.NaN, Float.NEGATIVE_INFINITY},
                {-0.0f, 0.0f, -200f},
                {Float.POSITIVE_INFINITY, 1f},
                {3e38f, -3e38f, 1f}};
        for (float[] row : rows) {
            float[] k = row.clone();
            Softmax.apply(k, 0, k.length);
            float m = Float.NEGATIVE_INFINITY;
            for (float v : row) if (v > m) m = v;
            float[] e = new float[row.length];
            for (int i = 0; i < row.length; i++) e[i] = Step.softmaxExp(row[i], m);
            float s = Sum.reference(e, 0, e.length);
            for (int i = 0; i < row.length; i++) {
                assertEquals(bits(k[i]), bits(Step.softmaxProb(e[i], s, m)), Arrays.toString(row) + " element " + i);
            }
        }
    }

    @Test
    void aFaultChangesTheLeavesFromItsStepOnAndTheOpsFromItsElementOn() {
        SplittableRandom r = new SplittableRandom(51);
        for (GgmlType type : new GgmlType[]{GgmlType.F32, GgmlType.Q8_0}) {
            try (LlamaModel m = StepModels.load(type == GgmlType.F32 ? "qwen2" : "llama3", StepModels.VECTORS, type, 51)) {
                int n = 9, layers = m.config().layers();
                int[] tokens = StepModels.tokens(r, n, m.config().vocab());
                Leaves honest = leaves(m, tokens);
                StepEngine engine = new StepEngine(m);
                for (StepOp op : StepOp.values()) {
                    // at p = 0 softmax is over one score: a changed exp, sum or max still gives probability 1 (no leaf changes)
                    boolean softmax = op == StepOp.ATT_MAX || op == StepOp.ATT_EXP || op == StepOp.ATT_SUM;
                    int p = softmax ? 1 + r.nextInt(n - 1) : r.nextInt(n), l = r.nextInt(layers);
                    Step h = engine.step(tokens, p, l);
                    float[] y = h.output(op);
                    int e = r.nextInt(y.length);
                    float bad = y[e] * 2f + 1f;
                    StepFault fault = new StepFault(p, l, op, e, Float.floatToIntBits(bad));
                    LlamaState state = new LlamaState(m, n, KernelConfig.defaults(), Parallel.serial());
                    state.setStepHook(engine.faultHook(fault));
                    Leaves faulty = leaves(m, tokens, state);
                    int at = p * layers + l;
                    for (int i = 0; i < at; i++) assertArrayEquals(honest.hashes()[i], faulty.hashes()[i], op.opName + " leaf " + i);
                    assertFalse(Arrays.equals(honest.hashes()[at], faulty.hashes()[at]), op.opName + ": the faulty leaf differs");

                    Step f = engine.step(tokens, p, l, fault);
                    assertArrayEquals(faulty.hashes()[at], f.leafHash(), op.opName + ": the faulty party's step gives its leaf");
                    int[] first = firstDifference(h, f);
                    assertNotNull(first, op.opName);
                    assertEquals(op.ordinal(), first[0], "first differing op for a fault in " + op.opName);
                    assertEquals(e, first[1], "first differing element");
                    byte[][] hr = h.opRoots(), fr = f.opRoots();
                    for (int j = 0; j < op.ordinal(); j++) assertArrayEquals(hr[j], fr[j]);
                    assertFalse(Arrays.equals(hr[op.ordinal()], fr[op.ordinal()]));
                }
            }
        }
    }

    @Test
    void aFaultBeforeAStepChangesItsInputsOnly() {
        try (LlamaModel m = StepModels.load("llama3", StepModels.VECTORS, GgmlType.Q8_0, 61)) {
            int[] tokens = {9, 8, 7, 6, 5};
            StepEngine engine = new StepEngine(m);
            StepFault fault = new StepFault(1, 0, StepOp.V, 0, Float.floatToIntBits(7.5f));
            Step honest = engine.step(tokens, 3, 0);
            Step faulty = engine.step(tokens, 3, 0, fault);
            assertFalse(Arrays.equals(honest.inputs().values()[1], faulty.inputs().values()[1]));
            assertEquals(7.5f, faulty.inputs().values()[1][0]);
            assertArrayEquals(honest.inputs().xIn(), faulty.inputs().xIn());
        }
    }

    @Test
    void namedVectorsAndTheirOpeningsProveToTheLeafAndOpRoots() {
        try (LlamaModel m = StepModels.load("llama3", StepModels.VECTORS, GgmlType.F32, 81)) {
            int[] tokens = {3, 4, 5, 6};
            TraceCommitment trace = TraceCommitment.of(m, tokens);
            Step st = new StepEngine(m).step(tokens, 3, 1);
            var kRoot = new dev.ledgermind.inference.trace.TraceRoot(trace.kRoot(trace.index(1, 1)));
            Openings.Chunk c = Openings.element(st.vector("K[1]"), 20);
            assertTrue(c.proof().verifyNode(kRoot, c.node()));
            var xRoot = new dev.ledgermind.inference.trace.TraceRoot(trace.xRoot(trace.index(3, 0)));
            for (Openings.Chunk x : Openings.range(st.vector("x_in"), 10, 40)) assertTrue(x.proof().verifyNode(xRoot, x.node()));
            assertArrayEquals(st.output(StepOp.V), st.vector("V[3]"));
            var actRoot = new dev.ledgermind.inference.trace.TraceRoot(st.opRoots()[StepOp.ACT.ordinal()]);
            Openings.Chunk a = Openings.element(st.vector("act"), 95);
            assertEquals(2, a.chunk());
            assertTrue(a.proof().verifyNode(actRoot, a.node()));
            assertThrows(IllegalArgumentException.class, () -> st.vector("K[4]"));
            assertThrows(IllegalArgumentException.class, () -> st.vector("nope"));
            assertArrayEquals(trace.leafHash(trace.index(3, 1)), st.leafHash());
        }
    }

    @Test
    void aFaultyGenerationCommitsToTheFaultyTraceAndAnHonestReplayDoesNot() {
        try (LlamaModel m = StepModels.load("llama3", StepModels.VECTORS, GgmlType.Q8_0, 91)) {
            int[] prompt = {1, 2, 3, 4};
            StepEngine engine = new StepEngine(m);
            StepFault fault = new StepFault(2, 1, StepOp.ACT, 7, Float.floatToIntBits(-3.25f));
            var sampling = dev.ledgermind.inference.sampling.SamplingParams.greedy();
            var g = new dev.ledgermind.inference.generate.Generator(m, KernelConfig.defaults(), Parallel.serial(), engine.faultHook(fault))
                    .generate(prompt, 5, sampling, null);
            int[] seq = Arrays.copyOf(prompt, prompt.length + g.tokens().length - 1);
            System.arraycopy(g.tokens(), 0, seq, prompt.length, g.tokens().length - 1);
            assertEquals(TraceCommitment.of(m, seq, fault, KernelConfig.defaults(), Parallel.serial()).root(), g.traceRoot());
            var honest = new dev.ledgermind.inference.generate.Replay(m, KernelConfig.defaults(), Parallel.serial())
                    .replay(prompt, g.tokens(), 5, sampling);
            assertEquals(TraceCommitment.of(m, seq).root(), honest.traceRoot());
            assertFalse(honest.traceRoot().equals(g.traceRoot()), "the honest trace of the claimed tokens differs from the faulty claim's");
        }
    }

    @Test
    void unsupportedWeightTypesAreNamed() {
        try (LlamaModel m = StepModels.load("llama3", StepModels.VECTORS, GgmlType.Q5_0, 71)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new StepEngine(m).step(new int[]{1}, 0, 0));
            assertTrue(e.getMessage().contains("attn_q.weight") && e.getMessage().contains("Q5_0"), e.getMessage());
        }
    }

    static int[] firstDifference(Step a, Step b) {
        for (StepOp op : StepOp.values()) {
            float[] x = a.output(op), y = b.output(op);
            for (int i = 0; i < x.length; i++) if (bits(x[i]) != bits(y[i])) return new int[]{op.ordinal(), i};
        }
        return null;
    }

    static int bits(float f) {
        return Float.floatToIntBits(f);
    }

    static int[] bits(float[] v) {
        int[] b = new int[v.length];
        for (int i = 0; i < v.length; i++) b[i] = Float.floatToIntBits(v[i]);
        return b;
    }
}
