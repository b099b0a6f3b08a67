package dev.ledgermind.node.client;

import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskOutput;

import java.util.LinkedHashMap;
import java.util.Map;

/** A receipt as a JSON-friendly document: what {@code --json} prints and what the gateway attaches to answers. */
public final class ReceiptDocument {
    private ReceiptDocument() {}

    /** {@code modelName} and {@code input} may be null (then the name and the decoded answer are left out). */
    public static Map<String, Object> of(Receipt r, String modelName, TaskInput input) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("taskId", r.taskId());
        doc.put("model", modelName);
        doc.put("modelId", r.modelId());
        doc.put("modelHash", r.modelHash());
        doc.put("requester", r.requester());
        doc.put("inputHash", r.inputHash());
        doc.put("accepted", r.accepted());
        doc.put("resultHash", r.resultHash());
        doc.put("traceRoot", r.traceRoot());
        doc.put("mode", r.mode().label());
        doc.put("trustAssumption", r.trust());
        if (!r.steps().isEmpty()) doc.put("optimisticSteps", r.steps());
        if (!r.games().isEmpty()) doc.put("games", r.games().stream().map(GameWords::document).toList());
        if (input != null) doc.put("answer", TaskOutput.describe(input, r.output()));
        doc.put("k", r.k());
        doc.put("feeWei", r.feeWei().toString());
        doc.put("rewardPerNodeWei", r.rewardPerNodeWei().toString());
        doc.put("refundWei", r.refundWei().toString());
        doc.put("nodes", r.nodes().stream().map(n -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("agentId", n.agentId());
            m.put("position", n.position());
            m.put("address", n.address());
            m.put("verdict", n.verdict());
            m.put("resultHash", n.resultHash());
            m.put("slashedWei", n.slashedWei().toString());
            return m;
        }).toList());
        doc.put("transactions", r.transactions().stream().map(t -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("kind", t.kind());
            m.put("hash", t.hash());
            m.put("block", t.block());
            m.put("gasUsed", t.gasUsed());
            m.put("agentId", t.agentId());
            return m;
        }).toList());
        doc.put("totalGas", r.totalGas());
        return doc;
    }

    /** A verification as a document: taskId, verified, and each check. */
    public static Map<String, Object> of(ReceiptVerification v) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("taskId", v.taskId());
        doc.put("verified", v.verified());
        doc.put("checks", v.checks().stream().map(c -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("check", c.check());
            m.put("ok", c.ok());
            m.put("value", c.value());
            return m;
        }).toList());
        return doc;
    }
}
