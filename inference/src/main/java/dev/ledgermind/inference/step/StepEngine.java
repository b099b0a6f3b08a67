package dev.ledgermind.inference.step;

import dev.ledgermind.inference.tensor.ComputeProfile;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.kernel.Rope;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.LlamaState;
import dev.ledgermind.inference.llama.StepHook;

/**
 * Executes the step program v1 ({@link StepOp}) for a llama-family model: for a token sequence and a step
 * {@code (p, l)}, it runs the sequence's positions {@code 0..p} through {@link LlamaState} (the real engine, so the
 * inputs are exactly the trace's), taps the step's inputs with a {@link StepHook}, and computes the 22 op outputs
 * from them with the kernels' scalar references ({@link Step}). The outputs' x_out, k_rope and v reproduce
 * LlamaState's leaf (p, l) bit for bit (StepEngineTest proves it).
 *
 * <p>With a {@link StepFault}, the run is the dishonest worker's: the fault's step is computed by {@link Step} with the
 * element replaced, and every later step honestly from it ({@link #faultHook}).
 */
public final class StepEngine {
    private final LlamaModel model;
    private final StepShape shape;
    private final KernelConfig cfg;
    private final Parallel par;

    public StepEngine(LlamaModel model, KernelConfig cfg, Parallel par) {
        if (model.profile() != ComputeProfile.BINARY32) {
            throw new IllegalArgumentException("the step program v" + StepOp.STEP_PROGRAM_VERSION + " covers the "
                    + ComputeProfile.BINARY32 + " profile only; this model is loaded under " + model.profile()
                    + " (its results can be checked by replay, not by the dispute game)");
        }
        this.model = model;
        this.shape = StepShape.of(model.config());
        this.cfg = cfg;
        this.par = par;
    }

    public StepEngine(LlamaModel model) {
        this(model, KernelConfig.defaults(), Parallel.serial());
    }

    public StepShape shape() {
        return shape;
    }

    public LlamaModel model() {
        return model;
    }

    /** The honest step {@code (p, l)} of {@code tokens} (only {@code tokens[0..p]} are read). */
    public Step step(int[] tokens, int p, int l) {
        return step(tokens, p, l, null);
    }

    /** Step {@code (p, l)} of the run with {@code fault} (null: honest); the fault applies if it is at or before the step. */
    public Step step(int[] tokens, int p, int l, StepFault fault) {
        return compute(inputs(tokens, p, l, fault), fault);
    }

    /** The step computed from given inputs (the fault applies only when it is at this step). */
    public Step compute(StepInputs in, StepFault fault) {
        int l = in.layer();
        if (l < 0 || l >= model.config().layers()) throw new IllegalArgumentException("layer " + l + " outside a model of " + model.config().layers());
        return new Step(shape, model.weights().layers[l], rope(in.position() + 1), in, fault);
    }

    /** The inputs of step {@code (p, l)} in the run of {@code tokens} with {@code fault} (null: honest). */
    public StepInputs inputs(int[] tokens, int p, int l, StepFault fault) {
        if (p < 0 || p >= tokens.length) throw new IllegalArgumentException("position " + p + " outside a sequence of " + tokens.length + " tokens");
        if (p >= model.config().contextLength()) {
            throw new IllegalArgumentException("position " + p + " is past the context of " + model.config().contextLength()
                    + " (the committed rope table has that many rows)");
        }
        if (l < 0 || l >= model.config().layers()) throw new IllegalArgumentException("layer " + l + " outside a model of " + model.config().layers());
        final int kvDim = shape.kvDim();
        final StepInputs[] tapped = new StepInputs[1];
        StepHook faulty = fault == null ? null : faultHook(fault);
        LlamaState state = new LlamaState(model, p + 1, cfg, par);
        state.setStepHook(new StepHook() {
            @Override
            public boolean covers(int position, int layer) {
                return (position == p && layer == l) || (faulty != null && faulty.covers(position, layer));
            }

            @Override
            public boolean step(int position, int layer, float[] xIn, int xOff, float[] keys, float[] values,
                                float[] kOut, float[] vOut, float[] xOut) {
                if (position == p && layer == l) {
                    float[] x = new float[shape.dim()];
                    System.arraycopy(xIn, xOff, x, 0, x.length);
                    float[][] k = new float[p][kvDim], v = new float[p][kvDim];
                    for (int t = 0; t < p; t++) {
                        System.arraycopy(keys, t * kvDim, k[t], 0, kvDim);
                        System.arraycopy(values, t * kvDim, v[t], 0, kvDim);
                    }
                    tapped[0] = new StepInputs(p, l, tokens[p], x, k, v);
                }
                return faulty != null && faulty.covers(position, layer)
                        && faulty.step(position, layer, xIn, xOff, keys, values, kOut, vOut, xOut);
            }
        });
        state.forward(tokens, 0, p + 1, p + 1, null, null);
        if (tapped[0] == null) throw new IllegalStateException("step (" + p + ", " + l + ") was not reached");
        return tapped[0];
    }

    /**
     * The hook that makes a {@link LlamaState} run the dishonest worker's computation: the fault's step is computed by
     * {@link Step} from its real inputs with the element replaced, and its k_rope, v and x_out replace the kernels'.
     */
    public StepHook faultHook(StepFault fault) {
        final int kvDim = shape.kvDim(), dim = shape.dim();
        return new StepHook() {
            @Override
            public boolean covers(int position, int layer) {
                return position == fault.position() && layer == fault.layer();
            }

            @Override
            public boolean step(int position, int layer, float[] xIn, int xOff, float[] keys, float[] values,
                                float[] kOut, float[] vOut, float[] xOut) {
                float[] x = new float[dim];
                System.arraycopy(xIn, xOff, x, 0, dim);
                float[][] k = new float[position][kvDim], v = new float[position][kvDim];
                for (int t = 0; t < position; t++) {
                    System.arraycopy(keys, t * kvDim, k[t], 0, kvDim);
                    System.arraycopy(values, t * kvDim, v[t], 0, kvDim);
                }
                Step st = compute(new StepInputs(position, layer, -1, x, k, v), fault);
                System.arraycopy(st.output(StepOp.K_ROPE), 0, kOut, 0, kvDim);
                System.arraycopy(st.output(StepOp.V), 0, vOut, 0, kvDim);
                System.arraycopy(st.output(StepOp.X_OUT), 0, xOut, 0, dim);
                return true;
            }
        };
    }

    private Rope rope(int positions) {
        return model.rope(positions);
    }
}
