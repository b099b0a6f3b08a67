package dev.ledgermind.node.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.node.feed.FeedAccess;
import dev.ledgermind.node.feed.FeedServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.function.IntConsumer;

/**
 * Reads a task's tokens from one of its nodes while they are computed: the agent's on-chain URI names its
 * ERC-8004 registration file, whose {@code ledgermind-token-feed} endpoint serves them to the requester
 * ({@link FeedAccess}). What arrives is one node's preview, not the verified answer: the caller compares
 * it with the output the chain accepts.
 *
 * <p>The URIs come from the chain, so anyone who registers an agent chooses what this client fetches:
 * only http(s), no redirects, small bodies, short timeouts, and a GET that carries only the task's feed
 * signature. Unless private addresses are allowed (a devnet, where every node is on loopback), a host that
 * resolves to a loopback, private, link-local (cloud metadata), unique-local, multicast or unspecified
 * address is not contacted at all, so a registration cannot point this client at services behind its
 * firewall. The check resolves the name before the request and the request resolves it again: a DNS
 * server that answers differently the second time (rebinding) is not defended against here.
 */
public final class TokenFeedClient {
    private static final Logger log = LoggerFactory.getLogger(TokenFeedClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_LINE = 1 << 20;

    /** What a feed gave: the agent read from, and whether its generation ended (false: the feed broke off). */
    public record Preview(long agentId, int tokens, boolean ended) {}

    /** What the client reads from the chain: agents' URIs, and who it is (to sign the feed request). */
    interface Lookup {
        String agentUri(long agentId);

        String authorization(BigInteger taskId);
    }

    private final Lookup chain;
    private final AgentEndpoints endpoints;
    private final HttpClient http;

    /**
     * @param allowPrivate whether feeds on loopback and private addresses may be read: true on a devnet only
     *                     (see {@link #isPrivateNetworkUrl})
     */
    public TokenFeedClient(LedgermindContracts requester, Duration connectTimeout, boolean allowPrivate) {
        this(new Lookup() {
            @Override
            public String agentUri(long agentId) {
                return requester.agentUri(agentId);
            }

            @Override
            public String authorization(BigInteger taskId) {
                return FeedAccess.authorization(requester.sender().credentials(), requester.deployment().chainId(),
                        requester.deployment().taskMarket(), taskId);
            }
        }, connectTimeout, allowPrivate);
    }

    TokenFeedClient(Lookup chain, Duration connectTimeout, boolean allowPrivate) {
        this.chain = chain;
        this.endpoints = new AgentEndpoints(chain::agentUri, connectTimeout, allowPrivate);
        this.http = endpoints.http();
    }

    /** {@link AgentEndpoints#isPrivateNetworkUrl}: whether {@code url}'s host is on a loopback or private network. */
    public static boolean isPrivateNetworkUrl(String url) {
        return AgentEndpoints.isPrivateNetworkUrl(url);
    }

    /**
     * Streams the tokens of {@code taskId} from the first of {@code seats} whose feed answers, each token to
     * {@code onToken}; empty when none does (no feed, not http, refused, or the node never started it).
     */
    public Optional<Preview> stream(BigInteger taskId, List<Long> seats, IntConsumer onToken) {
        for (long agent : new LinkedHashSet<>(seats)) {
            Optional<String> url = feedUrl(agent, taskId);
            if (url.isEmpty()) continue;
            try {
                Optional<Preview> p = read(agent, url.get(), taskId, onToken);
                if (p.isPresent()) return p;
            } catch (IOException e) {
                log.info("token feed of agent {} for task {}: {}", agent, taskId, e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** The feed URL for the task from the agent's registration file, if it has one. */
    Optional<String> feedUrl(long agent, BigInteger taskId) {
        return endpoints.template(agent, FeedServer.ENDPOINT_NAME)
                .flatMap(t -> endpoints.allowed(agent, "token feed", t.replace("{taskId}", taskId.toString())));
    }

    private Optional<Preview> read(long agent, String url, BigInteger taskId, IntConsumer onToken) throws IOException, InterruptedException {
        String auth = chain.authorization(taskId);
        HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", auth)
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream in = r.body(); BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            if (r.statusCode() != 200) {
                log.info("token feed of agent {} for task {} answered {}", agent, taskId, r.statusCode());
                return Optional.empty();
            }
            String event = "message";
            int count = 0;
            for (String line; (line = lines.readLine()) != null; ) {
                if (line.length() > MAX_LINE) throw new IOException("a feed line of " + line.length() + " characters");
                if (line.isEmpty()) {
                    event = "message";
                } else if (line.startsWith("event:")) {
                    event = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    JsonNode d = JSON.readTree(line.substring(5));
                    switch (event) {
                        case "end" -> {
                            return Optional.of(new Preview(agent, count, true));
                        }
                        case "error" -> {
                            log.info("token feed of agent {} for task {}: {}", agent, taskId, d.path("error").path("message").asText());
                            return count == 0 ? Optional.empty() : Optional.of(new Preview(agent, count, false));
                        }
                        default -> {
                            if (d.path("from").asInt(-1) != count) throw new IOException("the feed skipped: expected token " + count);
                            for (JsonNode t : d.path("tokens")) {
                                onToken.accept(t.asInt());
                                count++;
                            }
                        }
                    }
                }
            }
            return count == 0 ? Optional.empty() : Optional.of(new Preview(agent, count, false));
        }
    }
}
