package dev.ledgermind.chain.batch;

import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.TransactionSender;
import dev.ledgermind.chain.contracts.BatchSettlement;
import dev.ledgermind.chain.contracts.IBatchResults;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.web3j.abi.TypeEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.utils.Numeric;

/**
 * The typed facade of the market's batches (issue 13; docs/DESIGN.md section 6.4): BatchSettlement's functions,
 * called at the market's address (its fallback DELEGATECALLs them), and {@code verifyResult}, which the market
 * answers itself. One instance per signer, like {@link LedgermindContracts}, whose sender it uses.
 */
public final class BatchMarket {
    /** The least gas a reveal is sent with: the k-th reveal settles (pays k seats, or holds). */
    static final BigInteger REVEAL_MIN_GAS = BigInteger.valueOf(400_000);

    private final LedgermindContracts contracts;
    private final TransactionSender sender;
    private final String market;
    private final BatchSettlement batches;
    private final IBatchResults results;
    /** Per batch, its pool snapshot and the hash of its submission's block (to draw or pass the pool). */
    private final Map<BigInteger, Draw> draws = new HashMap<>();

    private record Draw(byte[] pool, String blockHash) {}

    public BatchMarket(LedgermindContracts contracts) {
        this.contracts = contracts;
        this.sender = contracts.sender();
        this.market = contracts.deployment().taskMarket();
        var gas = new StaticGasProvider(BigInteger.ONE, BigInteger.valueOf(30_000_000));
        this.batches = BatchSettlement.load(market, contracts.web3j(), sender.transactionManager(), gas);
        this.results = IBatchResults.load(market, contracts.web3j(), sender.transactionManager(), gas);
    }

    /** A submitted batch: its id, request root, items, fee, the pool and seed block hash its seats come from. */
    public record SubmittedBatch(BigInteger batchId, byte[] requestRoot, List<BatchItem> items, BigInteger fee, byte[] pool,
                                 String blockHash, List<Long> seats, TransactionReceipt receipt) {
        public BigInteger requestId(int index) {
            return BatchTree.requestId(batchId, index);
        }
    }

    /**
     * Submits {@code items} (one model, fee shares summing to the value sent) as one batch; returns it with the
     * seats its draw gives (the contract's preview).
     */
    public SubmittedBatch submit(int modelId, int k, boolean callback, List<BatchItem> items) {
        if (items.isEmpty()) throw new IllegalArgumentException("a batch needs at least one item");
        BigInteger fee = BatchItem.totalFee(items);
        TransactionReceipt r = sender.send("BatchSettlement", market, batches.submitBatch(BigInteger.valueOf(modelId),
                BigInteger.valueOf(k), BigInteger.valueOf(callback ? 1 : 0), BatchItem.encodeAll(items), fee), fee);
        var events = BatchSettlement.getBatchSubmittedEvents(r);
        if (events.isEmpty()) throw new ChainException("submitBatch " + r.getTransactionHash() + " emitted no BatchSubmitted");
        var e = events.getFirst();
        synchronized (draws) {
            draws.put(e.batchId, new Draw(e.pool, r.getBlockHash()));
        }
        return new SubmittedBatch(e.batchId, e.requestRoot, List.copyOf(items), e.fee, e.pool, r.getBlockHash(),
                seats(e.batchId, e.pool, r.getBlockHash()), r);
    }

    /**
     * Submits {@code items} as an off-chain batch (submitBatchRoot): only their request root, count and
     * {@code locator} go on-chain; the requester serves the items there (docs/DESIGN.md 6.4, data availability).
     */
    public SubmittedBatch submitRoot(int modelId, int k, boolean callback, List<BatchItem> items, String locator) {
        if (items.isEmpty()) throw new IllegalArgumentException("a batch needs at least one item");
        BigInteger fee = BatchItem.totalFee(items);
        byte[] root = BatchItem.requestRoot(items);
        TransactionReceipt r = sender.send("BatchSettlement", market, batches.submitBatchRoot(BigInteger.valueOf(modelId),
                BigInteger.valueOf(k), BigInteger.valueOf(callback ? 1 : 0), root, BigInteger.valueOf(items.size()), locator, fee), fee);
        var events = BatchSettlement.getBatchSubmittedEvents(r);
        if (events.isEmpty()) throw new ChainException("submitBatchRoot " + r.getTransactionHash() + " emitted no BatchSubmitted");
        var e = events.getFirst();
        synchronized (draws) {
            draws.put(e.batchId, new Draw(e.pool, r.getBlockHash()));
        }
        return new SubmittedBatch(e.batchId, e.requestRoot, List.copyOf(items), e.fee, e.pool, r.getBlockHash(),
                seats(e.batchId, e.pool, r.getBlockHash()), r);
    }

