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
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * Decode, prefill and replay speed of a model, as the engine runs them for real (trace leaves hashed,
 * logits sampled greedily). Decode: one position at a time after a prompt. Prefill: a prompt of
 * {@code promptTokens} positions in one batched forward (logits for the last). Replay: {@link Replay} of the
 * decoded output (one batched forward over prompt + output with logits at every output position, then the
 * sampling check). Each figure is the median of {@code repeats} runs after one shorter warm-up run (the
 * machines this runs on are often shared, so a median says more than a best). Also reports the process's
 * peak resident memory ({@code VmHWM}): the weights are memory-mapped, so it counts the pages of the file
 * that were touched (all of them) plus the heap and the JVM, and the process's CPU time per decoded token (all
 * threads), which on a shared machine varies less than the wall time.
 */
public final class DecoderBench {
    /** Figures of one bench: medians over the repeats; {@code replayAccepted} holds for every repeat. */
    public record Figures(int threads, int vectorBits, int promptTokens, int decodeTokens, int repeats,
                          double prefillTokensPerSecond, double decodeTokensPerSecond, double replayTokensPerSecond,
                          boolean replayAccepted, long peakRssBytes, long fileBytes, double decodeCpuMillisPerToken) {
        /** How many times faster replay is per token than decode. */
        public double replayOverDecode() {
            return decodeTokensPerSecond == 0 ? 0 : replayTokensPerSecond / decodeTokensPerSecond;
        }
    }

    private DecoderBench() {
    }

    /** Runs the bench; {@code progress} (may be null) gets one line per repeat. */
    public static Figures run(LlamaModel model, int threads, KernelConfig cfg, int promptTokens, int decodeTokens, int repeats,
                              Consumer<String> progress) {
        if (promptTokens < 1 || decodeTokens < 2 || repeats < 1) {
            throw new IllegalArgumentException("need promptTokens >= 1, decodeTokens >= 2 and repeats >= 1, found "
                    + promptTokens + ", " + decodeTokens + ", " + repeats);
        }
        int[] prompt = new int[promptTokens];
        int[] body = model.tokenizer().encode(
                "The quick brown fox jumps over the lazy dog. A ledger records what happened, in order, so that anyone can check it later. "
                        .repeat(1 + promptTokens / 16), false);
        for (int i = 0; i < promptTokens; i++) prompt[i] = body[i % body.length];
        int vocab = model.config().vocab();
        if (progress != null) {
            progress.accept(cfg.nativeKernels() ? dev.ledgermind.inference.tensor.NativeKernels.status()
                    : "native kernels off for this run (" + cfg + "): Java kernels");
        }
        double[] prefill = new double[repeats], decode = new double[repeats], replay = new double[repeats];
        double[] decodeCpu = new double[repeats];
        boolean accepted = true;
        try (Parallel par = new Parallel(threads)) {
            for (int rep = -1; rep < repeats; rep++) {
                boolean warm = rep < 0;
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
                long c1 = processCpuNanos();
                for (int i = 1; i < nDecode; i++) {
                    one[0] = out[i - 1];
                    state.forward(one, 0, 1, 0, logits, (p, l, h) -> trace.addLeafHash(h));
                    out[i] = Sampler.argmax(logits, 0, vocab);
                }
                long t2 = System.nanoTime();
                long c2 = processCpuNanos();
                ReplayResult r = new Replay(model, cfg, par).replay(prompt, out, nDecode, SamplingParams.greedy());
                accepted &= r.accepted() || r.firstMismatch() == nDecode; // the bench ignores end tokens: a full-length run is honest
                if (!warm) {
                    prefill[rep] = promptTokens / ((t1 - t0) / 1e9);
                    decode[rep] = (nDecode - 1) / ((t2 - t1) / 1e9);
                    replay[rep] = r.tokensPerSecond(nDecode);
                    decodeCpu[rep] = c1 < 0 || c2 < 0 ? -1 : (c2 - c1) / 1e6 / (nDecode - 1);
                    if (progress != null) {
                        progress.accept(String.format("run %d/%d: prefill %.2f, decode %.2f, replay %.2f tokens/s; decode CPU %.1f ms/token (process)",
                                rep + 1, repeats, prefill[rep], decode[rep], replay[rep], decodeCpu[rep]));
                    }
                }
            }
        }
        long fileBytes = model.file().fileSize();
        return new Figures(threads, cfg.vectorBits(), promptTokens, decodeTokens, repeats, median(prefill), median(decode),
                median(replay), accepted, peakRss(), fileBytes, median(decodeCpu));
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    /**
     * CPU time of the whole process so far (every thread: the pool's, spinning included, the JIT's and the collector's),
     * or -1 where unknown: on a shared machine CPU time per token says more than wall time.
     */
    static long processCpuNanos() {
        if (java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getProcessCpuTime();
        }
        return -1;
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
