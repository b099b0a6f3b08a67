package dev.ledgermind.node.network;


import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledgermind.chain.AnvilControl;
import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.OptimisticParams;
import dev.ledgermind.chain.TaskPhase;
import dev.ledgermind.chain.TaskState;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskRunner;
import dev.ledgermind.node.worker.Dishonesty;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.http.HttpService;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A whole Ledgermind network on this machine: an anvil devnet, the contracts deployed, the models
 * registered by content hash, and N worker nodes, each its own OS process with its own key, store and
 * log. Account 0 deploys (and is the treasury), account 1 is the requester, accounts 2.. run the nodes.
 * {@link #close()} stops every node by PID, then the chain.
 */
public final class LocalNetwork implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("READY agent=(\\d+) metricsPort=(\\d+)");
    private static final BigInteger ETHER = BigInteger.TEN.pow(18);

    /**
     * What to start. {@code dishonestNode} is a node index, or -1 for none. With {@code rpcProxies} each
     * node reaches the chain through its own {@link RpcProxy}, which the chaos run cuts to simulate an
     * RPC outage of that node alone.
     */
    public record Options(int nodes, int dishonestNode, Dishonesty dishonesty, int blockTimeSeconds,
                          long commitWindowSeconds, long revealWindowSeconds, Path dir, Duration startTimeout,
                          boolean rpcProxies, OptimisticParams optimistic, java.util.Set<Integer> validators) {
        /**
         * {@code optimistic} null: the optimistic mode's defaults; {@code validators}: the nodes run with
         * {@code role: validator} (watchers that replay every optimistic claim and challenge wrong ones).
         */
        public Options {
            validators = validators == null ? java.util.Set.of() : java.util.Set.copyOf(validators);
        }

        public Options(int nodes, int dishonestNode, Dishonesty dishonesty, int blockTimeSeconds,
                       long commitWindowSeconds, long revealWindowSeconds, Path dir, Duration startTimeout, boolean rpcProxies) {
            this(nodes, dishonestNode, dishonesty, blockTimeSeconds, commitWindowSeconds, revealWindowSeconds, dir, startTimeout,
                    rpcProxies, null, null);
        }

        public Options(int nodes, int dishonestNode, Dishonesty dishonesty, int blockTimeSeconds,
                       long commitWindowSeconds, long revealWindowSeconds, Path dir, Duration startTimeout) {
            this(nodes, dishonestNode, dishonesty, blockTimeSeconds, commitWindowSeconds, revealWindowSeconds, dir, startTimeout, false);
        }

        public static Options defaults(Path dir) {
            return new Options(4, -1, Dishonesty.HONEST, 1, 20, 20, dir, Duration.ofMinutes(3));
        }

        public Options withRpcProxies() {
            return new Options(nodes, dishonestNode, dishonesty, blockTimeSeconds, commitWindowSeconds, revealWindowSeconds, dir,
                    startTimeout, true, optimistic, validators);
        }

        public Options withNodes(int n) {
            return new Options(n, dishonestNode, dishonesty, blockTimeSeconds, commitWindowSeconds, revealWindowSeconds, dir, startTimeout,
                    rpcProxies, optimistic, validators);
        }

        public Options withDishonest(int node, Dishonesty how) {
            return new Options(nodes, node, how, blockTimeSeconds, commitWindowSeconds, revealWindowSeconds, dir, startTimeout, rpcProxies,
                    optimistic, validators);
        }

        public Options withBlockTime(int seconds) {
            return new Options(nodes, dishonestNode, dishonesty, seconds, commitWindowSeconds, revealWindowSeconds, dir, startTimeout,
                    rpcProxies, optimistic, validators);
        }

        public Options withWindows(long commit, long reveal) {
            return new Options(nodes, dishonestNode, dishonesty, blockTimeSeconds, commit, reveal, dir, startTimeout, rpcProxies,
                    optimistic, validators);
        }

        /** The optimistic mode's deployment parameters (challenge window, game clock, bonds). */
        public Options withOptimistic(OptimisticParams o) {
            return new Options(nodes, dishonestNode, dishonesty, blockTimeSeconds, commitWindowSeconds, revealWindowSeconds, dir,
                    startTimeout, rpcProxies, o, validators);
        }

        /** Nodes that run as validators (watchers of every optimistic claim). */
        public Options withValidators(java.util.Set<Integer> nodes) {
            return new Options(this.nodes, dishonestNode, dishonesty, blockTimeSeconds, commitWindowSeconds, revealWindowSeconds, dir,
                    startTimeout, rpcProxies, optimistic, nodes);
        }
    }

    /** One running node: its process, config, agent id and metrics port. */
    public record Node(int index, NodeProcess process, Path config, long agentId, int metricsPort, Dishonesty dishonesty) {}

    private final Devnet devnet;
    private final Web3j web3;
    private final LedgermindContracts deployer;
    private final Path deploymentFile;
    private final Map<String, Integer> modelIds;
    private final List<Node> nodes = new java.util.concurrent.CopyOnWriteArrayList<>(); // the chaos run restarts nodes from several threads
    /** every process ever started, so that close() stops them even after a failed start-up */
    private final List<NodeProcess> processes = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** node index -> the proxy in front of the chain for that node (with {@link Options#rpcProxies()}) */
    private final Map<Integer, RpcProxy> proxies = new LinkedHashMap<>();
    private final Options options;

    private LocalNetwork(Devnet devnet, Web3j web3, LedgermindContracts deployer, Path deploymentFile,
                         Map<String, Integer> modelIds, Options options) {
        this.devnet = devnet;
        this.web3 = web3;
        this.deployer = deployer;
        this.deploymentFile = deploymentFile;
        this.modelIds = modelIds;
        this.options = options;
    }

    /**
     * Starts everything; {@code say} receives one line per step. {@code models} are what each node's
     * config lists (built-in names or model paths); {@code runner}, built from the same list, supplies
     * their content identities for registration.
     */
    public static LocalNetwork start(Options o, List<String> models, TaskRunner runner, Consumer<String> say) throws Exception {
        Files.createDirectories(o.dir());
        Devnet devnet = Devnet.builder().blockTimeSeconds(o.blockTimeSeconds()).accounts(o.nodes() + 3)
                .stateFile(null).start();
        LocalNetwork net = null;
        try {
            say.accept("chain: anvil pid " + devnet.pid() + " at " + devnet.rpcUrl() + " (chain id " + devnet.chainId()
                    + (o.blockTimeSeconds() > 0 ? ", a block every " + o.blockTimeSeconds() + " s)" : ")"));
            Web3j web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
            LedgermindContracts deployer = LedgermindContracts.deploy(web3, devnet.accounts().getFirst().credentials(),
                    DeployParams.defaults().withWindows(o.commitWindowSeconds(), o.revealWindowSeconds())
                            .withOptimistic(o.optimistic() != null ? o.optimistic() : OptimisticParams.defaults()));
            Path deploymentFile = o.dir().resolve("deployment.json");
            deployer.deployment().write(deploymentFile);
            say.accept("contracts: TaskMarket " + deployer.deployment().taskMarket() + ", AgentRegistry "
                    + deployer.deployment().agentRegistry() + ", DisputeGame "
                    + new dev.ledgermind.chain.OptimisticTasks(deployer).terms().disputeGame() + " (addresses in " + deploymentFile + ")");
            Map<String, Integer> modelIds = new LinkedHashMap<>();
            List<ModelIdentity> identities = runner.models();
            for (int i = 0; i < identities.size(); i++) {
                ModelIdentity m = identities.get(i);
                // a decoder whose steps the dispute game can re-execute (WeightsCommitment.COVERED) also serves the optimistic mode:
                // it is registered with its weights commitment and step spec, which the game checks steps against
                // (a model the game cannot play would leave a disputed claim to the clocks)
                int id = deployer.registerModel(new ModelSpec(m.weightsHash(), m.tokenizerHash(), m.architectureHash(),
                        m.name(), m.gamePlayable() ? ModelSpec.MODE_REPLICATED | ModelSpec.MODE_OPTIMISTIC : ModelSpec.MODE_REPLICATED));
                modelIds.put(m.name(), id);
                say.accept("model: " + m.name() + " registered as model " + id + (m.gamePlayable()
                        ? " (weights commitment " + org.web3j.utils.Numeric.toHexString(m.weightsHash()).substring(0, 18)
                                + "..., step spec " + org.web3j.utils.Numeric.toHexString(m.architectureHash()).substring(0, 18) + "...; replicated and optimistic)"
                        : " (weights keccak " + org.web3j.utils.Numeric.toHexString(m.weightsHash()).substring(0, 18) + "...)"));
            }
            net = new LocalNetwork(devnet, web3, deployer, deploymentFile, modelIds, o);
            net.startNodes(models, say);
            return net;
        } catch (Exception | Error e) {
            if (net != null) net.close();
            else devnet.close();
            throw e;
        }
    }

    private void startNodes(List<String> models, Consumer<String> say) throws Exception {
        List<NodeProcess> started = processes;
        List<Path> configs = new ArrayList<>();
        for (int i = 0; i < options.nodes(); i++) {
            Dishonesty how = i == options.dishonestNode() ? options.dishonesty() : Dishonesty.HONEST;
            // The chain is new: an earlier network's node stores and logs in this directory are stale.
            for (String stale : List.of(".db", ".db-wal", ".db-shm", ".log")) {
                Files.deleteIfExists(options.dir().resolve("node-" + i + stale));
            }
            Path config = writeConfig(i, models, how);
            configs.add(config);
            started.add(new NodeProcess("node-" + i, config, options.dir().resolve("node-" + i + ".log")).start());
        }
        say.accept("nodes: started " + options.nodes() + " worker processes (pids "
                + started.stream().map(p -> Long.toString(p.pid())).toList() + "); each registers, stakes 2 ETH and loads the model");
        for (int i = 0; i < started.size(); i++) {
            Dishonesty how = i == options.dishonestNode() ? options.dishonesty() : Dishonesty.HONEST;
            int[] ready = awaitReady(started.get(i));
            nodes.add(new Node(i, started.get(i), configs.get(i), ready[0], ready[1], how));
            say.accept("node-" + i + ": agent " + ready[0] + ", metrics at http://127.0.0.1:" + ready[1] + "/metrics"
                    + (how != Dishonesty.HONEST ? "  <- dishonest: " + how.name().toLowerCase().replace('_', '-') : ""));
        }
    }

    private static int freePort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    private Path writeConfig(int i, List<String> models, Dishonesty how) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        c.put("name", "node-" + i);
        c.put("rpcUrl", rpcUrlFor(i));
        c.put("deployment", deploymentFile.getFileName().toString());
        c.put("privateKey", devnet.accounts().get(2 + i).privateKey());
        // the agent's URI is its token feed's registration file; a fixed port keeps it across restarts
        c.put("feedPort", freePort());
        c.putArray("models").addAll(models.stream().map(json.getNodeFactory()::textNode).toList());
        c.put("stakeWei", ETHER.multiply(BigInteger.TWO).toString()); // twice the minimum: one slash does not eject a node
        c.put("store", "node-" + i + ".db");
        c.put("metricsPort", 0);
        c.put("pollMillis", 200);
        c.put("dishonesty", how.name().toLowerCase().replace('_', '-'));
        c.put("role", options.validators().contains(i) ? "validator" : "worker");
        Path file = options.dir().resolve("node-" + i + ".json");
        Files.deleteIfExists(file);
        Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(c));
        return file;
    }

    private String rpcUrlFor(int node) throws IOException {
        if (!options.rpcProxies()) return devnet.rpcUrl();
        RpcProxy proxy = proxies.get(node);
        if (proxy == null) {
            String url = devnet.rpcUrl();
            proxy = new RpcProxy(Integer.parseInt(url.substring(url.lastIndexOf(':') + 1)));
            proxies.put(node, proxy);
        }
        return proxy.url();
    }

    /** The RPC proxy in front of node {@code index}'s chain connection ({@link Options#rpcProxies()}). */
    public RpcProxy proxy(int index) {
        RpcProxy p = proxies.get(index);
        if (p == null) throw new IllegalStateException("node " + index + " has no RPC proxy; start the network withRpcProxies()");
        return p;
    }

    private int[] awaitReady(NodeProcess p) throws Exception {
        long deadline = System.nanoTime() + options.startTimeout().toNanos();
        while (System.nanoTime() < deadline) {
            String log = Files.exists(p.logFile()) ? Files.readString(p.logFile()) : "";
            Matcher m = READY.matcher(log);
            if (m.find()) return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
            if (!p.isAlive()) {
                throw new IllegalStateException(p.name() + " exited during start-up; its log (" + p.logFile() + "):\n" + tail(log));
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(p.name() + " was not ready within " + options.startTimeout().toSeconds()
                + " s; see " + p.logFile());
    }

    private static String tail(String log) {
        String[] lines = log.split("\n");
        return String.join("\n", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 15), lines.length));
    }

    /**
     * Devnet only: {@link Requester#await} for {@code taskId}, except that once the task is held (a split
     * quorum in its challenge window, which nobody on this network challenges) the chain's clock is moved
     * past the window ({@code evm_increaseTime}) instead of waiting it out in real time. The settlement that
     * follows is the one the contracts make after a real wait; only the wall-clock time is saved. Other
     * tasks' windows move with the clock, so call it when no other task is waiting for a commit or reveal.
     */
    public Receipt awaitSkippingHold(Requester requester, BigInteger taskId, Duration timeout, Consumer<String> progress)
            throws InterruptedException {
        AnvilControl anvil = new AnvilControl(new HttpService(devnet.rpcUrl()));
        java.util.concurrent.atomic.AtomicBoolean done = new java.util.concurrent.atomic.AtomicBoolean();
        Thread skipper = Thread.ofVirtual().name("hold-skipper-" + taskId).start(() -> {
            while (!done.get()) {
                try {
                    TaskState t = deployer.task(taskId);
                    if (t.phase() == TaskPhase.HELD) {
                        long now = web3.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send()
                                .getBlock().getTimestamp().longValueExact();
                        if (t.heldUntil() >= now) {
                            progress.accept("task " + taskId + ": devnet clock moved " + (t.heldUntil() - now + 1)
                                    + " s past the held window");
                            anvil.increaseTime(t.heldUntil() - now + 1);
                        }
                    }
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    return;
                } catch (Exception e) {
                    // an RPC hiccup: the next poll tries again; the await below has its own timeout
                }
            }
        });
        try {
            return requester.await(taskId, timeout, progress);
        } finally {
            done.set(true);
            skipper.interrupt();
            skipper.join();
        }
    }

    public Devnet devnet() {
        return devnet;
    }

    public Web3j web3() {
        return web3;
    }

    public LedgermindContracts deployer() {
        return deployer;
    }

    /** The requester's view of the deployment (account 1). */
    public LedgermindContracts requester() {
        return LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials());
    }

    public Credentials account(int i) {
        return devnet.accounts().get(i).credentials();
    }

    public Path deploymentFile() {
        return deploymentFile;
    }

    public int modelId(String model) {
        Integer id = modelIds.get(model);
        if (id == null) throw new IllegalArgumentException("model " + model + " is not registered on this network; have " + modelIds.keySet());
        return id;
    }

    public Map<String, Integer> modelIds() {
        return Map.copyOf(modelIds);
    }

    public List<Node> nodes() {
        return List.copyOf(nodes);
    }

    /** Stops node {@code index} (SIGKILL) and starts it again with another behaviour. */
    public Node restartAs(int index, Dishonesty how) throws Exception {
        Node node = nodes.get(index);
        node.process().kill();
        return restart(node, how);
    }

    /** Restarts a node process (after {@link NodeProcess#kill()}) and waits until it is ready again. */
    public Node restart(Node node) throws Exception {
        return restart(node, node.dishonesty());
    }

    /** Restarts a node with another behaviour (its config file is rewritten; its key and store stay). */
    public Node restart(Node node, Dishonesty how) throws Exception {
        if (how != node.dishonesty()) {
            ObjectMapper json = new ObjectMapper();
            ObjectNode c = (ObjectNode) json.readTree(Files.readString(node.config()));
            c.put("dishonesty", how.name().toLowerCase().replace('_', '-'));
            Files.writeString(node.config(), json.writerWithDefaultPrettyPrinter().writeValueAsString(c));
        }
        NodeProcess fresh = new NodeProcess(node.process().name(), node.config(), node.process().logFile());
        String before = Files.exists(fresh.logFile()) ? Files.readString(fresh.logFile()) : "";
        fresh.start();
        processes.add(fresh);
        long deadline = System.nanoTime() + options.startTimeout().toNanos();
        while (System.nanoTime() < deadline) {
            String log = Files.readString(fresh.logFile());
            Matcher m = READY.matcher(log.substring(Math.min(before.length(), log.length())));
            if (m.find()) {
                Node restarted = new Node(node.index(), fresh, node.config(), Long.parseLong(m.group(1)),
                        Integer.parseInt(m.group(2)), how);
                nodes.set(nodes.indexOf(node), restarted);
                return restarted;
            }
            if (!fresh.isAlive()) throw new IllegalStateException(fresh.name() + " exited while restarting; see " + fresh.logFile());
            Thread.sleep(200);
        }
        throw new IllegalStateException(fresh.name() + " did not restart in time; see " + fresh.logFile());
    }

    @Override
    public void close() {
        for (NodeProcess p : processes) p.close();
        for (RpcProxy p : proxies.values()) {
            try {
                p.close();
            } catch (IOException ignored) {
                // its sockets are gone with it
            }
        }
        web3.shutdown();
        devnet.close();
    }
}
