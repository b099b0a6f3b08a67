package dev.ledgermind.cli;

import dev.ledgermind.node.chaos.ChaosRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ledgermind chaos}: a fault-injection run against a local network, with its checks and counts. */
@Command(name = "chaos", mixinStandardHelpOptions = true,
        description = {"Runs a local network (anvil, contracts, worker processes behind RPC proxies, a small synthetic",
                "model) and injects faults at random moments: kill -9 and restart, SIGSTOP past a window, RPC outages,",
                "dropped transactions. Then checks: no task lost, no double commit, no missed reveal, no unexplained",
                "slash, no stalled node, balances equal accounts. Exit code 1 if any check fails."})
final class ChaosCommand implements Callable<Integer> {
    @Mixin CommonOptions common;

    @Option(names = "--long", description = "The long form (docs/reliability.md): 6 nodes, 150 tasks, 100 kills, 100 pauses, 10 outages, 20 drops.")
    boolean longForm;

    @Option(names = "--nodes", description = "Worker nodes (at least 4).") Integer nodes;
    @Option(names = "--tasks", description = "Tasks to run (k=3 each).") Integer tasks;
    @Option(names = "--kills", description = "kill -9 + restart faults.") Integer kills;
    @Option(names = "--pauses", description = "SIGSTOP faults, each a commit window plus 2-4 s.") Integer pauses;
    @Option(names = "--outages", description = "RPC outages.") Integer outages;
    @Option(names = "--drops", description = "Transactions dropped from anvil's pool.") Integer drops;
    @Option(names = "--outage-seconds", description = "Length of an RPC outage.") Integer outageSeconds;
    @Option(names = "--concurrent-faults", description = "Nodes faulted at once (at most nodes - 3).") Integer concurrent;
    @Option(names = "--seed", defaultValue = "1", description = "Random seed (default: ${DEFAULT-VALUE}).") long seed;

    @Override
    public Integer call() throws Exception {
        Path dir = Files.createTempDirectory("ledgermind-chaos-");
        ChaosRun.Plan p = longForm ? ChaosRun.Plan.longForm(dir, seed) : ChaosRun.Plan.shortForm(dir, seed);
        p = new ChaosRun.Plan(nodes != null ? nodes : p.nodes(), tasks != null ? tasks : p.tasks(),
                kills != null ? kills : p.kills(), pauses != null ? pauses : p.pauses(), outages != null ? outages : p.outages(),
                drops != null ? drops : p.drops(), seed, p.commitWindow(), p.revealWindow(), p.inFlight(),
                outageSeconds != null ? Duration.ofSeconds(outageSeconds) : p.outage(), concurrent != null ? concurrent : p.concurrentFaults(), dir);
        System.err.println("chaos: " + p.nodes() + " nodes, " + p.tasks() + " tasks, " + p.kills() + " kills, " + p.pauses() + " pauses, "
                + p.outages() + " outages, " + p.drops() + " drops, seed " + seed + " (logs in " + dir + ")");
        ChaosRun.Report r = new ChaosRun(p, line -> System.err.println(line)).run();
        if (common.json()) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("tasks", r.tasks());
            doc.put("accepted", r.accepted());
            doc.put("refunded", r.refunded());
            doc.put("faults", r.faults());
            doc.put("violations", r.violations());
            doc.put("details", r.details());
            doc.put("seconds", r.seconds());
            doc.put("ok", r.ok());
            common.printJson(doc);
        } else {
            System.out.print(r.summary());
        }
        return r.ok() ? 0 : 1;
    }
}
