package dev.ledgermind.node.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.node.client.TokenFeedClient;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;

/**
 * Fetches the claim a worker made for an optimistic batch from the worker itself (issue 13; docs/DESIGN.md 7): the
 * worker's agent URI (on-chain) names its registration file, whose {@link BatchResultsHandler#ENDPOINT_NAME}
 * endpoint serves the claim document; the document is accepted only when it is the chain's claim (its count and
 * both roots as on-chain, every output hashing to its result: {@link BatchClaimDocument#mismatch}). A worker that
 * serves nothing, or something else, is {@link OffchainItems.Unavailable} with the URL and what failed.
 *
 * <p>The URLs come from the chain (the worker chose them), so the fetch is bounded as {@link OffchainItems}'s: http(s)
 * only, no redirects, {@link OffchainItems.Limits} on size and time, and non-public hosts only when this node's own
 * RPC is on one (a devnet).
 */
public final class BatchClaimFetch {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int MAX_CARD_BYTES = 64 * 1024;

    private final OffchainItems.Limits limits;
    private final HttpClient http;

    public BatchClaimFetch(OffchainItems.Limits limits) {
        this.limits = limits;
        this.http = HttpClient.newBuilder().connectTimeout(limits.timeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** The URL of batch {@code batchId}'s claim at the worker whose agent URI is {@code agentUri}. */
    public String claimUrl(String agentUri, BigInteger batchId) throws OffchainItems.Unavailable {
        byte[] card = get(agentUri, MAX_CARD_BYTES, "the worker's registration file");
        try {
            for (JsonNode e : JSON.readTree(card).path("endpoints")) {
                if (BatchResultsHandler.ENDPOINT_NAME.equals(e.path("name").asText())) {
                    return e.path("endpoint").asText("").replace("{batchId}", batchId.toString());
                }
            }
        } catch (IOException e) {
            throw new OffchainItems.Unavailable("the worker's registration file at " + agentUri + " is not JSON: " + e.getMessage());
        }
        throw new OffchainItems.Unavailable("the worker's registration file at " + agentUri + " names no " + BatchResultsHandler.ENDPOINT_NAME
                + " endpoint");
    }

    /**
     * Batch {@code batchId}'s claim from the worker at {@code agentUri}, checked against the chain's claim: {@code count}
     * items under {@code resultsRoot} and {@code shapesRoot}.
     */
    public BatchClaimDocument fetch(String agentUri, BigInteger batchId, int count, byte[] resultsRoot, byte[] shapesRoot)
            throws OffchainItems.Unavailable {
        String url = claimUrl(agentUri, batchId);
        byte[] body = get(url, limits.maxBytes(), "the batch's claim");
        BatchClaimDocument doc;
        try {
            doc = BatchClaimDocument.parse(new String(body, StandardCharsets.UTF_8), url);
        } catch (IllegalArgumentException e) {
            throw new OffchainItems.Unavailable("the claim served at " + e.getMessage());
        }
        if (!doc.batchId().equals(batchId)) throw new OffchainItems.Unavailable(url + " served batch " + doc.batchId() + "'s claim, not " + batchId + "'s");
        String why = doc.mismatch(count, resultsRoot, shapesRoot);
        if (why != null) throw new OffchainItems.Unavailable("the claim served at " + url + " is not the one on-chain: " + why);
        return doc;
    }

    private byte[] get(String url, int maxBytes, String what) throws OffchainItems.Unavailable {
        URI uri;
        try {
            uri = URI.create(url);
        } catch (IllegalArgumentException e) {
            throw new OffchainItems.Unavailable(what + "'s URL '" + url + "' is not a URL: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new OffchainItems.Unavailable(what + "'s URL '" + url + "' is not an http(s) URL");
        }
        if (uri.getHost() == null) throw new OffchainItems.Unavailable(what + "'s URL '" + url + "' has no host");
        if (!limits.allowPrivate() && TokenFeedClient.isPrivateNetworkUrl(url)) {
            throw new OffchainItems.Unavailable(what + "'s URL " + url + " is on a non-public address (this node fetches from public hosts only)");
        }
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(limits.timeout()).GET().build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) throw new OffchainItems.Unavailable("GET " + url + " (" + what + ") answered HTTP " + r.statusCode());
                byte[] body = in.readNBytes(maxBytes + 1);
                if (body.length > maxBytes) throw new OffchainItems.Unavailable("GET " + url + " answered more than " + maxBytes + " bytes");
                return body;
            }
        } catch (java.net.http.HttpTimeoutException e) {
            throw new OffchainItems.Unavailable("GET " + url + " (" + what + ") did not answer within " + limits.timeout().toMillis() + " ms");
        } catch (IOException e) {
            String why = e instanceof java.net.ConnectException ? "cannot connect to " + uri.getHost() + ":" + uri.getPort()
                    : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new OffchainItems.Unavailable("GET " + url + " (" + what + ") failed: " + why);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new OffchainItems.Unavailable("interrupted while fetching " + url);
        }
    }
}
