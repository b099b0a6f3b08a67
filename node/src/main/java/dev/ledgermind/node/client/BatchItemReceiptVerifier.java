package dev.ledgermind.node.client;

import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.ModelTerms;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.events.BatchItemsLocator;
import dev.ledgermind.node.batch.OffchainItems;
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
 * and a local run of the item's input gives the same result hash and trace root. The input is the submission's
 * calldata for an inline batch; for a root-only batch ({@code submitBatchRoot}) it is fetched from the batch's
 * locator (its {@code BatchItemsOffchain} event, {@link BatchItemsLocator}) with the workers' bounded, checked fetch
 * ({@link OffchainItems}: the items must be {@code count}, each inline, under the on-chain request root and summing
 * to the batch's fee); the model's current terms are not applied (they admit a batch, and this one was accepted).
 * A fetch that fails is a failed check naming the locator and what failed; the chain's checks run regardless.
 */
public final class BatchItemReceiptVerifier {
    private final BatchMarket market;
    private final Function<String, TaskRunner> engines;
    private final BatchItemsLocator locators;
    private final OffchainItems offchain;

    /**
     * A verifier that recomputes inline batches' items only (a root-only batch's recomputation check fails, saying
     * that its items are off-chain). {@code engines}: the runner for a model name (the name the item's input
     * carries); null skips the local run.
     */
    public BatchItemReceiptVerifier(BatchMarket market, Function<String, TaskRunner> engines) {
        this(market, engines, null, null);
    }

    /** A verifier that also fetches a root-only batch's items from its locator ({@code locators}) with {@code offchain}. */
    public BatchItemReceiptVerifier(BatchMarket market, Function<String, TaskRunner> engines, BatchItemsLocator locators,
                                    OffchainItems offchain) {
        if ((locators == null) != (offchain == null)) throw new IllegalArgumentException("locators and offchain go together");
        this.market = market;
        this.engines = engines;
        this.locators = locators;
        this.offchain = offchain;
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
            BatchItem item = null;
            if (sub.isEmpty()) {
                checks.add(new ReceiptVerification.Check("local recomputation of the item", false,
                        "no submission of batch " + it.batchId() + " on this chain"));
            } else if (it.index() >= sub.get().count()) {
                checks.add(new ReceiptVerification.Check("local recomputation of the item", false,
                        "item " + it.index() + " is past batch " + it.batchId() + "'s " + sub.get().count() + " items"));
            } else if (sub.get().items().size() == sub.get().count()) {
                item = sub.get().items().get(it.index());
            } else {
                item = fetched(sub.get(), it.index(), checks, progress);
            }
            if (item != null) {
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

    /** Item {@code index} of a root-only batch, fetched from its locator and checked; null (a failed check added) when it cannot be. */
    private BatchItem fetched(BatchMarket.Submission sub, int index, List<ReceiptVerification.Check> checks, Consumer<String> progress) {
        String what = "local recomputation of the item";
        if (offchain == null) {
            checks.add(new ReceiptVerification.Check(what, false, "batch " + sub.batchId()
                    + "'s items are not on-chain (submitted root-only) and this verifier has no fetch path"));
            return null;
        }
        Optional<String> locator = locators.of(sub.batchId(), sub.blockNumber());
        if (locator.isEmpty()) {
            checks.add(new ReceiptVerification.Check(what, false, "batch " + sub.batchId()
                    + "'s items are not on-chain and it has no BatchItemsOffchain locator"));
            return null;
        }
        progress.accept("fetching batch " + sub.batchId() + "'s " + sub.count() + " items from " + locator.get() + "...");
        try {
            List<BatchItem> items = offchain.fetch(sub, locator.get(), ModelTerms.NONE);
            checks.add(new ReceiptVerification.Check("off-chain items fetched from the locator are under the request root", true,
                    sub.count() + " items from " + locator.get() + ", root " + Numeric.toHexString(sub.requestRoot())));
            return items.get(index);
        } catch (OffchainItems.Unavailable e) {
            checks.add(new ReceiptVerification.Check(what, false, "batch " + sub.batchId() + "'s items are off-chain and could not be"
                    + " fetched from its locator " + locator.get() + ": " + e.getMessage()));
            return null;
        }
    }
}
