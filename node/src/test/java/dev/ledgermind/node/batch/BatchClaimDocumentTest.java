package dev.ledgermind.node.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.chain.batch.BatchTree;
import dev.ledgermind.node.feed.FeedServer;
import dev.ledgermind.node.feed.TokenFeed;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The claim document of an optimistic batch (what its worker stores, serves and a checker fetches) and its HTTP path,
 * without a chain: a document is refused with the JSON path of what is wrong, or when it is not the claim whose roots
 * are given (the chain's); the worker's face ({@link FeedServer} with {@link BatchResultsHandler}) names the endpoint in
 * its registration file, serves the whole claim and each item with proofs that lead to the roots (the live proof with
 * a struck item to the live root), and {@link BatchClaimFetch} reads it through the registration file, refusing a
 * claim that is not the chain's.
 */
class BatchClaimDocumentTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final BigInteger BATCH = BigInteger.valueOf(7);

    static BatchClaimDocument doc(int n) {
        List<BatchClaimDocument.Item> items = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] output = ("output " + i).getBytes(StandardCharsets.UTF_8);
            items.add(new BatchClaimDocument.Item(Hash.sha3(output), Hash.sha3(("trace " + i).getBytes()), Hash.sha3(("tokens " + i).getBytes()),
                    5 + i, 2 * (5 + i), output));
        }
        return new BatchClaimDocument(BATCH, items);
    }

    @Test
    void aDocumentRoundTripsAndIsTheClaimOfItsRootsOnly() {
        BatchClaimDocument d = doc(5);
        BatchClaimDocument back = BatchClaimDocument.parse(d.toJson(), "test");
        assertEquals(d.toJson(), back.toJson());
        var c = d.claim();
        assertNull(back.mismatch(5, c.resultsRoot(), c.shapesRoot()), "the claim of its own roots");
        assertTrue(back.mismatch(4, c.resultsRoot(), c.shapesRoot()).contains("5 items; batch 7 has 4"));
        assertTrue(back.mismatch(5, c.shapesRoot(), c.shapesRoot()).startsWith("its results root is"));
        assertTrue(back.mismatch(5, c.resultsRoot(), c.resultsRoot()).startsWith("its shapes root is"));
        // an output that does not hash to its result: the roots hold, the item is still refused
        List<BatchClaimDocument.Item> items = new ArrayList<>(d.items());
        var it = items.get(2);
        items.set(2, new BatchClaimDocument.Item(it.resultHash(), it.traceRoot(), it.tokensHash(), it.positions(), it.leafCount(), "other".getBytes()));
        assertEquals("item 2's output does not hash to its result hash", new BatchClaimDocument(BATCH, items).mismatch(5, c.resultsRoot(), c.shapesRoot()));
    }

    @Test
    void aMalformedDocumentIsRefusedNamingTheJsonPath() {
        String good = doc(3).toJson();
        Map<String, String> cases = Map.of(
                good.replaceFirst("\"traceRoot\":\"0x[0-9a-f]{64}\"", "\"traceRoot\":\"0x12\""), "$.items[0].traceRoot is 1 bytes, not 32",
                good.replaceFirst("\"positions\":5", "\"positions\":\"five\""), "$.items[0].positions is missing or not an integer",
                good.replaceFirst("\"leafCount\":12", "\"leafCount\":13"), "$.items[1]: leafCount 13 is not a positive multiple of positions 6",
                good.replaceFirst("\"output\":\"0x", "\"output\":\"zz"), "$.items[0].output is not 0x-prefixed hex",
                good.replaceFirst("\"count\":3", "\"count\":4"), "$.count is 4 but $.items has 3",
                "[]", "$ is not a JSON object",
                "{\"batchId\":\"7\",\"items\":[]}", "$.items is not a non-empty array");
        for (var e : cases.entrySet()) {
            IllegalArgumentException x = assertThrows(IllegalArgumentException.class, () -> BatchClaimDocument.parse(e.getKey(), "http://w/x"));
            assertEquals("http://w/x: " + e.getValue(), x.getMessage());
        }
    }

    @Test
    void theWorkersFaceServesTheClaimAndEachItemWithProofsThatLeadToTheRoots() throws Exception {
        BatchClaimDocument d = doc(5);
        Set<Integer> struck = Set.of(3);
        FeedServer face = new FeedServer(new TokenFeed(4), new FeedServer.Context("w", 31337, "0x00", "0x00", () -> 1, id -> Optional.empty(),
                FeedServer.BatchResults.NONE, id -> id.equals(BATCH) ? Optional.of(new BatchResultsHandler.Served(d, struck)) : Optional.empty()), "127.0.0.1", 0, null,
                Duration.ofSeconds(1), Duration.ofSeconds(1), 2);
        try (face) {
            HttpClient http = HttpClient.newHttpClient();
            String base = face.cardUrl().replace("/agent.json", "");
            JsonNode card = JSON.readTree(get(http, face.cardUrl(), 200));
            boolean named = false;
            for (JsonNode e : card.get("endpoints")) {
                named |= BatchResultsHandler.ENDPOINT_NAME.equals(e.get("name").asText())
                        && e.get("endpoint").asText().equals(base + "/optimistic-batches/{batchId}");
            }
            assertTrue(named, card.toString());
            assertEquals(d.toJson(), get(http, base + "/optimistic-batches/7", 200));
            var c = d.claim();
            BatchTree live = c.live(struck);
            for (int i = 0; i < 5; i++) {
                JsonNode item = JSON.readTree(get(http, base + "/optimistic-batches/7/items/" + i, 200));
                byte[] leaf = d.resultLeaf(i);
                assertTrue(new BatchTree.Proof(i, 5, words(item.get("resultProof"))).verify(c.resultsRoot(), leaf), "item " + i + " under the claimed root");
                assertEquals(i != 3, new BatchTree.Proof(i, 5, words(item.get("liveProof"))).verify(live.root(), leaf), "item " + i + " in the live root");
                assertEquals(i == 3, item.get("struck").asBoolean());
                byte[] shapeLeaf = dev.ledgermind.chain.batch.OptimisticBatchMarket.shapeLeaf(BatchTree.requestId(BATCH, i), d.items().get(i).claim());
                assertTrue(new BatchTree.Proof(i, 5, words(item.get("shapeProof"))).verify(c.shapesRoot(), shapeLeaf), "item " + i + "'s shape");
            }
            assertTrue(get(http, base + "/optimistic-batches/8", 404).contains("no claim of batch 8"));
            assertTrue(get(http, base + "/optimistic-batches/7/items/5", 404).contains("batch 7 has 5 items; there is no item 5"));
            assertTrue(get(http, base + "/optimistic-batches/x7", 400).contains("positive decimal number, got 'x7'"));
            assertTrue(get(http, base + "/optimistic-batches/7/items/one", 400).contains("got 'one'"));

            // a checker's fetch through the registration file: the chain's claim is accepted, another refused
            BatchClaimFetch fetch = new BatchClaimFetch(new OffchainItems.Limits(1 << 20, Duration.ofSeconds(2), true));
            assertEquals(d.toJson(), fetch.fetch(face.cardUrl(), BATCH, 5, c.resultsRoot(), c.shapesRoot()).toJson());
            OffchainItems.Unavailable wrong = assertThrows(OffchainItems.Unavailable.class,
                    () -> fetch.fetch(face.cardUrl(), BATCH, 5, Hash.sha3("another root".getBytes()), c.shapesRoot()));
            assertTrue(wrong.getMessage().contains("is not the one on-chain: its results root is"), wrong.getMessage());
            OffchainItems.Unavailable none = assertThrows(OffchainItems.Unavailable.class,
                    () -> fetch.fetch(face.cardUrl(), BigInteger.valueOf(8), 5, c.resultsRoot(), c.shapesRoot()));
            assertTrue(none.getMessage().contains("answered HTTP 404"), none.getMessage());
            BatchClaimFetch publicOnly = new BatchClaimFetch(OffchainItems.Limits.defaults(false));
            OffchainItems.Unavailable priv = assertThrows(OffchainItems.Unavailable.class,
                    () -> publicOnly.fetch(face.cardUrl(), BATCH, 5, c.resultsRoot(), c.shapesRoot()));
            assertTrue(priv.getMessage().contains("non-public address"), priv.getMessage());
        }
    }

    static List<byte[]> words(JsonNode arr) {
        List<byte[]> out = new ArrayList<>();
        for (JsonNode s : arr) out.add(Numeric.hexStringToByteArray(s.asText()));
        return out;
    }

    static String get(HttpClient http, String url, int status) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(status, r.statusCode(), url + ": " + r.body());
        return r.body();
    }
}
