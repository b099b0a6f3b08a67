package dev.ledgermind.node.batch;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledgermind.chain.batch.BatchTree;
import dev.ledgermind.chain.batch.OptimisticBatchMarket;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/**
 * What the worker of an optimistic batch claimed, item by item (issue 13; docs/DESIGN.md 6.4 and 7): each item's
 * results leaf {@code (resultHash, traceRoot)}, its trace shape {@code (tokensHash, positions, leafCount)} and its
 * output. Only the two roots over them are on-chain ({@code claimBatch}); this document is what the worker stores
 * before it claims, serves over HTTP ({@link BatchResultsHandler}) and what a validator, a watcher or the requester
 * fetches ({@link BatchClaimFetch}) and checks against the chain's roots before it uses anything in it.
 *
 * <p>JSON: {@code {"batchId":"12","count":n,"resultsRoot":"0x..","shapesRoot":"0x..","items":[{"resultHash":"0x..",
 * "traceRoot":"0x..","tokensHash":"0x..","positions":p,"leafCount":l,"output":"0x.."}, ...]}}; one item with its
 * proofs ({@link #itemJson}) adds {@code "index"}, {@code "resultProof"}, {@code "shapeProof"}, {@code "liveRoot"},
 * {@code "struck"} and {@code "liveProof"} (siblings bottom-up, BatchTree's rule). An item without a trace (the canonical error result, or a runner whose
 * traces no claim covers) is claimed with the shape {@code (0x00..00, 1, 1)}: no game can be played on it, and a
 * challenge of it has nothing to bisect.
 */
public record BatchClaimDocument(BigInteger batchId, List<Item> items) {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One item as claimed. */
    public record Item(byte[] resultHash, byte[] traceRoot, byte[] tokensHash, int positions, int leafCount, byte[] output) {
        public OptimisticBatchMarket.ItemClaim claim() {
            return new OptimisticBatchMarket.ItemClaim(resultHash, traceRoot, tokensHash, positions, leafCount);
        }
    }

    public BatchClaimDocument {
        if (items.isEmpty()) throw new IllegalArgumentException("batch " + batchId + ": a claim has at least one item");
        items = List.copyOf(items);
    }

    /** The chain facade's claim (the two trees) over these items. */
    public OptimisticBatchMarket.BatchClaim claim() {
        List<OptimisticBatchMarket.ItemClaim> c = new ArrayList<>();
        for (Item it : items) c.add(it.claim());
        return new OptimisticBatchMarket.BatchClaim(batchId, c);
    }

    public int count() {
        return items.size();
    }

    public String toJson() {
        OptimisticBatchMarket.BatchClaim c = claim();
        ObjectNode o = JSON.createObjectNode();
        o.put("batchId", batchId.toString());
        o.put("count", items.size());
        o.put("resultsRoot", Numeric.toHexString(c.resultsRoot()));
        o.put("shapesRoot", Numeric.toHexString(c.shapesRoot()));
        ArrayNode arr = o.putArray("items");
        for (Item it : items) put(arr.addObject(), it);
        return o.toString();
    }

    /**
     * Item {@code index} with its proofs under the claimed results root, the shapes root and the live root with the
     * items {@code struck} (challenged and not upheld: their leaves are (0, 0) there): {@code "liveProof"} is what
     * {@code verifyResult} takes once the batch is final ({@code "struck": true}: this item has no result there).
     */
    public String itemJson(int index, java.util.Set<Integer> struck) {
        if (index < 0 || index >= items.size()) {
            throw new IllegalArgumentException("batch " + batchId + " has " + items.size() + " items; there is no item " + index);
        }
        OptimisticBatchMarket.BatchClaim c = claim();
        ObjectNode o = JSON.createObjectNode();
        o.put("batchId", batchId.toString());
        o.put("index", index);
        o.put("count", items.size());
        o.put("resultsRoot", Numeric.toHexString(c.resultsRoot()));
        o.put("shapesRoot", Numeric.toHexString(c.shapesRoot()));
        put(o, items.get(index));
        ArrayNode rp = o.putArray("resultProof");
        for (byte[] s : c.resultProof(index).siblings()) rp.add(Numeric.toHexString(s));
        ArrayNode sp = o.putArray("shapeProof");
        for (byte[] s : c.shapeProof(index).siblings()) sp.add(Numeric.toHexString(s));
        BatchTree live = c.live(struck);
        o.put("liveRoot", Numeric.toHexString(live.root()));
        o.put("struck", struck.contains(index));
        ArrayNode lp = o.putArray("liveProof");
        for (byte[] s : live.proof(index).siblings()) lp.add(Numeric.toHexString(s));
        return o.toString();
    }

