package dev.ledgermind.node.client;

import dev.ledgermind.chain.Deployment;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.node.network.NetworkFile;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

import java.nio.file.Path;
import java.util.Map;

/**
 * A requester's connection to a network: the JSON-RPC client, the contracts as the requester's account,
 * and the {@link Requester} on top. {@code sources} says, where a local devnet's network file does, which
 * built-in name or file each model was loaded from, so that a client can recompute an answer locally;
 * models themselves are resolved on chain ({@link Requester#models()}).
 */
public final class NetworkConnection implements AutoCloseable {
    private final Web3j web3;
    private final String rpcUrl;
    private final Requester requester;
    private final Map<String, String> sources;

    private NetworkConnection(Web3j web3, String rpcUrl, LedgermindContracts contracts, Map<String, String> sources) {
        this.web3 = web3;
        this.rpcUrl = rpcUrl;
        this.requester = new Requester(contracts);
        this.sources = Map.copyOf(sources);
    }

    /** Connects to {@code rpcUrl} with the deployment at {@code deployment}, signing as {@code requesterKey}. */
    public static NetworkConnection connect(String rpcUrl, Path deployment, String requesterKey, Map<String, String> sources) {
        if (requesterKey == null || requesterKey.isBlank()) throw new IllegalArgumentException("a requester private key is required");
        Web3j web3 = Web3j.build(new HttpService(rpcUrl));
        try {
            web3.ethChainId().send();
        } catch (Exception e) {
            web3.shutdown();
            throw new IllegalStateException("the chain at " + rpcUrl + " does not answer (" + e.getMessage()
                    + "); is `ledgermind devnet` still running?");
        }
        try {
            return new NetworkConnection(web3, rpcUrl,
                    LedgermindContracts.at(web3, Deployment.read(deployment), Credentials.create(requesterKey)), sources);
        } catch (RuntimeException e) {
            web3.shutdown();
            throw e;
        } catch (Exception e) {
            web3.shutdown();
            throw new IllegalArgumentException("cannot read the deployment " + deployment + ": " + e.getMessage(), e);
        }
    }

    /** Connects to the network a local devnet's network file describes. */
    public static NetworkConnection connect(NetworkFile file) {
        return connect(file.rpcUrl(), file.deployment(), file.requesterKey(), file.sources());
    }

    public Requester requester() {
        return requester;
    }

    public LedgermindContracts contracts() {
        return requester.chain();
    }

    public String rpcUrl() {
        return rpcUrl;
    }

    /** What to load to run {@code model} locally: its recorded source, else its name. */
    public String sourceOf(String model) {
        return sources.getOrDefault(model, model);
    }

    public Map<String, String> sources() {
        return sources;
    }

    @Override
    public void close() {
        web3.shutdown();
    }
}
