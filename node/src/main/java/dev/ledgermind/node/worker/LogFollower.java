package dev.ledgermind.node.worker;

import dev.ledgermind.chain.events.ChainEvents;
import dev.ledgermind.chain.events.TaskEvent;
import dev.ledgermind.node.store.NodeStore;

import java.util.List;

/**
 * Follows the TaskMarket's events ({@link ChainEvents#between}, typed, in chain order) from a durable
 * cursor, with no gaps.
 *
 * <p>Each {@link #poll} reads the blocks {@code [cursor, min(latest, cursor + maxRange - 1)]}, hands their
 * events to the handler in chain order, and only then advances the stored cursor past them. A crash or an
 * RPC failure before the cursor moves makes the next poll read the same blocks again, so handlers must be
 * idempotent (the worker's are: the store ignores a task it already knows). Polling rather than a
 * websocket subscription is what makes restarts and RPC reconnects gap-free.
 */
public final class LogFollower {
    private final ChainEvents events;
    private final NodeStore store;
    private final long startBlock;
    private final int maxRange;

    public LogFollower(ChainEvents events, NodeStore store, long startBlock, int maxRange) {
        this.events = events;
        this.store = store;
        this.startBlock = startBlock;
        this.maxRange = maxRange;
    }

    public interface Handler {
        void onEvent(TaskEvent event) throws Exception;
    }

    /**
     * Reads and handles the next range of blocks. Returns the number of events handled. Throws
     * ChainException when the RPC fails; the cursor then stays where it was.
     */
    public int poll(Handler handler) throws Exception {
        long from = store.nextBlock(startBlock);
        long latest = events.blockNumber();
        if (from > latest) return 0;
        long to = Math.min(latest, from + maxRange - 1);
        List<TaskEvent> batch = events.between(from, to);
        for (TaskEvent e : batch) handler.onEvent(e);
        store.advanceCursor(to + 1);
        return batch.size();
    }
}
