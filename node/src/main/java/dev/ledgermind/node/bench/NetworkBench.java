package dev.ledgermind.node.bench;

import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.node.client.BatchingRequester;
import dev.ledgermind.node.task.TaskKind;
import org.web3j.protocol.core.DefaultBlockParameter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.network.LocalNetwork;
import dev.ledgermind.node.task.TaskInput;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * End-to-end throughput and latency of verified tasks on a {@link LocalNetwork}: submits {@code tasks}
 * classify tasks at redundancy {@code k}, {@code concurrency} at a time, and measures for each the time
 * from sending the submit transaction to seeing it final on chain.
 */
public final class NetworkBench {
    /**
     * @param p95BlocksAfterRevealOpens p95 over tasks of (block of the task's final transaction) minus (block of
     *                                  its last commit, which opens the reveal phase)
     */
    public record Result(int tasks, int k, int concurrency, double seconds, double tasksPerSecond,
                         double medianSeconds, double p95Seconds, double meanGasPerTask, int accepted,
                         double p99Seconds, double medianBlocksAfterRevealOpens, double p95BlocksAfterRevealOpens) {}

    private static final String[] TEXTS = {
            "My order arrived broken and nobody answers my emails.",
            "Thank you, the support team was quick and friendly!",
            "How do I change the delivery address of my order?",
            "The new update drains my battery in two hours.",
            "Great product, works exactly as described.",
            "Can I pay with a bank transfer?",
    };
    private static final List<String> LABELS = List.of("complaint", "praise", "question");

    private NetworkBench() {}

