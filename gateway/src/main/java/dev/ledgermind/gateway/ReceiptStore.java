package dev.ledgermind.gateway;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The receipts this gateway issued for local answers, newest kept (a bounded LRU: a local receipt can
 * always be recomputed from its input, so losing an old one loses no evidence). Network receipts are not
 * stored: their id names the task, and the chain holds everything they say.
 */
final class ReceiptStore {
    /** A local receipt: its document, and the task to recompute when asked to verify it. */
    record Local(String id, String model, LocalTask task, Map<String, Object> document) {}

    private final int capacity;
    private final LinkedHashMap<String, Local> receipts;

    ReceiptStore(int capacity) {
        this.capacity = capacity;
        this.receipts = new LinkedHashMap<>(16, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Local> eldest) {
                return size() > ReceiptStore.this.capacity;
            }
        };
    }

    synchronized void put(Local r) {
        receipts.put(r.id(), r);
    }

    synchronized Optional<Local> local(String id) {
        return Optional.ofNullable(receipts.get(id)).filter(r -> r.task() != null);
    }

    /** The newest local receipts, newest first. */
    synchronized java.util.List<Local> recent(int n) {
        java.util.List<Local> all = new java.util.ArrayList<>(receipts.values());
        java.util.Collections.reverse(all);
        return all.subList(0, Math.min(n, all.size()));
    }

    /** Remembers a network receipt's id among the recent ones. */
    synchronized void noteNetwork(String id, Map<String, Object> document) {
        receipts.put(id, new Local(id, (String) document.get("model"), null, document));
    }

    /** The task id a network receipt id names ({@code task-N}), if it is one. */
    static Optional<BigInteger> taskId(String id) {
        if (!id.startsWith("task-")) return Optional.empty();
        try {
            BigInteger t = new BigInteger(id.substring(5));
            return t.signum() > 0 ? Optional.of(t) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    static String networkId(BigInteger taskId) {
        return "task-" + taskId;
    }
}
