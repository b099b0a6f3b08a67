package dev.ledgermind.node.client;

import dev.ledgermind.chain.TaskResult;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskRunner;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Checks a task's receipt against the chain and recomputes its answer with the deterministic engine:
 * the task is final and accepted; the inline input hashes to the recorded input hash; the contract's
 * storage holds the receipt's result hash and trace root; the revealed output hashes to the result hash;
 * and a local run gives the same result hash and trace root.
 */
public final class ReceiptVerifier {
    private final Requester requester;
    private final Function<String, TaskRunner> engines;

    /** {@code engines}: the runner for a model name (the name the task's input carries). */
    public ReceiptVerifier(Requester requester, Function<String, TaskRunner> engines) {
        this.requester = requester;
        this.engines = engines;
    }

    public ReceiptVerification verify(BigInteger taskId, Consumer<String> progress) {
        Receipt r = requester.receipt(taskId);
        byte[] inputBytes = requester.input(taskId);
        TaskResult stored = requester.chain().result(taskId);
        List<ReceiptVerification.Check> checks = new ArrayList<>();
        checks.add(new ReceiptVerification.Check("task is final and accepted", r.accepted(), r.accepted() ? "accepted" : "not accepted"));
        checks.add(new ReceiptVerification.Check("input hash matches the inline input",
                Numeric.toHexString(Hash.sha3(inputBytes)).equals(r.inputHash()), r.inputHash()));
        checks.add(new ReceiptVerification.Check("contract storage holds the receipt's result",
                stored.accepted() && Numeric.toHexString(stored.resultHash()).equals(r.resultHash())
                        && Numeric.toHexString(stored.traceRoot()).equals(r.traceRoot()),
                Numeric.toHexString(stored.resultHash())));
        if (r.output().length > 0) {
            String h = Numeric.toHexString(Hash.sha3(r.output()));
            checks.add(new ReceiptVerification.Check("revealed output hashes to the result hash", h.equals(r.resultHash()), h));
        }
        TaskInput input = TaskInput.parse(inputBytes);
        progress.accept("recomputing task " + taskId + " locally with " + input.model() + "...");
        var local = engines.apply(input.model()).run(input);
        checks.add(new ReceiptVerification.Check("local recomputation gives the same result hash",
                Numeric.toHexString(local.resultHash()).equals(r.resultHash()), Numeric.toHexString(local.resultHash())));
        checks.add(new ReceiptVerification.Check("local recomputation gives the same trace root",
                Numeric.toHexString(local.traceRoot()).equals(r.traceRoot()), Numeric.toHexString(local.traceRoot())));
        return new ReceiptVerification(taskId, checks);
    }
}
