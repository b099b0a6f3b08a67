package dev.ledgermind.inference.generate;

import dev.ledgermind.inference.trace.TraceRoot;

/**
 * The verdict of a replay: whether every claimed token is what sampling produces ({@code accepted}), the
 * first index where it is not (-1 when accepted) with the token sampling produces there, the trace root and
 * result hash recomputed from the claimed output, and the time taken.
 */
public record ReplayResult(boolean accepted, int firstMismatch, int expectedToken, String reason,
                           TraceRoot traceRoot, int leafCount, byte[] resultHash, long nanos) {
    /** Claimed output tokens per second of replay. */
    public double tokensPerSecond(int outputTokens) {
        return nanos == 0 ? 0 : outputTokens / (nanos / 1e9);
    }
}
