package dev.ledgermind.node.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.chain.batch.BatchMarket;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.web3j.utils.Numeric;

/**
 * The receipt of one item of a batch (issue 13; docs/DESIGN.md 6.4): the batch, the item's index and the batch's
 * size, its result hash and trace root, the Merkle proof of its leaf under the batch's results root, and the
 * output bytes (optional; they hash to the result hash). A worker that computed the batch writes it
 * ({@code BatchWorker.BatchRecord.itemReceipt}); {@link BatchItemReceiptVerifier} checks it against the chain
 * ({@code verifyResult}) and recomputes the item from the batch's on-chain input.
 *
 * <p>JSON: {@code {"kind":"ledgermind.batch-item-receipt","version":1,"batchId":"...","index":3,"count":5,
 * "requestId":"...","resultHash":"0x..","traceRoot":"0x..","proof":["0x..",...],"output":"0x.."}}; numbers that may
 * exceed 2^53 are decimal strings.
 */
public record BatchItemReceipt(BatchMarket.ItemReceipt item, byte[] output) {
    public static final String KIND = "ledgermind.batch-item-receipt";
    private static final ObjectMapper JSON = new ObjectMapper();

    public Map<String, Object> toDocument() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("kind", KIND);
        doc.put("version", 1);
        doc.put("batchId", item.batchId().toString());
        doc.put("index", item.index());
        doc.put("count", item.count());
        doc.put("requestId", item.requestId().toString());
        doc.put("resultHash", Numeric.toHexString(item.resultHash()));
        doc.put("traceRoot", Numeric.toHexString(item.traceRoot()));
        doc.put("proof", item.proof().stream().map(Numeric::toHexString).toList());
        if (output != null) doc.put("output", Numeric.toHexString(output));
        return doc;
    }

    public String toJson() {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(toDocument());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot encode a batch item receipt", e);
        }
    }

    /** Parses a receipt; a malformed one fails naming the JSON path at fault. */
    public static BatchItemReceipt parse(String json) {
        JsonNode n;
        try {
            n = JSON.readTree(json);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException("batch item receipt: not JSON: " + e.getOriginalMessage());
        }
        if (n == null || !n.isObject()) throw new IllegalArgumentException("batch item receipt: $ is not an object");
        if (!KIND.equals(n.path("kind").asText())) {
            throw new IllegalArgumentException("batch item receipt: $.kind is " + n.path("kind") + ", expected \"" + KIND + "\"");
        }
        BigInteger batchId = decimal(n, "batchId");
        int index = integer(n, "index");
        int count = integer(n, "count");
        if (count < 1 || index >= count) throw new IllegalArgumentException("batch item receipt: $.index " + index + " is not below $.count " + count);
        byte[] resultHash = bytes32(n.path("resultHash"), "$.resultHash");
        byte[] traceRoot = bytes32(n.path("traceRoot"), "$.traceRoot");
        JsonNode p = n.path("proof");
        if (!p.isArray()) throw new IllegalArgumentException("batch item receipt: $.proof is not an array");
        List<byte[]> proof = new ArrayList<>();
        for (int i = 0; i < p.size(); i++) proof.add(bytes32(p.get(i), "$.proof[" + i + "]"));
        byte[] output = null;
        if (n.has("output")) {
            String o = n.get("output").asText();
            if (!o.matches("0x([0-9a-fA-F]{2})*")) throw new IllegalArgumentException("batch item receipt: $.output is not 0x-hex bytes");
            output = Numeric.hexStringToByteArray(o);
        }
        BatchItemReceipt r = new BatchItemReceipt(new BatchMarket.ItemReceipt(batchId, index, count, resultHash, traceRoot, proof), output);
        if (n.has("requestId") && !decimal(n, "requestId").equals(r.item().requestId())) {
            throw new IllegalArgumentException("batch item receipt: $.requestId is not batchId << 32 | index (" + r.item().requestId() + ")");
        }
        return r;
    }

    private static BigInteger decimal(JsonNode n, String field) {
        String v = n.path(field).asText("");
        if (!v.matches("[0-9]{1,78}")) throw new IllegalArgumentException("batch item receipt: $." + field + " is not a decimal number: " + n.path(field));
        return new BigInteger(v);
    }

    private static int integer(JsonNode n, String field) {
        JsonNode v = n.path(field);
        if (!v.canConvertToInt() || v.asInt() < 0) throw new IllegalArgumentException("batch item receipt: $." + field + " is not a non-negative integer: " + v);
        return v.asInt();
    }

    private static byte[] bytes32(JsonNode v, String path) {
        String s = v == null ? "" : v.asText("");
        if (!s.matches("0x[0-9a-fA-F]{64}")) throw new IllegalArgumentException("batch item receipt: " + path + " is not a 0x-prefixed 32-byte hex string: " + v);
        return Numeric.hexStringToByteArray(s);
    }
}
