package dev.ledgermind.gateway.bench;

import dev.ledgermind.gateway.Gateway;
import dev.ledgermind.gateway.GatewayConfig;
import dev.ledgermind.gateway.LocalModel;
import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.task.EncoderTasks;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A closed-loop load generator on loopback for {@code POST /v1/embeddings} on the local backend: C
 * clients, each sending the next request as soon as the last answered, for a fixed time after a warm-up.
 * It reports requests/s and latency percentiles, and the same work done by calling the engine directly
 * (EncoderTasks.embed, one caller), measured in alternating rounds; with one client the gateway's overhead
 * is the difference of the two medians, and {@code GET /health} gives the bare HTTP round trip on loopback.
 */
public final class EmbeddingsBench {
    public record Result(int clients, int texts, double seconds, int requests, int errors, double requestsPerSecond,
                         double p50Ms, double p90Ms, double p99Ms, double maxMs, double directPerSecond, double directP50Ms,
                         double directP90Ms, double overheadP50Ms, double healthP50Ms,
                         double engineInGatewayMeanMs, double gatewayMeanMs) {}

    private EmbeddingsBench() {}

    /**
     * Measures in {@code rounds} alternating rounds (engine directly, then through the gateway), so that a
     * change in the machine's load during the run falls on both sides alike.
     */
    public static Result run(String model, int clients, int texts, Duration warmup, Duration measure, int rounds) throws Exception {
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < texts; i++) batch.add("Sentence number " + i + " about ledgers, receipts and verifiable answers.");
        StringBuilder body = new StringBuilder("{\"model\":\"" + model + "\",\"input\":[");
        for (int i = 0; i < texts; i++) body.append(i > 0 ? "," : "").append('"').append(batch.get(i)).append('"');
        body.append("]}");
        EncoderModel enc = EncoderModel.load(model);
        Duration slice = measure.dividedBy(rounds);
        List<Long> direct = new ArrayList<>(), viaGateway = new ArrayList<>(), health = new ArrayList<>();
        double directSecs = 0, gatewaySecs = 0;
        double engineInGateway;
        AtomicInteger errors = new AtomicInteger();
        try (Parallel par = new Parallel(KernelConfig.defaultThreads());
             Gateway g = Gateway.start(GatewayConfig.defaults(), List.of(LocalModel.load(model)), null)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest req = HttpRequest.newBuilder(URI.create(g.url() + "/v1/embeddings")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
            long warmEnd = System.nanoTime() + warmup.toNanos();
            while (System.nanoTime() < warmEnd) {
                EncoderTasks.embed(enc, batch, KernelConfig.defaults(), par);
                http.send(req, HttpResponse.BodyHandlers.discarding());
            }
            HttpRequest ping = HttpRequest.newBuilder(URI.create(g.url() + "/health")).GET().build();
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < 50; i++) {
                    long s = System.nanoTime();
                    http.send(ping, HttpResponse.BodyHandlers.discarding());
                    health.add(System.nanoTime() - s);
                }
                long t0 = System.nanoTime(), end = t0 + slice.toNanos();
                while (System.nanoTime() < end) {
                    long s = System.nanoTime();
                    EncoderTasks.embed(enc, batch, KernelConfig.defaults(), par);
                    direct.add(System.nanoTime() - s);
                }
                directSecs += (System.nanoTime() - t0) / 1e9;
                long g0 = System.nanoTime(), gEnd = g0 + slice.toNanos();
                List<Thread> threads = new ArrayList<>();
                List<List<Long>> perClient = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    List<Long> lat = new ArrayList<>();
                    perClient.add(lat);
                    threads.add(Thread.ofPlatform().name("load-" + c).start(() -> {
                        while (System.nanoTime() < gEnd) {
                            long s = System.nanoTime();
                            try {
                                if (http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) errors.incrementAndGet();
                            } catch (Exception e) {
                                errors.incrementAndGet();
                            }
                            lat.add(System.nanoTime() - s);
                        }
                    }));
                }
                for (Thread t : threads) t.join();
                gatewaySecs += (System.nanoTime() - g0) / 1e9;
                perClient.forEach(viaGateway::addAll);
            }
            String m = http.send(HttpRequest.newBuilder(URI.create(g.url() + "/metrics")).GET().build(), HttpResponse.BodyHandlers.ofString()).body();
            engineInGateway = 1000 * metric(m, "ledgermind_gateway_engine_duration_seconds_sum") / metric(m, "ledgermind_gateway_engine_duration_seconds_count");
        }
        long[] d = direct.stream().mapToLong(Long::longValue).sorted().toArray();
        long[] all = viaGateway.stream().mapToLong(Long::longValue).sorted().toArray();
        long[] h = health.stream().mapToLong(Long::longValue).sorted().toArray();
        return new Result(clients, texts, gatewaySecs, all.length, errors.get(), all.length / gatewaySecs, pct(all, 0.50), pct(all, 0.90),
                pct(all, 0.99), all.length == 0 ? 0 : all[all.length - 1] / 1e6, d.length / directSecs, pct(d, 0.50), pct(d, 0.90),
                pct(all, 0.50) - pct(d, 0.50), pct(h, 0.50), engineInGateway,
                viaGateway.stream().mapToLong(Long::longValue).average().orElse(0) / 1e6);
    }

    /** One series' value (summed over labels) from Prometheus text. */
    private static double metric(String text, String name) {
        double sum = 0;
        for (String line : text.split("\n")) {
            if (line.startsWith(name + "{") || line.startsWith(name + " ")) sum += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
        }
        return sum;
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) return 0;
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }
}
