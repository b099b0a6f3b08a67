package dev.ledgermind.node.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.LongFunction;

/**
 * Where an agent's node answers: the agent's on-chain URI names its ERC-8004 registration file, whose
 * {@code endpoints} list named URL templates (the token feed, a batch's results). One place for the rule of
 * what a client may contact, since whoever registers an agent chooses these URLs: only http(s), no redirects,
 * a small registration file, short timeouts, and, unless private addresses are allowed (a devnet, where every
 * node is on loopback), no host that resolves to a loopback, private, link-local (cloud metadata),
 * unique-local, carrier-NAT, multicast or unspecified address. The check resolves the name before the request
 * and the request resolves it again: a DNS server that answers differently the second time (rebinding) is not
 * defended against here.
 */
public final class AgentEndpoints {
    private static final Logger log = LoggerFactory.getLogger(AgentEndpoints.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_CARD_BYTES = 64 * 1024;

    private final LongFunction<String> agentUri;
    private final HttpClient http;
    private final Duration timeout;
    private final boolean allowPrivate;

    /**
     * @param agentUri     an agent's on-chain URI (the agent registry's tokenURI)
     * @param allowPrivate whether loopback and private addresses may be contacted: true on a devnet only
     *                     (see {@link #isPrivateNetworkUrl})
     */
    public AgentEndpoints(LongFunction<String> agentUri, Duration timeout, boolean allowPrivate) {
        this.agentUri = agentUri;
        this.timeout = timeout;
        this.allowPrivate = allowPrivate;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The client these endpoints are fetched with (no redirects, the connect timeout above). */
    public HttpClient http() {
        return http;
    }

    public Duration timeout() {
        return timeout;
    }

    /**
     * Whether {@code url}'s host is on a loopback or private network: a chain reached that way is a devnet or
     * a private deployment, whose nodes' endpoints are on the same kind of address. False for a malformed URL.
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
        InetAddress[] all;
        try {
            all = InetAddress.getAllByName(host);
        } catch (UnknownHostException e) {
            return "its host " + host + " does not resolve";
        }
        for (InetAddress a : all) {
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

    /** The URL if it may be contacted (http or https, and a public host unless private ones are allowed); {@code what} names it in the log. */
    public Optional<String> allowed(long agent, String what, String url) {
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
     * The URL template of the endpoint named {@code name} in {@code agent}'s registration file, as the file gives
     * it (placeholders such as {@code {taskId}} unfilled; pass the filled URL through {@link #allowed} before use);
     * empty when the agent has no URI, its file cannot be read or may not be contacted, or lists no such endpoint.
     */
    public Optional<String> template(long agent, String name) {
        String uri;
        try {
            uri = agentUri.apply(agent);
        } catch (RuntimeException e) {
            log.info("cannot read agent {}'s URI: {}", agent, e.getMessage());
            return Optional.empty();
        }
        if (uri == null || allowed(agent, "registration file", uri).isEmpty()) return Optional.empty();
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(uri)).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            byte[] body;
            try (InputStream in = r.body()) {
                body = in.readNBytes(MAX_CARD_BYTES + 1);
            }
            if (r.statusCode() != 200 || body.length > MAX_CARD_BYTES) return Optional.empty();
            for (JsonNode e : JSON.readTree(body).path("endpoints")) {
                if (name.equals(e.path("name").asText())) return Optional.of(e.path("endpoint").asText(""));
            }
        } catch (IOException | IllegalArgumentException e) {
            log.info("agent {}'s registration file at {}: {}", agent, uri, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }
}
