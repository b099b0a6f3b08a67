package dev.ledgermind.node.store;

/**
 * A worker's progress on one assigned task, in the only order it may move:
 * {@code ASSIGNED -> COMPUTED -> COMMIT_SENT -> COMMITTED -> REVEAL_SENT -> REVEALED -> FINALIZED},
 * or to {@code FAILED} (with a reason) from any state before FINALIZED. FINALIZED and FAILED are both
 * terminal; the chain's settlement of a task is recorded (as its outcome) in either of them, so that
 * a task that failed locally and was then settled on chain is a normal, quiet case.
 *
 * <p>The durability rules the worker relies on: the salt and result are stored (COMPUTED) before a
 * commit transaction is built, so a crash can never make the node commit with a salt it then forgets;
 * the signed commit transaction's hash is stored (COMMIT_SENT) before the transaction is broadcast, so
 * after a restart the node first asks the chain about that transaction (still pending: wait; mined or
 * unknown: read the chain's commitment) and never has two of its commits in flight. The same holds for
 * the reveal (REVEAL_SENT). The chain's own {@code AlreadyCommitted} check is the last line of defence,
 * not the first.
 */
public enum TaskState {
    ASSIGNED, COMPUTED, COMMIT_SENT, COMMITTED, REVEAL_SENT, REVEALED, FINALIZED, FAILED;

    /** FINALIZED or FAILED: the worker does nothing more for the task. */
    public boolean isTerminal() {
        return this == FINALIZED || this == FAILED;
    }

    public boolean isAtLeast(TaskState other) {
        return this != FAILED && other != FAILED && ordinal() >= other.ordinal();
    }
}
