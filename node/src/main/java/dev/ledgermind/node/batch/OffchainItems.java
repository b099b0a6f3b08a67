package dev.ledgermind.node.batch;

import dev.ledgermind.chain.ModelTerms;
import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.node.client.TokenFeedClient;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.web3j.utils.Numeric;

/**
 * The fetch path of an off-chain batch's items (issue 13, data availability; docs/DESIGN.md 6.4): a batch submitted
 * with {@code submitBatchRoot} has only its request root, its count and a locator on-chain; the requester serves the
 * items at the locator ({@code node/client/BatchItemServer}), every seat fetches them and checks them before it
 * computes anything, and a seat that cannot get them, or gets items that are not the batch's, declines it
 * ({@code declineBatch}: not slashed; the batch is refunded at its commit deadline less the decline shares).
 *
 * <p>What is served: {@code GET locator} answers 200 with the items exactly as {@code submitBatch} takes them (the
 * concatenated item bytes, every input inline), {@code application/octet-stream}. What is checked, in this order,
 * each failure an {@link Unavailable} naming what was wrong: the locator is an http(s) URL (on a public host unless
 * private ones are allowed: the locator is the requester's choice, and every seat sends a GET to it); the answer is
 * 200 within the timeout, at most {@code maxBytes}, without redirects; the bytes decode (item and byte offset); there
 * are {@code count} items, each with its input; the BatchTree root over keccak256 of each item is the batch's
 * request root (so the items are the ones the requester committed to); the fee shares sum to what the batch holds;
 * each item is within the model's terms (input bytes, maxTokens, fee at least pricePerToken x (input bytes +
 * maxTokens)), as {@code submitBatch} checks inline items.
 */
public final class OffchainItems {
    /** Why a batch's items could not be used: the message names the locator, the item or the byte offset. */
    public static final class Unavailable extends Exception {
        public Unavailable(String message) {
            super(message);
        }
    }

    /** Bounds of one fetch: the largest answer read, and the time allowed to connect and to receive it. */
    public record Limits(int maxBytes, Duration timeout, boolean allowPrivate) {
        public Limits {
            if (maxBytes < BatchItem.HEADER) throw new IllegalArgumentException("maxBytes " + maxBytes + " is below one item header");
        }

        /** 32 MiB (4,096 items of about 8 KB), 10 s. */
        public static Limits defaults(boolean allowPrivate) {
            return new Limits(32 << 20, Duration.ofSeconds(10), allowPrivate);
        }
    }

    private final Limits limits;
    private final HttpClient http;

    public Limits limits() {
        return limits;
    }

    public OffchainItems(Limits limits) {
        this.limits = limits;
        this.http = HttpClient.newBuilder().connectTimeout(limits.timeout()).followRedirects(HttpClient.Redirect.NEVER).build();
    }

    /** Fetches the items of {@code batch} from {@code locator} and checks them against the batch and the model's terms. */
    public List<BatchItem> fetch(BatchMarket.Submission batch, String locator, ModelTerms terms) throws Unavailable {
        return check(get(locator), batch, terms, locator);
    }

    /** The answer's bytes at {@code locator}. */
    byte[] get(String locator) throws Unavailable {
        URI uri;
        try {
            uri = URI.create(locator);
        } catch (IllegalArgumentException e) {
            throw new Unavailable("the locator '" + locator + "' is not a URL: " + e.getMessage());
        }
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
            throw new Unavailable("the locator '" + locator + "' is not an http(s) URL");
        }
        if (uri.getHost() == null) throw new Unavailable("the locator '" + locator + "' has no host");
        if (!limits.allowPrivate() && TokenFeedClient.isPrivateNetworkUrl(locator)) {
            throw new Unavailable("the locator " + locator + " is on a non-public address (this node fetches from public hosts only)");
        }
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).timeout(limits.timeout()).GET()
                    .header("Accept", "application/octet-stream").build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) throw new Unavailable("GET " + locator + " answered HTTP " + r.statusCode());
                byte[] body = in.readNBytes(limits.maxBytes() + 1);
                if (body.length > limits.maxBytes()) {
                    throw new Unavailable("GET " + locator + " answered more than " + limits.maxBytes() + " bytes");
                }
                return body;
            }
        } catch (java.net.http.HttpTimeoutException e) {
            throw new Unavailable("GET " + locator + " did not answer within " + limits.timeout().toMillis() + " ms");
        } catch (IOException e) {
            // a refused connection's ConnectException has no message: say what it means
            int port = uri.getPort() != -1 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
            String why = e instanceof java.net.ConnectException ? "cannot connect to " + uri.getHost() + ":" + port
                    + " (nothing serves there, or it refused the connection)"
                    : e.getMessage() != null ? e.getMessage() : e.getClass().getSimpleName();
            throw new Unavailable("GET " + locator + " failed: " + why);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Unavailable("interrupted while fetching " + locator);
        }
    }

    /** The checks of the class comment on fetched bytes (no network). */
    static List<BatchItem> check(byte[] body, BatchMarket.Submission batch, ModelTerms terms, String locator) throws Unavailable {
        List<BatchItem> items;
        try {
            items = BatchItem.decodeAll(body);
        } catch (IllegalArgumentException e) {
            throw new Unavailable("the items at " + locator + " are malformed: " + e.getMessage());
        }
        if (items.size() != batch.count()) {
            throw new Unavailable(locator + " served " + items.size() + " items; batch " + batch.batchId() + " has " + batch.count());
        }
        for (int i = 0; i < items.size(); i++) {
            if (!items.get(i).isInline()) throw new Unavailable("item " + i + " at " + locator + " carries only its input's hash, not the input");
        }
        byte[] root = BatchItem.requestRoot(items);
        BigInteger sum = BatchItem.totalFee(items);
        if (!Arrays.equals(root, batch.requestRoot())) {
            throw new Unavailable("the items at " + locator + " are not batch " + batch.batchId() + "'s: their root is "
                    + Numeric.toHexString(root) + ", the batch's request root is " + Numeric.toHexString(batch.requestRoot()));
        }
        if (!sum.equals(batch.fee())) {
            throw new Unavailable("the fee shares of the items at " + locator + " sum to " + sum + " wei; batch " + batch.batchId()
                    + " holds " + batch.fee());
        }
        for (int i = 0; i < items.size(); i++) {
            BatchItem it = items.get(i);
            long in = it.input().length;
            if (terms.maxInputBytes() != ModelTerms.UNBOUNDED && in > terms.maxInputBytes()) {
                throw new Unavailable("item " + i + "'s input is " + in + " bytes; the model takes at most " + terms.maxInputBytes());
            }
            if (terms.maxOutputTokens() != ModelTerms.UNBOUNDED && it.maxTokens() > terms.maxOutputTokens()) {
                throw new Unavailable("item " + i + " asks for " + it.maxTokens() + " tokens; the model gives at most " + terms.maxOutputTokens());
            }
            BigInteger least = terms.pricePerToken().multiply(BigInteger.valueOf(in + it.maxTokens()));
            if (it.fee().compareTo(least) < 0) {
                throw new Unavailable("item " + i + "'s fee " + it.fee() + " wei is below the model's price, " + least + " wei");
            }
        }
        return items;
    }
}
