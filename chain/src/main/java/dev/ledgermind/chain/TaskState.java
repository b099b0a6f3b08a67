package dev.ledgermind.chain;

import java.math.BigInteger;
import java.util.List;

/**
 * A task as the chain holds it.
 *
 * @param taskId         the task
 * @param requester      who submitted it
 * @param phase          its phase now
 * @param k              redundancy
 * @param round          replacement rounds so far
 * @param modelId        the model
 * @param fee            wei in escrow (or paid out / refunded once final)
 * @param nodes          assigned agent ids by position (after replacements)
 * @param committedMask  bit i set when position i committed
 * @param revealedMask   bit i set when position i revealed
 * @param acceptedMask   once accepted (or while held), the positions that revealed the accepted (held) result
 * @param commitDeadline unix seconds (0 once final)
 * @param revealDeadline unix seconds (0 once final)
 * @param finalizedAt    unix seconds (0 while active)
 * @param callback       whether the requester gets ILedgermindConsumer.onTaskFinalized
 * @param heldUntil      unix seconds: a held split's end of challenge window, a challenge's resolution time
 *                       (0 otherwise)
 */
public record TaskState(BigInteger taskId, String requester, TaskPhase phase, int k, int round, int modelId,
                        BigInteger fee, List<Long> nodes, int committedMask, int revealedMask, int acceptedMask,
                        long commitDeadline, long revealDeadline, long finalizedAt, boolean callback,
                        long heldUntil) {
    public TaskState {
        nodes = List.copyOf(nodes);
    }

    /** The position of an agent in this task, or -1. */
    public int positionOf(long agentId) {
        return nodes.indexOf(agentId);
    }

    public boolean hasCommitted(long agentId) {
        int p = positionOf(agentId);
        return p >= 0 && (committedMask & (1 << p)) != 0;
    }

    /** Whether all k positions have committed: the contract's condition for the reveal phase to open. */
    public boolean allCommitted() {
        int full = (1 << k) - 1;
        return (committedMask & full) == full;
    }

    /** Whether this task is a held or challenged split (paid or refunded only after {@link #heldUntil()}). */
    public boolean held() {
        return phase == TaskPhase.HELD || phase == TaskPhase.CHALLENGED;
    }

    /**
     * Whether {@code agentId} revealed a result other than the held one: it may challenge while the task is
     * {@link TaskPhase#HELD}.
     */
    public boolean dissentsFromHeld(long agentId) {
        if (phase != TaskPhase.HELD) return false;
        for (int p = 0; p < nodes.size(); p++) {
            if (nodes.get(p) == agentId && (revealedMask & ~acceptedMask & (1 << p)) != 0) return true;
        }
        return false;
    }

    public boolean hasRevealed(long agentId) {
        int p = positionOf(agentId);
        return p >= 0 && (revealedMask & (1 << p)) != 0;
    }
}
