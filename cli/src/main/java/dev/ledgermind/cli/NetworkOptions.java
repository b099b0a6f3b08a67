package dev.ledgermind.cli;

import dev.ledgermind.node.client.NetworkConnection;
import dev.ledgermind.node.network.NetworkFile;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * How a client command reaches a network: by default the local devnet's network file
 * ({@code .ledgermind/devnet/network.json}); or explicit {@code --rpc-url} and {@code --deployment}, with
 * the requester key from {@code LEDGERMIND_REQUESTER_KEY}. Models are resolved by name on chain.
 */
final class NetworkOptions {
    @Option(names = "--network", paramLabel = "FILE", defaultValue = ".ledgermind/devnet/network.json",
            description = "The network file written by `ledgermind devnet` (default: ${DEFAULT-VALUE}).")
    Path networkFile;

    @Option(names = "--rpc-url", description = "JSON-RPC URL of the chain (instead of the network file).")
    String rpcUrl;

    @Option(names = "--deployment", paramLabel = "FILE", description = "Deployment JSON (instead of the network file).")
    Path deployment;

    /** The connection these options name; the caller closes it. */
    NetworkConnection connect() {
        if (rpcUrl != null || deployment != null) {
            if (rpcUrl == null || deployment == null) throw new IllegalArgumentException("--rpc-url and --deployment go together");
            String key = System.getenv("LEDGERMIND_REQUESTER_KEY");
            if (key == null) throw new IllegalArgumentException("set LEDGERMIND_REQUESTER_KEY to the requester's private key");
            return NetworkConnection.connect(rpcUrl, deployment, key, Map.of());
        }
        return NetworkConnection.connect(NetworkFile.read(networkFile));
    }
}
