package dev.ledgermind.node.batch;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.function.Function;

/**
 * A worker's side of an optimistic batch's data availability (issue 13; docs/DESIGN.md 6.4 and 7): serves what it
 * claimed for each batch it claimed, so that the drawn validator, any watcher and the requester can check items
 * against the two roots on-chain. Mounted at {@link #PATH} on the node's HTTP face (node/feed's FeedServer, whose
 * registration file names it as the {@link #ENDPOINT_NAME} endpoint):
 * <ul>
 *   <li>{@code GET /optimistic-batches/{batchId}}: the whole claim ({@link BatchClaimDocument#toJson}): every item's
 *       leaf, shape and output (what a watcher replays, and what proofs in the live tree are built from);</li>
 *   <li>{@code GET /optimistic-batches/{batchId}/items/{index}}: one item with its proofs under the claimed results
 *       root, the shapes root and the batch's live root now ({@link BatchClaimDocument#itemJson}: the live proof is what
 *       {@code verifyResult} takes once the batch is final, and what a challenge of the item takes in its window):
 *       what a requester's receipt or a light challenger needs.</li>
 * </ul>
 * Public data (the results are the requester's to prove, the claim's to challenge): no signature is asked. 404 for a
 * batch this node did not claim (or has not claimed yet), 400 naming the malformed part of the path.
 */
public final class BatchResultsHandler implements HttpHandler {
    public static final String PATH = "/optimistic-batches/";
    /** The endpoint's name in the node's registration file; its URL template holds {@code {batchId}}. */
    public static final String ENDPOINT_NAME = "ledgermind-optimistic-claims";

    /** A claim as served: the document, and the items struck from the batch's live root now (challenged, not upheld). */
    public record Served(BatchClaimDocument claim, java.util.Set<Integer> struck) {}

    private final Function<BigInteger, Optional<Served>> claims;

    /** @param claims the claim this node made for a batch, if it made one, with the items struck on-chain now */
    public BatchResultsHandler(Function<BigInteger, Optional<Served>> claims) {
        this.claims = claims;
    }

    @Override
    public void handle(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                send(ex, 405, "only GET is served here");
                return;
            }
            String[] parts = ex.getRequestURI().getPath().substring(PATH.length()).split("/", -1);
            // {batchId} or {batchId}/items/{index}
            if (!(parts.length == 1 || (parts.length == 3 && "items".equals(parts[1])))) {
                send(ex, 404, "no such path; served are " + PATH + "{batchId} and " + PATH + "{batchId}/items/{index}");
                return;
            }
            BigInteger id;
            try {
                id = new BigInteger(parts[0]);
                if (id.signum() <= 0) throw new NumberFormatException();
            } catch (NumberFormatException e) {
                send(ex, 400, "the batch id must be a positive decimal number, got '" + shortText(parts[0]) + "'");
                return;
            }
            Optional<Served> served = claims.apply(id);
            Optional<BatchClaimDocument> doc = served.map(Served::claim);
            if (doc.isEmpty()) {
                send(ex, 404, "this node holds no claim of batch " + id);
                return;
            }
            if (parts.length == 1) {
                sendJson(ex, doc.get().toJson());
                return;
            }
            int index;
            try {
                index = Integer.parseInt(parts[2]);
            } catch (NumberFormatException e) {
                send(ex, 400, "the item index must be a decimal number, got '" + shortText(parts[2]) + "'");
                return;
            }
            if (index < 0 || index >= doc.get().count()) {
                send(ex, 404, "batch " + id + " has " + doc.get().count() + " items; there is no item " + index);
                return;
            }
            sendJson(ex, doc.get().itemJson(index, served.get().struck()));
        }
    }

    private static String shortText(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "…" : s;
    }

    private static void sendJson(HttpExchange ex, String json) throws IOException {
        write(ex, 200, "application/json; charset=utf-8", json.getBytes(StandardCharsets.UTF_8));
    }

    private static void send(HttpExchange ex, int status, String message) throws IOException {
        String body = new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().set("error",
                new com.fasterxml.jackson.databind.ObjectMapper().createObjectNode().put("message", message)).toString();
        write(ex, status, "application/json; charset=utf-8", body.getBytes(StandardCharsets.UTF_8));
    }

    private static void write(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
