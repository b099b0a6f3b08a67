package dev.ledgermind.node.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.batch.BatchTree;
import dev.ledgermind.node.client.BatchAnswers;
import dev.ledgermind.node.client.BatchItemReceipt;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.utils.Numeric;

/**
 * A worker's batches (issue 13; docs/DESIGN.md 6.4 and 7): follows BatchSubmitted, computes every item of a
 * batch in which its agent holds a seat, commits one results root, reveals it, and claims once the batch is
 * final (one claim for all its items).
 *
 * <p>State per batch, durable in the node store's key-value table ({@code batch.<id>}, JSON) and only moving
 * forward: {@code COMPUTED} (every item's result, the salt and the root stored before any commit is built) ->
 * {@code COMMIT_SENT} (the signed commit's hash stored before it is broadcast) -> {@code COMMITTED} ->
 * {@code REVEAL_SENT} -> {@code REVEALED} -> {@code DONE}. What to do next is read from the chain: a seat whose
 * commit bit is set is never committed again (so a worker killed after sending its commit, whatever it had
 * recorded, resumes at the reveal), a pending transaction is waited for, and a dropped one is sent again.
 * The event cursor ({@code batch.cursor}) moves past a block only once its assigned batches are stored.
 *
 * <p>Transactions are pipelined: a batch's commit is broadcast as soon as its items are computed, without waiting
 * for the receipt, so several commits and reveals of one worker are in flight with consecutive nonces; each pass
 * replaces a transaction stuck for {@link #STUCK_MILLIS} (or dropped) at the same nonce with a higher fee
 * (chain's {@code TransactionSender.replaceStuck}).
 */
