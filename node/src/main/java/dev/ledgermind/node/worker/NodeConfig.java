package dev.ledgermind.node.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A worker's configuration: a JSON file, then command-line flags on top. The private key comes from the
 * file's {@code privateKey}, or from the environment variable {@code LEDGERMIND_NODE_KEY}; it is never
 * printed or logged ({@link #toString()} leaves it out).
 *
 * <pre>{@code
 * {
 *   "rpcUrl": "http://127.0.0.1:8545",
 *   "deployment": "deployment.json",      // contract addresses, as written by the devnet
 *   "privateKey": "0x...",                // or LEDGERMIND_NODE_KEY
 *   "agentUri": "https://example.org/agent.json",
 *   "models": ["all-minilm-l6-v2"],
 *   "stakeWei": "1000000000000000000",
 *   "store": "node.db",
 *   "metricsPort": 0,
 *   "pollMillis": 200,
 *   "dishonesty": "none"                  // none | wrong-result | withhold-reveal (testing only)
 * }
 * }</pre>
 */
public record NodeConfig(
        String name,
        String rpcUrl,
        Path deployment,
        String privateKey,
        String agentUri,
        List<String> models,
        BigInteger stakeWei,
        Path store,
        int metricsPort,
        long pollMillis,
        Dishonesty dishonesty) {

    public NodeConfig {
        if (rpcUrl == null || rpcUrl.isBlank()) throw new IllegalArgumentException("node config: rpcUrl is required");
        if (deployment == null) throw new IllegalArgumentException("node config: deployment (the contract addresses file) is required");
        if (privateKey == null || privateKey.isBlank()) {
            throw new IllegalArgumentException("node config: no private key (set privateKey in the file or LEDGERMIND_NODE_KEY)");
        }
        if (!privateKey.matches("(0x)?[0-9a-fA-F]{64}")) {
            throw new IllegalArgumentException("node config: privateKey must be 32 bytes of hex");
        }
        if (models == null || models.isEmpty()) throw new IllegalArgumentException("node config: models must name at least one model");
        if (store == null) throw new IllegalArgumentException("node config: store (the local database file) is required");
        models = List.copyOf(models);
    }

    public static NodeConfig read(Path file) {
        try {
            JsonNode json = new ObjectMapper().readTree(Files.readString(file));
            Path base = file.toAbsolutePath().getParent();
            List<String> models = new ArrayList<>();
            json.path("models").forEach(m -> models.add(m.asText()));
            String key = json.hasNonNull("privateKey") ? json.get("privateKey").asText() : System.getenv("LEDGERMIND_NODE_KEY");
            return new NodeConfig(
                    json.path("name").asText(file.getFileName().toString().replaceFirst("\\.json$", "")),
                    json.path("rpcUrl").asText(null),
                    json.hasNonNull("deployment") ? base.resolve(json.get("deployment").asText()) : null,
                    key,
                    json.path("agentUri").asText("ledgermind://node"),
                    models,
                    new BigInteger(json.path("stakeWei").asText("1000000000000000000")),
                    json.hasNonNull("store") ? base.resolve(json.get("store").asText()) : null,
                    json.path("metricsPort").asInt(0),
                    json.path("pollMillis").asLong(200),
                    Dishonesty.parse(json.path("dishonesty").asText("none")));
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read node config " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public String toString() {
        return "NodeConfig[name=" + name + ", rpcUrl=" + rpcUrl + ", deployment=" + deployment + ", models=" + models
                + ", stakeWei=" + stakeWei + ", store=" + store + ", metricsPort=" + metricsPort
                + ", pollMillis=" + pollMillis + ", dishonesty=" + dishonesty + ", privateKey=<hidden>]";
    }
}
