package dev.ledgermind.cli;

import dev.ledgermind.inference.generate.DecoderBench;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.tensor.ComputeProfile;
import dev.ledgermind.node.bench.NetworkBench;
import dev.ledgermind.node.network.LocalNetwork;
import dev.ledgermind.node.task.TaskRunners;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ledgermind bench ...}: benchmarks that print figures. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks that print figures.",
        subcommands = {BenchCommand.Network.class, BenchCommand.Decoder.class, BenchCommand.Gateway.class})
final class BenchCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    @Command(name = "network", mixinStandardHelpOptions = true,
            description = {"Settled tasks per second, and median / p95 time from submit to finality, on a local network",
                    "(anvil with N-second blocks, the contracts, worker node processes, the default model)."})
    static final class Network implements Callable<Integer> {
        @Mixin CommonOptions common;

        @Option(names = "--tasks", defaultValue = "20", description = "Tasks to settle (default: ${DEFAULT-VALUE}).")
        int tasks;

        @Option(names = "--nodes", defaultValue = "4", description = "Worker nodes (default: ${DEFAULT-VALUE}).")
        int nodes;

        @Option(names = {"-k", "--redundancy"}, defaultValue = "3", description = "Nodes per task (default: ${DEFAULT-VALUE}).")
        int k;

        @Option(names = "--concurrency", defaultValue = "4", description = "Tasks in flight at once (default: ${DEFAULT-VALUE}).")
        int concurrency;

        @Option(names = "--block-time", defaultValue = "1", description = "Seconds per block (default: ${DEFAULT-VALUE}).")
        int blockTime;

        // ---- batches (issue 13): --batch N runs the batched load after the unbatched one, on the same network
        @Option(names = "--batch", defaultValue = "0",
                description = "Also run batched: up to N requests per batch (0: unbatched only; default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--batch-tasks", defaultValue = "0",
                description = "Requests in the batched run (default: 8 batches' worth, 8 x --batch).")
        int batchTasks;

        @Option(names = "--batch-delay-ms", defaultValue = "500",
                description = "The batching client's T: a batch goes out when N requests wait or the oldest waited T ms (default: ${DEFAULT-VALUE}).")
        long batchDelayMillis;

        @Option(names = "--batch-submits", defaultValue = "4",
                description = "Batch submissions in flight at once from the requester (default: ${DEFAULT-VALUE}).")
        int batchSubmits;

        @Option(names = "--window", defaultValue = "60",
                description = "The market's commit and reveal windows, seconds; a batch's items must be computed within the commit window (default: ${DEFAULT-VALUE}).")
        long window;

        @Option(names = "--offchain", description = "Submit the batches root-only (submitBatchRoot): the requester serves the items over HTTP and the nodes fetch and check them.")
        boolean offchain;
        // ---- end of batches

        @Override
        public Integer call() throws Exception {
            Path dir = Files.createTempDirectory("ledgermind-bench-");
            LocalNetwork.Options o = LocalNetwork.Options.defaults(dir).withNodes(nodes).withBlockTime(blockTime).withWindows(window, window);
            try (LocalNetwork net = LocalNetwork.start(o, List.of(TaskRunners.DEFAULT_MODEL), TaskRunners.defaultModels(), common::progress)) {
                NetworkBench.Result r = NetworkBench.run(net, TaskRunners.DEFAULT_MODEL, tasks, k, concurrency, common::progress);
                NetworkBench.BatchedResult b = batch <= 0 ? null : NetworkBench.runBatched(net, TaskRunners.DEFAULT_MODEL,
                        batchTasks > 0 ? batchTasks : 8 * batch, k, batch, batchDelayMillis, batchSubmits, offchain, common::progress);
                int status = r.accepted() == r.tasks() && (b == null || b.verified() == b.tasks()) ? 0 : 1;
                if (common.json()) {
                    Map<String, Object> doc = new LinkedHashMap<>();
                    doc.put("tasks", r.tasks());
                    doc.put("accepted", r.accepted());
                    doc.put("k", r.k());
                    doc.put("nodes", nodes);
                    doc.put("concurrency", r.concurrency());
                    doc.put("blockTimeSeconds", blockTime);
                    doc.put("seconds", r.seconds());
                    doc.put("tasksPerSecond", r.tasksPerSecond());
                    doc.put("medianSeconds", r.medianSeconds());
                    doc.put("p95Seconds", r.p95Seconds());
                    doc.put("meanGasPerTask", r.meanGasPerTask());
                    doc.put("p99Seconds", r.p99Seconds());
                    doc.put("medianBlocksAfterRevealOpens", r.medianBlocksAfterRevealOpens());
                    doc.put("p95BlocksAfterRevealOpens", r.p95BlocksAfterRevealOpens());
                    if (b != null) {
                        Map<String, Object> bd = new LinkedHashMap<>();
                        bd.put("tasks", b.tasks());
                        bd.put("verified", b.verified());
                        bd.put("batchSize", b.batchSize());
                        bd.put("offchain", offchain);
                        bd.put("maxDelayMillis", b.maxDelayMillis());
                        bd.put("batches", b.batches());
                        bd.put("seconds", b.seconds());
                        bd.put("tasksPerSecond", b.tasksPerSecond());
                        bd.put("medianSeconds", b.medianSeconds());
                        bd.put("p95Seconds", b.p95Seconds());
                        bd.put("p99Seconds", b.p99Seconds());
                        bd.put("gasPerVerifiedResult", b.gasPerResult());
                        bd.put("blocks", List.of(b.firstBlock(), b.lastBlock()));
                        bd.put("batchFinalSeconds", b.batchFinalSeconds());
                        bd.put("steadyTasksPerSecond", b.steadyTasksPerSecond());
                        doc.put("batched", bd);
                    }
                    common.printJson(doc);
                } else {
                    System.out.printf("network bench: %d tasks (%d accepted), k=%d, %d nodes, %d in flight, %d s blocks%n",
                            r.tasks(), r.accepted(), r.k(), nodes, r.concurrency(), blockTime);
                    System.out.printf("  settled tasks/s        %.3f  (%.1f s in all)%n", r.tasksPerSecond(), r.seconds());
                    System.out.printf("  submit -> final        median %.2f s, p95 %.2f s%n", r.medianSeconds(), r.p95Seconds());
                    System.out.printf("  gas per task           %.0f (all transactions of the task)%n", r.meanGasPerTask());
                    System.out.printf("  p99                    %.2f s; final after the reveal phase opens: median %.0f, p95 %.0f blocks%n",
                            r.p99Seconds(), r.medianBlocksAfterRevealOpens(), r.p95BlocksAfterRevealOpens());
                    if (b != null) {
                        System.out.printf("batched: %d requests (%d verified) in %d batches of up to %d (T = %d ms), k=%d%n",
                                b.tasks(), b.verified(), b.batches(), b.batchSize(), b.maxDelayMillis(), b.k());
                        System.out.printf("  verified tasks/s       %.2f  (%.1f s in all)%n", b.tasksPerSecond(), b.seconds());
                        System.out.printf("  request -> final       median %.2f s, p95 %.2f s, p99 %.2f s%n", b.medianSeconds(), b.p95Seconds(),
                                b.p99Seconds());
                        System.out.printf("  gas per verified result %.0f (every transaction of blocks %d..%d, claims included)%n",
                                b.gasPerResult(), b.firstBlock(), b.lastBlock());
                        System.out.println("  batches final at (s)   " + b.batchFinalSeconds());
                        System.out.printf("  after the first batch  %.2f verified tasks/s (the pipeline full)%n", b.steadyTasksPerSecond());
                    }
                }
                return status;
            }
        }
    }

    @Command(name = "decoder", mixinStandardHelpOptions = true,
            description = {"Decode, prefill and replay tokens/s of a GGUF decoder on the deterministic engine, and peak",
                    "resident memory against the file size. Each figure is the median of --repeats runs after a warm-up."})
    static final class Decoder implements Callable<Integer> {
        @Mixin CommonOptions common;

        @Option(names = "--model", required = true, description = "The GGUF model file.")
        Path model;

        @Option(names = "--threads", defaultValue = "0", description = "Threads; 0 means ledgermind.threads or all cores.")
        int threads;

        @Option(names = "--prompt-tokens", defaultValue = "32", description = "Prompt positions, run as one batched prefill (default: ${DEFAULT-VALUE}).")
        int promptTokens;

        @Option(names = "--decode-tokens", defaultValue = "32", description = "Tokens generated one at a time, then replayed (default: ${DEFAULT-VALUE}).")
        int decodeTokens;

        @Option(names = "--repeats", defaultValue = "3", description = "Measured runs; figures are their medians (default: ${DEFAULT-VALUE}).")
        int repeats;

        @Option(names = "--profile", defaultValue = "binary32", converter = ProfileConverter.class,
                description = "Compute profile: binary32 or int8-q8 (default: ${DEFAULT-VALUE}).")
        ComputeProfile profile;

        @Override
        public Integer call() throws Exception {
            int n = KernelConfig.threads(threads);
            KernelConfig cfg = KernelConfig.defaults();
            try (LlamaModel m = LlamaModel.load(model, profile)) {
                DecoderBench.Figures f = DecoderBench.run(m, n, cfg, promptTokens, decodeTokens, repeats,
                        common.json() ? null : System.err::println);
                double mib = 1024.0 * 1024.0;
                if (common.json()) {
                    Map<String, Object> doc = new LinkedHashMap<>();
                    doc.put("model", model.toString());
                    doc.put("threads", f.threads());
                    doc.put("profile", profile.id);
                    doc.put("vectorBits", f.vectorBits());
                    doc.put("promptTokens", f.promptTokens());
                    doc.put("decodeTokens", f.decodeTokens());
                    doc.put("repeats", f.repeats());
                    doc.put("prefillTokensPerSecond", f.prefillTokensPerSecond());
                    doc.put("decodeTokensPerSecond", f.decodeTokensPerSecond());
                    doc.put("replayTokensPerSecond", f.replayTokensPerSecond());
                    doc.put("replayOverDecode", f.replayOverDecode());
                    doc.put("replayAccepted", f.replayAccepted());
                    doc.put("peakRssBytes", f.peakRssBytes());
                    doc.put("fileBytes", f.fileBytes());
                    doc.put("peakRssOverFileBytes", f.peakRssBytes() < 0 ? null : f.peakRssBytes() - f.fileBytes());
                    common.printJson(doc);
                } else {
                    System.out.printf("decoder bench: %s, profile %s, %d threads, %s, %d prompt + %d decoded tokens, median of %d runs%n",
                            model.getFileName(), profile, f.threads(), cfg, f.promptTokens(), f.decodeTokens(), f.repeats());
                    System.out.printf("  decode   %8.2f tokens/s%n", f.decodeTokensPerSecond());
                    System.out.printf("  prefill  %8.2f tokens/s%n", f.prefillTokensPerSecond());
                    System.out.printf("  replay   %8.2f tokens/s  (%.2fx decode, %s)%n", f.replayTokensPerSecond(), f.replayOverDecode(),
                            f.replayAccepted() ? "accepted" : "REJECTED");
                    System.out.printf("  peak RSS %8.0f MiB  (file %.0f MiB, %+.0f MiB)%n", f.peakRssBytes() / mib, f.fileBytes() / mib,
                            (f.peakRssBytes() - f.fileBytes()) / mib);
                }
                return f.replayAccepted() ? 0 : 1;
            }
        }
    }

    @Command(name = "gateway", mixinStandardHelpOptions = true,
            description = {"Requests/s and latency percentiles of POST /v1/embeddings on the local backend, from a closed-loop",
                    "load generator on loopback, beside the same embeddings computed by calling the engine directly."})
    static final class Gateway implements Callable<Integer> {
        @Mixin CommonOptions common;

        @Option(names = "--model", defaultValue = "all-minilm-l6-v2", description = "Encoder (default: ${DEFAULT-VALUE}).")
        String model;

        @Option(names = "--clients", defaultValue = "4", description = "Concurrent clients (default: ${DEFAULT-VALUE}).")
        int clients;

        @Option(names = "--texts", defaultValue = "1", description = "Texts per request (default: ${DEFAULT-VALUE}).")
        int texts;

        @Option(names = "--seconds", defaultValue = "20", description = "Measured seconds on each side, split over the rounds (default: ${DEFAULT-VALUE}).")
        int seconds;

        @Option(names = "--warmup", defaultValue = "5", description = "Warm-up seconds (default: ${DEFAULT-VALUE}).")
        int warmup;

        @Option(names = "--rounds", defaultValue = "4", description = "Alternating rounds, engine then gateway (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Override
        public Integer call() throws Exception {
            var r = dev.ledgermind.gateway.bench.EmbeddingsBench.run(model, clients, texts, java.time.Duration.ofSeconds(warmup),
                    java.time.Duration.ofSeconds(seconds), rounds);
            if (common.json()) {
                common.printJson(r);
            } else {
                System.out.printf("POST /v1/embeddings (%s, %d text(s) per request, %d clients, %.1f s): %d requests, %d errors%n",
                        model, texts, clients, r.seconds(), r.requests(), r.errors());
                System.out.printf("  %.1f requests/s; latency p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms%n",
                        r.requestsPerSecond(), r.p50Ms(), r.p90Ms(), r.p99Ms(), r.maxMs());
                System.out.printf("  engine called directly: %.1f calls/s, p50 %.2f ms, p90 %.2f ms; gateway p50 minus engine p50: %.2f ms%n",
                        r.directPerSecond(), r.directP50Ms(), r.directP90Ms(), r.overheadP50Ms());
                System.out.printf("  bare HTTP round trip on loopback (GET /health): p50 %.2f ms%n", r.healthP50Ms());
                System.out.printf("  inside the gateway the engine took %.2f ms per request on average (requests: %.2f ms on average)%n",
                        r.engineInGatewayMeanMs(), r.gatewayMeanMs());
            }
            return r.errors() == 0 ? 0 : 1;
        }
    }
}