public final class BatchWorker {
    private static final Logger log = LoggerFactory.getLogger(BatchWorker.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CURSOR = "batch.cursor";
    private static final String INDEX = "batch.open";

    public enum State { COMPUTED, COMMIT_SENT, COMMITTED, REVEAL_SENT, REVEALED, DONE, FAILED }

    /** What the worker keeps for a batch: its results and where it stands. */
    public record BatchRecord(String batchId, State state, String salt, String root, List<String> resultHashes,
                              List<String> traceRoots, List<String> outputs, String pool, String blockHash, String commitTx,
                              String revealTx, String error) {
        BatchRecord with(State s, String commitTx, String revealTx, String error) {
            return new BatchRecord(batchId, s, salt, root, resultHashes, traceRoots, outputs, pool, blockHash, commitTx, revealTx, error);
        }

        /** The results tree's leaves of this record, in item order. */
        public List<byte[]> leaves() {
            List<byte[]> leaves = new ArrayList<>(resultHashes.size());
            BigInteger id = new BigInteger(batchId);
            for (int i = 0; i < resultHashes.size(); i++) {
                leaves.add(BatchTree.resultLeaf(BatchTree.requestId(id, i), Numeric.hexStringToByteArray(resultHashes.get(i)),
                        Numeric.hexStringToByteArray(traceRoots.get(i))));
            }
            return leaves;
        }

        /** The results tree of this record (the one its root commits to). */
        public BatchTree tree() {
            return BatchTree.of(leaves());
        }

        /** Item {@code index}'s receipt document (issue 13): its result, its proof and its output. */
        public BatchItemReceipt itemReceipt(int index) {
            if (index < 0 || index >= resultHashes.size()) {
                throw new IllegalArgumentException("batch " + batchId + " has " + resultHashes.size() + " items; there is no item " + index);
            }
            return new BatchItemReceipt(receipt(index), Numeric.hexStringToByteArray(outputs.get(index)));
        }

        /** Every item's receipt document, in item order (the tree built once). */
        public List<BatchItemReceipt> itemReceipts() {
            BatchTree t = tree();
            List<BatchItemReceipt> out = new ArrayList<>(resultHashes.size());
            for (int i = 0; i < resultHashes.size(); i++) out.add(new BatchItemReceipt(receipt(i, t), Numeric.hexStringToByteArray(outputs.get(i))));
            return out;
        }

        /** Item {@code index}'s receipt: its result and its proof under this record's root. */
        public BatchMarket.ItemReceipt receipt(int index) {
            return receipt(index, tree());
        }

        private BatchMarket.ItemReceipt receipt(int index, BatchTree t) {
            return new BatchMarket.ItemReceipt(new BigInteger(batchId), index, resultHashes.size(),
                    Numeric.hexStringToByteArray(resultHashes.get(index)), Numeric.hexStringToByteArray(traceRoots.get(index)),
                    t.proof(index).siblings());
        }
    }

    private final LedgermindContracts chain;
    private final BatchMarket market;
    private final long agentId;
    private final TaskRunner runner;
    private final NodeStore store;
    private final SecureRandom random = new SecureRandom();

    private final OffchainItems offchain;
    private final dev.ledgermind.chain.events.BatchItemsLocator locators;
    /** Where a dissenting seat reads the accepted results from (the quorum seats' batch results endpoints). */
    private final BatchAnswers answers;

    /** A worker that fetches off-chain batches' items from public hosts only ({@link OffchainItems.Limits#defaults}). */
    public BatchWorker(LedgermindContracts chain, long agentId, TaskRunner runner, NodeStore store) {
        this(chain, agentId, runner, store, new OffchainItems(OffchainItems.Limits.defaults(false)));
    }

    public BatchWorker(LedgermindContracts chain, long agentId, TaskRunner runner, NodeStore store, OffchainItems offchain) {
        this.chain = chain;
        this.market = new BatchMarket(chain);
        this.agentId = agentId;
        this.runner = runner;
        this.store = store;
        this.offchain = offchain;
        this.locators = new dev.ledgermind.chain.events.BatchItemsLocator(chain);
        // the other seats are contacted under the same address rule as a requester's locator
        this.answers = new BatchAnswers(chain, java.time.Duration.ofSeconds(5), offchain.limits().allowPrivate());
    }

    /** One pass: new submissions, then one step of every open batch. Errors of one batch do not stop the rest. */
    public void step() {
        follow();
        for (String id : openBatches()) advanceQuietly(new BigInteger(id));
        try {
            for (var t : market.replaceStuck(STUCK_MILLIS)) {
                log.info("transaction nonce {} sent again at gas price {} (replacement {}): {}", t.nonce(), t.gasPrice(), t.replacements(), t.hash());
            }
        } catch (ChainException e) {
            log.warn("checking the transactions in flight: {} (retried next pass)", e.getMessage());
        }
    }

    /** A transaction of this worker not mined after this long is replaced at a higher fee (3 to 5 blocks of 1 s). */
    static final long STUCK_MILLIS = 4_000;

    private void advanceQuietly(BigInteger id) {
        try {
            advance(id);
        } catch (ChainException e) {
            log.warn("batch {}: {} (retried next pass)", id, e.getMessage());
        }
    }

    public Optional<BatchRecord> record(BigInteger batchId) {
        return record(store, batchId);
    }

    private static Optional<BatchRecord> record(NodeStore store, BigInteger batchId) {
        return store.get("batch." + batchId).map(BatchWorker::parse);
    }

    /**
     * What a node's batch results endpoint serves (issue 13; FeedServer's {@code /batches/{id}/results}): the JSON
     * array of every item's receipt of a batch this node has sent its reveal for; empty for a batch it holds no
     * record of or has not revealed yet (before its reveal the results would let another seat copy them).
     */
    public static Optional<String> publishedReceipts(NodeStore store, BigInteger batchId) {
        Optional<BatchRecord> rec = record(store, batchId);
        // from the reveal's broadcast on (its hash is stored before it leaves), the root is public
        if (rec.isEmpty() || rec.get().revealTx() == null || (rec.get().state() != State.REVEAL_SENT
                && rec.get().state() != State.REVEALED && rec.get().state() != State.DONE)) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.writeValueAsString(rec.get().itemReceipts().stream()
                    .map(BatchItemReceipt::toDocument).toList()));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot encode batch " + batchId + "'s receipts", e);
        }
    }

    private void follow() {
        long from = store.get(CURSOR).map(Long::parseLong).orElse(chain.deployment().deployBlock());
        long to;
        try {
            to = chain.web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (java.io.IOException e) {
            throw new ChainException("eth_blockNumber failed: " + e.getMessage(), e);
        }
        if (to < from) return;
        for (BatchMarket.Submission s : market.submittedBetween(from, to)) {
            market.knowDraw(s.batchId(), s.pool(), s.blockHash());
            if (!market.seats(s.batchId(), s.pool(), s.blockHash()).contains(agentId)) continue;
            if (record(s.batchId()).isPresent()) continue;
            // a batch already settled (refunded, or final without this seat: a worker catching up on old blocks) has
            // nothing left to compute, fetch or decline
            if (market.state(s.batchId()).status() != BatchMarket.BatchState.ACTIVE) continue;
            List<BatchItem> items = s.items();
            if (items.size() != s.count()) {
                // an off-chain batch (submitBatchRoot): fetch its items from the locator and check them against the
                // request root before computing anything; items missing, malformed or not the batch's: declined, not
                // slashed (docs/DESIGN.md 6.4, data availability)
                try {
                    String locator = locators.of(s.batchId(), s.blockNumber())
                            .orElseThrow(() -> new OffchainItems.Unavailable("batch " + s.batchId() + " has no BatchItemsOffchain locator"));
                    items = offchain.fetch(s, locator, chain.modelTerms(s.modelId()));
                    log.info("batch {}: {} items fetched from {} and checked against the request root", s.batchId(), items.size(), locator);
                } catch (OffchainItems.Unavailable e) {
                    log.warn("batch {}: declined, its items are unavailable: {}", s.batchId(), e.getMessage());
                    declineQuietly(s.batchId());
                    continue;
                }
            }
            compute(s, items);
            // its commit goes out now (without waiting for it), and the batches computed before it move on (their
            // reveals), before the next batch's compute: a worker handed many batches at once does not hold every
            // reveal until it has computed them all
            for (String open : openBatches()) advanceQuietly(new BigInteger(open));
        }
        store.put(CURSOR, Long.toString(to + 1));
    }

    /** Declines a batch (every seat this agent holds); one declined before (a restart) is not an error. */
    private void declineQuietly(BigInteger batchId) {
        try {
            market.decline(batchId, agentId);
        } catch (dev.ledgermind.chain.ContractRevertedException e) {
            // declined before a restart, or the commit window closed meanwhile (refunded without this seat's decline)
            if (!"AlreadyDeclined".equals(e.errorName()) && !"CommitWindowClosed".equals(e.errorName())
                    && !"BatchNotActive".equals(e.errorName())) throw e;
        }
    }

    private void compute(BatchMarket.Submission s, List<BatchItem> items) {
        List<String> hashes = new ArrayList<>();
        List<String> traces = new ArrayList<>();
        List<String> outputs = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            BatchItem item = items.get(i);
            TaskResult r;
            try {
                r = runner.run(TaskInput.parse(item.input()));
            } catch (RuntimeException e) {
                r = TaskResult.error("item " + i + ": " + e.getMessage()); // the same canonical answer on every honest node
            }
            hashes.add(Numeric.toHexString(r.resultHash()));
            traces.add(Numeric.toHexString(r.traceRoot()));
            outputs.add(Numeric.toHexString(r.output()));
        }
        byte[] salt = new byte[32];
        random.nextBytes(salt);
        String pool = Numeric.toHexString(s.pool());
        BatchRecord rec = new BatchRecord(s.batchId().toString(), State.COMPUTED, Numeric.toHexString(salt), null, hashes, traces,
                outputs, pool, s.blockHash(), null, null, null);
        rec = new BatchRecord(rec.batchId(), rec.state(), rec.salt(), Numeric.toHexString(rec.tree().root()), hashes, traces, outputs,
                pool, s.blockHash(), null, null, null);
        save(rec);
        List<String> open = new ArrayList<>(openBatches());
        open.add(rec.batchId());
        store.put(INDEX, String.join(",", open));
        log.info("batch {}: {} items computed, root {}", rec.batchId(), hashes.size(), rec.root());
    }

    private void advance(BigInteger id) {
        BatchRecord rec = record(id).orElseThrow();
        BatchMarket.BatchState s = market.state(id);
        int mine = 0;
        byte[] pool = Numeric.hexStringToByteArray(rec.pool());
        market.knowDraw(id, pool, rec.blockHash()); // a restarted worker has only its store
        List<Long> seats = market.seats(id, pool, rec.blockHash());
        for (int p = 0; p < seats.size(); p++) if (seats.get(p) == agentId) mine |= 1 << p;
        boolean committed = (s.committed() & mine) == mine && mine != 0;
        boolean revealed = (s.revealed() & mine) == mine && mine != 0;
        byte[] root = Numeric.hexStringToByteArray(rec.root());
        byte[] salt = Numeric.hexStringToByteArray(rec.salt());
        // ---- deadlines and dissent (issue 13): a held batch's dissenting seat settles its differing items; any seat
        // advances a batch whose deadline has passed (commit timeout, reveal deadline, end of a hold)
        if (s.status() == BatchMarket.BatchState.HELD) resolveDissent(rec, s, mine, seats);
        if ((s.status() == BatchMarket.BatchState.ACTIVE || s.status() == BatchMarket.BatchState.HELD) && finalizeIfDue(id, s, mine)) {
            return;
        }
        // ---- end of deadlines and dissent
        if (s.status() != BatchMarket.BatchState.ACTIVE) {
            finish(rec, s);
            return;
        }
        // Pipelined (issue 13): commit and reveal are broadcast without waiting for their receipts; the next pass
        // reads from the batch's state whether they landed. A transaction this process has in flight, or one the
        // node still holds unmined after a restart (taken into the flight: TransactionSender.adopt, so it is replaced
        // at its own nonce if lost), is waited for; one the chain lost is sent again.
        switch (rec.state()) {
            case COMPUTED, COMMIT_SENT -> {
                if (committed) {
                    save(rec.with(State.COMMITTED, rec.commitTx(), null, null));
                    advance(id); // the reveal may be due at once: not one pass (one batch's compute) later
                } else if (rec.state() == State.COMMIT_SENT && (market.inFlight(rec.commitTx())
                        || chain.adopt(rec.commitTx(), tx -> recordSent(id, tx, true)))) {
                    log.debug("batch {}: commit {} pending", id, rec.commitTx());
                } else {
                    market.commitAsync(id, agentId, market.commitment(id, root, salt), tx -> recordSent(id, tx, true));
                }
            }
            case COMMITTED, REVEAL_SENT -> {
                int full = (1 << s.k()) - 1;
                if (revealed) {
                    save(rec.with(State.REVEALED, rec.commitTx(), rec.revealTx(), null));
                } else if (s.committed() != full) {
                    log.debug("batch {}: waiting for the other seats' commits", id);
                } else if (rec.state() == State.REVEAL_SENT && (market.inFlight(rec.revealTx())
                        || chain.adopt(rec.revealTx(), tx -> recordSent(id, tx, false)))) {
                    log.debug("batch {}: reveal {} pending", id, rec.revealTx());
                } else {
                    market.revealAsync(id, agentId, root, salt, tx -> recordSent(id, tx, false));
                }
            }
            default -> {
            }
        }
    }

    /**
     * Before a commit or reveal (or its replacement at a higher fee) leaves this process: its hash goes into the
     * store, unless the record has moved past that step meanwhile (a replacement racing its original's inclusion).
     */
    private void recordSent(BigInteger id, String tx, boolean commit) {
        BatchRecord now = record(id).orElseThrow();
        if (commit && (now.state() == State.COMPUTED || now.state() == State.COMMIT_SENT)) {
            save(now.with(State.COMMIT_SENT, tx, null, null));
        } else if (!commit && (now.state() == State.COMMITTED || now.state() == State.REVEAL_SENT)) {
            save(now.with(State.REVEAL_SENT, now.commitTx(), tx, null));
        }
    }

    // ---- deadlines and dissent (issue 13)
    /** Seconds a seat at position p waits past a deadline before it sends finalizeBatch (p x this), so seats rarely race. */
    static final long FINALIZE_STAGGER_SECONDS = 2;

    /**
     * Sends finalizeBatch when the batch's deadline has passed ({@link BatchMarket#finalizeDue}): seat
     * position p waits p x {@link #FINALIZE_STAGGER_SECONDS} more, so the first seat usually does it alone. True when
     * it was sent (the next pass sees the outcome); a revert because another seat was first is not an error.
     */
    private boolean finalizeIfDue(BigInteger id, BatchMarket.BatchState s, int mine) {
        if (mine == 0 || !market.finalizeDue(s, Integer.numberOfTrailingZeros(mine) * FINALIZE_STAGGER_SECONDS)) return false;
        try {
            market.finalizeBatch(id);
            log.info("batch {}: past its deadline, finalized (status was {})", id, s.status());
        } catch (dev.ledgermind.chain.ContractRevertedException e) {
            log.debug("batch {}: finalizeBatch reverted ({}): another seat was first", id, e.errorName());
        }
        return true;
    }

    /**
     * A held batch whose root this agent revealed differs from the accepted one (a dissent, honest or not): fetches the
     * accepted results from a seat that revealed the accepted root, and settles each item where its leaf differs, in
     * index order, with {@code resolveItem} (slashed dissentSlash for each, but only for each: an item not settled by
     * the hold's end costs the same, and every item agreed on would be forfeited with it). The contract rewrites the
     * seat's root leaf by leaf, so after a restart the items already settled are found by replaying the rewrites until
     * the root is the chain's.
     */
    private void resolveDissent(BatchRecord rec, BatchMarket.BatchState s, int mine, List<Long> seats) {
        byte[] accepted = BatchAnswers.quorumRoot(s);
        if (accepted == null) return;
        BigInteger id = new BigInteger(rec.batchId());
        List<BatchItemReceipt> theirs = null; // the accepted results, fetched once for every dissenting seat of this agent
        for (int p = 0; p < s.k(); p++) {
            if ((mine & (1 << p)) == 0) continue;
            byte[] current = s.roots().get(p);
            if (current == null || new BigInteger(1, current).signum() == 0 || Arrays.equals(current, accepted)) continue;
            if (theirs == null) {
                try {
                    theirs = answers.fetch(id, seats, s).receipts();
                } catch (RuntimeException e) {
                    log.warn("batch {}: held, and the accepted results cannot be fetched to settle this seat's dissent: {}", id, e.getMessage());
                    return;
                }
            }
            List<byte[]> leaves = rec.leaves();
            List<Integer> differing = new ArrayList<>();
            for (int i = 0; i < leaves.size(); i++) if (!Arrays.equals(leaves.get(i), theirs.get(i).item().leaf())) differing.add(i);
            // the items settled before (a restart): the rewrites that take this record's root to the chain's
            int done = 0;
            while (!Arrays.equals(BatchTree.of(leaves).root(), current) && done < differing.size()) {
                int i = differing.get(done);
                leaves.set(i, theirs.get(i).item().leaf());
                done++;
            }
            if (!Arrays.equals(BatchTree.of(leaves).root(), current)) {
                log.warn("batch {}: seat {}'s root on chain is not this record's (rewritten or not): its dissent cannot be settled", id, p);
                continue;
            }
            List<BatchItem> items = itemsOf(id);
            if (items == null) return;
            BatchTree requests = BatchTree.of(items.stream().map(BatchItem::leafHash).toList());
            for (int d = done; d < differing.size(); d++) {
                int i = differing.get(d);
                BatchMarket.ItemReceipt a = theirs.get(i).item();
                byte[][] mineLeaf = {Numeric.hexStringToByteArray(rec.resultHashes().get(i)), Numeric.hexStringToByteArray(rec.traceRoots().get(i))};
                market.resolveItem(id, p, i, mineLeaf, BatchTree.of(leaves).proof(i), new byte[][] {a.resultHash(), a.traceRoot()},
                        a.treeProof(), items.get(i), requests.proof(i));
                leaves.set(i, a.leaf());
                log.warn("batch {}: item {} settled against this seat (position {}): its result differed from the accepted one", id, i, p);
            }
        }
    }

    /** A batch's items: from its submission's calldata, or fetched from its locator (off-chain); null when neither. */
    private List<BatchItem> itemsOf(BigInteger id) {
        BatchMarket.Submission sub = market.submission(id).orElse(null);
        if (sub == null) return null;
        if (sub.items().size() == sub.count()) return sub.items();
        try {
            String locator = locators.of(id, sub.blockNumber())
                    .orElseThrow(() -> new OffchainItems.Unavailable("batch " + id + " has no BatchItemsOffchain locator"));
            return offchain.fetch(sub, locator, dev.ledgermind.chain.ModelTerms.NONE);
        } catch (OffchainItems.Unavailable e) {
            log.warn("batch {}: its items cannot be fetched to settle a dissent: {}", id, e.getMessage());
            return null;
        }
    }
    // ---- end of deadlines and dissent

    /** A final batch: claim this agent's rewards (one claim for every item) and close the record. */
    private void finish(BatchRecord rec, BatchMarket.BatchState s) {
        if (s.status() == BatchMarket.BatchState.HELD) return; // its hold ends later: finalizeBatch, then this
        chain.claimDue(agentId); // broadcast, not awaited: the next batch's compute does not wait a block for it
        save(rec.with(State.DONE, rec.commitTx(), rec.revealTx(), null));
        List<String> open = new ArrayList<>(openBatches());
        open.remove(rec.batchId());
        store.put(INDEX, String.join(",", open));
        log.info("batch {}: final (status {}), claimed", rec.batchId(), s.status());
    }

    private List<String> openBatches() {
        String v = store.get(INDEX).orElse("");
        return v.isEmpty() ? List.of() : List.of(v.split(","));
    }

    private void save(BatchRecord r) {
        try {
            store.put("batch." + r.batchId(), JSON.writeValueAsString(r));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot encode batch record " + r.batchId(), e);
        }
    }

    private static BatchRecord parse(String json) {
        try {
            return JSON.readValue(json, BatchRecord.class);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("corrupt batch record in the node store: " + e.getMessage(), e);
        }
    }
}
