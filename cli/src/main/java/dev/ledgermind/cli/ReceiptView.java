package dev.ledgermind.cli;

import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.ReceiptDocument;
import dev.ledgermind.node.task.TaskInput;

import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.BigInteger;
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
        out.println("  model hash   " + r.modelHash());
        out.println("  mode         " + r.mode().label() + " (trust: " + r.trust() + ")");
        for (String step : r.steps()) out.println("  optimistic   " + step);
        out.println("  input hash   " + r.inputHash());
        if (r.accepted()) {
            out.println("  result hash  " + r.resultHash());
            out.println("  trace root   " + r.traceRoot());
        }
        out.println("  fee          " + eth(r.feeWei()) + (r.accepted() ? "; each agreeing node earned " + eth(r.rewardPerNodeWei())
                + " (its fee share plus a share of any slashes)" : "")
                + (r.refundWei().signum() > 0 ? (r.accepted() ? ", refunded " : "; refunded to the requester: ") + eth(r.refundWei()) : ""));
        out.println("  nodes (k=" + r.k() + ")");
        for (Receipt.NodeVerdict n : r.nodes()) {
            out.println("    agent " + n.agentId() + "  " + String.format("%-11s", n.verdict()) + " " + n.address()
                    + (n.slashedWei().signum() > 0 ? "  slashed " + eth(n.slashedWei()) : ""));
        }
        out.println("  transactions (" + r.transactions().size() + ", " + r.totalGas() + " gas in all)");
        for (Receipt.Tx t : r.transactions()) {
            out.println("    " + String.format("%-10s", t.kind()) + t.hash() + "  block " + t.block() + "  gas " + t.gasUsed()
                    + (t.agentId() != null ? "  agent " + t.agentId() : ""));
        }
    }

    static Map<String, Object> json(Receipt r, String modelName, TaskInput input) {
        return ReceiptDocument.of(r, modelName, input);
    }
}
