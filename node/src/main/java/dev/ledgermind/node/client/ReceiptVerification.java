package dev.ledgermind.node.client;

import java.math.BigInteger;
import java.util.List;

/** The outcome of checking a receipt: every check, each with what it found. Verified when all pass. */
public record ReceiptVerification(BigInteger taskId, List<Check> checks) {
    public record Check(String check, boolean ok, String value) {}

    public ReceiptVerification {
        checks = List.copyOf(checks);
    }

    public boolean verified() {
        return !checks.isEmpty() && checks.stream().allMatch(Check::ok);
    }
}
