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
    private static final int MAX_CARD_BYTES = 64 * 1024;
    private static final int MAX_LINE = 1 << 20;

    /** What a feed gave: the agent read from, and whether its generation ended (false: the feed broke off). */
    public record Preview(long agentId, int tokens, boolean ended) {}

    /** What the client reads from the chain: agents' URIs, and who it is (to sign the feed request). */
    interface Lookup {
        String agentUri(long agentId);

        String authorization(BigInteger taskId);
    }

    private final Lookup chain;
    private final HttpClient http;
    private final Duration connectTimeout;
    private final boolean allowPrivate;

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
        this.connectTimeout = connectTimeout;
        this.allowPrivate = allowPrivate;
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /**
     * Whether {@code url}'s host is on a loopback or private network: a chain reached that way is a devnet or
     * a private deployment, whose nodes' feeds are on the same kind of address. False for a malformed URL.
     */
    public static boolean isPrivateNetworkUrl(String url) {
        try {
            String host = URI.create(url).getHost();
            return host != null && refusal(host) != null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** Why {@code host} may not be contacted from a public deployment, or null when every address it has is public. */
    static String refusal(String host) {
        java.net.InetAddress[] all;
        try {
            all = java.net.InetAddress.getAllByName(host);
        } catch (java.net.UnknownHostException e) {
            return "its host " + host + " does not resolve";
        }
        for (java.net.InetAddress a : all) {
            byte[] b = a.getAddress();
            boolean uniqueLocal = b.length == 16 && (b[0] & 0xfe) == 0xfc; // fc00::/7
            boolean carrierNat = b.length == 4 && (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64; // 100.64.0.0/10
            if (a.isLoopbackAddress() || a.isSiteLocalAddress() || a.isLinkLocalAddress() || a.isAnyLocalAddress()
                    || a.isMulticastAddress() || uniqueLocal || carrierNat) {
                return "its host " + host + " is at the non-public address " + a.getHostAddress();
            }
        }
        return null;
    }

    /** The URL if this client may contact it (http or https, and a public host unless private ones are allowed). */
    private Optional<String> allowed(long agent, String what, String url) {
        if (!url.startsWith("http://") && !url.startsWith("https://")) return Optional.empty();
        if (allowPrivate) return Optional.of(url);
        String host;
        try {
            host = URI.create(url).getHost();
        } catch (IllegalArgumentException e) {
            log.info("agent {}'s {} {} is not a URL: {}", agent, what, url, e.getMessage());
            return Optional.empty();
        }
        String why = host == null ? "it has no host" : refusal(host);
        if (why == null) return Optional.of(url);
        log.info("agent {}'s {} {} is not contacted: {}", agent, what, url, why);
        return Optional.empty();
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
        String uri;
        try {
            uri = chain.agentUri(agent);
        } catch (RuntimeException e) {
            log.info("cannot read agent {}'s URI: {}", agent, e.getMessage());
            return Optional.empty();
        }
        if (allowed(agent, "registration file", uri).isEmpty()) return Optional.empty();
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(connectTimeout).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = r.body()) {
                body = in.readNBytes(MAX_CARD_BYTES + 1);
            }
            if (r.statusCode() != 200 || body.length > MAX_CARD_BYTES) return Optional.empty();
            for (JsonNode e : JSON.readTree(body).path("endpoints")) {
                if (FeedServer.ENDPOINT_NAME.equals(e.path("name").asText())) {
                    String t = e.path("endpoint").asText("");
                    return allowed(agent, "token feed", t.replace("{taskId}", taskId.toString()));
                }
            }
        } catch (IOException | IllegalArgumentException e) {
            log.info("agent {}'s registration file at {}: {}", agent, uri, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
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
