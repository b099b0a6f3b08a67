package dev.ledgermind.node.client;

import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * A requester client that batches automatically (issue 13): requests queue up until {@code maxItems} are
 * waiting or the oldest has waited {@code maxDelayMillis}, then go out as one {@code submitBatch} (one
 * transaction, one fee split per item). Each request's future completes with its place in the batch (the
 * batch id and item index: its request id is batchId << 32 | index), or fails with the submission's error.
 * The trade-off (docs/DESIGN.md 6.4): a larger batch costs less per result and waits longer.
 */
public final class BatchingRequester implements AutoCloseable {
    /** Where a request went: item {@code index} of batch {@code batchId}. */
    public record Placed(BigInteger batchId, int index, BatchMarket.SubmittedBatch batch) {
        public BigInteger requestId() {
            return batch.requestId(index);
        }
    }

    private record Pending(BatchItem item, CompletableFuture<Placed> done) {}

    private final BatchMarket market;
    private final int modelId;
    private final int k;
    private final int maxItems;
    private final long maxDelayMillis;
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "batching-requester");
        t.setDaemon(true);
        return t;
    });
    private final List<Pending> queue = new ArrayList<>();
    private ScheduledFuture<?> deadline;
    private boolean closed;
    /** Where submissions run when several may be in flight at once (null: on the flushing thread). */
    private final java.util.concurrent.ExecutorService submitters;
    /** Where off-chain batches' items are served (null: items inline). */
    private final BatchItemServer offchain;

    /**
     * @param maxItems flush when this many requests wait (1..4,096)
     * @param maxDelayMillis flush when the oldest waiting request has waited this long (>= 0)
     */
    public BatchingRequester(BatchMarket market, int modelId, int k, int maxItems, long maxDelayMillis) {
        this(market, modelId, k, maxItems, maxDelayMillis, 1);
    }

    /**
     * @param inFlight how many submissions may wait for their receipts at once (1: each flush waits for its
     *                 submission; more: flushes return at once and the submissions go out with consecutive nonces)
     */
    public BatchingRequester(BatchMarket market, int modelId, int k, int maxItems, long maxDelayMillis, int inFlight) {
        this(market, modelId, k, maxItems, maxDelayMillis, inFlight, null);
    }

    /**
     * @param offchain null: every batch's items go in {@code submitBatch}'s calldata; else each batch is published on
     *                 this server and submitted root-only ({@code submitBatchRoot}, its locator naming the server): the
     *                 cheap path (the calldata does not grow with the items), at the price of serving them until the
     *                 seats have fetched them (docs/DESIGN.md 6.4, data availability)
     */
    public BatchingRequester(BatchMarket market, int modelId, int k, int maxItems, long maxDelayMillis, int inFlight,
                             BatchItemServer offchain) {
        this.offchain = offchain;
        if (inFlight < 1) throw new IllegalArgumentException("inFlight " + inFlight + " is below 1");
        this.submitters = inFlight == 1 ? null : Executors.newFixedThreadPool(inFlight, r -> {
            Thread t = new Thread(r, "batching-submit");
            t.setDaemon(true);
            return t;
        });
        if (maxItems < 1 || maxItems > 4096) throw new IllegalArgumentException("maxItems " + maxItems + " is not in 1..4096");
        if (maxDelayMillis < 0) throw new IllegalArgumentException("maxDelayMillis " + maxDelayMillis + " is negative");
        this.market = market;
        this.modelId = modelId;
        this.k = k;
        this.maxItems = maxItems;
        this.maxDelayMillis = maxDelayMillis;
    }

    /** Queues one request; the future completes once its batch is submitted. */
    public CompletableFuture<Placed> request(BatchItem item) {
        CompletableFuture<Placed> done = new CompletableFuture<>();
        List<Pending> flush = null;
        synchronized (this) {
            if (closed) throw new IllegalStateException("the batching requester is closed");
            queue.add(new Pending(item, done));
            if (queue.size() >= maxItems) {
                flush = take();
            } else if (deadline == null) {
                deadline = timer.schedule(this::flushNow, maxDelayMillis, TimeUnit.MILLISECONDS);
            }
        }
        if (flush != null) submit(flush);
        return done;
    }

    /** Submits whatever is waiting now (nothing when the queue is empty). */
    public void flushNow() {
        List<Pending> flush;
        synchronized (this) {
            flush = take();
        }
        if (!flush.isEmpty()) submit(flush);
    }

    private List<Pending> take() {
        List<Pending> out = new ArrayList<>(queue);
        queue.clear();
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
        return out;
    }

    private void submit(List<Pending> batch) {
        if (submitters != null) {
            submitters.execute(() -> submitNow(batch));
        } else {
            submitNow(batch);
        }
    }

    private void submitNow(List<Pending> batch) {
        try {
            List<BatchItem> items = batch.stream().map(Pending::item).toList();
            BatchMarket.SubmittedBatch b = offchain == null ? market.submit(modelId, k, false, items)
                    : market.submitRoot(modelId, k, false, items, offchain.publish(items));
            for (int i = 0; i < batch.size(); i++) batch.get(i).done().complete(new Placed(b.batchId(), i, b));
        } catch (RuntimeException e) {
            for (Pending p : batch) p.done().completeExceptionally(e);
        }
    }

    /** Submits what is waiting and stops the timer. */
    @Override
    public void close() {
        synchronized (this) {
            closed = true;
        }
        flushNow();
        timer.shutdownNow();
        if (submitters != null) {
            submitters.shutdown(); // the submissions already handed over still complete their futures
            try {
                submitters.awaitTermination(2, TimeUnit.MINUTES);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