    private static void put(ObjectNode o, Item it) {
        o.put("resultHash", Numeric.toHexString(it.resultHash()));
        o.put("traceRoot", Numeric.toHexString(it.traceRoot()));
        o.put("tokensHash", Numeric.toHexString(it.tokensHash()));
        o.put("positions", it.positions());
        o.put("leafCount", it.leafCount());
        o.put("output", Numeric.toHexString(it.output()));
    }

    /**
     * Parses a claim document; a malformed one is refused naming the JSON path ({@code $.items[3].traceRoot}) and
     * {@code where} it came from.
     */
    public static BatchClaimDocument parse(String json, String where) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(where + ": not JSON: " + e.getMessage());
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(where + ": $ is not a JSON object");
        BigInteger id;
        try {
            id = new BigInteger(text(root, "batchId", "$.batchId", where));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(where + ": $.batchId is not a decimal number");
        }
        JsonNode arr = root.get("items");
        if (arr == null || !arr.isArray() || arr.isEmpty()) throw new IllegalArgumentException(where + ": $.items is not a non-empty array");
        List<Item> items = new ArrayList<>();
        for (int i = 0; i < arr.size(); i++) {
            JsonNode n = arr.get(i);
            String p = "$.items[" + i + "]";
            if (!n.isObject()) throw new IllegalArgumentException(where + ": " + p + " is not an object");
            int positions = integer(n, "positions", p, where);
            int leafCount = integer(n, "leafCount", p, where);
            if (positions <= 0 || leafCount <= 0 || leafCount % positions != 0) {
                throw new IllegalArgumentException(where + ": " + p + ": leafCount " + leafCount + " is not a positive multiple of positions "
                        + positions);
            }
            items.add(new Item(word(n, "resultHash", p, where), word(n, "traceRoot", p, where), word(n, "tokensHash", p, where), positions,
                    leafCount, bytes(n, "output", p, where)));
        }
        JsonNode count = root.get("count");
        if (count != null && (!count.canConvertToInt() || count.asInt() != items.size())) {
            throw new IllegalArgumentException(where + ": $.count is " + count + " but $.items has " + items.size());
        }
        return new BatchClaimDocument(id, items);
    }

    /**
     * Why this document is not the claim the chain holds for its batch ({@code resultsRoot}, {@code shapesRoot},
     * {@code count} as on-chain), or null when it is: the same count, the same two roots, and every output hashing to
     * its item's result hash.
     */
    public String mismatch(int count, byte[] resultsRoot, byte[] shapesRoot) {
        if (items.size() != count) return "it has " + items.size() + " items; batch " + batchId + " has " + count;
        OptimisticBatchMarket.BatchClaim c = claim();
        if (!Arrays.equals(c.resultsRoot(), resultsRoot)) {
            return "its results root is " + Numeric.toHexString(c.resultsRoot()) + "; the claimed one on-chain is "
                    + Numeric.toHexString(resultsRoot);
        }
        if (!Arrays.equals(c.shapesRoot(), shapesRoot)) {
            return "its shapes root is " + Numeric.toHexString(c.shapesRoot()) + "; the claimed one on-chain is "
                    + Numeric.toHexString(shapesRoot);
        }
        for (int i = 0; i < items.size(); i++) {
            if (!Arrays.equals(Hash.sha3(items.get(i).output()), items.get(i).resultHash())) {
                return "item " + i + "'s output does not hash to its result hash";
            }
        }
        return null;
    }

    /** The results leaf of item {@code index} (what verifyResult proves). */
    public byte[] resultLeaf(int index) {
        Item it = items.get(index);
        return BatchTree.resultLeaf(BatchTree.requestId(batchId, index), it.resultHash(), it.traceRoot());
    }

    private static String text(JsonNode n, String field, String path, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.isTextual()) throw new IllegalArgumentException(where + ": " + path + " is missing or not a string");
        return v.asText();
    }

    private static int integer(JsonNode n, String field, String p, String where) {
        JsonNode v = n.get(field);
        if (v == null || !v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(where + ": " + p + "." + field + " is missing or not an integer");
        }
        return v.asInt();
    }

    private static byte[] word(JsonNode n, String field, String p, String where) {
        byte[] b = bytes(n, field, p, where);
        if (b.length != 32) throw new IllegalArgumentException(where + ": " + p + "." + field + " is " + b.length + " bytes, not 32");
        return b;
    }

    private static byte[] bytes(JsonNode n, String field, String p, String where) {
        String s = text(n, field, p + "." + field, where);
        if (!s.matches("0x([0-9a-fA-F]{2})*")) throw new IllegalArgumentException(where + ": " + p + "." + field + " is not 0x-prefixed hex");
        return Numeric.hexStringToByteArray(s);
    }
}
