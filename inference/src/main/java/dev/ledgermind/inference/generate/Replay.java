package dev.ledgermind.inference.generate;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.LlamaState;
import dev.ledgermind.inference.sampling.Sampler;
import dev.ledgermind.inference.sampling.SamplingParams;
import dev.ledgermind.inference.trace.TraceBuilder;

/**
 * Verification by teacher-forced replay: the prompt and the claimed output (but its last token) run as one
 * batched prefill, which yields the logits at every output step at once; claimed token i must equal what
 * {@link Sampler} picks from the logits before it at step i (the PRNG is counter-based, so each step's
 * random number is known without sampling the steps before). A claimed end-of-generation token anywhere
 * but last, or an output longer than {@code maxTokens}, is rejected too. Batch invariance makes the
 * logits and leaves those of generation, so an honest output reproduces its trace root.
 */
public final class Replay {
    /** Positions per forward call: bounds the logits buffer (chunk x vocab floats). */
    private static final int CHUNK = LlamaState.MAX_BATCH;

    private final LlamaModel model;
    private final KernelConfig cfg;
    private final Parallel par;

    public Replay(LlamaModel model, KernelConfig cfg, Parallel par) {
        this.model = model;
        this.cfg = cfg;
        this.par = par;
    }

    public ReplayResult replay(int[] prompt, int[] claimed, int maxTokens, SamplingParams sampling) {
        return replay(prompt, claimed, maxTokens, sampling, null);
    }

    /**
     * {@link #replay(int[], int[], int, SamplingParams)} that also hands every trace leaf hash, in trace order, to
     * {@code leaves} (null: none): an optimistic-mode validator opens some of them in its audit.
     */
    public ReplayResult replay(int[] prompt, int[] claimed, int maxTokens, SamplingParams sampling,
                               java.util.function.Consumer<byte[]> leaves) {
        long t0 = System.nanoTime();
        int vocab = model.config().vocab();
        int pLen = prompt.length;
        int n = claimed.length;
        if (pLen == 0) throw new IllegalArgumentException("the prompt has no tokens");
        byte[] resultHash = ResultHash.of(claimed);
        if (n == 0) return new ReplayResult(false, 0, -1, "the claimed output is empty", null, 0, resultHash, System.nanoTime() - t0);
        if (n > maxTokens) {
            return new ReplayResult(false, maxTokens, -1, "the claimed output has " + n + " tokens, more than max tokens " + maxTokens,
                    null, 0, resultHash, System.nanoTime() - t0);
        }
        for (int i = 0; i < n; i++) {
            if (claimed[i] < 0 || claimed[i] >= vocab) {
                return new ReplayResult(false, i, -1, "claimed token " + i + " = " + claimed[i] + " is outside the vocabulary",
                        null, 0, resultHash, System.nanoTime() - t0);
            }
            if (i < n - 1 && model.tokenizer().isEndOfGeneration(claimed[i])) {
                return new ReplayResult(false, i, claimed[i], "claimed token " + i + " ends generation but more tokens follow",
                        null, 0, resultHash, System.nanoTime() - t0);
            }
        }
        int total = pLen + n - 1;
        if (total > model.config().contextLength()) throw new IllegalArgumentException("prompt and output of " + total + " positions exceed the context");
        int[] seq = new int[total];
        System.arraycopy(prompt, 0, seq, 0, pLen);
        System.arraycopy(claimed, 0, seq, pLen, n - 1);
        LlamaState state = new LlamaState(model, total, cfg, par);
        TraceBuilder trace = new TraceBuilder();
        Sampler sampler = new Sampler(sampling);
        float[] logits = new float[CHUNK * vocab];
        int firstMismatch = -1, expected = -1;
        // Output step i reads the logits of position pLen - 1 + i.
        for (int start = 0; start < total; start += CHUNK) {
            int m = Math.min(CHUNK, total - start);
            int logitsFrom = Math.max(0, pLen - 1 - start);
            state.forward(seq, start, m, logitsFrom, logits, (p, l, h) -> {
                trace.addLeafHash(h);
                if (leaves != null) leaves.accept(h.clone());
            });
            for (int t = logitsFrom; t < m; t++) {
                int step = start + t - (pLen - 1);
                int tok = sampler.sample(logits, (t - logitsFrom) * vocab, vocab, step);
                if (firstMismatch < 0 && tok != claimed[step]) {
                    firstMismatch = step;
                    expected = tok;
                }
            }
        }
        boolean accepted = firstMismatch < 0;
        String reason = accepted ? "every claimed token is what sampling produces"
                : "claimed token " + firstMismatch + " = " + claimed[firstMismatch] + " but sampling produces " + expected;
        if (accepted && n < maxTokens && !model.tokenizer().isEndOfGeneration(claimed[n - 1]) && total < model.config().contextLength()) {
            accepted = false;
            firstMismatch = n;
            reason = "the claimed output stops after " + n + " tokens without an end-of-generation token and below max tokens " + maxTokens;
        }
        return new ReplayResult(accepted, firstMismatch, expected, reason, trace.root(), trace.size(), resultHash, System.nanoTime() - t0);
    }
}
