package dev.ledgermind.node.worker;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import dev.ledgermind.inference.task.Utf8Text;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
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
 *   "agentUri": "https://example.org/agent.json", // default: the token feed's registration file when the feed is on
 *   "feedPort": -1,                       // the token feed (FeedServer): -1 off, 0 any free port
 *   "feedUrl": "https://node.example.org", // its public base URL (binds all interfaces); default http://127.0.0.1:port
 *   "models": ["all-minilm-l6-v2"],
 *   "stakeWei": "1000000000000000000",
 *   "store": "node.db",
 *   "metricsPort": 0,
 *   "pollMillis": 200,
 *   "dishonesty": "none",                 // none | wrong-result | withhold-reveal | copy-audit | false-challenge | one-step-wrong | one-item-wrong (testing only)
 *   "role": "worker",                     // worker | validator (also replays every optimistic claim, challenges wrong ones)
 *   "maxInputBytes": 65536,               // optional: larger task inputs are declined (WorkLimits)
 *   "maxOutputTokens": 512                // optional: tasks asking for more tokens are declined
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
        Dishonesty dishonesty,
        WorkLimits limits,
        int feedPort,
        String feedUrl,
        NodeRole role) {

    /** A node in the default role (NodeRole.WORKER). */
    public NodeConfig(String name, String rpcUrl, Path deployment, String privateKey, String agentUri, List<String> models,
                      BigInteger stakeWei, Path store, int metricsPort, long pollMillis, Dishonesty dishonesty, WorkLimits limits,
                      int feedPort, String feedUrl) {
        this(name, rpcUrl, deployment, privateKey, agentUri, models, stakeWei, store, metricsPort, pollMillis, dishonesty, limits,
                feedPort, feedUrl, NodeRole.WORKER);
    }

    /** This configuration in another role. */
    public NodeConfig withRole(NodeRole r) {
        return new NodeConfig(name, rpcUrl, deployment, privateKey, agentUri, models, stakeWei, store, metricsPort, pollMillis,
                dishonesty, limits, feedPort, feedUrl, r);
    }

    /** A node without a token feed. */
    public NodeConfig(String name, String rpcUrl, Path deployment, String privateKey, String agentUri, List<String> models,
                      BigInteger stakeWei, Path store, int metricsPort, long pollMillis, Dishonesty dishonesty, WorkLimits limits) {
        this(name, rpcUrl, deployment, privateKey, agentUri, models, stakeWei, store, metricsPort, pollMillis, dishonesty, limits, -1, null);
    }

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
        if (feedPort < -1 || feedPort > 65535) throw new IllegalArgumentException("node config: feedPort must be -1 (off) or 0 to 65535");
        if (feedUrl != null && !feedUrl.matches("https?://[^\\s/]+(/\\S*)?")) {
            throw new IllegalArgumentException("node config: feedUrl must be an http(s) URL");
        }
        models = List.copyOf(models);
        if (limits == null) limits = WorkLimits.NONE;
        if (role == null) role = NodeRole.WORKER;
    }

    /** A configuration without work limits (WorkLimits.NONE). */
    public NodeConfig(String name, String rpcUrl, Path deployment, String privateKey, String agentUri, List<String> models,
                      BigInteger stakeWei, Path store, int metricsPort, long pollMillis, Dishonesty dishonesty) {
        this(name, rpcUrl, deployment, privateKey, agentUri, models, stakeWei, store, metricsPort, pollMillis, dishonesty,
                WorkLimits.NONE);
    }

    /** Whether the node serves its token feed and registration file. */
    public boolean feedEnabled() {
        return feedPort >= 0;
    }

    public static NodeConfig read(Path file) {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read node config " + file + ": " + e.getMessage(), e);
        }
        return parse(bytes, file);
    }

    /**
     * Parses the bytes of the config file {@code file} (its directory resolves relative paths). Errors name
     * the file and the JSON path ({@code $.stakeWei}) or the line and column; they never quote the file's
     * text, which holds the private key.
     */
    public static NodeConfig parse(byte[] bytes, Path file) {
        String where = "node config " + file;
        JsonNode json;
        try {
            json = new ObjectMapper().readTree(Utf8Text.decode(bytes, where));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + " is not valid JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + ": " + redacted(e.getOriginalMessage()));
        }
        if (json == null || !json.isObject()) throw new IllegalArgumentException(where + ": $ must be a JSON object");
        Path base = file.toAbsolutePath().getParent();
        List<String> models = new ArrayList<>();
        json.path("models").forEach(m -> models.add(m.asText()));
        String key = json.hasNonNull("privateKey") ? json.get("privateKey").asText() : System.getenv("LEDGERMIND_NODE_KEY");
        String stake = json.path("stakeWei").asText("1000000000000000000");
        BigInteger stakeWei;
        try {
            stakeWei = new BigInteger(stake);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": $.stakeWei must be a whole number of wei, found '" + redacted(stake) + "'");
        }
        if (stakeWei.signum() < 0) throw new IllegalArgumentException(where + ": $.stakeWei must not be negative");
        int metricsPort = json.path("metricsPort").asInt(0);
        if (metricsPort < 0 || metricsPort > 65535) throw new IllegalArgumentException(where + ": $.metricsPort must be 0 to 65535");
        long pollMillis = json.path("pollMillis").asLong(200);
        if (pollMillis < 1) throw new IllegalArgumentException(where + ": $.pollMillis must be at least 1");
        Dishonesty dishonesty;
        try {
            dishonesty = Dishonesty.parse(json.path("dishonesty").asText("none"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": $.dishonesty: " + redacted(e.getMessage()));
        }
        WorkLimits limits;
        long maxInputBytes = json.path("maxInputBytes").asLong(Long.MAX_VALUE);
        if (maxInputBytes < 1) throw new IllegalArgumentException(where + ": $.maxInputBytes must be at least 1");
        long maxOutputTokens = json.path("maxOutputTokens").asLong(Long.MAX_VALUE);
        if (maxOutputTokens < 0) throw new IllegalArgumentException(where + ": $.maxOutputTokens must not be negative");
        limits = new WorkLimits(maxInputBytes, maxOutputTokens);
        try {
            return new NodeConfig(
                    json.path("name").asText(file.getFileName().toString().replaceFirst("\\.json$", "")),
                    json.path("rpcUrl").asText(null),
                    resolve(json, "deployment", base, where),
                    key,
                    json.path("agentUri").asText(null),
                    models,
                    stakeWei,
                    resolve(json, "store", base, where),
                    metricsPort,
                    pollMillis,
                    dishonesty,
                    limits,
                    json.path("feedPort").asInt(-1),
                    json.hasNonNull("feedUrl") ? json.get("feedUrl").asText() : null,
                    role(json, where));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage().replace("node config:", where + ":"), e);
        }
    }

    private static NodeRole role(JsonNode json, String where) {
        try {
            return NodeRole.parse(json.path("role").asText("worker"));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(where + ": $.role: " + redacted(e.getMessage()));
        }
    }

    private static Path resolve(JsonNode json, String field, Path base, String where) {
        if (!json.hasNonNull(field)) return null;
        try {
            return base.resolve(json.get(field).asText());
        } catch (InvalidPathException e) {
            throw new IllegalArgumentException(where + ": $." + field + " is not a valid path: " + redacted(e.getReason()));
        }
    }

    /** {@code text} with quoted text and long hex runs cut out: a parser's message may quote the private key. */
    static String redacted(String text) {
        return text == null ? "" : text.replaceAll("'[^']*'", "'…'").replaceAll("(0x)?[0-9a-fA-F]{16,}", "<redacted>");
    }

    /** A URL with its user info, path and query cut (RPC providers put API keys there). */
    static String withoutSecrets(String url) {
        try {
            java.net.URI u = java.net.URI.create(url);
            if (u.getScheme() == null || u.getHost() == null) return "<unparsed url>";
            boolean more = u.getRawUserInfo() != null || u.getRawQuery() != null || (u.getRawPath() != null && u.getRawPath().length() > 1);
            return u.getScheme() + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "") + (more ? "/…" : "");
        } catch (IllegalArgumentException e) {
            return "<unparsed url>";
        }
    }

    @Override
    public String toString() {
        return "NodeConfig[name=" + name + ", rpcUrl=" + withoutSecrets(rpcUrl) + ", deployment=" + deployment + ", models=" + models
                + ", stakeWei=" + stakeWei + ", store=" + store + ", metricsPort=" + metricsPort
                + ", pollMillis=" + pollMillis + ", dishonesty=" + dishonesty + ", limits=" + limits + ", feedPort=" + feedPort
                + ", feedUrl=" + feedUrl + ", role=" + role + ", privateKey=<hidden>]";
    }
}
