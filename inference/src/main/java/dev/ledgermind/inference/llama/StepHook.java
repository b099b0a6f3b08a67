package dev.ledgermind.inference.llama;

/**
 * Observes, or replaces, the computation of one layer at one position inside {@link LlamaState#forward}.
 * The dispute game's step engine taps a step's inputs with it, and the dishonest worker of tests replaces one
 * step by a faulty one ({@code dev.ledgermind.inference.step.StepFault}) while everything after it is computed
 * honestly from the faulty values. Absent (null), it costs one null check per layer.
 */
public interface StepHook {
    /** True when this hook wants the step {@code (position, layer)}. */
    boolean covers(int position, int layer);

    /**
     * Called for each covered step, with its inputs, before the layer's attention runs.
     *
     * @param xIn    the layer's input at this position, {@code xIn[xOff .. xOff + dim)} (read only)
     * @param keys   this layer's K rows: row t at {@code keys[t * kvDim ..]}, valid for t in [0, position)
     * @param values this layer's V rows, laid out likewise
     * @param kOut   k_rope of the step (kvDim floats), written by a hook that replaces the step
     * @param vOut   v of the step (kvDim floats), likewise
     * @param xOut   x_out of the step (dim floats), likewise
     * @return true when the hook wrote {@code kOut, vOut, xOut} and they replace what the kernels compute
     */
    boolean step(int position, int layer, float[] xIn, int xOff, float[] keys, float[] values,
                 float[] kOut, float[] vOut, float[] xOut);
}
