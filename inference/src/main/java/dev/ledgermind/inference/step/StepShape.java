package dev.ledgermind.inference.step;

import dev.ledgermind.inference.kernel.Rope;
import dev.ledgermind.inference.llama.LlamaConfig;

/** The hyper-parameters a step depends on (a subset of {@link LlamaConfig}, plus derived constants). */
public record StepShape(int dim, int heads, int kvHeads, int headDim, int ffn, int rotDim, Rope.Pairing pairing,
                        float rmsEps, float attnScale) {
    public static StepShape of(LlamaConfig c) {
        return new StepShape(c.dim(), c.heads(), c.kvHeads(), c.headDim(), c.ffnDim(), c.ropeDim(), c.ropePairing(),
                c.rmsEps(), attnScale(c.headDim()));
    }

    /** {@code (float) (1 / StrictMath.sqrt(headDim))}, as LlamaState computes it. */
    public static float attnScale(int headDim) {
        return (float) (1.0 / StrictMath.sqrt(headDim));
    }

    public int qDim() {
        return heads * headDim;
    }

    public int kvDim() {
        return kvHeads * headDim;
    }

    /** Query heads per KV head. */
    public int group() {
        return heads / kvHeads;
    }
}
