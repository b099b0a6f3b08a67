package dev.ledgermind.cli;

import dev.ledgermind.gateway.Gateway;
import dev.ledgermind.gateway.GatewayConfig;
import dev.ledgermind.gateway.LocalModel;
import dev.ledgermind.node.client.NetworkConnection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

/** {@code ledgermind serve}: the OpenAI-compatible gateway with receipts, MCP tools and metrics, until Ctrl-C. */
@Command(name = "serve", mixinStandardHelpOptions = true,
        description = {"Serve an OpenAI-compatible API (/v1/models, /v1/embeddings, /v1/chat/completions, /v1/completions)",
                "whose every answer carries a receipt, an MCP server on /mcp, and Prometheus metrics on /metrics.",
                "The local backend runs the models here; the network backend submits each request as a task on chain."})
final class ServeCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    GatewayOptions http;

    @Option(names = "--port", defaultValue = "8080", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--model", paramLabel = "NAME|PATH", defaultValue = "all-minilm-l6-v2",
            description = {"A model to load (repeatable): a built-in encoder name, an ONNX path, or a GGUF decoder file.",
                    "Default: ${DEFAULT-VALUE}."})
    List<String> models;

    @Option(names = "--backend", defaultValue = "local", description = "Default backend, local or network (default: ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--network", paramLabel = "FILE",
            description = "Connect to the network a devnet's network file describes (for example .ledgermind/devnet/network.json).")
    Path networkFile;

    @Option(names = "--rpc-url", description = "JSON-RPC URL of the chain (with --deployment; the key from LEDGERMIND_REQUESTER_KEY).")
    String rpcUrl;

    @Option(names = "--deployment", paramLabel = "FILE", description = "Deployment JSON (with --rpc-url).")
    Path deployment;

    @Override
    public Integer call() throws Exception {
        GatewayConfig.Backend b = GatewayConfig.Backend.parse(backend, "--backend");
        NetworkConnection network = connect();
        if (b == GatewayConfig.Backend.NETWORK && network == null) {
            throw new IllegalArgumentException("--backend network needs --network FILE or --rpc-url and --deployment");
        }
        List<LocalModel> loaded = new ArrayList<>();
        for (String m : models) {
            common.progress("loading " + m + "...");
            loaded.add(LocalModel.load(m));
        }
        Gateway gateway = Gateway.start(http.config(port, b), loaded, network);
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close, "gateway-stop"));
        if (common.json()) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("url", gateway.url());
            doc.put("models", loaded.stream().map(LocalModel::name).toList());
            doc.put("backend", b.name().toLowerCase());
            doc.put("network", network != null);
            common.printJson(doc);
        } else {
            System.out.println("Ledgermind gateway on " + gateway.url() + " (OpenAI base URL " + gateway.url() + "/v1, MCP "
                    + gateway.url() + "/mcp, metrics " + gateway.url() + "/metrics)");
            System.out.println("  models " + loaded.stream().map(LocalModel::name).toList() + ", default backend " + b.name().toLowerCase()
                    + (network != null ? ", network at " + network.rpcUrl() : ", no network"));
            System.out.println("Press Ctrl-C to stop.");
        }
        System.out.flush();
        new CountDownLatch(1).await();
        return 0;
    }

    private NetworkConnection connect() {
        if (rpcUrl != null || deployment != null) {
            if (rpcUrl == null || deployment == null) throw new IllegalArgumentException("--rpc-url and --deployment go together");
            String key = System.getenv("LEDGERMIND_REQUESTER_KEY");
            if (key == null) throw new IllegalArgumentException("set LEDGERMIND_REQUESTER_KEY to the requester's private key");
            return NetworkConnection.connect(rpcUrl, deployment, key, Map.of());
        }
        if (networkFile != null) return NetworkConnection.connect(dev.ledgermind.node.network.NetworkFile.read(networkFile));
        return null;
    }
}
