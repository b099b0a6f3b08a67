package dev.ledgermind.node.client;

import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/**
 * Checks a {@link BatchItemReceipt} (issue 13): the batch is accepted; the receipt's count is the batch's; the
 * proof takes the item's leaf to the root every agreeing seat revealed; the chain's {@code verifyResult} accepts
 * (result, proof) (the check a consumer contract makes); the output, when present, hashes to the result hash;
 * and, for an inline batch, a local run of the item's on-chain input gives the same result hash and trace root.
 */
public final class BatchItemReceiptVerifier {
    private final BatchMarket market;
    private final Function<String, TaskRunner> engines;

    /** {@code engines}: the runner for a model name (the name the item's input carries); null skips the local run. */
    public BatchItemReceiptVerifier(BatchMarket market, Function<String, TaskRunner> engines) {
        this.market = market;
        this.engines = engines;
    }

    public ReceiptVerification verify(BatchItemReceipt receipt, Consumer<String> progress) {
        BatchMarket.ItemReceipt it = receipt.item();
        List<ReceiptVerification.Check> checks = new ArrayList<>();
        BatchMarket.BatchState s = market.state(it.batchId());
        boolean accepted = s.status() == BatchMarket.BatchState.ACCEPTED;
        checks.add(new ReceiptVerification.Check("batch is final and accepted", accepted, "status " + s.status()));
        checks.add(new ReceiptVerification.Check("receipt's count is the batch's", s.count() == it.count(), Integer.toString(s.count())));
        byte[] root = it.root();
        long agreeing = s.roots().stream().filter(r -> Arrays.equals(r, root)).count();
        checks.add(new ReceiptVerification.Check("proof leads to the root the seats revealed", agreeing * 2 > s.k(),
                Numeric.toHexString(root) + " (" + agreeing + " of " + s.k() + " seats)"));
        boolean onChain = market.verify(it);
        checks.add(new ReceiptVerification.Check("chain's verifyResult accepts the item and its proof", onChain, Boolean.toString(onChain)));
        if (receipt.output() != null) {
            String h = Numeric.toHexString(Hash.sha3(receipt.output()));
            checks.add(new ReceiptVerification.Check("output hashes to the result hash", h.equals(Numeric.toHexString(it.resultHash())), h));
        }
        if (engines != null) {
            Optional<BatchMarket.Submission> sub = market.submission(it.batchId());
            BatchItem item = sub.filter(x -> x.items().size() == x.count() && it.index() < x.items().size())
                    .map(x -> x.items().get(it.index())).orElse(null);
            if (item == null) {
                checks.add(new ReceiptVerification.Check("local recomputation of the item", false,
                        "the batch's items are not on-chain (off-chain batch, or no such batch)"));
            } else {
                TaskInput input = TaskInput.parse(item.input());
                progress.accept("recomputing item " + it.index() + " of batch " + it.batchId() + " locally with " + input.model() + "...");
                TaskResult local = engines.apply(input.model()).run(input);
                checks.add(new ReceiptVerification.Check("local recomputation gives the same result hash",
                        Arrays.equals(local.resultHash(), it.resultHash()), Numeric.toHexString(local.resultHash())));
                checks.add(new ReceiptVerification.Check("local recomputation gives the same trace root",
                        Arrays.equals(local.traceRoot(), it.traceRoot()), Numeric.toHexString(local.traceRoot())));
            }
        }
        return new ReceiptVerification(it.requestId(), checks);
    }
}
