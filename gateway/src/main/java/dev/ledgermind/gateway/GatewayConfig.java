package dev.ledgermind.gateway;

import java.time.Duration;
import java.util.List;

/**
 * How a gateway runs.
 *
 * @param host            the address to bind (loopback by default)
 * @param port            0 picks a free port
 * @param apiKey          when set, every /v1 and /mcp request must carry {@code Authorization: Bearer KEY}
 * @param maxBodyBytes    larger request bodies get 413
 * @param requestTimeout  the most a request may wait for an engine or for the network to settle
 * @param idleTimeout     an HTTP connection idle this long is closed
 * @param corsOrigins     origins allowed to call from a browser ({@code *} for any); empty turns CORS off
 * @param backend         the default backend: local or network (a request may choose with the
 *                        {@code Ledgermind-Backend} header or a {@code "ledgermind": {"backend": ...}} field)
 * @param maxTokens       the most tokens a completion may ask for
 * @param heartbeat       how often a stream sends an SSE comment while nothing else is sent (prefill, consensus)
 * @param redundancy      k for network tasks
 * @param feeWei          the fee held in escrow for each network task
 */
public record GatewayConfig(String host, int port, String apiKey, long maxBodyBytes, Duration requestTimeout,
                            Duration idleTimeout, List<String> corsOrigins, Backend backend, int maxTokens,
                            Duration heartbeat, int redundancy, java.math.BigInteger feeWei) {
    public enum Backend {
        LOCAL, NETWORK;

        public static Backend parse(String s, String where) {
            return switch (s.toLowerCase(java.util.Locale.ROOT)) {
                case "local" -> LOCAL;
                case "network" -> NETWORK;
                default -> throw ApiError.invalid(where, "backend must be 'local' or 'network', got '" + s + "'");
            };
        }
    }

    public GatewayConfig {
        corsOrigins = List.copyOf(corsOrigins);
        if (maxBodyBytes < 1024) throw new IllegalArgumentException("maxBodyBytes must be at least 1024, got " + maxBodyBytes);
        if (maxTokens < 1) throw new IllegalArgumentException("maxTokens must be at least 1, got " + maxTokens);
        if (redundancy < 1) throw new IllegalArgumentException("redundancy must be at least 1, got " + redundancy);
    }

    public static GatewayConfig defaults() {
        return new GatewayConfig("127.0.0.1", 0, null, 1 << 20, Duration.ofMinutes(5), Duration.ofMinutes(2), List.of("*"),
                Backend.LOCAL, 512, Duration.ofSeconds(5), 3, java.math.BigInteger.TEN.pow(16)); // k=3: the market refuses k=2
    }

    public GatewayConfig withPort(int p) {
        return new GatewayConfig(host, p, apiKey, maxBodyBytes, requestTimeout, idleTimeout, corsOrigins, backend, maxTokens, heartbeat, redundancy, feeWei);
    }

    public GatewayConfig withHost(String h) {
        return new GatewayConfig(h, port, apiKey, maxBodyBytes, requestTimeout, idleTimeout, corsOrigins, backend, maxTokens, heartbeat, redundancy, feeWei);
    }

    public GatewayConfig withApiKey(String key) {
        return new GatewayConfig(host, port, key, maxBodyBytes, requestTimeout, idleTimeout, corsOrigins, backend, maxTokens, heartbeat, redundancy, feeWei);
    }

    public GatewayConfig withMaxBodyBytes(long n) {
        return new GatewayConfig(host, port, apiKey, n, requestTimeout, idleTimeout, corsOrigins, backend, maxTokens, heartbeat, redundancy, feeWei);
    }

    public GatewayConfig withBackend(Backend b) {
        return new GatewayConfig(host, port, apiKey, maxBodyBytes, requestTimeout, idleTimeout, corsOrigins, b, maxTokens, heartbeat, redundancy, feeWei);
    }

    public GatewayConfig withHeartbeat(Duration d) {
        return new GatewayConfig(host, port, apiKey, maxBodyBytes, requestTimeout, idleTimeout, corsOrigins, backend, maxTokens, d, redundancy, feeWei);
    }

    public GatewayConfig withRedundancy(int k) {
        return new GatewayConfig(host, port, apiKey, maxBodyBytes, requestTimeout, idleTimeout, corsOrigins, backend, maxTokens, heartbeat, k, feeWei);
    }

    public GatewayConfig withCorsOrigins(List<String> origins) {
        return new GatewayConfig(host, port, apiKey, maxBodyBytes, requestTimeout, idleTimeout, origins, backend, maxTokens, heartbeat, redundancy, feeWei);
    }

    public GatewayConfig withMaxTokens(int n) {
        return new GatewayConfig(host, port, apiKey, maxBodyBytes, requestTimeout, idleTimeout, corsOrigins, backend, n, heartbeat, redundancy, feeWei);
    }

    public GatewayConfig withRequestTimeout(Duration d) {
        return new GatewayConfig(host, port, apiKey, maxBodyBytes, d, idleTimeout, corsOrigins, backend, maxTokens, heartbeat, redundancy, feeWei);
    }
}
