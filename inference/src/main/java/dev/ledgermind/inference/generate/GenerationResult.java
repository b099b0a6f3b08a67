package dev.ledgermind.inference.generate;

import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.TraceRoot;

/**
 * What a generation produced: the output tokens and text, the result hash, the trace root over
 * {@code leafCount} (position, layer) leaves, a hash of every logits vector sampled from (for determinism
 * checks), and timings.
 */
public record GenerationResult(int[] promptTokens, int[] tokens, String text, byte[] resultHash, TraceRoot traceRoot,
                               int leafCount, byte[] logitsHash, long prefillNanos, long decodeNanos) {
    public String resultHashHex() {
        return Keccak256.hex(resultHash);
    }

    /** Output tokens per second of decoding (tokens after the first, over the decode time). */
    public double decodeTokensPerSecond() {
        return tokens.length <= 1 || decodeNanos == 0 ? 0 : (tokens.length - 1) / (decodeNanos / 1e9);
    }

    /** Prompt tokens per second of prefill. */
    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens.length / (prefillNanos / 1e9);
    }

    /** Output tokens over the whole run. */
    public double tokensPerSecond() {
        long total = prefillNanos + decodeNanos;
        return total == 0 ? 0 : tokens.length / (total / 1e9);
    }
}
