package dev.ledgermind.cli;

import dev.ledgermind.chain.devnet.DevAccount;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.gateway.Gateway;
import dev.ledgermind.gateway.GatewayConfig;
import dev.ledgermind.gateway.LocalModel;
import dev.ledgermind.node.client.NetworkConnection;
import dev.ledgermind.node.network.LocalNetwork;
import dev.ledgermind.node.network.NetworkFile;
import dev.ledgermind.node.task.TaskRunner;
import dev.ledgermind.node.task.TaskRunners;
import dev.ledgermind.node.worker.Dishonesty;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code ledgermind devnet}: a local network (chain, contracts, models, nodes) that runs until Ctrl-C. */
@Command(name = "devnet", mixinStandardHelpOptions = true,
        description = {"Start a local Ledgermind network; it runs until Ctrl-C.",
                "An anvil chain, the contracts, the default models, and N worker node processes.",
                "With --chain-only, just the chain."})
final class DevnetCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--nodes", defaultValue = "4", description = "Worker nodes to start (default: ${DEFAULT-VALUE}).")
    int nodes;

    @Option(names = "--dishonest-node", defaultValue = "-1", paramLabel = "INDEX",
            description = "Make node INDEX dishonest (testing; default: none).")
    int dishonestNode;

    @Option(names = "--dishonest-mode", defaultValue = "wrong-result", paramLabel = "MODE",
            description = "How the dishonest node cheats: wrong-result, withhold-reveal, copy-audit, false-challenge, one-step-wrong or one-item-wrong (default: ${DEFAULT-VALUE}).")
    String dishonestMode;

    @Option(names = "--model", paramLabel = "NAME|PATH", defaultValue = "all-minilm-l6-v2",
            description = {"A model every node serves (repeatable): a built-in encoder name, an ONNX path,",
                    "or a GGUF decoder file (its name is the file name without .gguf). Default: ${DEFAULT-VALUE}."})
    List<String> models;

    @Option(names = "--chain-only", description = "Start only the chain (no contracts, no nodes).")
    boolean chainOnly;

    @Option(names = "--block-time", paramLabel = "SECONDS", defaultValue = "-1",
            description = "Seconds between blocks; 0 mines every transaction at once "
                    + "(default: 1 with nodes, 0 with --chain-only).")
    int blockTime;

    @Option(names = "--state", paramLabel = "FILE",
            description = "With --chain-only: load the chain from FILE if it exists, and save it there on exit.")
    Path stateFile;

    @Option(names = "--chain-id", defaultValue = "31337", description = "Chain id (default: ${DEFAULT-VALUE}).")
    long chainId;

    @Option(names = "--accounts", defaultValue = "10", description = "With --chain-only: funded dev accounts (default: ${DEFAULT-VALUE}).")
    int accounts;

    @Option(names = "--dir", paramLabel = "DIR", defaultValue = ".ledgermind/devnet",
            description = "Where node configs, stores, logs and network.json go (default: ${DEFAULT-VALUE}).")
    Path dir;

    @Mixin
    GatewayOptions http;

    @Option(names = "--gateway-port", defaultValue = "8080",
            description = "Port of the gateway (OpenAI-compatible API, MCP, metrics) the devnet starts; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int gatewayPort;

    @Option(names = "--no-gateway", description = "Do not start the gateway.")
    boolean noGateway;

    @Override
    public Integer call() throws Exception {
        if (chainOnly) return chainOnly();
        if (nodes < 1) throw new IllegalArgumentException("--nodes must be at least 1");
        if (dishonestNode >= nodes) throw new IllegalArgumentException("--dishonest-node " + dishonestNode + " is not one of the " + nodes + " nodes");
        LocalNetwork.Options o = LocalNetwork.Options.defaults(dir).withNodes(nodes)
                .withBlockTime(blockTime < 0 ? 1 : blockTime)
                .withDishonest(dishonestNode, Dishonesty.parse(dishonestMode));
        TaskRunner runner = TaskRunners.forModels(models);
        LocalNetwork net = LocalNetwork.start(o, models, runner, line -> {
            if (!common.json()) System.out.println(line);
        });
        // Ctrl-C (SIGINT) or SIGTERM runs the shutdown hooks: this one stops every node by PID, then the chain.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.err.println("stopping " + net.nodes().size() + " nodes and the chain...");
            net.close();
        }, "devnet-stop"));
        Path networkFile = dir.resolve("network.json");
        Map<String, String> sources = TaskRunners.sources(models, runner);
        NetworkFile nf = new NetworkFile(net.devnet().rpcUrl(), net.deploymentFile(), net.devnet().accounts().get(1).privateKey(),
                net.modelIds(), sources);
        nf.write(networkFile);
        Gateway gateway = noGateway ? null : startGateway(nf);
        if (common.json()) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("rpcUrl", net.devnet().rpcUrl());
            doc.put("chainId", net.devnet().chainId());
            doc.put("networkFile", networkFile.toAbsolutePath().toString());
            doc.put("deployment", net.deployer().deployment());
            doc.put("models", net.modelIds());
            doc.put("gatewayUrl", gateway == null ? null : gateway.url());
            doc.put("nodes", net.nodes().stream().map(n -> Map.of("index", n.index(), "agentId", n.agentId(),
                    "pid", n.process().pid(), "metricsPort", n.metricsPort(), "log", n.process().logFile().toString(),
                    "dishonesty", n.dishonesty().name())).toList());
            common.printJson(doc);
        } else {
            System.out.println("Ledgermind devnet is running. Try, in another terminal:");
            sources.forEach((name, source) -> {
                String m = name.equals(TaskRunners.DEFAULT_MODEL) ? "" : " --model " + name;
                if (source.endsWith(".gguf") || source.contains(".gguf@")) {
                    System.out.println("  ./ledgermind ask generate" + m + " --prompt \"Once upon a time\" --max-tokens 16");
                } else {
                    System.out.println("  ./ledgermind ask classify" + m + " \"The package arrived broken\" --labels complaint,praise,question");
                    System.out.println("  ./ledgermind ask similarity" + m + " \"A cat sits on the mat\" \"A kitten rests on a rug\"");
                }
            });
            System.out.println("  ./ledgermind receipt verify TASK_ID");
            if (gateway != null) {
                System.out.println("Gateway: " + gateway.url() + "  (OpenAI base URL " + gateway.url() + "/v1, MCP " + gateway.url()
                        + "/mcp, metrics " + gateway.url() + "/metrics; answers are tasks on this network)");
            }
            System.out.println("Network file: " + networkFile.toAbsolutePath() + "   Press Ctrl-C to stop everything.");
        }
        System.out.flush();
        new CountDownLatch(1).await(); // until Ctrl-C
        return 0;
    }

    /** The gateway over this network: its answers are tasks settled here; the models are loaded too, to verify and decode. */
    private Gateway startGateway(NetworkFile nf) {
        List<LocalModel> loaded = models.stream().map(LocalModel::load).toList();
        Gateway g = Gateway.start(http.config(gatewayPort, GatewayConfig.Backend.NETWORK), loaded, NetworkConnection.connect(nf));
        Runtime.getRuntime().addShutdownHook(new Thread(g::close, "gateway-stop"));
        return g;
    }

    private int chainOnly() throws Exception {
        common.progress("starting anvil...");
        try (Devnet devnet = Devnet.builder().blockTimeSeconds(Math.max(0, blockTime)).stateFile(stateFile)
                .chainId(chainId).accounts(accounts).start()) {
            // Ctrl-C runs the JVM's shutdown hooks; Devnet's own hook stops anvil by its PID.
            print(devnet);
            int exit = devnet.awaitExit();
            System.err.println("anvil exited on its own with code " + exit);
            return 1;
        }
    }

    private void print(Devnet devnet) {
        List<DevAccount> funded = devnet.accounts();
        if (common.json()) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("rpcUrl", devnet.rpcUrl());
            doc.put("chainId", devnet.chainId());
            doc.put("pid", devnet.pid());
            doc.put("blockTimeSeconds", Math.max(0, blockTime));
            doc.put("stateFile", stateFile == null ? null : stateFile.toAbsolutePath().toString());
            doc.put("accounts", funded.stream().map(a -> Map.of(
                    "index", a.index(), "address", a.address(), "privateKey", a.privateKey())).toList());
            common.printJson(doc);
            return;
        }
        System.out.println("Ledgermind devnet (chain only) is running (anvil pid " + devnet.pid() + ")");
        System.out.println("  RPC URL    " + devnet.rpcUrl());
        System.out.println("  chain id   " + devnet.chainId());
        System.out.println("  blocks     " + (blockTime <= 0 ? "mined on every transaction" : "every " + blockTime + " s"));
        if (stateFile != null) System.out.println("  state      " + stateFile.toAbsolutePath() + " (saved on exit)");
        System.out.println("Funded dev accounts (public test keys, never use them on a real network):");
        for (DevAccount a : funded) {
            System.out.println("  (" + a.index() + ") " + a.address() + "  key " + a.privateKey());
        }
        System.out.println("Try: curl -s -X POST -H 'Content-Type: application/json' --data "
                + "'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}' " + devnet.rpcUrl());
        System.out.println("Press Ctrl-C to stop.");
        System.out.flush();
    }
}
