package dev.ledgermind.chain;

/** A task's phase, as TaskMarket.phaseOf derives it from its status, bitmaps and the block time. */
public enum TaskPhase {
    /** no such task */
    NONE,
    /** waiting for all k commitments, before the commit deadline */
    COMMITTING,
    /** all committed; reveals open until the reveal deadline */
    REVEALING,
    /** a deadline passed or all revealed: {@code finalize} will act */
    FINALIZABLE,
    /** final: a result reached the quorum */
    ACCEPTED,
    /** final: the fee was refunded */
    REFUNDED,
    /**
     * a quorum accepted a result but not every seat revealed it: nothing is paid or slashed until
     * {@link TaskState#heldUntil()}, and until then a dissenting seat may {@code challenge}; after it, FINALIZABLE
     */
    HELD,
    /** a dissenting seat challenged the held result: frozen until {@link TaskState#heldUntil()}, then FINALIZABLE */
    CHALLENGED,
    /**
     * an optimistic task, open until its deadline (waiting for its claim, in its challenge window, or in a game:
     * {@link OptimisticTasks#state} tells which), then FINALIZABLE
     */
    OPTIMISTIC;

    static TaskPhase of(int ordinal) {
        TaskPhase[] all = values();
        if (ordinal < 0 || ordinal >= all.length) throw new ChainException("unknown task phase " + ordinal);
        return all[ordinal];
    }

    public boolean isFinal() {
        return this == ACCEPTED || this == REFUNDED;
    }
}
