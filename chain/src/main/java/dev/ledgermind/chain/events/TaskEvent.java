package dev.ledgermind.chain.events;

import java.math.BigInteger;
import java.util.List;

/**
 * One TaskMarket event of a task, decoded: what the requester client, the receipt and the explorer read.
 * Every event carries where it happened: the transaction hash and block number. Hashes are 32-byte arrays.
 */
public sealed interface TaskEvent {
    BigInteger taskId();

    String txHash();

    long block();

    /**
     * The task entered the market: its requester, model, inline input, redundancy, fee and seats (drawn from
     * the pool the submission froze with its block's hash: the contract's preview while the first commit is
     * still to draw them, then the seats as the chain holds them).
     */
    record Submitted(BigInteger taskId, String txHash, long block, String requester, int modelId, byte[] inputHash,
                     byte[] input, int k, int mode, BigInteger fee, List<Long> nodes) implements TaskEvent {}

    record Committed(BigInteger taskId, String txHash, long block, long agentId) implements TaskEvent {}

    record Revealed(BigInteger taskId, String txHash, long block, long agentId, byte[] resultHash, byte[] traceRoot,
                    byte[] output) implements TaskEvent {}

    record Slashed(BigInteger taskId, String txHash, long block, long agentId, BigInteger amount) implements TaskEvent {}

    /** A node that missed a deadline was replaced at {@code position} by a newly drawn one. */
    record Replaced(BigInteger taskId, String txHash, long block, int position, long oldAgentId, long newAgentId)
            implements TaskEvent {}

    /**
     * A quorum accepted {@code resultHash} but not unanimously: nothing is paid or slashed before
     * {@code releaseAt} (unix seconds), and until then a dissenting seat may challenge.
     */
    /**
     * A commit timeout opened replacement round {@code round} for the positions in {@code positions} (a
     * bitmap); {@code seats} is what that round's draw gives (TaskMarket.drawSeats with the round's pool and
     * this log's block hash), by position, the pending positions included.
     */
    record RoundPending(BigInteger taskId, String txHash, long block, int round, int positions, List<Long> seats)
            implements TaskEvent {}

    record Held(BigInteger taskId, String txHash, long block, byte[] resultHash, int acceptedMask, long releaseAt)
            implements TaskEvent {}

    /** A dissenting seat challenged the held result with a bond; frozen until {@code resolvableAt} (unix seconds). */
    record Challenged(BigInteger taskId, String txHash, long block, long agentId, String challenger, BigInteger bond,
                      long resolvableAt) implements TaskEvent {}

    // ---- the optimistic mode (OptimisticSettlement's events, at the market's address)

    /** The drawn worker claimed a result (optimistic mode); final after {@code windowEnd} unless challenged. */
    record Claimed(BigInteger taskId, String txHash, long block, String blockHash, long agentId, byte[] resultHash,
                   byte[] traceRoot, byte[] output, int positions, int leafCount, long windowEnd) implements TaskEvent {}

    /** The claim block's hash decided the audit: {@code validator} audits it (0 and not audited: none). */
    record AuditDecided(BigInteger taskId, String txHash, long block, boolean audited, long validator) implements TaskEvent {}

    /** The drawn validator audited: {@code verdict} is passed, copied or disputed. */
    record Audited(BigInteger taskId, String txHash, long block, long agentId, String verdict) implements TaskEvent {}

    /** An agent challenged the claim with a bond: game {@code gameId} decides it. */
    record ClaimChallenged(BigInteger taskId, String txHash, long block, long agentId, String challenger, long gameId,
                           BigInteger bond) implements TaskEvent {}

    /** The dispute game of the claim ended: upheld ({@code claimerWins}) or overturned. */
    record GameResolved(BigInteger taskId, String txHash, long block, long gameId, boolean claimerWins) implements TaskEvent {}

    /** The task settled: accepted with a result, or refunded. {@code acceptedMask} bit i: position i agreed. */
    record Finalized(BigInteger taskId, String txHash, long block, boolean accepted, int acceptedMask, byte[] resultHash,
                     byte[] traceRoot, BigInteger rewardPerNode, BigInteger refund) implements TaskEvent {}
}
