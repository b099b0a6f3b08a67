package dev.ledgermind.node.bench;

import dev.ledgermind.chain.SubmittedTask;
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
    public record Result(int tasks, int k, int concurrency, double seconds, double tasksPerSecond,
                         double medianSeconds, double p95Seconds, double meanGasPerTask, int accepted) {}

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
        return new Result(tasks, k, concurrency, seconds, tasks / seconds, percentile(sorted, 0.5), percentile(sorted, 0.95),
                gas, accepted);
    }

    /** Nearest-rank percentile of sorted values. */
    static double percentile(double[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
}
