package dev.ledgermind.node.store;

import java.math.BigInteger;

/**
 * What a node has stored about its part in one optimistic task (docs/DESIGN.md section 5), one row per (task,
 * role). {@code role}: WORKER (drawn to claim it), VALIDATOR (drawn to audit its claim), WATCHER (a validator
 * node replaying every claim of its models). {@code state} moves forward only:
 * <ul>
 *   <li>WORKER: {@code ASSIGNED -> COMPUTED -> CLAIM_SENT -> CLAIMED}; the result, trace shape and lane are
 *       durable (COMPUTED) before the claim is built, and the claim's transaction hash before it is sent;</li>
 *   <li>VALIDATOR: {@code DUE -> AUDIT_SENT -> AUDITED};</li>
 *   <li>WATCHER: {@code WATCHING -> CHALLENGE_SENT -> CHALLENGED}, or {@code WATCHING -> AGREED};</li>
 *   <li>then {@code FINAL} (with the chain's outcome) or {@code FAILED} (with a reason).</li>
 * </ul>
 * {@code lane} is the commitment lane the claim or audit holds until the task is final (null before).
 */
public record OptimisticRecord(BigInteger taskId, String role, String state, int modelId, byte[] input, byte[] resultHash,
                               byte[] traceRoot, byte[] output, byte[] tokensHash, int positions, int leafCount, Integer lane,
                               String tx, String outcome, String error) {
    public boolean finished() {
        return "FINAL".equals(state) || "FAILED".equals(state);
    }
}