    /** Remembers a batch's pool and block hash (a node that learnt the batch from its BatchSubmitted log). */
    public void knowDraw(BigInteger batchId, byte[] pool, String blockHash) {
        synchronized (draws) {
            draws.put(batchId, new Draw(pool.clone(), blockHash));
        }
    }

    /** The seats of a batch: drawn, or what the draw gives from the pool and the submission block's hash. */
    public List<Long> seats(BigInteger batchId, byte[] pool, String blockHash) {
        List<Type> v = sender.call("BatchSettlement", market,
                batches.drawBatchSeats(batchId, pool, Numeric.hexStringToByteArray(blockHash)));
        List<Long> out = new ArrayList<>();
        for (Object o : (List<?>) v.getFirst().getValue()) out.add(((Type<?>) o).getValue() instanceof BigInteger b ? b.longValueExact() : 0L);
        return out;
    }

    /** The commitment of a seat: keccak256(abi.encode(batchId, this signer, resultsRoot, salt)). */
    public byte[] commitment(BigInteger batchId, byte[] resultsRoot, byte[] salt) {
        String enc = TypeEncoder.encode(new Uint256(batchId)) + TypeEncoder.encode(new Address(sender.address()))
                + TypeEncoder.encode(new Bytes32(resultsRoot)) + TypeEncoder.encode(new Bytes32(salt));
        return Hash.sha3(Numeric.hexStringToByteArray(enc));
    }

    /** Commits; the first commit of a batch carries its pool (known from {@link #submit} or {@link #knowDraw}). */
    public TransactionReceipt commit(BigInteger batchId, long agentId, byte[] commitment) {
        return commit(batchId, agentId, commitment, null);
    }

    /**
     * {@link #commit(BigInteger, long, byte[])}, handing the signed transaction's hash to {@code beforeBroadcast}
     * before it leaves this process (a worker makes it durable first; see TransactionSender).
     */
    public TransactionReceipt commit(BigInteger batchId, long agentId, byte[] commitment, java.util.function.Consumer<String> beforeBroadcast) {
        return sender.send("BatchSettlement", market, commitCall(batchId, agentId, commitment), BigInteger.ZERO, beforeBroadcast);
    }

    /**
     * commitBatch's calldata: the round's first commit carries the pool snapshot its seats are drawn from (kept
     * here from the batch's submission), later ones an empty pool.
     */
    private String commitCall(BigInteger batchId, long agentId, byte[] commitment) {
        return batches.commitBatch(batchId, BigInteger.valueOf(agentId), commitment, drawPool(batchId)).encodeFunctionCall();
    }

    /** The pool snapshot the batch's seats are still to be drawn from, or an empty one once they are drawn. */
    private byte[] drawPool(BigInteger batchId) {
        if (!state(batchId).drawPending()) return new byte[0];
        Draw d;
        synchronized (draws) {
            d = draws.get(batchId);
        }
        if (d == null) throw new ChainException("batch " + batchId + " has its seats to draw, and its pool is unknown here");
        return d.pool();
    }

    public TransactionReceipt reveal(BigInteger batchId, long agentId, byte[] resultsRoot, byte[] salt) {
        return reveal(batchId, agentId, resultsRoot, salt, null);
    }

    /** {@link #reveal(BigInteger, long, byte[], byte[])} with a hook that sees the transaction's hash first. */
    public TransactionReceipt reveal(BigInteger batchId, long agentId, byte[] resultsRoot, byte[] salt,
                                     java.util.function.Consumer<String> beforeBroadcast) {
        return sender.send("BatchSettlement", market,
                batches.revealBatch(batchId, BigInteger.valueOf(agentId), resultsRoot, salt).encodeFunctionCall(),
                BigInteger.ZERO, beforeBroadcast, REVEAL_MIN_GAS);
    }

