package dev.ledgermind.node.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A node's counters and timers, in Prometheus text format at {@code GET /metrics} on a loopback port
 * (0 picks a free one). Names follow Prometheus conventions: {@code ledgermind_tasks_seen_total},
 * {@code ledgermind_inference_seconds}, {@code ledgermind_tx_latency_seconds{kind="commit"}} and so on.
 */
public final class NodeMetrics implements AutoCloseable {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    public final Counter seen = counter("ledgermind.tasks.seen", "tasks assigned to this node");
    public final Counter computed = counter("ledgermind.tasks.computed", "tasks whose result this node computed");
    public final Counter committed = counter("ledgermind.tasks.committed", "commitments this node sent");
    public final Counter revealed = counter("ledgermind.tasks.revealed", "reveals this node sent");
    public final Counter won = counter("ledgermind.tasks.won", "finalized tasks where this node agreed with the accepted result");
    public final Counter slashed = counter("ledgermind.tasks.slashed", "finalized tasks where this node was slashed");
    public final Counter txRetries = counter("ledgermind.tx.retries", "transactions re-sent after an RPC or nonce problem");
    private final Timer inference = Timer.builder("ledgermind.inference").description("time to compute one task")
            .publishPercentiles(0.5, 0.95).register(registry);
    private HttpServer server;

    private Counter counter(String name, String help) {
        return Counter.builder(name).description(help).register(registry);
    }

    public void recordInference(Duration d) {
        inference.record(d);
    }

    public void recordTx(String kind, Duration d) {
        Timer.builder("ledgermind.tx.latency").description("time from sending a transaction to its receipt")
                .tag("kind", kind).publishPercentiles(0.5, 0.95).register(registry).record(d);
    }

    /** The current metrics in Prometheus text exposition format. */
    public String scrape() {
        return registry.scrape();
    }

    /** Serves {@code /metrics} on 127.0.0.1:port; returns the bound port. */
    public synchronized int serve(int port) throws IOException {
        if (server != null) return server.getAddress().getPort();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 0);
        server.createContext("/metrics", exchange -> {
            byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server.getAddress().getPort();
    }

    @Override
    public synchronized void close() {
        if (server != null) server.stop(0);
        registry.close();
    }
}