    public static Result run(LocalNetwork net, String model, int tasks, int k, int concurrency, Consumer<String> progress)
            throws Exception {
        int modelId = net.modelId(model);
        BigInteger fee = BigInteger.TEN.pow(16);
        double[] latencies = new double[tasks];
        List<Receipt> receipts = new ArrayList<>();
        long t0 = System.nanoTime();
        try (ExecutorService pool = Executors.newFixedThreadPool(concurrency)) {
            List<Future<Receipt>> futures = new ArrayList<>();
            for (int i = 0; i < tasks; i++) {
                final int n = i;
                // one requester account per worker thread: each has its own nonce sequence
                futures.add(pool.submit(() -> {
                    Requester requester = new Requester(net.requester());
                    TaskInput input = TaskInput.classify(model, TEXTS[n % TEXTS.length] + " (" + n + ")", LABELS);
                    long start = System.nanoTime();
                    SubmittedTask task;
                    synchronized (NetworkBench.class) { // one requester key: serialise its nonces
                        task = requester.submit(input, modelId, k, fee);
                    }
                    Receipt r = requester.await(task.taskId(), Duration.ofMinutes(3), line -> { });
                    latencies[n] = (System.nanoTime() - start) / 1e9;
                    progress.accept("task " + task.taskId() + " final in " + String.format("%.1f", latencies[n]) + " s");
                    return r;
                }));
            }
            for (Future<Receipt> f : futures) receipts.add(f.get());
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double[] sorted = latencies.clone();
        Arrays.sort(sorted);
        double gas = receipts.stream().mapToDouble(r -> r.totalGas().doubleValue()).average().orElse(0);
        int accepted = (int) receipts.stream().filter(Receipt::accepted).count();
        double[] afterReveal = receipts.stream().mapToDouble(NetworkBench::blocksAfterRevealOpens).sorted().toArray();
        return new Result(tasks, k, concurrency, seconds, tasks / seconds, percentile(sorted, 0.5), percentile(sorted, 0.95),
                gas, accepted, percentile(sorted, 0.99), percentile(afterReveal, 0.5), percentile(afterReveal, 0.95));
    }

    /** Blocks from a task's last commit (the reveal phase opens) to its last transaction (final). */
    static double blocksAfterRevealOpens(Receipt r) {
        long lastCommit = r.transactions().stream().filter(t -> t.kind().equals("commit")).mapToLong(Receipt.Tx::block).max().orElse(-1);
        long last = r.transactions().stream().filter(t -> !t.kind().equals("claim")).mapToLong(Receipt.Tx::block).max().orElse(-1);
        return lastCommit < 0 ? Double.NaN : last - lastCommit;
    }

    // ---- batched (issue 13): `bench network --batch N`

    /**
     * The batched run's figures. Latency is per request, from handing it to the batching client to seeing its
     * batch accepted on chain; gas is every transaction of the run's blocks (submissions, commits, reveals,
     * claims: the block's gasUsed, so nothing is missed) divided by the verified results.
     */
    public record BatchedResult(int tasks, int batchSize, long maxDelayMillis, int k, int batches, int verified, double seconds,
                                double tasksPerSecond, double medianSeconds, double p95Seconds, double p99Seconds,
                                double gasPerResult, long firstBlock, long lastBlock, List<Double> batchFinalSeconds) {
        /**
         * Verified tasks per second between the first batch's finality and the last's: the rate once every node
         * has work queued (the whole run's rate also pays for filling the pipeline, one batch's compute).
         */
        public double steadyTasksPerSecond() {
            if (batchFinalSeconds.size() < 2) return Double.NaN;
            double span = batchFinalSeconds.getLast() - batchFinalSeconds.getFirst();
            return span <= 0 ? Double.NaN : (verified - (double) verified / batches) / span;
        }
    }

    /**
     * Hands {@code tasks} classify requests to a {@link BatchingRequester} (up to {@code batchSize} per batch or
     * {@code maxDelayMillis}) as fast as it takes them, waits until every batch is final, then until the nodes'
     * claims have landed (two blocks with no transaction, or 15 s), and sums the gas of every block in between.
     */
    public static BatchedResult runBatched(LocalNetwork net, String model, int tasks, int k, int batchSize, long maxDelayMillis,
                                           int submitsInFlight, Consumer<String> progress) throws Exception {
        return runBatched(net, model, tasks, k, batchSize, maxDelayMillis, submitsInFlight, false, progress);
    }

    /**
     * {@code offchain}: the batches go root-only ({@code submitBatchRoot}), their items served by the requester's
     * {@link dev.ledgermind.node.client.BatchItemServer} on loopback and fetched by the nodes (issue 13, data availability).
     */
    public static BatchedResult runBatched(LocalNetwork net, String model, int tasks, int k, int batchSize, long maxDelayMillis,
                                           int submitsInFlight, boolean offchain, Consumer<String> progress) throws Exception {
        try (var items = offchain ? dev.ledgermind.node.client.BatchItemServer.onLoopback() : null) {
            return runBatched(net, model, tasks, k, batchSize, maxDelayMillis, submitsInFlight, items, progress);
        }
    }

    private static BatchedResult runBatched(LocalNetwork net, String model, int tasks, int k, int batchSize, long maxDelayMillis,
                                            int submitsInFlight, dev.ledgermind.node.client.BatchItemServer items,
                                            Consumer<String> progress) throws Exception {
        int modelId = net.modelId(model);
        BatchMarket market = new BatchMarket(net.requester());
        BigInteger fee = BigInteger.TEN.pow(16);
        long firstBlock = net.web3().ethBlockNumber().send().getBlockNumber().longValueExact() + 1;
        long[] start = new long[tasks];
        long[] end = new long[tasks];
        List<CompletableFuture<BatchingRequester.Placed>> placed = new ArrayList<>();
        long t0 = System.nanoTime();
        try (BatchingRequester client = new BatchingRequester(market, modelId, k, batchSize, maxDelayMillis, submitsInFlight, items);
             ExecutorService producer = Executors.newSingleThreadExecutor()) {
            Future<?> fed = producer.submit(() -> {
                for (int i = 0; i < tasks; i++) {
                    byte[] input = TaskInput.classify(model, TEXTS[i % TEXTS.length] + " (" + i + ")", LABELS).bytes();
                    start[i] = System.nanoTime();
                    var f = client.request(BatchItem.inline(TaskKind.CLASSIFY.code, 0, 0, i, fee, input));
                    synchronized (placed) {
                        placed.add(f);
                    }
                }
                client.flushNow();
            });
            // follow the batches as they are placed: each one's state until it is final
            Map<BigInteger, List<Integer>> open = new LinkedHashMap<>();
            int seen = 0, finals = 0, verified = 0, batches = 0;
            List<Double> batchFinal = new ArrayList<>();
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (finals < tasks) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("batched bench: " + (tasks - finals) + " requests not final after 10 min");
                List<CompletableFuture<BatchingRequester.Placed>> now;
                synchronized (placed) {
                    now = List.copyOf(placed);
                }
                while (seen < now.size() && now.get(seen).isDone()) {
                    BatchingRequester.Placed p = now.get(seen).get();
                    if (!open.containsKey(p.batchId())) batches++;
                    open.computeIfAbsent(p.batchId(), b -> new ArrayList<>()).add(seen);
                    seen++;
                }
                if (fed.isDone()) fed.get(); // a failed producer fails the bench
                for (var it = open.entrySet().iterator(); it.hasNext(); ) {
                    var e = it.next();
                    int status = market.state(e.getKey()).status();
                    if (status == BatchMarket.BatchState.ACTIVE || status == BatchMarket.BatchState.HELD) continue;
                    long t = System.nanoTime();
                    for (int i : e.getValue()) end[i] = t;
                    batchFinal.add(Math.round((t - t0) / 1e8) / 10.0);
                    finals += e.getValue().size();
                    if (status == BatchMarket.BatchState.ACCEPTED) verified += e.getValue().size();
                    progress.accept("batch " + e.getKey() + ": " + e.getValue().size() + " items "
                            + (status == BatchMarket.BatchState.ACCEPTED ? "accepted" : "refunded") + ", " + finals + "/" + tasks + " final");
                    it.remove();
                }
                Thread.sleep(100);
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            long lastBlock = awaitQuiet(net, progress);
            BigInteger gas = BigInteger.ZERO;
            for (long b = firstBlock; b <= lastBlock; b++) {
                gas = gas.add(net.web3().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(b)), false).send()
                        .getBlock().getGasUsed());
            }
            double[] lat = new double[tasks];
            for (int i = 0; i < tasks; i++) lat[i] = (end[i] - start[i]) / 1e9;
            Arrays.sort(lat);
            return new BatchedResult(tasks, batchSize, maxDelayMillis, k, batches, verified, seconds, verified / seconds,
                    percentile(lat, 0.5), percentile(lat, 0.95), percentile(lat, 0.99),
                    verified == 0 ? Double.NaN : gas.doubleValue() / verified, firstBlock, lastBlock, List.copyOf(batchFinal));
        }
    }

    /** Waits until two blocks in a row hold no transaction (the nodes have claimed), at most 15 s; the last block with one. */
    private static long awaitQuiet(LocalNetwork net, Consumer<String> progress) throws Exception {
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        long lastBusy = net.web3().ethBlockNumber().send().getBlockNumber().longValueExact();
        while (System.nanoTime() < until) {
            Thread.sleep(500);
            long head = net.web3().ethBlockNumber().send().getBlockNumber().longValueExact();
            for (long b = lastBusy + 1; b <= head; b++) {
                var block = net.web3().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(b)), false).send().getBlock();
                if (!block.getTransactions().isEmpty()) lastBusy = b;
            }
            if (head >= lastBusy + 2) return lastBusy;
        }
        progress.accept("transactions still landing after 15 s; gas counted up to the last busy block");
        return lastBusy;
    }
    // ---- end of batched

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