    // ---- pipelined commit and reveal (issue 13): broadcast without waiting for the receipt (TransactionSender.broadcast)

    /**
     * Like {@link #commit(BigInteger, long, byte[], java.util.function.Consumer)}, but returns the transaction's hash
     * as soon as it is broadcast; the caller learns from the batch's state that it landed, and calls
     * {@link #replaceStuck} now and then.
     */
    public String commitAsync(BigInteger batchId, long agentId, byte[] commitment, java.util.function.Consumer<String> beforeBroadcast) {
        return sender.broadcast("BatchSettlement", market, commitCall(batchId, agentId, commitment), BigInteger.ZERO,
                beforeBroadcast, BigInteger.ZERO);
    }

    /** Like {@link #reveal(BigInteger, long, byte[], byte[], java.util.function.Consumer)}, without waiting for the receipt. */
    public String revealAsync(BigInteger batchId, long agentId, byte[] resultsRoot, byte[] salt,
                              java.util.function.Consumer<String> beforeBroadcast) {
        return sender.broadcast("BatchSettlement", market,
                batches.revealBatch(batchId, BigInteger.valueOf(agentId), resultsRoot, salt).encodeFunctionCall(),
                BigInteger.ZERO, beforeBroadcast, REVEAL_MIN_GAS);
    }

    /** Whether {@code txHash} is one of this signer's broadcast transactions not yet seen mined. */
    public boolean inFlight(String txHash) {
        return txHash != null && sender.isInFlight(txHash);
    }

    /** This signer's stuck or dropped transactions replaced at a higher fee (TransactionSender.replaceStuck). */
    public List<TransactionSender.InFlight> replaceStuck(long stuckMillis) {
        return sender.replaceStuck(stuckMillis);
    }
    // ---- end of pipelined commit and reveal

    /** Declines a batch for every seat the agent holds (items unavailable or over the node's limits). */
    public TransactionReceipt decline(BigInteger batchId, long agentId) {
        return sender.send("BatchSettlement", market, batches.declineBatch(batchId, BigInteger.valueOf(agentId), drawPool(batchId)),
                BigInteger.ZERO);
    }

    /** Whether a transaction this signer sent is still pending (known to the node, not mined). */
    public boolean pending(String txHash) {
        return sender.pending(txHash);
    }

    /** finalizeBatch, with the pool when the draw is still pending. */
    public TransactionReceipt finalizeBatch(BigInteger batchId) {
        BatchState s = state(batchId);
        byte[] pool = new byte[0];
        if (s.drawPending()) {
            synchronized (draws) {
                Draw d = draws.get(batchId);
                if (d != null) pool = d.pool();
            }
        }
        return sender.send("BatchSettlement", market, batches.finalizeBatch(batchId, pool).encodeFunctionCall(), BigInteger.ZERO,
                null, REVEAL_MIN_GAS);
    }

    // ---- deadlines (lead, issue 13: nodes and requesters advance batches past their deadlines)
    /**
     * The first chain time (unix seconds) at which finalizeBatch accepts batch state {@code s}: after the commit
     * deadline while seats are missing, after the reveal deadline once every seat committed, after a hold's end;
     * -1 for a final batch.
     */
    public long finalizableAt(BatchState s) {
        if (s.status() == BatchState.HELD) return s.deadline() + 1;
        if (s.status() != BatchState.ACTIVE) return -1;
        int full = (1 << s.k()) - 1;
        return s.committed() != full ? s.deadline() + 1 : s.deadline() + contracts.revealWindow() + 1;
    }

    /**
     * Whether finalizeBatch is due for {@code s}, {@code lateSeconds} after it first may be: by this machine's clock
     * or the latest block's, whichever is later (a chain that mines only on transactions, like anvil's automine, has
     * a latest block older than the next one's timestamp; a chain whose time was moved forward is ahead of this
     * clock). A call made too early reverts TooEarly at estimation, costing nothing.
     */
    public boolean finalizeDue(BatchState s, long lateSeconds) {
        long at = finalizableAt(s);
        if (at < 0) return false;
        return System.currentTimeMillis() / 1000 >= at + lateSeconds || chainTime() >= at + lateSeconds;
    }

