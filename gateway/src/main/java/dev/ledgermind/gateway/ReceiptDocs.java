package dev.ledgermind.gateway;

import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.ReceiptDocument;
import dev.ledgermind.node.client.VerificationMode;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The receipt documents the gateway attaches to answers ({@code "ledgermind": {"receipts": [...]}}) and
 * serves at {@code /v1/receipts/{id}}. Both backends share the fields that matter to a checker: id,
 * backend, model, modelHash, inputHash, resultHash, traceRoot, mode and trustAssumption; a network
 * receipt adds the task id, the nodes with their verdicts, the transactions and the gas.
 */
final class ReceiptDocs {
    private ReceiptDocs() {}

    /** A local receipt's id: it names the model and the input, so equal requests share one receipt. */
    static String localId(LocalModel model, LocalTask task) {
        byte[] h = Keccak256.hash((model.contentHash() + ":").getBytes(java.nio.charset.StandardCharsets.UTF_8), task.bytes());
        return "local-" + Keccak256.hex(h).substring(2, 34);
    }

    static Map<String, Object> local(String id, LocalModel model, LocalTask task, byte[] resultHash, byte[] traceRoot) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("id", id);
        d.put("backend", "local");
        d.put("model", model.name());
        d.put("modelHash", model.contentHash());
        d.put("inputHash", Keccak256.hex(Keccak256.hash(task.bytes())));
        d.put("resultHash", Keccak256.hex(resultHash));
        d.put("traceRoot", Keccak256.hex(traceRoot));
        d.put("mode", VerificationMode.LOCAL.label());
        d.put("trustAssumption", VerificationMode.LOCAL.trustAssumption);
        d.put("taskId", null);
        d.put("nodes", List.of());
        d.put("transactions", List.of());
        d.put("totalGas", 0);
        d.put("verify", "POST /v1/receipts/" + id + "/verify");
        return d;
    }

    static Map<String, Object> network(Receipt r, String modelName) {
        String id = ReceiptStore.networkId(r.taskId());
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("id", id);
        d.put("backend", "network");
        d.putAll(ReceiptDocument.of(r, modelName, null));
        d.put("verify", "POST /v1/receipts/" + id + "/verify");
        return d;
    }
}
