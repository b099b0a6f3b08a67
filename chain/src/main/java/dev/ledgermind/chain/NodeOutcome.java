package dev.ledgermind.chain;

/**
 * How one node fared in one finalized task, as {@code ITaskRecords.NodeOutcome} defines it: the single
 * outcome rule, computed by the contract ({@code TaskMarket.outcomeOf}) and read by workers and requesters.
 */
public enum NodeOutcome {
    /** not (or no longer) one of the task's nodes, or the task is not final */
    NONE,
    /** revealed the accepted result and was paid */
    AGREED,
    /** revealed another result than the accepted one and was slashed */
    DISSENTED,
    /** never committed or never revealed, and was slashed */
    ABSENT,
    /** revealed, but no result reached the quorum (the fee was refunded) */
    INCONCLUSIVE;

    static NodeOutcome of(int ordinal) {
        NodeOutcome[] all = values();
        if (ordinal < 0 || ordinal >= all.length) throw new ChainException("unknown node outcome " + ordinal);
        return all[ordinal];
    }

    /** The receipt's and the ERC-8004 record's word for it. */
    public String verdict() {
        return name().toLowerCase();
    }
}