    /** The latest block's timestamp: the clock the contract's deadlines are read against. */
    public long chainTime() {
        try {
            var b = contracts.web3j().ethGetBlockByNumber(org.web3j.protocol.core.DefaultBlockParameterName.LATEST, false).send();
            if (b.hasError() || b.getBlock() == null) {
                throw new ChainException("eth_getBlockByNumber(latest) failed: " + (b.hasError() ? b.getError().getMessage() : "no block"));
            }
            return b.getBlock().getTimestamp().longValueExact();
        } catch (java.io.IOException e) {
            throw new ChainException("eth_getBlockByNumber(latest) failed: " + e.getMessage(), e);
        }
    }
    // ---- end of deadlines

    /**
     * Settles one item of a held batch against a dissenting seat (BatchSettlement.resolveItem).
     *
     * @param theirs the dissenter's (resultHash, traceRoot) at the item, {@code ours} the accepted one
     */
    public TransactionReceipt resolveItem(BigInteger batchId, int position, int index, byte[][] theirs, BatchTree.Proof theirProof,
                                          byte[][] ours, BatchTree.Proof ourProof, BatchItem item, BatchTree.Proof requestProof) {
        List<byte[]> leaves = List.of(theirs[0], theirs[1], ours[0], ours[1]);
        return sender.send("BatchSettlement", market, batches.resolveItem(batchId, BigInteger.valueOf(position),
                BigInteger.valueOf(index), leaves, theirProof.siblings(), ourProof.siblings(), item.encode(),
                requestProof.siblings()), BigInteger.ZERO);
    }

    /** A batch as the chain holds it. */
    public record BatchState(int status, int k, int committed, int revealed, int agreed, int leader, int flags, long deadline,
                             int modelId, String requester, BigInteger fee, byte[] requestRoot, int count, List<byte[]> roots) {
        public static final int ACTIVE = 1, ACCEPTED = 2, REFUNDED = 3, HELD = 4;

        public boolean drawPending() {
            return (flags & 8) != 0;
        }
    }

    public BatchState state(BigInteger batchId) {
        List<Type> v = sender.call("BatchSettlement", market, batches.getBatch(batchId));
        BigInteger s = (BigInteger) v.get(0).getValue();
        List<byte[]> roots = new ArrayList<>();
        for (Object o : (List<?>) v.get(5).getValue()) roots.add((byte[]) ((Type<?>) o).getValue());
        return new BatchState(s.intValue() & 0xff, s.shiftRight(8).intValue() & 0xff, s.shiftRight(16).intValue() & 0xff,
                s.shiftRight(24).intValue() & 0xff, s.shiftRight(32).intValue() & 0xff, s.shiftRight(40).intValue() & 0xff,
                s.shiftRight(48).intValue() & 0xff, s.shiftRight(64).longValue() & 0xffffffffL, s.shiftRight(96).intValue(),
                (String) v.get(1).getValue(), (BigInteger) v.get(2).getValue(), (byte[]) v.get(3).getValue(),
                ((BigInteger) v.get(4).getValue()).intValueExact(), roots);
    }

    /** A BatchSubmitted log: the batch, its model, k, items (empty for an off-chain batch), pool and block hash. */
    public record Submission(BigInteger batchId, String requester, int modelId, int k, int flags, int count, BigInteger fee,
                             byte[] requestRoot, List<BatchItem> items, byte[] pool, String blockHash, long blockNumber) {}

