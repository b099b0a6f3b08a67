package dev.ledgermind.node.worker;

import dev.ledgermind.chain.Deployment;
import dev.ledgermind.node.feed.FeedServer;
import dev.ledgermind.node.feed.TokenFeed;
import dev.ledgermind.node.metrics.NodeMetrics;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.TaskRunner;
import dev.ledgermind.node.task.TaskRunners;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Entry point of a worker node process: {@code WorkerMain CONFIG.json}. Runs until SIGTERM (or Ctrl-C),
 * then finishes the current step and closes its store. Exit code 1 with one line on stderr when the
 * configuration is wrong or the node cannot join.
 */
public final class WorkerMain {
    private static final Logger log = LoggerFactory.getLogger(WorkerMain.class);

    private WorkerMain() {}

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: WorkerMain NODE_CONFIG.json");
            System.exit(2);
        }
        try {
            run(NodeConfig.read(Path.of(args[0])));
        } catch (Exception e) {
            System.err.println("error: node failed: " + e.getMessage());
            log.debug("node failure", e);
            System.exit(1);
        }
    }

    public static void run(NodeConfig config) throws Exception {
        TaskRunner runner = TaskRunners.forModels(config.models());
        Web3j web3 = Web3j.build(new HttpService(config.rpcUrl()));
        NodeStore store = NodeStore.open(config.store());
        NodeMetrics metrics = new NodeMetrics();
        TokenFeed feed = config.feedEnabled() ? new TokenFeed(256) : null;
        Worker worker = new Worker(config, web3, runner, store, metrics, feed);
        FeedServer feedServer = null;
        if (feed != null) {
            Deployment d = worker.chain().deployment();
            // a public feedUrl means the feed is for other machines: listen on every interface
            feedServer = new FeedServer(feed, new FeedServer.Context(config.name(), d.chainId(), d.taskMarket(), d.agentRegistry(),
                    worker::agentId, worker::requesterOf, id -> dev.ledgermind.node.batch.BatchWorker.publishedReceipts(store, id)
                            .or(() -> worker.optimisticReceipts(id)),
                    worker::batchClaim), config.feedUrl() == null ? "127.0.0.1" : "0.0.0.0", config.feedPort(),
                    config.feedUrl(), Duration.ofMinutes(2), Duration.ofSeconds(10), 64);
            worker.advertise(feedServer.cardUrl());
        }
        CountDownLatch done = new CountDownLatch(1);
        Thread hook = new Thread(() -> {
            worker.stop();
            try {
                done.await();
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
        }, "worker-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            long t0 = System.nanoTime();
            runner.warmUp();
            log.info("event=warmed-up node={} ms={}", config.name(), (System.nanoTime() - t0) / 1_000_000);
            worker.join();
            if (feedServer == null && worker.optimisticBatches() != null) {
                // issue 13: an optimistic batch's checkers fetch its claim from the worker's HTTP face
                log.warn("event=optimistic-claims-not-served node={} reason=\"no feedPort: the claims of the optimistic batches this node"
                        + " works are not served, so their validators cannot audit them\"", config.name());
            }
            int port = metrics.serve(config.metricsPort());
            log.info("event=started node={} agent={} metrics=http://127.0.0.1:{}/metrics feed={} dishonesty={}",
                    config.name(), worker.agentId(), port, feedServer == null ? "off" : feedServer.cardUrl(), config.dishonesty());
            System.out.println("READY agent=" + worker.agentId() + " metricsPort=" + port);
            System.out.flush();
            worker.run();
        } finally {
            if (feedServer != null) feedServer.close();
            metrics.close();
            store.close();
            web3.shutdown();
            done.countDown();
        }
    }
}
