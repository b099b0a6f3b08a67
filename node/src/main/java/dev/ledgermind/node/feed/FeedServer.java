package dev.ledgermind.node.feed;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * A node's small public HTTP face: its ERC-8004 registration file ({@code GET /agent.json}, which names
 * the endpoints below), the token feed ({@code GET /tasks/{taskId}/tokens}, server-sent events, for the
 * task's requester only: see {@link FeedAccess}), and the results of the batches it computed
 * ({@code GET /batches/{batchId}/results}: every item's receipt, public); and, when the context has them, the claims
 * of the optimistic batches this node worked ({@code GET /optimistic-batches/{batchId}[/items/{index}]}, public:
 * node/batch's BatchResultsHandler), named in the registration file as the {@code ledgermind-optimistic-claims}
 * endpoint.
 *
 * <p>The feed's events: {@code data: {"from":i,"tokens":[...]}} as tokens are generated (a reader that
 * connects late gets all earlier tokens in its first event), comments as heartbeats while the node has
 * not started the task or is between tokens, then {@code event: end} with {@code {"count":n,"failed":b}},
 * or {@code event: error} with {@code {"message":...}} when the node never starts the task in time.
 */
public final class FeedServer implements AutoCloseable {
    /** The endpoint's name in the registration file's {@code endpoints}. */
    public static final String ENDPOINT_NAME = "ledgermind-token-feed";

    private static final Logger log = LoggerFactory.getLogger(FeedServer.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The batch results endpoint's name in the registration file's {@code endpoints} (issue 13). */
    public static final String BATCH_RESULTS_ENDPOINT = "ledgermind-batch-results";

    /**
     * A batch's item receipts as this node holds them (issue 13): the JSON array of every item's receipt
     * document ({@code BatchItemReceipt}), in item order; empty when the node computed no such batch.
     */
    @FunctionalInterface
    public interface BatchResults {
        Optional<String> receipts(BigInteger batchId);

        BatchResults NONE = id -> Optional.empty();
    }

    /**
     * How the server answers: who requested a task (empty when the chain has no such task), the card's facts,
     * and the batches' results this node computed.
     */
    public record Context(String nodeName, long chainId, String taskMarket, String agentRegistry, LongSupplier agentId,
                          Function<BigInteger, Optional<String>> requesterOf, BatchResults batchResults,
                          Function<BigInteger, Optional<dev.ledgermind.node.batch.BatchResultsHandler.Served>> batchClaims) {
        /** A context whose node serves no batch results. */
        public Context(String nodeName, long chainId, String taskMarket, String agentRegistry, LongSupplier agentId,
                       Function<BigInteger, Optional<String>> requesterOf) {
            this(nodeName, chainId, taskMarket, agentRegistry, agentId, requesterOf, BatchResults.NONE);
        }

        /** A context whose node serves no optimistic batch claims (issue 13: node/batch/BatchResultsHandler). */
        public Context(String nodeName, long chainId, String taskMarket, String agentRegistry, LongSupplier agentId,
                       Function<BigInteger, Optional<String>> requesterOf, BatchResults batchResults) {
            this(nodeName, chainId, taskMarket, agentRegistry, agentId, requesterOf, batchResults, null);
        }
    }

    private final TokenFeed feed;
    private final Context context;
    private final Duration beginWait;
    private final Duration heartbeat;
    private final Semaphore streams;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final HttpServer server;
    private final String publicUrl;

    /**
     * Binds {@code host:port} (port 0: any free one) and starts serving.
     *
     * @param publicUrl the base URL readers reach this server at (null: http://host:boundPort)
     * @param beginWait how long a reader waits for the node to start the task
     * @param maxStreams concurrent feed readers at most (more get 503)
     */
    public FeedServer(TokenFeed feed, Context context, String host, int port, String publicUrl, Duration beginWait,
                      Duration heartbeat, int maxStreams) throws IOException {
        this.feed = feed;
        this.context = context;
        this.beginWait = beginWait;
        this.heartbeat = heartbeat;
        this.streams = new Semaphore(maxStreams);
        this.server = HttpServer.create(new InetSocketAddress(host, port), 0);
        this.publicUrl = publicUrl != null ? publicUrl.replaceAll("/+$", "") : "http://" + host + ":" + server.getAddress().getPort();
        server.setExecutor(executor);
        server.createContext("/agent.json", this::card);
        server.createContext("/tasks/", this::tokens);
        server.createContext("/batches/", this::batchResults);
        // ---- optimistic batches (issue 13): the claims this worker made, item by item (node/batch/BatchResultsHandler)
        if (context.batchClaims() != null) {
            server.createContext(dev.ledgermind.node.batch.BatchResultsHandler.PATH,
                    new dev.ledgermind.node.batch.BatchResultsHandler(context.batchClaims()));
        }
        server.start();
    }

    /** The registration file's URL: what the node registers as its agentURI. */
    public String cardUrl() {
        return publicUrl + "/agent.json";
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void card(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                send(ex, 405, error("only GET is served here"));
                return;
            }
            ObjectNode card = JSON.createObjectNode();
            card.put("type", "https://eips.ethereum.org/EIPS/eip-8004#registration-v1");
            card.put("name", context.nodeName());
            card.put("description", "A Ledgermind worker node: deterministic inference, committed and revealed on chain.");
            var endpoints = card.putArray("endpoints");
            ObjectNode endpoint = endpoints.addObject();
            endpoint.put("name", ENDPOINT_NAME);
            endpoint.put("endpoint", publicUrl + "/tasks/{taskId}/tokens");
            endpoint.put("version", "1");
            ObjectNode results = endpoints.addObject();
            results.put("name", BATCH_RESULTS_ENDPOINT);
            results.put("endpoint", publicUrl + "/batches/{batchId}/results");
            results.put("version", "1");
            if (context.batchClaims() != null) {
                ObjectNode claims = endpoints.addObject();
                claims.put("name", dev.ledgermind.node.batch.BatchResultsHandler.ENDPOINT_NAME);
                claims.put("endpoint", publicUrl + dev.ledgermind.node.batch.BatchResultsHandler.PATH + "{batchId}");
                claims.put("version", "1");
            }
            long id = context.agentId().getAsLong();
            if (id != 0) {
                card.putArray("registrations").addObject().put("agentId", id)
                        .put("agentRegistry", "eip155:" + context.chainId() + ":" + context.agentRegistry());
            }
            card.putArray("supportedTrust").add("crypto-economic");
            send(ex, 200, card);
        }
    }

    private void tokens(HttpExchange ex) throws IOException {
        try (ex) {
            String[] parts = ex.getRequestURI().getPath().split("/");
            // "", "tasks", id, "tokens"
            if (parts.length != 4 || !"tokens".equals(parts[3])) {
                send(ex, 404, error("no such path; the feed is /tasks/{taskId}/tokens"));
                return;
            }
            BigInteger taskId;
            try {
                taskId = new BigInteger(parts[2]);
                if (taskId.signum() <= 0) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                send(ex, 400, error("the task id must be a positive decimal number, got '" + shortText(parts[2]) + "'"));
                return;
            }
            String signer;
            try {
                signer = FeedAccess.signer(ex.getRequestHeaders().getFirst("Authorization"), context.chainId(), context.taskMarket(), taskId);
            } catch (IllegalArgumentException e) {
                send(ex, 401, error(e.getMessage()));
                return;
            }
            Optional<String> requester = context.requesterOf().apply(taskId);
            if (requester.isEmpty()) {
                send(ex, 404, error("the chain has no task " + taskId));
                return;
            }
            if (!requester.get().equalsIgnoreCase(signer)) {
                send(ex, 403, error("task " + taskId + "'s feed is for its requester " + requester.get() + "; the signature is " + signer + "'s"));
                return;
            }
            if (!streams.tryAcquire()) {
                send(ex, 503, error("too many feed readers at once; try again"));
                return;
            }
            try {
                stream(ex, taskId);
            } finally {
                streams.release();
            }
        }
    }

    /**
     * {@code GET /batches/{batchId}/results}: the receipts of every item of a batch this node computed, as a JSON
     * array (issue 13). Public, like a task's revealed output: what it proves is checked against the chain by the
     * reader, and a batch's inputs are the requester's (inline ones are in the submission's calldata anyway).
     */
    private void batchResults(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                send(ex, 405, error("only GET is served here"));
                return;
            }
            String[] parts = ex.getRequestURI().getPath().split("/");
            // "", "batches", id, "results"
            if (parts.length != 4 || !"results".equals(parts[3])) {
                send(ex, 404, error("no such path; a batch's results are at /batches/{batchId}/results"));
                return;
            }
            BigInteger batchId;
            try {
                batchId = new BigInteger(parts[2]);
                if (batchId.signum() <= 0 || batchId.bitLength() > 224) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                send(ex, 400, error("the batch id must be a positive decimal number below 2^224, got '" + shortText(parts[2]) + "'"));
                return;
            }
            Optional<String> receipts;
            try {
                receipts = context.batchResults().receipts(batchId);
            } catch (RuntimeException e) {
                log.warn("cannot read batch {}'s results: {}", batchId, e.getMessage());
                send(ex, 500, error("this node cannot read batch " + batchId + "'s results: " + e.getMessage()));
                return;
            }
            if (receipts.isEmpty()) {
                send(ex, 404, error("this node holds no results of batch " + batchId + " (no seat, or not computed yet)"));
                return;
            }
            byte[] b = receipts.get().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            ex.sendResponseHeaders(200, b.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    private void stream(HttpExchange ex, BigInteger taskId) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream; charset=utf-8");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        long begunBy = System.nanoTime() + beginWait.toNanos();
        int from = 0;
        try {
            write(out, ": task " + taskId + "\n\n");
            while (true) {
                TokenFeed.Slice s = feed.read(taskId, from, heartbeat);
                if (s == null) {
                    if (System.nanoTime() > begunBy) {
                        write(out, "event: error\ndata: " + error("this node did not start task " + taskId + " within "
                                + beginWait.toSeconds() + " s (it may not hold a seat of it)") + "\n\n");
                        return;
                    }
                    write(out, ": waiting\n\n");
                    continue;
                }
                if (s.tokens().length > 0) {
                    ObjectNode d = JSON.createObjectNode().put("from", from);
                    var arr = d.putArray("tokens");
                    for (int t : s.tokens()) arr.add(t);
                    write(out, "data: " + d + "\n\n");
                    from += s.tokens().length;
                } else if (!s.ended()) {
                    write(out, ": heartbeat\n\n");
                }
                if (s.ended()) {
                    write(out, "event: end\ndata: " + JSON.createObjectNode().put("count", from).put("failed", s.failed()) + "\n\n");
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            log.debug("feed reader of task {} went away: {}", taskId, e.getMessage());
        }
    }

    private static void write(OutputStream out, String s) throws IOException {
        out.write(s.getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static ObjectNode error(String message) {
        ObjectNode n = JSON.createObjectNode();
        n.putObject("error").put("message", message);
        return n;
    }

    private static String shortText(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static void send(HttpExchange ex, int status, ObjectNode body) throws IOException {
        byte[] b = body.toString().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