    /** The BatchSubmitted logs of blocks {@code from..to} (inclusive), in chain order. */
    public List<Submission> submittedBetween(long from, long to) {
        try {
            var f = new org.web3j.protocol.core.methods.request.EthFilter(
                    org.web3j.protocol.core.DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                    org.web3j.protocol.core.DefaultBlockParameter.valueOf(BigInteger.valueOf(to)), market);
            f.addSingleTopic(org.web3j.abi.EventEncoder.encode(BatchSettlement.BATCHSUBMITTED_EVENT));
            var logs = contracts.web3j().ethGetLogs(f).send();
            if (logs.hasError()) throw new ChainException("eth_getLogs failed: " + logs.getError().getMessage());
            List<Submission> out = new ArrayList<>();
            for (var r : logs.getLogs()) {
                var l = (org.web3j.protocol.core.methods.response.Log) r.get();
                var e = BatchSettlement.getBatchSubmittedEventFromLog(l);
                out.add(new Submission(e.batchId, e.requester, e.modelId.intValueExact(), e.k.intValueExact(), e.flags.intValueExact(),
                        e.count.intValueExact(), e.fee, e.requestRoot, BatchItem.decodeAll(e.items), e.pool, l.getBlockHash(),
                        l.getBlockNumber().longValueExact()));
            }
            return out;
        } catch (java.io.IOException e) {
            throw new ChainException("cannot read BatchSubmitted logs of blocks " + from + ".." + to + ": " + e.getMessage(), e);
        }
    }

    /** Batch {@code batchId}'s BatchSubmitted log (searched from the deployment's block), or empty when there is none. */
    public java.util.Optional<Submission> submission(BigInteger batchId) {
        try {
            var f = new org.web3j.protocol.core.methods.request.EthFilter(
                    org.web3j.protocol.core.DefaultBlockParameter.valueOf(BigInteger.valueOf(contracts.deployment().deployBlock())),
                    org.web3j.protocol.core.DefaultBlockParameterName.LATEST, market);
            f.addSingleTopic(org.web3j.abi.EventEncoder.encode(BatchSettlement.BATCHSUBMITTED_EVENT));
            f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(batchId, 64));
            var logs = contracts.web3j().ethGetLogs(f).send();
            if (logs.hasError()) throw new ChainException("eth_getLogs failed: " + logs.getError().getMessage());
            for (var r : logs.getLogs()) {
                var l = (org.web3j.protocol.core.methods.response.Log) r.get();
                var e = BatchSettlement.getBatchSubmittedEventFromLog(l);
                return java.util.Optional.of(new Submission(e.batchId, e.requester, e.modelId.intValueExact(), e.k.intValueExact(),
                        e.flags.intValueExact(), e.count.intValueExact(), e.fee, e.requestRoot, BatchItem.decodeAll(e.items), e.pool,
                        l.getBlockHash(), l.getBlockNumber().longValueExact()));
            }
            return java.util.Optional.empty();
        } catch (java.io.IOException e) {
            throw new ChainException("cannot read batch " + batchId + "'s BatchSubmitted log: " + e.getMessage(), e);
        }
    }

    /**
     * What a requester keeps to prove one batched result to anyone: the batch, the item, its result and its
     * proof under the batch's accepted results root ({@link #verify} asks the chain).
     */
    public record ItemReceipt(BigInteger batchId, int index, int count, byte[] resultHash, byte[] traceRoot, List<byte[]> proof) {
        public BigInteger requestId() {
            return BatchTree.requestId(batchId, index);
        }

        public BatchTree.Proof treeProof() {
            return new BatchTree.Proof(index, count, proof);
        }

        /** The item's leaf in the results tree. */
        public byte[] leaf() {
            return BatchTree.resultLeaf(requestId(), resultHash, traceRoot);
        }

        /** The receipt's root, computed here (compare with the seats' revealed roots). */
        public byte[] root() {
            return treeProof().rootFrom(leaf());
        }
    }

    /** Whether the chain proves the receipt's result (TaskMarket's verifyResult). */
    public boolean verify(ItemReceipt r) {
        return verifyResult(r.batchId(), r.index(), r.count(), r.resultHash(), r.traceRoot(), r.treeProof());
    }

    /** Whether the chain proves (resultHash, traceRoot) as item {@code index} of accepted batch {@code batchId}. */
    public boolean verifyResult(BigInteger batchId, int index, int count, byte[] resultHash, byte[] traceRoot, BatchTree.Proof proof) {
        List<Type> v = sender.call("IBatchResults", market, results.verifyResult(batchId, BigInteger.valueOf(index),
                BigInteger.valueOf(count), resultHash, traceRoot, proof.siblings()));
        return (Boolean) v.getFirst().getValue();
    }
}
