package dev.ledgermind.cli;

import dev.ledgermind.gateway.GatewayConfig;
import picocli.CommandLine.Option;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;

/** The gateway's HTTP settings, shared by {@code serve} and {@code devnet}. */
final class GatewayOptions {
    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address the gateway binds (default: ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--api-key-env", paramLabel = "VAR", defaultValue = "LEDGERMIND_API_KEY",
            description = "Environment variable holding the bearer key clients must send; unset means no key (default: ${DEFAULT-VALUE}).")
    String apiKeyEnv;

    @Option(names = "--max-body-bytes", defaultValue = "1048576", description = "Largest request body (default: ${DEFAULT-VALUE}).")
    long maxBodyBytes;

    @Option(names = "--max-tokens", defaultValue = "512", description = "Most tokens a completion may ask for (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--request-timeout", defaultValue = "300", description = "Seconds a request may wait for an engine or the network (default: ${DEFAULT-VALUE}).")
    int requestTimeout;

    @Option(names = "--cors-origin", split = ",", defaultValue = "*",
            description = "Origins browsers may call from, comma-separated; '*' for any, 'none' for no CORS (default: ${DEFAULT-VALUE}).")
    List<String> corsOrigins;

    @Option(names = {"-k", "--redundancy"}, defaultValue = "3", description = "Nodes per network task (k=2 is refused by the market) (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--fee-wei", defaultValue = "10000000000000000", description = "Fee per network task (default: 0.01 ETH).")
    BigInteger fee;

    GatewayConfig config(int port, GatewayConfig.Backend backend) {
        String key = System.getenv(apiKeyEnv);
        List<String> cors = corsOrigins.equals(List.of("none")) ? List.of() : corsOrigins;
        return new GatewayConfig(host, port, key == null || key.isBlank() ? null : key, maxBodyBytes, Duration.ofSeconds(requestTimeout),
                Duration.ofMinutes(2), cors, backend, maxTokens, Duration.ofSeconds(5), k, fee);
    }
}
