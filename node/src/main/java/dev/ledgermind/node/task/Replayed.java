package dev.ledgermind.node.task;

import java.util.List;

/**
 * What a validator's replay of a claimed output gives (teacher-forced: the prompt and the claimed tokens in one
 * batched prefill, inference's {@code Replay}): whether every claimed token is what sampling produces, the result
 * hash and trace root it recomputes, and every trace leaf hash in trace order (an audit opens some of them). When
 * {@code accepted} is false, {@code honest} is this node's own result for the task (computed then, not before).
 */
public record Replayed(boolean accepted, String reason, byte[] resultHash, byte[] traceRoot, List<byte[]> leaves,
                       TaskResult honest) {
    public Replayed {
        leaves = List.copyOf(leaves);
    }

    /** The result this node stands behind: the claim's when the replay accepted it, else its own. */
    public byte[] ownResultHash() {
        return accepted ? resultHash : honest.resultHash();
    }

    public byte[] ownTraceRoot() {
        return accepted ? traceRoot : honest.traceRoot();
    }
}
