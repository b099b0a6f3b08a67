package dev.ledgermind.chain.batch;

import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.TransactionSender;
import dev.ledgermind.chain.contracts.OptimisticBatchData;
import dev.ledgermind.chain.contracts.OptimisticBatches;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.TypeEncoder;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.utils.Numeric;

/**
 * The typed facade of the optimistic mode's batches (issue 13; OptimisticBatches, reached at the market's address
 * through BatchSettlement's fallback; docs/DESIGN.md section 6.4): one drawn worker claims a whole batch with one
 * results root and one shapes root; audits and challenges name single items with their proofs; a challenged item
 * is played alone in the dispute game; the rest of the batch is final at its window's end. Reads and proofs of
 * the accepted items go through {@link BatchMarket} (the same Batch, the same {@code verifyResult}). One instance
 * per signer, like {@link LedgermindContracts}, whose sender it uses.
 */
public final class OptimisticBatchMarket {
    private static final BigInteger ITEM_TAG = BigInteger.ONE.shiftLeft(255);
    private final LedgermindContracts contracts;
    private final TransactionSender sender;
    private final String market;
    private final OptimisticBatches mode;
    private final OptimisticBatchData data;
    private final BatchMarket batches;

    public OptimisticBatchMarket(LedgermindContracts contracts) {
        this.contracts = contracts;
        this.sender = contracts.sender();
        this.market = contracts.deployment().taskMarket();
        this.mode = OptimisticBatches.load(market, contracts.web3j(), sender.transactionManager(),
                new StaticGasProvider(BigInteger.ONE, BigInteger.valueOf(30_000_000)));
        this.data = OptimisticBatchData.load(market, contracts.web3j(), sender.transactionManager(),
                new StaticGasProvider(BigInteger.ONE, BigInteger.valueOf(30_000_000)));
        this.batches = new BatchMarket(contracts);
    }

    /** The replicated batches' facade on the same signer: state, draws, verifyResult. */
    public BatchMarket batches() {
        return batches;
    }

    // ------------------------------------------------------------------ the worker's claim, off-chain

    /** One item's claim: its result and trace root (the results leaf), and the trace's shape (the shapes leaf). */
    public record ItemClaim(byte[] resultHash, byte[] traceRoot, byte[] tokensHash, int positions, int leafCount) {
        public ItemClaim {
            if (resultHash.length != 32 || traceRoot.length != 32 || tokensHash.length != 32) {
                throw new IllegalArgumentException("resultHash, traceRoot and tokensHash are 32 bytes each");
            }
            if (positions <= 0 || leafCount <= 0 || leafCount % positions != 0) {
                throw new IllegalArgumentException("trace shape: leafCount " + leafCount + " must be a positive multiple of positions "
                        + positions);
            }
        }

        /** The shape as the contract takes it: positions << 32 | leafCount. */
        public BigInteger shape() {
            return BigInteger.valueOf(positions).shiftLeft(32).or(BigInteger.valueOf(leafCount));
        }
    }

    /** The shapes leaf keccak256(abi.encode(requestId, tokensHash, positions, leafCount)). */
    public static byte[] shapeLeaf(BigInteger requestId, ItemClaim c) {
        String enc = TypeEncoder.encode(new Uint256(requestId)) + TypeEncoder.encode(new Bytes32(c.tokensHash()))
                + TypeEncoder.encode(new Uint256(c.positions())) + TypeEncoder.encode(new Uint256(c.leafCount()));
        return Hash.sha3(Numeric.hexStringToByteArray(enc));
    }

    /**
     * A worker's claim of a whole batch: its items' claims and the two trees over them. The live tree is the results
     * tree with the items in {@code struck} replaced by the (0, 0) leaf ("no result"), as the chain's live root has
     * them after their challenges; proofs of a challenge or a settlement are taken in it.
     */
    public static final class BatchClaim {
        private static final byte[] ZERO = new byte[32];
        private final BigInteger batchId;
        private final List<ItemClaim> items;
        private final BatchTree results;
        private final BatchTree shapes;

        public BatchClaim(BigInteger batchId, List<ItemClaim> items) {
            if (items.isEmpty()) throw new IllegalArgumentException("a batch claim needs at least one item");
            this.batchId = batchId;
            this.items = List.copyOf(items);
            this.results = live(Set.of());
            List<byte[]> s = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) s.add(shapeLeaf(BatchTree.requestId(batchId, i), items.get(i)));
            this.shapes = BatchTree.of(s);
        }

