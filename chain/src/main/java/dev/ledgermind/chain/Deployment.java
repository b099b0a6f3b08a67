package dev.ledgermind.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Where a Ledgermind deployment lives; what one process hands to another (the devnet to its nodes,
 * a node to the requester client). Its JSON form, written by {@link #toJson()} and read by
 * {@link #fromJson(String)}:
 *
 * <pre>{@code
 * {
 *   "format": "ledgermind-deployment/1",
 *   "chainId": 31337,
 *   "deployBlock": 1,                       // first block to scan for events
 *   "agentRegistry": "0x...",               // ERC-8004 identity + stake
 *   "modelRegistry": "0x...",
 *   "taskMarket": "0x...",
 *   "reputationRegistry": "0x...",          // ERC-8004 reputation
 *   "validationRegistry": "0x...",          // ERC-8004 validation
 *   "treasury": "0x...",
 *   "optimisticSettlement": "0x..."         // optional: the optimistic mode (served at taskMarket's address)
 * }
 * }</pre>
 *
 * Addresses are 0x-prefixed hex (any case); unknown fields are ignored, missing ones are an error, except
 * {@code optimisticSettlement} (null when absent: a deployment without the optimistic mode, or one written before it).
 */
public record Deployment(long chainId, long deployBlock, String agentRegistry, String modelRegistry,
                         String taskMarket, String reputationRegistry, String validationRegistry,
                         String treasury, String optimisticSettlement) {
    public static final String FORMAT = "ledgermind-deployment/1";
    private static final ObjectMapper JSON = new ObjectMapper();

    public Deployment {
        requireAddress("agentRegistry", agentRegistry);
        requireAddress("modelRegistry", modelRegistry);
        requireAddress("taskMarket", taskMarket);
        requireAddress("reputationRegistry", reputationRegistry);
        requireAddress("validationRegistry", validationRegistry);
        requireAddress("treasury", treasury);
        if (optimisticSettlement != null) requireAddress("optimisticSettlement", optimisticSettlement);
    }

    /** A deployment without the optimistic mode. */
    public Deployment(long chainId, long deployBlock, String agentRegistry, String modelRegistry, String taskMarket,
                      String reputationRegistry, String validationRegistry, String treasury) {
        this(chainId, deployBlock, agentRegistry, modelRegistry, taskMarket, reputationRegistry, validationRegistry, treasury, null);
    }

    public String toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("format", FORMAT);
        n.put("chainId", chainId);
        n.put("deployBlock", deployBlock);
        n.put("agentRegistry", agentRegistry);
        n.put("modelRegistry", modelRegistry);
        n.put("taskMarket", taskMarket);
        n.put("reputationRegistry", reputationRegistry);
        n.put("validationRegistry", validationRegistry);
        n.put("treasury", treasury);
        if (optimisticSettlement != null) n.put("optimisticSettlement", optimisticSettlement);
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(n);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Deployment fromJson(String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (IOException e) {
            throw new IllegalArgumentException("deployment file is not valid JSON: " + e.getMessage(), e);
        }
        String format = n.path("format").asText("");
        if (!FORMAT.equals(format)) {
            throw new IllegalArgumentException("deployment file format is '" + format + "', expected '" + FORMAT + "'");
        }
        return new Deployment(number(n, "chainId"), number(n, "deployBlock"), text(n, "agentRegistry"),
                text(n, "modelRegistry"), text(n, "taskMarket"), text(n, "reputationRegistry"),
                text(n, "validationRegistry"), text(n, "treasury"),
                n.hasNonNull("optimisticSettlement") ? text(n, "optimisticSettlement") : null);
    }

    public void write(Path file) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) Files.createDirectories(parent);
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, toJson());
        Files.move(tmp, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    public static Deployment read(Path file) throws IOException {
        try {
            return fromJson(Files.readString(file));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    private static long number(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToLong()) {
            throw new IllegalArgumentException("deployment field '" + field + "' is missing or not an integer");
        }
        return v.asLong();
    }

    private static String text(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException("deployment field '" + field + "' is missing");
        return v.asText();
    }

    private static void requireAddress(String field, String value) {
        if (value == null || !value.matches("0x[0-9a-fA-F]{40}")) {
            throw new IllegalArgumentException("deployment field '" + field + "' must be a 0x-prefixed 20-byte address, got "
                    + value);
        }
    }
}
