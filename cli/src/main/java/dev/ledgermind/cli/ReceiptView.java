package dev.ledgermind.cli;

import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskOutput;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;

/** Prints a receipt for people, or turns it into the JSON document of {@code --json}. */
final class ReceiptView {
    private ReceiptView() {}

    static String eth(BigInteger wei) {
        return new BigDecimal(wei).movePointLeft(18).stripTrailingZeros().toPlainString() + " ETH";
    }

    static void print(PrintStream out, Receipt r, String modelName) {
        out.println("Receipt for task " + r.taskId() + (r.accepted() ? " (accepted)" : " (refunded: no result reached the quorum)"));
        out.println("  model        " + (modelName != null ? modelName + " " : "") + "(id " + r.modelId() + ")");
        out.println("  input hash   " + r.inputHash());
        if (r.accepted()) {
            out.println("  result hash  " + r.resultHash());
            out.println("  trace root   " + r.traceRoot());
        }
        out.println("  fee          " + eth(r.feeWei()) + "; each agreeing node earned " + eth(r.rewardPerNodeWei())
                + " (its fee share plus a share of any slashes)"
                + (r.refundWei().signum() > 0 ? ", refunded " + eth(r.refundWei()) : ""));
        out.println("  nodes (k=" + r.k() + ")");
        for (Receipt.NodeVerdict n : r.nodes()) {
            out.println("    agent " + n.agentId() + "  " + String.format("%-11s", n.verdict()) + " " + n.address()
                    + (n.slashedWei().signum() > 0 ? "  slashed " + eth(n.slashedWei()) : ""));
        }
        out.println("  transactions (" + r.transactions().size() + ", " + r.totalGas() + " gas in all)");
        for (Receipt.Tx t : r.transactions()) {
            out.println("    " + String.format("%-9s", t.kind()) + t.hash() + "  block " + t.block() + "  gas " + t.gasUsed()
                    + (t.agentId() != null ? "  agent " + t.agentId() : ""));
        }
    }

    static Map<String, Object> json(Receipt r, String modelName, TaskInput input) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("taskId", r.taskId());
        doc.put("model", modelName);
        doc.put("modelId", r.modelId());
        doc.put("requester", r.requester());
        doc.put("inputHash", r.inputHash());
        doc.put("accepted", r.accepted());
        doc.put("resultHash", r.resultHash());
        doc.put("traceRoot", r.traceRoot());
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
}
