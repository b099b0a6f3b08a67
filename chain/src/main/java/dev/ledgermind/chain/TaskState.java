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
 * @param acceptedMask   once accepted, the positions that revealed the accepted result
 * @param commitDeadline unix seconds (0 once final)
 * @param revealDeadline unix seconds (0 once final)
 * @param finalizedAt    unix seconds (0 while active)
 * @param callback       whether the requester gets ILedgermindConsumer.onTaskFinalized
 */
public record TaskState(BigInteger taskId, String requester, TaskPhase phase, int k, int round, int modelId,
                        BigInteger fee, List<Long> nodes, int committedMask, int revealedMask, int acceptedMask,
                        long commitDeadline, long revealDeadline, long finalizedAt, boolean callback) {
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

    public boolean hasRevealed(long agentId) {
        int p = positionOf(agentId);
        return p >= 0 && (revealedMask & (1 << p)) != 0;
    }
}
