package dev.ledgermind.inference.generate;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.LlamaState;
import dev.ledgermind.inference.llama.StepHook;
import dev.ledgermind.inference.sampling.Sampler;
import dev.ledgermind.inference.sampling.SamplingParams;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.TraceBuilder;

import java.util.Arrays;
import java.util.function.IntConsumer;

/**
 * Generation: one batched prefill over the prompt, then one position at a time. Output token i is sampled
 * at step i from the logits of the position before it. Generation stops after an end-of-generation token
 * (which is part of the output), after {@code maxTokens}, or when the context is full.
 *
 * <p>The trace covers every position that ran: the prompt and every output token but the last (which is
 * never fed back), each with one leaf per layer, in (position, layer) order. {@link Replay} reruns the
 * same positions in one batch and gets the same leaves.
 */
public final class Generator {
    private final LlamaModel model;
    private final KernelConfig cfg;
    private final Parallel par;
    private final StepHook stepHook;

    public Generator(LlamaModel model, KernelConfig cfg, Parallel par) {
        this(model, cfg, par, null);
    }

    /**
     * A generator whose runs go through {@code stepHook} (null: none), e.g. the dishonest worker's
     * {@code StepEngine.faultHook}: one step is changed and everything after it, tokens included, follows from it.
     */
    public Generator(LlamaModel model, KernelConfig cfg, Parallel par, StepHook stepHook) {
        this.model = model;
        this.cfg = cfg;
        this.par = par;
        this.stepHook = stepHook;
    }

    /** The prompt's token ids: BOS (when the model wants it) then the text, special tokens parsed. */
    public int[] promptTokens(String prompt) {
        int[] body = model.tokenizer().encode(prompt, true);
        if (model.tokenizer().addBos() && model.tokenizer().bos() >= 0) {
            int[] t = new int[body.length + 1];
            t[0] = model.tokenizer().bos();
            System.arraycopy(body, 0, t, 1, body.length);
            return t;
        }
        return body;
    }

    public GenerationResult generate(int[] prompt, int maxTokens, SamplingParams sampling, IntConsumer onToken) {
        if (prompt.length == 0) throw new IllegalArgumentException("the prompt has no tokens");
        if (maxTokens < 1) throw new IllegalArgumentException("max tokens must be at least 1, found " + maxTokens);
        int vocab = model.config().vocab();
        int capacity = Math.min(model.config().contextLength(), prompt.length + maxTokens);
        if (prompt.length > model.config().contextLength()) {
            throw new IllegalArgumentException("prompt of " + prompt.length + " tokens exceeds the context of " + model.config().contextLength());
        }
        LlamaState state = new LlamaState(model, capacity, cfg, par);
        state.setStepHook(stepHook);
        TraceBuilder trace = new TraceBuilder();
        Keccak256 logitsHash = new Keccak256();
        Sampler sampler = new Sampler(sampling);
        float[] logits = new float[vocab];
        int[] out = new int[maxTokens];
        int n = 0;
        long t0 = System.nanoTime();
        state.forward(prompt, 0, prompt.length, prompt.length - 1, logits, (p, l, h) -> trace.addLeafHash(h));
        long t1 = System.nanoTime();
        int[] one = new int[1];
        while (true) {
            logitsHash.updateFloats(logits, 0, vocab);
            int tok = sampler.sample(logits, 0, vocab, n);
            out[n++] = tok;
            if (onToken != null) onToken.accept(tok);
            if (model.tokenizer().isEndOfGeneration(tok) || n == maxTokens || state.position() >= capacity) break;
            one[0] = tok;
            state.forward(one, 0, 1, 0, logits, (p, l, h) -> trace.addLeafHash(h));
        }
        long t2 = System.nanoTime();
        int[] tokens = Arrays.copyOf(out, n);
        return new GenerationResult(prompt, tokens, model.tokenizer().decode(tokens), ResultHash.of(tokens), trace.root(),
                trace.size(), logitsHash.digest(), t1 - t0, t2 - t1);
    }
}
