package dev.ledgermind.chain;

import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.batch.BatchTree;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

/**
 * A devnet ({@link ChainFixture}) and the node-side steps of a batch, for the batch tests and the gas report:
 * the requester submits, each seat commits to and reveals one results root (BatchTree over its leaves).
 * A seat's results are {@link #resultHash(BigInteger, int, boolean)} and {@link #traceRoot(int)}; a lying seat
 * changes the result hash of the items it lies about.
 */
final class BatchFixture implements AutoCloseable {
    final ChainFixture chain;
    private final Map<LedgermindContracts, BatchMarket> markets = new HashMap<>();

    BatchFixture(int nodes) {
        chain = new ChainFixture(nodes);
    }

    BatchMarket market(LedgermindContracts c) {
        return markets.computeIfAbsent(c, BatchMarket::new);
    }

    BatchMarket requester() {
        return market(chain.requester);
    }

    /** Back to the fixture's post-set-up state (facades rebuilt). */
    void reset() {
        chain.reset();
        markets.clear();
    }

    /** Submits until the draw gives k distinct agents. */
    BatchMarket.SubmittedBatch submitDistinct(List<BatchItem> items, int k, boolean callback) {
        for (int attempt = 0; attempt < 200; attempt++) {
            BatchMarket.SubmittedBatch b = requester().submit(chain.modelId, k, callback, items);
            if (b.seats().stream().distinct().count() == k) return b;
        }
        throw new AssertionError("200 draws in a row gave an agent two seats");
    }

    static byte[] resultHash(BigInteger batchId, int index, boolean lie) {
        return Hash.sha3(("result " + batchId + "/" + index + (lie ? " (a lie)" : "")).getBytes());
    }

    static byte[] traceRoot(int index) {
        return Hash.sha3(("trace " + index).getBytes());
    }

    /** The results tree of a seat that lies about the items in {@code lies}. */
    static BatchTree resultsTree(BigInteger batchId, int n, List<Integer> lies) {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            leaves.add(BatchTree.resultLeaf(BatchTree.requestId(batchId, i), resultHash(batchId, i, lies.contains(i)), traceRoot(i)));
        }
        return BatchTree.of(leaves);
    }

    static byte[] salt(long agentId) {
        return Hash.sha3(("salt " + agentId).getBytes());
    }

    record Run(BatchMarket.SubmittedBatch batch, List<Long> seats, TransactionReceipt submit, List<TransactionReceipt> commits,
               List<TransactionReceipt> reveals) {}

    /** Commits every seat to its tree's root (position p's tree is {@code trees.get(p)}). */
    List<TransactionReceipt> commitAll(BatchMarket.SubmittedBatch b, List<BatchTree> trees) {
        List<TransactionReceipt> out = new ArrayList<>();
        for (int p = 0; p < b.seats().size(); p++) {
            long agent = b.seats().get(p);
            BatchMarket m = market(chain.node(agent));
            m.knowDraw(b.batchId(), b.pool(), b.blockHash());
            out.add(m.commit(b.batchId(), agent, m.commitment(b.batchId(), trees.get(p).root(), salt(agent))));
        }
        return out;
    }

    List<TransactionReceipt> revealAll(BatchMarket.SubmittedBatch b, List<BatchTree> trees) {
        List<TransactionReceipt> out = new ArrayList<>();
        for (int p = 0; p < b.seats().size(); p++) {
            long agent = b.seats().get(p);
            out.add(market(chain.node(agent)).reveal(b.batchId(), agent, trees.get(p).root(), salt(agent)));
        }
        return out;
    }

    /** A k = 3 batch of {@code items} with three distinct honest seats: submitted, committed, revealed (accepted). */
    Run runUnanimous(List<BatchItem> items) {
        return runUnanimous(items, false);
    }

    /** As {@link #runUnanimous(List)}; {@code rootOnly}: submitted with submitBatchRoot (items off-chain). */
    Run runUnanimous(List<BatchItem> items, boolean rootOnly) {
        BatchMarket.SubmittedBatch b = null;
        for (int attempt = 0; attempt < 200 && b == null; attempt++) {
            BatchMarket.SubmittedBatch s = rootOnly ? requester().submitRoot(chain.modelId, 3, false, items, "https://requester.example/b")
                    : requester().submit(chain.modelId, 3, false, items);
            if (s.seats().stream().distinct().count() == 3) b = s;
        }
        if (b == null) throw new AssertionError("200 draws in a row gave an agent two seats");
        BatchTree t = resultsTree(b.batchId(), items.size(), List.of());
        List<BatchTree> trees = List.of(t, t, t);
        List<TransactionReceipt> commits = commitAll(b, trees);
        List<TransactionReceipt> reveals = revealAll(b, trees);
        return new Run(b, b.seats(), b.receipt(), commits, reveals);
    }

    @Override
    public void close() {
        chain.close();
    }
}
