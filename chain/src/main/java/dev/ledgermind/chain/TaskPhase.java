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
    REFUNDED;

    static TaskPhase of(int ordinal) {
        TaskPhase[] all = values();
        if (ordinal < 0 || ordinal >= all.length) throw new ChainException("unknown task phase " + ordinal);
        return all[ordinal];
    }

    public boolean isFinal() {
        return this == ACCEPTED || this == REFUNDED;
    }
}