        public List<ItemClaim> items() {
            return items;
        }

        public byte[] resultsRoot() {
            return results.root();
        }

        public byte[] shapesRoot() {
            return shapes.root();
        }

        /** The results tree with the items in {@code struck} replaced by the (0, 0) leaf. */
        public BatchTree live(Set<Integer> struck) {
            List<byte[]> l = new ArrayList<>();
            for (int i = 0; i < items.size(); i++) {
                BigInteger id = BatchTree.requestId(batchId, i);
                l.add(struck.contains(i) ? BatchTree.resultLeaf(id, ZERO, ZERO)
                        : BatchTree.resultLeaf(id, items.get(i).resultHash(), items.get(i).traceRoot()));
            }
            return BatchTree.of(l);
        }

        public BatchTree.Proof shapeProof(int index) {
            return shapes.proof(index);
        }

        public BatchTree.Proof resultProof(int index) {
            return results.proof(index);
        }
    }

    // ------------------------------------------------------------------ requester

    /**
     * Submits {@code items} as an optimistic batch kept off-chain at {@code locator} (only the request root and count
     * go on-chain); {@code windowSeconds} and {@code auditBps} 0 take the mode's defaults. The returned seats are the
     * draw's preview: one worker.
     */
    public BatchMarket.SubmittedBatch submit(int modelId, boolean callback, List<BatchItem> items, String locator, long windowSeconds,
                                             int auditBps) {
        if (items.isEmpty()) throw new IllegalArgumentException("a batch needs at least one item");
        BigInteger fee = BatchItem.totalFee(items);
        byte[] root = BatchItem.requestRoot(items);
        TransactionReceipt r = sender.send("OptimisticBatches", market, mode.submitOptimisticBatch(BigInteger.valueOf(modelId),
                BigInteger.valueOf(callback ? 1 : 0), BigInteger.valueOf(windowSeconds), BigInteger.valueOf(auditBps), root,
                BigInteger.valueOf(items.size()), locator, fee), fee);
        var events = OptimisticBatches.getBatchSubmittedEvents(r);
        if (events.isEmpty()) throw new ChainException("submitOptimisticBatch " + r.getTransactionHash() + " emitted no BatchSubmitted");
        var e = events.getFirst();
        batches.knowDraw(e.batchId, e.pool, r.getBlockHash());
        return new BatchMarket.SubmittedBatch(e.batchId, e.requestRoot, List.copyOf(items), e.fee, e.pool, r.getBlockHash(),
                batches.seats(e.batchId, e.pool, r.getBlockHash()), r);
    }

    /** Settles the batch past its deadline (see OptimisticBatches.finalizeOptimisticBatch); anyone may. */
    public TransactionReceipt finalizeBatch(BigInteger batchId) {
        return sender.send("OptimisticBatches", market, mode.finalizeOptimisticBatch(batchId, submission(batchId).pool())
                .encodeFunctionCall(), BigInteger.ZERO, null, BigInteger.valueOf(400_000));
    }

    // ------------------------------------------------------------------ worker

    /** The drawn worker's claim of the whole batch (the first call draws it from the submission's pool). */
    public TransactionReceipt claim(BigInteger batchId, long agentId, BatchClaim claim) {
        return sender.send("OptimisticBatches", market, mode.claimBatch(batchId, BigInteger.valueOf(agentId), submission(batchId).pool(),
                claim.resultsRoot(), claim.shapesRoot()).encodeFunctionCall(), BigInteger.ZERO, null, BigInteger.valueOf(300_000));
    }

    // ------------------------------------------------------------------ validator and challenger

    /** What the claim block's hash decides: audited or not, by whom, which item, and which of its trace leaves. */
    public record AuditDraw(boolean audited, long validator, int index, List<Integer> leafIndices) {}

    /** The batch's audit draw (the contract's preview, from the pool and the claim log's block hash). */
    public AuditDraw auditDraw(BigInteger batchId, int leafCount) {
        String claimBlock = claimedBlockHash(batchId);
        List<Type> v = sender.call("OptimisticBatches", market, mode.batchAuditDraw(batchId, submission(batchId).pool(),
                Numeric.hexStringToByteArray(claimBlock), BigInteger.valueOf(leafCount)));
        List<Integer> idx = new ArrayList<>();
        for (Object o : (List<?>) v.get(3).getValue()) idx.add(((BigInteger) ((Type<?>) o).getValue()).intValueExact());
        return new AuditDraw((Boolean) v.get(0).getValue(), ((BigInteger) v.get(1).getValue()).longValueExact(),
                ((BigInteger) v.get(2).getValue()).intValueExact(), idx);
    }

    /**
     * The drawn validator's audit of the drawn item: {@code mine} is the validator's own claim of the batch (its
     * leaf at the item must be the claimed one), {@code traceLeaves} the item's trace leaves at the drawn indices and
     * {@code traceProof} their proofs' siblings concatenated.
     */
    public TransactionReceipt audit(BigInteger batchId, long agentId, int index, BatchClaim mine, List<byte[]> traceLeaves,
                                    List<byte[]> traceProof) {
        ItemClaim c = mine.items().get(index);
        return sender.send("OptimisticBatches", market, mode.auditItem(batchId, BigInteger.valueOf(agentId), submission(batchId).pool(),
                List.of(c.resultHash(), c.traceRoot()), mine.resultProof(index).siblings(), c.tokensHash(), c.shape(),
                mine.shapeProof(index).siblings(), traceLeaves, traceProof).encodeFunctionCall(), BigInteger.ZERO, null,
                BigInteger.valueOf(500_000));
    }

    /**
     * Challenges item {@code index} for {@code agentId} (not the worker) with the mode's challenge bond: the claimed
     * leaf and shape come from {@code claimed} (the worker's claim, as the worker serves it), proven in its live tree
     * (the items already struck: {@link #struck}); {@code resultHash} and {@code traceRoot} are the challenger's.
     */
    public TransactionReceipt challenge(BigInteger batchId, int index, long agentId, BatchClaim claimed, byte[] resultHash,
                                        byte[] traceRoot, List<BatchItem> items, BigInteger bond) {
        ItemClaim c = claimed.items().get(index);
        List<byte[]> requestLeaves = new ArrayList<>();
        for (BatchItem it : items) requestLeaves.add(it.leafHash());
        BatchTree.Proof live = claimed.live(struck(batchId)).proof(index);
        return sender.send("OptimisticBatches", market, mode.challengeItem(batchId, BigInteger.valueOf(index), BigInteger.valueOf(agentId),
                List.of(c.resultHash(), c.traceRoot(), resultHash, traceRoot), live.siblings(), c.tokensHash(), c.shape(),
                claimed.shapeProof(index).siblings(), items.get(index).encode(), BatchTree.of(requestLeaves).proof(index).siblings(),
                bond).encodeFunctionCall(), bond, null, BigInteger.valueOf(800_000));
    }

    /**
     * Settles a challenged item after its game (or its game's timeout); anyone may. An upheld item goes back into
     * the live root with its proof there ({@code claimed}'s live tree with the item still struck).
     */
    public TransactionReceipt settleItem(BigInteger batchId, int index, BatchClaim claimed) {
        Set<Integer> struck = struck(batchId);
        List<byte[]> proof = claimed.live(struck).proof(index).siblings();
        return sender.send("OptimisticBatches", market, mode.settleItem(batchId, BigInteger.valueOf(index), proof).encodeFunctionCall(),
                BigInteger.ZERO, null, BigInteger.valueOf(400_000));
    }

    // ------------------------------------------------------------------ the data-withholding challenge (OptimisticBatchData)
    //
    // docs/DESIGN.md 6.4, "Data availability of an optimistic batch": within the batch's window any staked agent but
    // the worker may ask, with the challenge bond, for one item's leaf and shape; the worker answers on-chain within
    // gameClock (ItemDataAnswered carries them with their proofs), or anyone finalizes the unanswered request after
    // its deadline: the batch is void (refunded), the worker slashed claimBond. An answered item may be challenged
    // (and audited) for one window from the answer.

    /** Asks for item {@code index}'s data on-chain for {@code agentId} (not the worker) with {@code bond} (the mode's challengeBond). */
    public TransactionReceipt requestItemData(BigInteger batchId, int index, long agentId, BigInteger bond) {
        return sender.send("OptimisticBatchData", market, data.requestItemData(batchId, BigInteger.valueOf(index), BigInteger.valueOf(agentId),
                bond).encodeFunctionCall(), bond, null, BigInteger.valueOf(300_000));
    }

    /**
     * Answers the open request for item {@code index} from {@code claim} (the worker's claim, or anyone's copy of it):
     * its leaf and shape with their proofs, the leaf's in the live tree (the items struck now: {@link #struck}).
     */
    public TransactionReceipt answerItemData(BigInteger batchId, int index, BatchClaim claim) {
        ItemClaim c = claim.items().get(index);
        List<byte[]> proof = claim.live(struck(batchId)).proof(index).siblings();
        return sender.send("OptimisticBatchData", market, data.answerItemData(batchId, BigInteger.valueOf(index), c.resultHash(), c.traceRoot(),
                c.tokensHash(), BigInteger.valueOf(c.positions()), BigInteger.valueOf(c.leafCount()), proof,
                claim.shapeProof(index).siblings()).encodeFunctionCall(), BigInteger.ZERO, null, BigInteger.valueOf(500_000));
    }

    /**
     * Closes an open data request; anyone may. Unanswered past its deadline: the batch is void (every item not under
     * challenge refunded) and the worker slashed claimBond; a moot one (batch already void, item challenged) returns its bond.
     */
    public TransactionReceipt finalizeItemData(BigInteger batchId, int index) {
        return sender.send("OptimisticBatchData", market, data.finalizeItemData(batchId, BigInteger.valueOf(index)).encodeFunctionCall(),
                BigInteger.ZERO, null, BigInteger.valueOf(400_000));
    }

    /** An item's data request: stage ({@link #DATA_NONE}..{@link #DATA_CLOSED}), the requesting agent, its deadline. */
    public record DataRequest(int stage, long agent, long deadline, String requester) {}

    /** DataRequest stages (OptimisticBase.DataStage). */
    public static final int DATA_NONE = 0, DATA_OPEN = 1, DATA_ANSWERED = 2, DATA_FAILED = 3, DATA_CLOSED = 4;

    public DataRequest dataRequest(BigInteger batchId, int index) {
        OptimisticBatchData.DataRequest r = (OptimisticBatchData.DataRequest) sender.call("OptimisticBatchData", market,
                data.itemDataRequest(batchId, BigInteger.valueOf(index))).getFirst();
        return new DataRequest(r.stage.intValueExact(), r.agent.longValueExact(), r.deadline.longValueExact(), r.requester);
    }

    /**
     * What an answer put on-chain (ItemDataAnswered): the claimed leaf and shape of item {@code index}, the leaf's proof
     * under the live root of that moment and the shape's under the shapes root; challengeable until {@code challengeUntil}.
     */
    public record AnsweredItem(int index, ItemClaim claim, List<byte[]> proof, List<byte[]> shapeProof, long challengeUntil,
                               BigInteger compensation) {}

    /** The item's answered data, read from the ItemDataAnswered log (empty when it was never answered). */
    public Optional<AnsweredItem> answeredItem(BigInteger batchId, int index) {
        for (Log l : logs(batchId, EventEncoder.encode(OptimisticBatchData.ITEMDATAANSWERED_EVENT))) {
            var e = OptimisticBatchData.getItemDataAnsweredEventFromLog(l);
            if (e.index.intValueExact() != index) continue;
            ItemClaim c = new ItemClaim(e.resultHash, e.traceRoot, e.tokensHash, e.positions.intValueExact(), e.leafCount.intValueExact());
            return Optional.of(new AnsweredItem(index, c, List.copyOf(e.proof), List.copyOf(e.shapeProof),
                    e.challengeUntil.longValueExact(), e.compensation));
        }
        return Optional.empty();
    }

    /**
     * Challenges an answered item with what its answer put on-chain alone (no copy of the worker's claim needed): the
     * claimed leaf and its proof as answered (valid while no other item was struck since), the shape and its proof.
     */
    public TransactionReceipt challengeAnswered(BigInteger batchId, AnsweredItem a, long agentId, byte[] resultHash, byte[] traceRoot,
                                                List<BatchItem> items, BigInteger bond) {
        ItemClaim c = a.claim();
        List<byte[]> requestLeaves = new ArrayList<>();
        for (BatchItem it : items) requestLeaves.add(it.leafHash());
        return sender.send("OptimisticBatches", market, mode.challengeItem(batchId, BigInteger.valueOf(a.index()), BigInteger.valueOf(agentId),
                List.of(c.resultHash(), c.traceRoot(), resultHash, traceRoot), a.proof(), c.tokensHash(), c.shape(), a.shapeProof(),
                items.get(a.index()).encode(), BatchTree.of(requestLeaves).proof(a.index()).siblings(), bond).encodeFunctionCall(), bond, null,
                BigInteger.valueOf(800_000));
    }

    /** The items of batch {@code batchId} someone has asked data for (ItemDataRequested logs), each once, in index order. */
    public List<Integer> requestedItems(BigInteger batchId) {
        java.util.TreeSet<Integer> out = new java.util.TreeSet<>();
        for (Log l : logs(batchId, EventEncoder.encode(OptimisticBatchData.ITEMDATAREQUESTED_EVENT))) {
            out.add(Numeric.toBigInt(l.getTopics().get(2)).intValueExact());
        }
        return List.copyOf(out);
    }

    // ------------------------------------------------------------------ end of the data-withholding challenge

    // ------------------------------------------------------------------ reads

    /** The mode's state of a batch (OptimisticBase.BatchClaim); agent ids 0 when none. */
    public record State(int auditState, long window, int auditBps, long claimBlock, long windowEnd, long validator, int auditIndex,
                        BigInteger excluded) {}

    public State state(BigInteger batchId) {
        OptimisticBatches.BatchClaim c = (OptimisticBatches.BatchClaim) sender.call("OptimisticBatches", market,
                mode.optimisticBatch(batchId)).getFirst();
        return new State(c.audit.intValueExact(), c.window.longValueExact(), c.auditBps.intValueExact(), c.claimBlock.longValueExact(),
                c.windowEnd.longValueExact(), c.validator.longValueExact(), c.auditIndex.intValueExact(), c.excluded);
    }

    /** An item's dispute: stage (OptimisticTasks.Stage's numbering: 0 none, 3 challenged, 4 upheld, 5 overturned, 6 settled). */
    public record Dispute(int stage, long challenger, BigInteger gameId, long until, BigInteger fee) {}

    public Dispute dispute(BigInteger batchId, int index) {
        OptimisticBatches.ItemDispute d = (OptimisticBatches.ItemDispute) sender.call("OptimisticBatches", market,
                mode.itemDispute(batchId, BigInteger.valueOf(index))).getFirst();
        return new Dispute(d.stage.intValueExact(), d.challenger.longValueExact(), d.gameId, d.until.longValueExact(), d.fee);
    }

    /** The game task id of item {@code index} (ITEM_TAG | batchId << 32 | index). */
    public static BigInteger itemKey(BigInteger batchId, int index) {
        return ITEM_TAG.or(BatchTree.requestId(batchId, index));
    }

    /**
     * The items struck from the batch's live root now: challenged (ItemChallenged) and not put back by an upheld
     * settlement (ItemSettled with stage Upheld).
     */
    public Set<Integer> struck(BigInteger batchId) {
        Set<Integer> out = new TreeSet<>();
        for (Log l : logs(batchId, EventEncoder.encode(OptimisticBatches.ITEMCHALLENGED_EVENT))) {
            out.add(OptimisticBatches.getItemChallengedEventFromLog(l).index.intValueExact());
        }
        for (Log l : logs(batchId, EventEncoder.encode(OptimisticBatches.ITEMSETTLED_EVENT))) {
            var e = OptimisticBatches.getItemSettledEventFromLog(l);
            if (e.stage.intValueExact() == 4) out.remove(e.index.intValueExact());
        }
        return out;
    }

    /** The batch's BatchSubmitted log (its pool and block). */
    public BatchMarket.Submission submission(BigInteger batchId) {
        return batches.submission(batchId).orElseThrow(() -> new ChainException("batch " + batchId + " has no BatchSubmitted event"));
    }

    /** The hash of the block of the batch's BatchClaimed log. */
    public String claimedBlockHash(BigInteger batchId) {
        for (Log l : logs(batchId, EventEncoder.encode(OptimisticBatches.BATCHCLAIMED_EVENT))) return l.getBlockHash();
        throw new ChainException("batch " + batchId + " has no claim yet");
    }

    private List<Log> logs(BigInteger batchId, String topic) {
        try {
            EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(contracts.deployment().deployBlock())),
                    DefaultBlockParameterName.LATEST, market);
            f.addSingleTopic(topic);
            f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(batchId, 64));
            var r = contracts.web3j().ethGetLogs(f).send();
            if (r.hasError()) throw new ChainException("eth_getLogs failed: " + r.getError().getMessage());
            List<Log> out = new ArrayList<>();
            for (var x : r.getLogs()) out.add((Log) x.get());
            return out;
        } catch (java.io.IOException e) {
            throw new ChainException("cannot read batch " + batchId + "'s logs: " + e.getMessage(), e);
        }
    }
}
