package dev.ledgermind.cli;

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
        subcommands = BenchCommand.Network.class)
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

        @Override
        public Integer call() throws Exception {
            Path dir = Files.createTempDirectory("ledgermind-bench-");
            LocalNetwork.Options o = LocalNetwork.Options.defaults(dir).withNodes(nodes).withBlockTime(blockTime);
            try (LocalNetwork net = LocalNetwork.start(o, List.of(TaskRunners.DEFAULT_MODEL), TaskRunners.defaultModels(), common::progress)) {
                NetworkBench.Result r = NetworkBench.run(net, TaskRunners.DEFAULT_MODEL, tasks, k, concurrency, common::progress);
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
                    common.printJson(doc);
                } else {
                    System.out.printf("network bench: %d tasks (%d accepted), k=%d, %d nodes, %d in flight, %d s blocks%n",
                            r.tasks(), r.accepted(), r.k(), nodes, r.concurrency(), blockTime);
                    System.out.printf("  settled tasks/s        %.3f  (%.1f s in all)%n", r.tasksPerSecond(), r.seconds());
                    System.out.printf("  submit -> final        median %.2f s, p95 %.2f s%n", r.medianSeconds(), r.p95Seconds());
                    System.out.printf("  gas per task           %.0f (all transactions of the task)%n", r.meanGasPerTask());
                }
                return r.accepted() == r.tasks() ? 0 : 1;
            }
        }
    }
}
