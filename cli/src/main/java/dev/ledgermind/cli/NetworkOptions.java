package dev.ledgermind.cli;

import dev.ledgermind.chain.Deployment;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.node.network.NetworkFile;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.Map;

/**
 * How a client command reaches a network: by default the local devnet's network file
 * ({@code .ledgermind/devnet/network.json}); or explicit {@code --rpc-url} and {@code --deployment}, with
 * the requester key from {@code LEDGERMIND_REQUESTER_KEY}.
 */
final class NetworkOptions {
    @Option(names = "--network", paramLabel = "FILE", defaultValue = ".ledgermind/devnet/network.json",
            description = "The network file written by `ledgermind devnet` (default: ${DEFAULT-VALUE}).")
    Path networkFile;

    @Option(names = "--rpc-url", description = "JSON-RPC URL of the chain (instead of the network file).")
    String rpcUrl;

    @Option(names = "--deployment", paramLabel = "FILE", description = "Deployment JSON (instead of the network file).")
    Path deployment;

    /** {@code sources}: where each model came from (a built-in name or a file), when the network file says. */
    record Connection(Web3j web3, LedgermindContracts contracts, Map<String, Integer> models, Map<String, String> sources)
            implements AutoCloseable {
        /** What to load to run {@code model} locally: its recorded source, else its name. */
        String sourceOf(String model) {
            return sources.getOrDefault(model, model);
        }

        @Override
        public void close() {
            web3.shutdown();
        }
    }

    Connection connect() throws Exception {
        String url;
        Path deploymentPath;
        String key;
        Map<String, Integer> models;
        Map<String, String> sources;
        if (rpcUrl != null || deployment != null) {
            if (rpcUrl == null || deployment == null) throw new IllegalArgumentException("--rpc-url and --deployment go together");
            url = rpcUrl;
            deploymentPath = deployment;
            key = System.getenv("LEDGERMIND_REQUESTER_KEY");
            if (key == null) throw new IllegalArgumentException("set LEDGERMIND_REQUESTER_KEY to the requester's private key");
            models = Map.of();
            sources = Map.of();
        } else {
            NetworkFile nf = NetworkFile.read(networkFile);
            url = nf.rpcUrl();
            deploymentPath = nf.deployment();
            key = nf.requesterKey();
            models = nf.models();
            sources = nf.sources();
        }
        Web3j web3 = Web3j.build(new HttpService(url));
        try {
            web3.ethChainId().send();
        } catch (Exception e) {
            web3.shutdown();
            throw new IllegalStateException("the chain at " + url + " does not answer (" + e.getMessage()
                    + "); is `ledgermind devnet` still running?");
        }
        return new Connection(web3, LedgermindContracts.at(web3, Deployment.read(deploymentPath), Credentials.create(key)), models, sources);
    }
}
