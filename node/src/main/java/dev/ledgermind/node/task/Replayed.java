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

    /**
     * The trace root a dispute of the claim stands on: the replay's own trace over the <em>claimed</em> tokens, which
     * is what a dispute game bisects (the claim's tokens hash covers those tokens, and this node can play every move
     * of it); this node's own generation's root only when the claimed output could not be replayed at all (no trace).
     * Equal to the claim's root when only the sampling of the claimed tokens is wrong: no game can judge that (v1).
     */
    public byte[] disputeRoot() {
        return traceRoot != null && !java.util.Arrays.equals(traceRoot, new byte[32]) ? traceRoot : ownTraceRoot();
    }
}
