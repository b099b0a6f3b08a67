package dev.ledgermind.node.store;

/**
 * A worker's progress on one assigned task, in the only order it may move:
 * {@code ASSIGNED -> COMPUTED -> COMMIT_SENT -> COMMITTED -> REVEAL_SENT -> REVEALED -> FINALIZED},
 * or to {@code FAILED} (with a reason) from any state before FINALIZED.
 *
 * <p>The durability rules the worker relies on: the salt and result are stored (COMPUTED) before a
 * commit transaction is built, so a crash can never make the node commit with a salt it then forgets;
 * the commit transaction's hash is stored (COMMIT_SENT) before it is broadcast is awaited, so after a
 * restart the node checks that transaction (or the chain's commitment) instead of committing twice.
 */
public enum TaskState {
    ASSIGNED, COMPUTED, COMMIT_SENT, COMMITTED, REVEAL_SENT, REVEALED, FINALIZED, FAILED;

    public boolean isAtLeast(TaskState other) {
        return this != FAILED && other != FAILED && ordinal() >= other.ordinal();
    }
}
