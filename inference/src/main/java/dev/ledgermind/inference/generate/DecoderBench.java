package dev.ledgermind.inference.generate;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.LlamaState;
import dev.ledgermind.inference.sampling.Sampler;
import dev.ledgermind.inference.sampling.SamplingParams;
import dev.ledgermind.inference.trace.TraceBuilder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Decode, prefill and replay speed of a model, as the engine runs them for real (trace leaves hashed,
 * logits sampled greedily). Decode: one position at a time after a prompt. Prefill: a prompt of
 * {@code promptTokens} positions in one batched forward (logits for the last). Replay: {@link Replay} of the
 * decoded output (one batched forward over prompt + output with logits at every output position, then the
 * sampling check). Each figure is the best of {@code repeats} runs after one warm-up run. Also reports the
 * process's peak resident memory ({@code VmHWM}).
 */
public final class DecoderBench {
    public record Figures(int threads, int vectorBits, int promptTokens, int decodeTokens, double prefillTokensPerSecond,
                          double decodeTokensPerSecond, double replayTokensPerSecond, boolean replayAccepted,
                          long peakRssBytes, long fileBytes) {
    }

    private DecoderBench() {
    }

    public static Figures run(LlamaModel model, int threads, KernelConfig cfg, int promptTokens, int decodeTokens, int repeats) {
        int[] prompt = new int[promptTokens];
        int[] body = model.tokenizer().encode(
                "The quick brown fox jumps over the lazy dog. A ledger records what happened, in order, so that anyone can check it later. "
                        .repeat(1 + promptTokens / 16), false);
        for (int i = 0; i < promptTokens; i++) prompt[i] = body[i % body.length];
        int vocab = model.config().vocab();
        double bestPrefill = 0, bestDecode = 0, bestReplay = 0;
        boolean accepted = true;
        try (Parallel par = new Parallel(threads)) {
            for (int rep = 0; rep <= repeats; rep++) {
                boolean warm = rep == 0;
                int nDecode = warm ? Math.min(4, decodeTokens) : decodeTokens;
                LlamaState state = new LlamaState(model, promptTokens + nDecode, cfg, par);
                TraceBuilder trace = new TraceBuilder();
                float[] logits = new float[vocab];
                long t0 = System.nanoTime();
                state.forward(prompt, 0, promptTokens, promptTokens - 1, logits, (p, l, h) -> trace.addLeafHash(h));
                long t1 = System.nanoTime();
                int[] out = new int[nDecode];
                int[] one = new int[1];
                out[0] = Sampler.argmax(logits, 0, vocab);
                for (int i = 1; i < nDecode; i++) {
                    one[0] = out[i - 1];
                    state.forward(one, 0, 1, 0, logits, (p, l, h) -> trace.addLeafHash(h));
                    out[i] = Sampler.argmax(logits, 0, vocab);
                }
                long t2 = System.nanoTime();
                ReplayResult r = new Replay(model, cfg, par).replay(prompt, out, nDecode, SamplingParams.greedy());
                accepted &= r.accepted() || r.firstMismatch() == nDecode; // the bench ignores end tokens: a full-length run is honest
                if (!warm) {
                    bestPrefill = Math.max(bestPrefill, promptTokens / ((t1 - t0) / 1e9));
                    bestDecode = Math.max(bestDecode, (nDecode - 1) / ((t2 - t1) / 1e9));
                    bestReplay = Math.max(bestReplay, r.tokensPerSecond(nDecode));
                }
            }
        }
        long fileBytes = model.file().fileSize();
        return new Figures(threads, cfg.vectorBits(), promptTokens, decodeTokens, bestPrefill, bestDecode, bestReplay, accepted,
                peakRss(), fileBytes);
    }

    /** Peak resident set size of this process (Linux {@code VmHWM}), or -1 where unknown. */
    public static long peakRss() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/self/status"));
            for (String l : lines) {
                if (l.startsWith("VmHWM:")) return Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
