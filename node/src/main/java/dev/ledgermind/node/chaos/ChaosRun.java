package dev.ledgermind.node.chaos;

import dev.ledgermind.chain.AnvilControl;
import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.ContractRevertedException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.MarketHistory;
import dev.ledgermind.chain.NodeOutcome;
import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.chain.TaskPhase;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.network.LocalNetwork;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskRunners;
import org.web3j.protocol.http.HttpService;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A fault-injection run against a whole local network: an anvil devnet with 1-second blocks, real worker
 * processes (each behind its own RPC proxy) serving a small synthetic GGUF decoder, and a requester that
 * keeps a few k=3 tasks in flight. While the tasks run, faults are injected at random moments, at most
 * {@link Plan#concurrentFaults()} nodes at a time:
 * <ul>
 *   <li><b>kill</b>: SIGKILL a node, restart it from its store after 0-2 s;</li>
 *   <li><b>pause</b>: SIGSTOP a node for longer than a commit window, then SIGCONT;</li>
 *   <li><b>outage</b>: cut a node's RPC proxy for {@link Plan#outage()}, then restore it;</li>
 *   <li><b>drop</b>: remove a node's transaction from anvil's pool before it is mined
 *       ({@code anvil_dropTransaction}).</li>
 * </ul>
 * Afterwards it checks, from the chain's own record ({@link MarketHistory}):
 * <ul>
 *   <li><b>lost</b>: every task reached a final state, and no fee is left in escrow;</li>
 *   <li><b>double commit</b>: no node sent two commit (or reveal) transactions for one task, counting reverted ones;</li>
 *   <li><b>missed reveal</b>: a node that committed and was not faulted between its commit and the task's
 *       settlement revealed;</li>
 *   <li><b>unexplained slash</b>: every slash of these honest nodes falls on a node that was faulted during
 *       that task (a node that was never faulted, or whose fault ended in time, is never slashed);</li>
 *   <li><b>stalled</b>: after the faults, one task with k = nodes seats is accepted with every seat agreeing,
 *       and every node's own event cursor has reached the chain's last blocks;</li>
 *   <li><b>balances</b>: each contract's balance equals its accounting (escrow + unclaimed; bonded + unbonding).</li>
 * </ul>
 * Faulted time is taken with a margin of {@link #MARGIN_SECONDS} on both sides (block timestamps and the
 * harness's clock are seconds apart at most), and a kill, pause or outage lasts until the node has re-synced:
 * until its event cursor, read from its store, has passed the block that was the head when the fault ended
 * ({@link Fault#resynced()}; at most two commit windows after the end, and one that takes longer is named).
 * The probe waits for every node to re-sync first. A failed check's report has the fault timeline and the
 * node's log lines around the task; a slow re-sync, the node's worker stack ({@code jcmd Thread.print}).
 */
public final class ChaosRun {
    static final long MARGIN_SECONDS = 3;
    /** How far behind the chain's head a node's event cursor may be, a few seconds after the last task. */
    static final long CURSOR_LAG_BLOCKS = 10;
    private static final BigInteger FEE = BigInteger.TEN.pow(16);

    /**
     * What to run. Windows are seconds; a pause lasts a commit window plus 2-4 s. The windows are 20 s
     * because the checks must tell the node software's faults from the machine's: with 10 s windows and
     * six agents building on the same 2 cores (load average 30), nodes that were never faulted missed
     * commits of their first tasks on a cold JIT (a 4-token task took 20 s).
     */
    public record Plan(int nodes, int tasks, int kills, int pauses, int outages, int drops, long seed,
                       long commitWindow, long revealWindow, int inFlight, Duration outage, int concurrentFaults,
                       Path dir) {
        public Plan {
            if (nodes < 4) throw new IllegalArgumentException("a chaos run needs at least 4 nodes (k=3 and a spare), got " + nodes);
            if (tasks < 1) throw new IllegalArgumentException("tasks must be at least 1, got " + tasks);
            if (Math.min(Math.min(kills, pauses), Math.min(outages, drops)) < 0) throw new IllegalArgumentException("fault counts must be >= 0");
            if (concurrentFaults < 1 || concurrentFaults > nodes - 3) {
                throw new IllegalArgumentException("concurrent faults must be 1.." + (nodes - 3) + " for " + nodes + " nodes, got " + concurrentFaults);
            }
        }

        /** The form that {@code ./mvnw verify} runs: a couple of minutes. */
        public static Plan shortForm(Path dir, long seed) {
            return new Plan(4, 10, 3, 1, 1, 2, seed, 20, 20, 3, Duration.ofSeconds(22), 1, dir);
        }

        /** The long form recorded in docs/reliability.md: at least 100 kills, 100 pauses, 10 outages, 100 tasks. */
        public static Plan longForm(Path dir, long seed) {
            return new Plan(6, 150, 100, 100, 10, 20, seed, 20, 20, 4, Duration.ofSeconds(30), 3, dir);
        }
    }

    /**
     * One injected fault on one node, wall-clock unix seconds. {@code resynced} is when the node had read the
     * chain's events up to the block that was the head when the fault ended (its event cursor, read from its
     * store), or {@code end} when that was not measured (drops). A node is taken as faulted until then: a
     * restarted JVM, a resumed process or a reconnected client reaches the chain's present a few seconds after
     * the harness lets go of it, and what the node misses meanwhile is the fault's consequence.
     */
    record Fault(int node, long agentId, String kind, long start, long end, long resynced) {
        long until() {
            return Math.max(end, resynced);
        }
    }

    /** What happened and what was wrong. */
    public record Report(int tasks, int accepted, int refunded, Map<String, Integer> faults, Map<String, Integer> violations,
                         List<String> details, long seconds) {
        public boolean ok() {
            return violations.values().stream().allMatch(v -> v == 0);
        }

        public String summary() {
            StringBuilder b = new StringBuilder();
            b.append("tasks: ").append(tasks).append(" submitted, ").append(accepted).append(" accepted, ").append(refunded)
                    .append(" refunded, in ").append(seconds).append(" s\n");
            b.append("faults injected:");
            faults.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
            b.append("\nviolations:");
            violations.forEach((k, v) -> b.append(' ').append(k).append('=').append(v));
            b.append('\n');
            for (String d : details) b.append("  ").append(d).append('\n');
            b.append(ok() ? "OK: no lost task, double commit, missed reveal, unexplained slash, stall or balance mismatch\n"
                    : "FAILED\n");
            return b.toString();
        }
    }

    private final Plan plan;
    private final Consumer<String> say;
    private final List<Fault> faults = new CopyOnWriteArrayList<>();
    private final Map<String, AtomicInteger> injected = new ConcurrentHashMap<>();
    private final List<String> details = new CopyOnWriteArrayList<>();

    public ChaosRun(Plan plan, Consumer<String> say) {
        this.plan = plan;
        this.say = say;
    }

    public Report run() throws Exception {
        long t0 = System.currentTimeMillis();
        Path gguf = plan.dir().resolve("chaos-tiny.gguf");
        SyntheticModel.write(gguf, "llama3", SyntheticModel.TINY, GgmlType.Q8_0, plan.seed());
        var runner = TaskRunners.forModels(List.of(gguf.toString()));
        String model = runner.models().getFirst().name();
        LocalNetwork.Options options = new LocalNetwork.Options(plan.nodes(), -1, dev.ledgermind.node.worker.Dishonesty.HONEST, 1,
                plan.commitWindow(), plan.revealWindow(), plan.dir(), Duration.ofMinutes(3)).withRpcProxies();
        try (LocalNetwork net = LocalNetwork.start(options, List.of(gguf.toString()), runner, say)) {
            LedgermindContracts requesterChain = net.requester();
            Requester requester = new Requester(requesterChain);
            int modelId = net.modelId(model);
            long firstBlock = net.deployer().deployment().deployBlock();
            for (String k : List.of("kill", "pause", "outage", "drop")) injected.put(k, new AtomicInteger());

            // a warm-up task drawn on every node, before any fault and outside the checks: a node's first
            // tasks run on a cold JIT, which on a busy 2-core machine can take longer than a window
            say.accept("warm-up: one task drawn on all " + plan.nodes() + " nodes");
            SubmittedTask warm = requester.submit(TaskInput.generate(model, "warm up", 4, 0f, 1), modelId, plan.nodes(), FEE);
            requester.await(warm.taskId(), Duration.ofMinutes(3), line -> { });

            AtomicBoolean done = new AtomicBoolean(false);
            Map<Integer, Boolean> busy = new ConcurrentHashMap<>();
            List<Thread> injectors = new ArrayList<>();
            List<String> schedule = faultSchedule();
            AtomicInteger next = new AtomicInteger();
            for (int i = 0; i < plan.concurrentFaults(); i++) {
                long seed = plan.seed() * 31 + i;
                injectors.add(Thread.ofPlatform().name("chaos-faults-" + i).start(() -> injectFaults(net, schedule, next, busy, done, seed)));
            }
            Thread dropper = Thread.ofPlatform().name("chaos-drops").start(() -> dropTransactions(net, done));

            List<BigInteger> taskIds = runTasks(requester, model, modelId, schedule, next);
            done.set(true);
            for (Thread t : injectors) t.join(Duration.ofMinutes(3));
            dropper.join(Duration.ofSeconds(30));
            for (LocalNetwork.Node n : net.nodes()) { // whatever a fault left behind: every node runs again
                n.process().resume();
                net.proxy(n.index()).up();
                if (!n.process().isAlive()) net.restart(n);
            }
            awaitFinal(requester, taskIds, Duration.ofMinutes(3));

            // the probe is about the software after the faults, not about how long a node takes to recover from the
            // last one: every node first reads the chain's events up to the head (bounded; one that never gets there
            // has stalled)
            int stalled = 0;
            long settled = head(net);
            for (LocalNetwork.Node n : net.nodes()) {
                if (awaitResync(net, n.index(), settled, Duration.ofSeconds(60)) < 0) {
                    stalled++;
                    long now = System.currentTimeMillis() / 1000;
                    details.add("stalled: node-" + n.index() + " (agent " + n.agentId() + ") had not read the events up to block "
                            + settled + " 60 s after the faults ended");
                    details.add(logAround(n.index(), now - 70, now));
                }
            }
            // the liveness probe: every node drawn, every node must agree
            say.accept("probe: one task drawn on all " + plan.nodes() + " nodes");
            long probeFrom = System.currentTimeMillis() / 1000;
            SubmittedTask probe = requester.submit(TaskInput.generate(model, "probe", 4, 0f, 1), modelId, plan.nodes(), FEE);
            var probeReceipt = requester.await(probe.taskId(), Duration.ofMinutes(2), line -> { });
            long probeTo = System.currentTimeMillis() / 1000;
            int disagreed = (int) probeReceipt.nodes().stream().filter(n -> !n.verdict().equals("agreed")).count();
            if (disagreed > 0) {
                stalled += disagreed;
                details.add("stalled: probe task " + probe.taskId() + " verdicts " + probeReceipt.nodes());
                for (var seat : probeReceipt.nodes()) {
                    if (seat.verdict().equals("agreed")) continue;
                    for (LocalNetwork.Node n : net.nodes()) {
                        if (n.agentId() == seat.agentId()) details.add(logAround(n.index(), probeFrom, probeTo));
                    }
                }
            }
            // and every node's own event cursor has followed the chain to its last blocks (seats are drawn by
            // stake, so the probe may not draw every node; the cursor is what a stalled node cannot move)
            Thread.sleep(3_000);
            long head = net.web3().ethBlockNumber().send().getBlockNumber().longValueExact();
            for (LocalNetwork.Node n : net.nodes()) {
                long cursor = cursor(n.index());
                if (cursor < 0) {
                    stalled++;
                    details.add("stalled: node-" + n.index() + " (agent " + n.agentId() + "): its store's event cursor cannot be read");
                } else if (cursor < head - CURSOR_LAG_BLOCKS) {
                    stalled++;
                    details.add("stalled: node-" + n.index() + " (agent " + n.agentId() + ") has read events up to block "
                            + (cursor - 1) + ", the chain is at " + head);
                }
            }

            return check(net, requesterChain, firstBlock, taskIds, stalled, (System.currentTimeMillis() - t0) / 1000);
        }
    }

    /** The faults in a random order, spread over the run. */
    private List<String> faultSchedule() {
        List<String> s = new ArrayList<>();
        for (int i = 0; i < plan.kills(); i++) s.add("kill");
        for (int i = 0; i < plan.pauses(); i++) s.add("pause");
        for (int i = 0; i < plan.outages(); i++) s.add("outage");
        Collections.shuffle(s, new Random(plan.seed()));
        return s;
    }

    /** Submits the plan's tasks, keeping {@code inFlight} open, and finalizes what the chain allows. */
    private List<BigInteger> runTasks(Requester requester, String model, int modelId, List<String> schedule, AtomicInteger next)
            throws InterruptedException {
        List<BigInteger> all = new ArrayList<>();
        List<BigInteger> open = new ArrayList<>();
        long deadline = System.currentTimeMillis() + Duration.ofMinutes(10 + plan.tasks() / 2).toMillis();
        while (all.size() < plan.tasks() || !open.isEmpty() || next.get() < schedule.size()) {
            if (System.currentTimeMillis() > deadline) {
                details.add("lost: the run did not finish in time; " + open.size() + " tasks still open");
                break;
            }
            // keep tasks flowing while faults remain, so that every fault lands on live work
            boolean moreTasks = all.size() < plan.tasks() || next.get() < schedule.size();
            while (moreTasks && open.size() < plan.inFlight()) {
                try {
                    TaskInput input = TaskInput.generate(model, "chaos " + all.size(), 4, 0.7f, all.size());
                    SubmittedTask t = requester.submit(input, modelId, 3, FEE);
                    all.add(t.taskId());
                    open.add(t.taskId());
                    if (all.size() % 10 == 0) say.accept("tasks: " + all.size() + " submitted, faults " + injected);
                } catch (ContractRevertedException e) {
                    break; // NotEnoughNodes while nodes are down: try again later
                } catch (ChainException e) {
                    break;
                }
                moreTasks = all.size() < plan.tasks() || next.get() < schedule.size();
            }
            for (BigInteger id : List.copyOf(open)) {
                try {
                    var t = requester.chain().task(id);
                    if (t.phase().isFinal()) open.remove(id);
                    else if (t.phase() == TaskPhase.FINALIZABLE) requester.chain().finalizeTask(id);
                } catch (ChainException e) {
                    // a node finalized first, or a transient RPC problem: look again next round
                }
            }
            Thread.sleep(300);
        }
        return all;
    }

    private void awaitFinal(Requester requester, List<BigInteger> ids, Duration timeout) throws InterruptedException {
        long end = System.currentTimeMillis() + timeout.toMillis();
        for (BigInteger id : ids) {
            while (System.currentTimeMillis() < end) {
                var t = requester.chain().task(id);
                if (t.phase().isFinal()) break;
                if (t.phase() == TaskPhase.FINALIZABLE) {
                    try {
                        requester.chain().finalizeTask(id);
                    } catch (ChainException e) {
                        // someone else moved it first
                    }
                }
                Thread.sleep(300);
            }
        }
    }

    private void injectFaults(LocalNetwork net, List<String> schedule, AtomicInteger next, Map<Integer, Boolean> busy,
                              AtomicBoolean done, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        try {
            Thread.sleep(2_000 + rnd.nextLong(2_000));
            int i;
            while ((i = next.getAndIncrement()) < schedule.size()) {
                String kind = schedule.get(i);
                int node = pickNode(rnd, busy);
                LocalNetwork.Node n = net.nodes().get(node);
                long start = System.currentTimeMillis() / 1000;
                switch (kind) {
                    case "kill" -> {
                        n.process().kill();
                        Thread.sleep(rnd.nextLong(2_000));
                        net.restart(n);
                    }
                    case "pause" -> {
                        n.process().pause();
                        Thread.sleep((plan.commitWindow() + 2 + rnd.nextLong(3)) * 1000);
                        n.process().resume();
                    }
                    case "outage" -> {
                        net.proxy(node).down();
                        Thread.sleep(plan.outage().toMillis());
                        net.proxy(node).up();
                    }
                    default -> throw new IllegalStateException(kind);
                }
                long end = System.currentTimeMillis() / 1000;
                long resynced = awaitResync(net, node, head(net), Duration.ofSeconds(2 * plan.commitWindow()));
                if (resynced < 0) {
                    resynced = System.currentTimeMillis() / 1000;
                    details.add("info: node-" + node + " (agent " + n.agentId() + ") had not re-synced " + (resynced - end)
                            + " s after its " + kind + " ended at " + clock(end) + "; counted as faulted until " + clock(resynced));
                }
                faults.add(new Fault(node, n.agentId(), kind, start, end, resynced));
                say.accept("fault: " + kind + " node-" + node + " (agent " + n.agentId() + ") " + clock(start) + " to " + clock(end)
                        + ", re-synced " + clock(resynced));
                injected.get(kind).incrementAndGet();
                busy.remove(node);
                Thread.sleep(500 + rnd.nextLong(3_000)); // a random moment in the lifecycle of the next tasks
            }
        } catch (Exception e) {
            details.add("harness: fault injector stopped: " + e);
        }
    }

    private synchronized int pickNode(SplittableRandom rnd, Map<Integer, Boolean> busy) {
        while (true) {
            int node = rnd.nextInt(plan.nodes());
            if (busy.putIfAbsent(node, true) == null) return node;
        }
    }

    /** Drops {@link Plan#drops()} node transactions from anvil's pool, spread over the run. */
    private void dropTransactions(LocalNetwork net, AtomicBoolean done) {
        AnvilControl anvil = new AnvilControl(new HttpService(net.devnet().rpcUrl()));
        Map<String, Integer> nodeOf = new HashMap<>();
        for (LocalNetwork.Node n : net.nodes()) nodeOf.put(net.account(2 + n.index()).getAddress().toLowerCase(), n.index());
        SplittableRandom rnd = new SplittableRandom(plan.seed() ^ 0x5eed);
        long nextDrop = System.currentTimeMillis() + 5_000;
        while (!done.get() && injected.get("drop").get() < plan.drops()) {
            try {
                if (System.currentTimeMillis() >= nextDrop) {
                    for (var e : anvil.poolTransactions().entrySet()) {
                        Integer node = nodeOf.get(e.getKey());
                        if (node == null || e.getValue().isEmpty()) continue;
                        long now = System.currentTimeMillis() / 1000;
                        anvil.dropTransaction(e.getValue().getFirst());
                        faults.add(new Fault(node, net.nodes().get(node).agentId(), "drop", now, now + 1, now + 1));
                        injected.get("drop").incrementAndGet();
                        nextDrop = System.currentTimeMillis() + 3_000 + rnd.nextLong(10_000);
                        break;
                    }
                }
                Thread.sleep(20);
            } catch (ChainException e) {
                details.add("harness: cannot drop transactions: " + e.getMessage());
                return;
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** The chain's head block, read directly from anvil (not through a node's proxy). */
    private static long head(LocalNetwork net) throws java.io.IOException {
        return net.web3().ethBlockNumber().send().getBlockNumber().longValueExact();
    }

    /** Node {@code index}'s event cursor (the next block it will read), from its store while it runs; -1 when unreadable. */
    private long cursor(int index) {
        return NodeStore.peekNextBlock(plan.dir().resolve("node-" + index + ".db")).orElse(-1);
    }

    /**
     * Waits until node {@code index} has read the events of every block up to {@code head}; returns that moment
     * (unix seconds), or -1 when it has not within {@code timeout}.
     */
    private long awaitResync(LocalNetwork net, int index, long head, Duration timeout) throws InterruptedException {
        long t0 = System.currentTimeMillis();
        long deadline = t0 + timeout.toMillis();
        boolean dumped = false;
        while (System.currentTimeMillis() < deadline) {
            if (cursor(index) > head) return System.currentTimeMillis() / 1000;
            if (!dumped && System.currentTimeMillis() - t0 > SLOW_RESYNC_MILLIS) {
                dumped = true;
                details.add(threadDump(net, index, "had not read the events up to block " + head + " "
                        + SLOW_RESYNC_MILLIS + " ms after its fault ended"));
            }
            Thread.sleep(250);
        }
        return -1;
    }

    /**
     * After this long without a re-sync, a node's threads are dumped: where a slow recovery waits
     * ({@code -Dchaos.slowResyncMs}, 10 s by default; 0 dumps after every fault, which checks the dump itself).
     */
    static final long SLOW_RESYNC_MILLIS = Long.getLong("chaos.slowResyncMs", 10_000);

    /**
     * The stack of node {@code index}'s worker loop (its main thread) by {@code jcmd PID Thread.print}, with the
     * whole dump kept next to its log ({@code node-N.threads-SECONDS.txt}).
     */
    private String threadDump(LocalNetwork net, int index, String why) {
        LocalNetwork.Node n = net.nodes().get(index);
        long pid = n.process().pid();
        String head = "info: node-" + index + " (agent " + n.agentId() + ", pid " + pid + ") " + why;
        try {
            Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
            Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS)) p.destroyForcibly();
            String dump = new String(out, java.nio.charset.StandardCharsets.UTF_8);
            Path file = plan.dir().resolve("node-" + index + ".threads-" + System.currentTimeMillis() / 1000 + ".txt");
            java.nio.file.Files.writeString(file, dump);
            int at = dump.indexOf("\n\"main\"");
            int stop = at < 0 ? -1 : dump.indexOf("\n\n", at + 1);
            String main = at < 0 ? "(no main thread in the dump)" : dump.substring(at + 1, stop < 0 ? dump.length() : stop);
            List<String> lines = main.lines().limit(40).toList();
            return head + "; its worker loop (" + file + "):\n      | " + String.join("\n      | ", lines);
        } catch (java.io.IOException | RuntimeException e) {
            return head + "; no thread dump: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return head + "; no thread dump: interrupted";
        }
    }

    private static final java.time.format.DateTimeFormatter CLOCK = java.time.format.DateTimeFormatter.ofPattern("HH:mm:ss");

    /** Unix seconds as the nodes' logs write the time of day (this machine's zone). */
    static String clock(long epochSeconds) {
        return CLOCK.format(java.time.Instant.ofEpochSecond(epochSeconds).atZone(java.time.ZoneId.systemDefault()));
    }

    /**
     * The lines of node {@code index}'s log (every process it ran appends to the same file) from 10 s before
     * {@code from} to 5 s after {@code to}, with the untimed lines that follow them (READY, stack traces):
     * what explains a violation when the run is gone. At most 80 lines (the first and last 40).
     */
    String logAround(int index, long from, long to) {
        Path file = plan.dir().resolve("node-" + index + ".log");
        java.time.LocalTime lo = java.time.LocalTime.parse(clock(from - 10)), hi = java.time.LocalTime.parse(clock(to + 5));
        boolean wraps = hi.isBefore(lo); // the window crosses midnight
        List<String> kept = new ArrayList<>();
        boolean keeping = false;
        try {
            for (String line : java.nio.file.Files.readAllLines(file)) {
                if (line.length() >= 12 && line.charAt(2) == ':' && line.charAt(5) == ':' && line.charAt(8) == '.') {
                    java.time.LocalTime t;
                    try {
                        t = java.time.LocalTime.parse(line.substring(0, 12));
                    } catch (java.time.format.DateTimeParseException e) {
                        t = null;
                    }
                    if (t != null) keeping = wraps ? !t.isBefore(lo) || !t.isAfter(hi) : !t.isBefore(lo) && !t.isAfter(hi);
                }
                if (keeping) kept.add(line);
            }
        } catch (java.io.IOException | RuntimeException e) {
            return "log: node-" + index + ": cannot read " + file + ": " + e;
        }
        if (kept.size() > 80) {
            List<String> cut = new ArrayList<>(kept.subList(0, 40));
            cut.add("... " + (kept.size() - 80) + " lines left out ...");
            cut.addAll(kept.subList(kept.size() - 40, kept.size()));
            kept = cut;
        }
        StringBuilder b = new StringBuilder("log: node-" + index + " from " + clock(from - 10) + " to " + clock(to + 5) + " ("
                + file + "), " + kept.size() + " lines:");
        for (String line : kept) b.append("\n      | ").append(line);
        return b.toString();
    }

    private int nodeOfAgent(LocalNetwork net, long agentId) {
        for (LocalNetwork.Node n : net.nodes()) if (n.agentId() == agentId) return n.index();
        return -1;
    }

    /** Records a fault as the injectors do (for the checks' tests). */
    void record(Fault f) {
        faults.add(f);
    }

    boolean faulted(long agentId, long from, long to) {
        for (Fault f : faults) {
            if (f.agentId() == agentId && f.start() - MARGIN_SECONDS <= to && f.until() + MARGIN_SECONDS >= from) return true;
        }
        return false;
    }

    private Report check(LocalNetwork net, LedgermindContracts chain, long firstBlock, List<BigInteger> ids, int stalled, long seconds) {
        MarketHistory history = new MarketHistory(chain, 2_000);
        long last = history.latestBlock();
        List<MarketHistory.Entry> events = history.events(firstBlock, last);
        List<MarketHistory.Call> calls = history.calls(firstBlock, last);
        Map<BigInteger, MarketHistory.Submitted> submitted = new HashMap<>();
        Map<BigInteger, MarketHistory.Finalized> finalized = new HashMap<>();
        Map<String, Long> committedAt = new HashMap<>();
        for (MarketHistory.Entry e : events) {
            switch (e) {
                case MarketHistory.Submitted s -> submitted.put(s.taskId(), s);
                case MarketHistory.Finalized f -> finalized.put(f.taskId(), f);
                case MarketHistory.Committed c -> committedAt.put(c.taskId() + "/" + c.agentId(), c.time());
                default -> { }
            }
        }
        Map<String, Integer> v = new LinkedHashMap<>();
        for (String k : List.of("lost", "doubleCommit", "missedReveal", "unexplainedSlash", "stalled", "balance")) v.put(k, 0);

        int accepted = 0, refunded = 0;
        for (BigInteger id : ids) {
            MarketHistory.Finalized f = finalized.get(id);
            if (f == null) {
                v.merge("lost", 1, Integer::sum);
                details.add("lost: task " + id + " never reached a final state (phase " + chain.task(id).phase() + ")");
            } else if (f.accepted()) accepted++;
            else refunded++;
        }
        BigInteger[] totals = chain.marketTotals();
        if (totals[1].signum() != 0) {
            v.merge("lost", 1, Integer::sum);
            details.add("lost: " + totals[1] + " wei still in escrow after every task is final");
        }

        // A second commit (or reveal) of one node for one task is a double send when it was mined after a
        // successful one, or in the same block as an earlier one: it was sent while the first was in flight.
        // One mined after the earlier ones all reverted is a retry, which is allowed (and counted).
        Map<String, List<MarketHistory.Call>> sends = new LinkedHashMap<>();
        for (MarketHistory.Call c : calls) sends.computeIfAbsent(c.kind() + " " + c.taskId() + "/" + c.agentId(), k -> new ArrayList<>()).add(c);
        int retries = 0;
        for (var e : sends.entrySet()) {
            List<MarketHistory.Call> cs = e.getValue();
            for (int i = 1; i < cs.size(); i++) {
                MarketHistory.Call c = cs.get(i);
                boolean afterSuccess = false, sameBlock = false;
                for (int j = 0; j < i; j++) {
                    afterSuccess |= cs.get(j).ok();
                    sameBlock |= cs.get(j).block() == c.block();
                }
                if (afterSuccess || sameBlock) {
                    v.merge("doubleCommit", 1, Integer::sum);
                    details.add("doubleCommit: " + cs.size() + " mined " + e.getKey() + " transactions: " + cs);
                } else {
                    retries++;
                }
            }
        }
        if (retries > 0) details.add("info: " + retries + " commit/reveal transactions re-sent after the first reverted");

        for (BigInteger id : ids) {
            MarketHistory.Finalized f = finalized.get(id);
            if (f == null) continue;
            for (long agent : chain.taskNodes(id)) {
                Long commit = committedAt.get(id + "/" + agent);
                if (commit == null) continue;
                if (chain.outcomeOf(id, agent) == NodeOutcome.ABSENT && !faulted(agent, commit, f.time())) {
                    v.merge("missedReveal", 1, Integer::sum);
                    details.add("missedReveal: agent " + agent + " committed to task " + id + " at " + commit + " (" + clock(commit)
                            + "), was never faulted before the task settled at " + f.time() + " (" + clock(f.time()) + "), and did not reveal");
                    int node = nodeOfAgent(net, agent);
                    if (node >= 0) details.add(logAround(node, commit, f.time()));
                }
            }
        }

        for (MarketHistory.Entry e : events) {
            if (!(e instanceof MarketHistory.Slashed s) || !ids.contains(s.taskId())) continue;
            MarketHistory.Submitted sub = submitted.get(s.taskId());
            long from = sub == null ? s.time() - 60 : sub.time();
            if (!faulted(s.agentId(), from, s.time())) {
                v.merge("unexplainedSlash", 1, Integer::sum);
                details.add("unexplainedSlash: agent " + s.agentId() + " slashed " + s.amount() + " wei in task " + s.taskId()
                        + " (reason " + s.reason() + ") without a fault between " + from + " and " + s.time()
                        + " (" + clock(from) + " to " + clock(s.time()) + ")");
                int node = nodeOfAgent(net, s.agentId());
                if (node >= 0) details.add(logAround(node, from, s.time()));
            }
        }

        v.put("stalled", stalled);

        String market = chain.deployment().taskMarket();
        String agents = chain.deployment().agentRegistry();
        if (!totals[1].add(totals[2]).equals(chain.balanceOf(market))) {
            v.merge("balance", 1, Integer::sum);
            details.add("balance: TaskMarket holds " + chain.balanceOf(market) + " wei, its accounts say " + totals[1].add(totals[2]));
        }
        BigInteger[] stake = chain.stakeTotals();
        if (!stake[0].add(stake[1]).equals(chain.balanceOf(agents))) {
            v.merge("balance", 1, Integer::sum);
            details.add("balance: AgentRegistry holds " + chain.balanceOf(agents) + " wei, its accounts say " + stake[0].add(stake[1]));
        }

        if (v.values().stream().anyMatch(n -> n > 0)) { // the timeline that the checks judged against
            List<Fault> byStart = new ArrayList<>(faults);
            byStart.sort(java.util.Comparator.comparingLong(Fault::start));
            for (Fault x : byStart) {
                details.add("fault: " + x.kind() + " node-" + x.node() + " (agent " + x.agentId() + ") " + clock(x.start()) + " to "
                        + clock(x.end()) + (x.resynced() > x.end() ? ", re-synced " + clock(x.resynced()) : "")
                        + " [" + x.start() + ", " + x.until() + "]");
            }
        }

        Map<String, Integer> f = new LinkedHashMap<>();
        injected.forEach((k, n) -> f.put(k, n.get()));
        return new Report(ids.size(), accepted, refunded, f, v, List.copyOf(details), seconds);
    }
}
