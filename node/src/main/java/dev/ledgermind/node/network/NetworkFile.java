package dev.ledgermind.node.network;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a client finds a running local network: {@code .ledgermind/devnet/network.json}, written by
 * {@code ledgermind devnet} and read by {@code ledgermind ask} and {@code receipt}. It holds the RPC URL,
 * the deployment file, the model ids, where each model came from (a built-in name or a file path, so that a
 * client can recompute an answer or decode generated tokens), and the requester's key — a public anvil dev
 * key, which is why this file exists only for local devnets.
 */
public record NetworkFile(String rpcUrl, Path deployment, String requesterKey, Map<String, Integer> models,
                          Map<String, String> sources) {
    public static final Path DEFAULT = Path.of(".ledgermind", "devnet", "network.json");

    public void write(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode n = json.createObjectNode();
        n.put("rpcUrl", rpcUrl);
        n.put("deployment", deployment.toAbsolutePath().toString());
        n.put("requesterKey", requesterKey);
        ObjectNode m = n.putObject("models");
        models.forEach(m::put);
        ObjectNode src = n.putObject("sources");
        sources.forEach(src::put);
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, json.writerWithDefaultPrettyPrinter().writeValueAsString(n));
    }

    public static NetworkFile read(Path file) {
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("no running network described at " + file
                    + "; start one with `ledgermind devnet`, or pass --rpc-url and --deployment");
        }
        try {
            JsonNode n = new ObjectMapper().readTree(Files.readString(file));
            Map<String, Integer> models = new LinkedHashMap<>();
            n.path("models").fields().forEachRemaining(e -> models.put(e.getKey(), e.getValue().asInt()));
            Map<String, String> sources = new LinkedHashMap<>();
            n.path("sources").fields().forEachRemaining(e -> sources.put(e.getKey(), e.getValue().asText()));
            return new NetworkFile(n.path("rpcUrl").asText(), Path.of(n.path("deployment").asText()),
                    n.path("requesterKey").asText(), models, sources);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }
}
