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
 * (EncoderTasks.embed, one caller), so the gateway's overhead is the difference per request.
 */
public final class EmbeddingsBench {
    public record Result(int clients, int texts, double seconds, int requests, int errors, double requestsPerSecond,
                         double p50Ms, double p90Ms, double p99Ms, double maxMs, double directPerSecond, double directMeanMs,
                         double overheadMs) {}

    private EmbeddingsBench() {}

    public static Result run(String model, int clients, int texts, Duration warmup, Duration measure) throws Exception {
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < texts; i++) batch.add("Sentence number " + i + " about ledgers, receipts and verifiable answers.");
        StringBuilder body = new StringBuilder("{\"model\":\"" + model + "\",\"input\":[");
        for (int i = 0; i < texts; i++) body.append(i > 0 ? "," : "").append('"').append(batch.get(i)).append('"');
        body.append("]}");

        // direct: the engine alone, the same texts, one caller at a time (the gateway serialises a model too)
        EncoderModel enc = EncoderModel.load(model);
        double directMean;
        double directRate;
        try (Parallel par = new Parallel(KernelConfig.defaultThreads())) {
            long until = System.nanoTime() + warmup.toNanos();
            while (System.nanoTime() < until) EncoderTasks.embed(enc, batch, KernelConfig.defaults(), par);
            int n = 0;
            long t0 = System.nanoTime(), end = t0 + measure.toNanos();
            while (System.nanoTime() < end) {
                EncoderTasks.embed(enc, batch, KernelConfig.defaults(), par);
                n++;
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            directRate = n / secs;
            directMean = secs * 1000 / n;
        }

        try (Gateway g = Gateway.start(GatewayConfig.defaults(), List.of(LocalModel.load(model)), null)) {
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            HttpRequest req = HttpRequest.newBuilder(URI.create(g.url() + "/v1/embeddings")).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
            long warmEnd = System.nanoTime() + warmup.toNanos();
            while (System.nanoTime() < warmEnd) http.send(req, HttpResponse.BodyHandlers.discarding());
            AtomicInteger errors = new AtomicInteger();
            List<long[]> perClient = new ArrayList<>();
            List<Thread> threads = new ArrayList<>();
            long t0 = System.nanoTime(), end = t0 + measure.toNanos();
            for (int c = 0; c < clients; c++) {
                long[] lat = new long[1 << 20];
                perClient.add(lat);
                int idx = c;
                threads.add(Thread.ofPlatform().name("load-" + c).start(() -> {
                    int n = 0;
                    while (System.nanoTime() < end && n < lat.length - 1) {
                        long s = System.nanoTime();
                        try {
                            if (http.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() != 200) errors.incrementAndGet();
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                        lat[++n] = System.nanoTime() - s;
                    }
                    lat[0] = n;
                    perClient.set(idx, lat);
                }));
            }
            for (Thread t : threads) t.join();
            double secs = (System.nanoTime() - t0) / 1e9;
            int total = perClient.stream().mapToInt(l -> (int) l[0]).sum();
            long[] all = new long[total];
            int k = 0;
            for (long[] l : perClient) for (int i = 1; i <= l[0]; i++) all[k++] = l[i];
            Arrays.sort(all);
            double rate = total / secs;
            return new Result(clients, texts, secs, total, errors.get(), rate, pct(all, 0.50), pct(all, 0.90), pct(all, 0.99),
                    all.length == 0 ? 0 : all[all.length - 1] / 1e6, directRate, directMean, 1000 / rate - directMean);
        }
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) return 0;
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)] / 1e6;
    }
}
