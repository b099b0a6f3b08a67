package dev.ledgermind.node.worker;

/**
 * The most work a node takes on: the largest input (bytes) and the largest {@code maxTokens} it can finish
 * within the market's commit window on its hardware. A task over either is declined on chain
 * ({@code TaskMarket.decline}, no slash) instead of being left to time out. The chain's own check is the
 * model's terms (ModelRegistry), which bound what a requester may submit; these bound what this node
 * accepts of that, since a node serves every registration of the files it holds, whoever set their terms.
 *
 * @param maxInputBytes   largest task input this node computes, bytes (>= 1)
 * @param maxOutputTokens largest maxTokens this node generates (>= 0)
 */
public record WorkLimits(long maxInputBytes, long maxOutputTokens) {
    /** No limit beyond the chain's. */
    public static final WorkLimits NONE = new WorkLimits(Long.MAX_VALUE, Long.MAX_VALUE);

    public WorkLimits {
        if (maxInputBytes < 1) throw new IllegalArgumentException("maxInputBytes must be at least 1, got " + maxInputBytes);
        if (maxOutputTokens < 0) throw new IllegalArgumentException("maxOutputTokens must not be negative, got " + maxOutputTokens);
    }

    /** Why a task of this input length and maxTokens is over the limits, or null when it is within them. */
    public String exceededBy(long inputBytes, long maxTokens) {
        if (inputBytes > maxInputBytes) return "input of " + inputBytes + " bytes is over this node's maxInputBytes " + maxInputBytes;
        if (maxTokens > maxOutputTokens) return "maxTokens " + maxTokens + " is over this node's maxOutputTokens " + maxOutputTokens;
        return null;
    }
}
