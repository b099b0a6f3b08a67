package dev.ledgermind.node.batch;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.ContractRevertedException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.OptimisticTasks;
import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.batch.OptimisticBatchMarket;
import dev.ledgermind.chain.contracts.OptimisticBatches;
import dev.ledgermind.chain.game.DisputeGameClient;
import dev.ledgermind.inference.step.StepFault;
import dev.ledgermind.inference.trace.MerkleTree;
import dev.ledgermind.node.game.GamePlayer;
import dev.ledgermind.node.game.GameWitness;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.DecoderTaskRunner;
import dev.ledgermind.node.task.Replayed;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.IntPredicate;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.utils.Numeric;

/**
 * A node's roles in optimistic batches (issue 13; docs/DESIGN.md 6.4 "Optimistic batches" and 7), run by the worker's
 * loop after its replicated batches ({@link BatchWorker} leaves optimistic batches alone: their status is not Active):
 * <ul>
 *   <li><b>worker</b> (drawn for the batch): fetches the items from the locator and checks them ({@link OffchainItems}),
 *       computes every item, stores the claim document ({@link BatchClaimDocument}: leaves, shapes, outputs) and the
 *       items before anything is sent, stores the signed claim's hash before it is broadcast, and claims with the
 *       results root and the shapes root; it serves the document ({@link BatchResultsHandler}), defends every item
 *       challenged in its game, finalizes the batch after its window, settles its items after their games and claims
 *       its reward;</li>
 *   <li><b>validator</b> (drawn for the audit by the claim block's hash): fetches the claim from the worker
 *       ({@link BatchClaimFetch}, checked against both roots), replays the audited item, and {@code auditItem}s it with
 *       the drawn trace leaves and their proofs when its result is the claimed leaf, or challenges the item (which marks
 *       the audit Disputed) when not;</li>
 *   <li><b>watcher</b> (a node run with {@code --role validator}): replays every item of every claim of the models it
 *       serves (or a random sample of {@code sample} items) and challenges each wrong one with the mode's bond, then
 *       plays that item's game ({@link GamePlayer}) to the end and settles it ({@code settleItem}).</li>
 * </ul>
 *
 * <p>Durable in the node store's key-value table, JSON, per batch: {@code obatch.row.<id>} (the role and where it
 * stands), {@code obatch.claim.<id>} (the claim document: the worker's own, or the one fetched and checked),
 * {@code obatch.items.<id>} (the items, as fetched and checked), and per game {@code obatch.game.<gameId>}; the event
 * cursor is {@code obatch.cursor}. A worker's states only move forward: {@code COMPUTED} (document and items stored)
 * -> {@code CLAIM_SENT} (the signed claim's hash stored before the broadcast) -> {@code CLAIMED} -> {@code FINAL}
 * (the batch accepted) -> {@code DONE}; what happens next is read from the chain first: a batch whose claim block is
 * set is never claimed again, whatever the store says. A checker's (validator or watcher): {@code WAITING} (for the
 * claim) -> {@code CHECKED} (audited, and every wrong item challenged) -> {@code DONE}.
 *
 * <p>Data withholding: when the worker's server does not answer (or serves something other than its claim), a checker
 * logs it and tries again each pass until the window ends. The on-chain remedy (a bonded request that forces the
 * worker to publish an item's leaf and shape by a deadline, h/optda's {@code requestItemData}) is not in this
 * deployment: {@link #withheld} is where a checker would send it.
 */
public final class OptimisticBatchRoles {
    private static final Logger log = LoggerFactory.getLogger(OptimisticBatchRoles.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CURSOR = "obatch.cursor";
    private static final String OPEN = "obatch.open";
    private static final String GAMES = "obatch.games";
    /** BatchLayout's status of an optimistic batch before it is final. */
    static final int OPTIMISTIC = 6;
    /** OptimisticBase.Stage: an item's dispute. */
    static final int CHALLENGED = 3, UPHELD = 4, OVERTURNED = 5, FINAL = 6;
    /** OptimisticBase.AuditState. */
    static final int AUDIT_UNDECIDED = 0, AUDIT_DUE = 2;

    /** How this node behaves (its {@code Dishonesty}, seen from here): the tests' lying workers. */
    public interface Conduct {
        /** The runner item {@code index} of {@code count} is computed with (the node's own, or a lying one). */
        TaskRunner itemRunner(TaskRunner runner, int index, int count);

        /** The fault this node's trace of item {@code index} has when it defends its claim in a game (null: honest). */
        StepFault claimerFault(int index, int count, int positions, int layers);

        Conduct HONEST = new Conduct() {
            @Override
            public TaskRunner itemRunner(TaskRunner runner, int index, int count) {
                return runner;
            }

            @Override
            public StepFault claimerFault(int index, int count, int positions, int layers) {
                return null;
            }
        };
    }

    /** Where this node stands in one optimistic batch. {@code role}: WORKER or CHECKER. */
    public record Row(String batchId, String role, String state, String pool, String blockHash, long block, int modelId,
                      List<Integer> challenged, String tx, String error) {
        Row with(String s, String tx, String error) {
            return new Row(batchId, role, s, pool, blockHash, block, modelId, challenged, tx, error);
        }

        Row challenging(int index) {
            List<Integer> c = new ArrayList<>(challenged);
            if (!c.contains(index)) c.add(index);
            return new Row(batchId, role, state, pool, blockHash, block, modelId, c, tx, error);
        }
    }

    /** One item's game this node is a party to; {@code claimerWon} null until it is resolved. */
    public record ItemGame(long gameId, String batchId, int index, boolean claimer, long startBlock, Boolean claimerWon) {}

    private final String name;
    private final LedgermindContracts chain;
    private final OptimisticBatchMarket market;
    private final BatchMarket batches;
    private final LongSupplier agentId;
    private final TaskRunner runner;
    private final NodeStore store;
    private final OffchainItems offchain;
    private final BatchClaimFetch fetch;
    private final IntPredicate serves;
    private final boolean watch;
    private final int sample;
    private final Conduct conduct;
    private final dev.ledgermind.chain.events.BatchItemsLocator locators;
    private final OptimisticBatches mode;
    private final SecureRandom random = new SecureRandom();
    private final Map<Long, GamePlayer> players = new HashMap<>();
    private final Set<Long> unplayable = new java.util.HashSet<>();
    private OptimisticTasks.Terms terms;

    /**
     * @param serves  whether this node serves a model id (it checks claims of those only)
     * @param watch   whether it replays the claims it is not drawn to audit ({@code --role validator})
     * @param sample  items a watcher replays per batch, drawn at random here (0: every item)
     */
    public OptimisticBatchRoles(String name, LedgermindContracts chain, LongSupplier agentId, TaskRunner runner, NodeStore store,
                                OffchainItems offchain, BatchClaimFetch fetch, IntPredicate serves, boolean watch, int sample,
                                Conduct conduct) {
        this.name = name;
        this.chain = chain;
        this.market = new OptimisticBatchMarket(chain);
        this.batches = market.batches();
        this.agentId = agentId;
        this.runner = runner;
        this.store = store;
        this.offchain = offchain;
        this.fetch = fetch;
        this.serves = serves;
        this.watch = watch;
        this.sample = sample;
        this.conduct = conduct;
        this.locators = new dev.ledgermind.chain.events.BatchItemsLocator(chain);
        this.mode = OptimisticBatches.load(chain.deployment().taskMarket(), chain.web3j(), chain.sender().transactionManager(),
                new StaticGasProvider(BigInteger.ONE, BigInteger.valueOf(30_000_000)));
    }

    /** The claim this node made (as a worker) or fetched and checked (as a checker) for a batch. */
    public Optional<BatchClaimDocument> claimOf(BigInteger batchId) {
        return store.get("obatch.claim." + batchId).map(j -> BatchClaimDocument.parse(j, "the node store's obatch.claim." + batchId));
    }

    /**
     * The claim this node made as the batch's worker, with the items struck on-chain now: what its HTTP face serves
     * (none for a batch it only checks, or has not claimed).
     */
    public Optional<BatchResultsHandler.Served> served(BigInteger batchId) {
        return row(batchId).filter(r -> r.role().equals("WORKER") && !r.state().equals("COMPUTED") && !r.state().equals("FAILED"))
                .flatMap(r -> claimOf(batchId)).map(doc -> new BatchResultsHandler.Served(doc, market.struck(batchId)));
    }

    /**
     * The requester's receipts of an optimistic batch this node worked, for the node's {@code /batches/{batchId}/results}
     * route (shared with replicated batches): every item's {@code BatchItemReceipt} document, its proof taken in the live
     * root as it stands now (what {@code verifyResult} checks once the batch is final; an item struck by a standing
     * challenge has a receipt that proves nothing). Empty for a batch this node did not claim.
     */
    public Optional<String> publishedReceipts(BigInteger batchId) {
        return served(batchId).map(s -> {
            BatchClaimDocument doc = s.claim();
            dev.ledgermind.chain.batch.BatchTree live = doc.claim().live(s.struck());
            List<Map<String, Object>> out = new ArrayList<>();
            for (int i = 0; i < doc.count(); i++) {
                BatchClaimDocument.Item it = doc.items().get(i);
                out.add(new dev.ledgermind.node.client.BatchItemReceipt(new BatchMarket.ItemReceipt(batchId, i, doc.count(), it.resultHash(),
                        it.traceRoot(), live.proof(i).siblings()), it.output()).toDocument());
            }
            return write(out);
        });
    }

    public Optional<Row> row(BigInteger batchId) {
        return store.get("obatch.row." + batchId).map(j -> read(j, Row.class));
    }

    public List<ItemGame> games() {
        List<ItemGame> out = new ArrayList<>();
        for (String g : list(GAMES)) store.get("obatch.game." + g).ifPresent(j -> out.add(read(j, ItemGame.class)));
        return out;
    }

    /** One pass: new submissions, one step of every open batch, one turn of every game. One batch's error stops no other. */
    public void step() {
        try {
            follow();
        } catch (RuntimeException e) {
            // the open batches and the games go on; the cursor did not move, so the same blocks are read next pass
            log.warn("event=obatch-follow-error node={} message=\"{}\" (retried next pass)", name, e.getMessage());
        }
        for (String id : list(OPEN)) {
            try {
                advance(new BigInteger(id));
            } catch (RuntimeException e) {
                log.warn("event=obatch-error node={} batch={} message=\"{}\" (retried next pass)", name, id, e.getMessage());
            }
        }
        playGames();
    }

    // ------------------------------------------------------------------ following submissions

    private void follow() {
        long from = store.get(CURSOR).map(Long::parseLong).orElse(chain.deployment().deployBlock());
        long to = head();
        if (to < from) return;
        long me = agentId.getAsLong();
        for (BatchMarket.Submission s : batches.submittedBetween(from, to)) {
            if (s.k() != 1 || row(s.batchId()).isPresent()) continue;
            if (batches.state(s.batchId()).status() != OPTIMISTIC) continue; // replicated (BatchWorker's), or final already
            batches.knowDraw(s.batchId(), s.pool(), s.blockHash());
            List<Long> seats = batches.seats(s.batchId(), s.pool(), s.blockHash());
            Row row = new Row(s.batchId().toString(), "WORKER", "COMPUTED", Numeric.toHexString(s.pool()), s.blockHash(), s.blockNumber(),
                    s.modelId(), List.of(), null, null);
            if (seats.contains(me)) {
                compute(s, row);
            } else if (serves.test(s.modelId())) {
                save(new Row(row.batchId(), "CHECKER", "WAITING", row.pool(), row.blockHash(), row.block(), row.modelId(), List.of(), null, null));
                open(row.batchId());
            }
        }
        store.put(CURSOR, Long.toString(to + 1));
    }

    // ------------------------------------------------------------------ worker

    private void compute(BatchMarket.Submission s, Row row) {
        List<BatchItem> items;
        try {
            String locator = locators.of(s.batchId(), s.blockNumber())
                    .orElseThrow(() -> new OffchainItems.Unavailable("batch " + s.batchId() + " has no BatchItemsOffchain locator"));
            items = offchain.fetch(s, locator, chain.modelTerms(s.modelId()));
        } catch (OffchainItems.Unavailable e) {
            // no decline exists for an optimistic batch (OptimisticBatches has none): the batch is refunded at its claim
            // deadline and the drawn worker slashed absenceSlash; see docs/DESIGN.md 6.4
            save(row.with("FAILED", null, "items unavailable: " + e.getMessage()));
            log.warn("event=obatch-items-unavailable node={} batch={} message=\"{}\"", name, s.batchId(), e.getMessage());
            return;
        }
        List<BatchClaimDocument.Item> claimed = new ArrayList<>();
        for (int i = 0; i < items.size(); i++) {
            TaskResult r;
            try {
                r = conduct.itemRunner(runner, i, items.size()).run(TaskInput.parse(items.get(i).input()));
            } catch (RuntimeException e) {
                r = TaskResult.error("item " + i + ": " + e.getMessage()); // the same canonical answer on every honest node
            }
            claimed.add(r.shape() == null
                    ? new BatchClaimDocument.Item(r.resultHash(), r.traceRoot(), new byte[32], 1, 1, r.output())
                    : new BatchClaimDocument.Item(r.resultHash(), r.traceRoot(), r.shape().tokensHash(), r.shape().positions(),
                            r.shape().leafCount(), r.output()));
        }
        BatchClaimDocument doc = new BatchClaimDocument(s.batchId(), claimed);
        // the items and the claim are durable before any claim is built: a restarted worker claims what it computed
        store.put("obatch.items." + s.batchId(), Numeric.toHexString(BatchItem.encodeAll(items)));
        store.put("obatch.claim." + s.batchId(), doc.toJson());
        save(row);
        open(row.batchId());
        log.info("event=obatch-computed node={} batch={} items={} resultsRoot={}", name, s.batchId(), items.size(),
                Numeric.toHexString(doc.claim().resultsRoot()));
    }

    private void advance(BigInteger id) {
        Row r = row(id).orElseThrow();
        if (r.role().equals("WORKER")) workerStep(id, r);
        else checkerStep(id, r);
    }

    private void workerStep(BigInteger id, Row r) {
        BatchMarket.BatchState st = batches.state(id);
        OptimisticBatchMarket.State os = market.state(id);
        switch (r.state()) {
            case "COMPUTED", "CLAIM_SENT" -> {
                if (os.claimBlock() != 0) {
                    save(r.with("CLAIMED", r.tx(), null)); // the claim landed (this pass's, or one sent before a restart)
                    log.info("event=obatch-claimed node={} batch={} tx={} windowEnd={}", name, id, r.tx(), os.windowEnd());
                } else if (st.status() != OPTIMISTIC || chainTime() > st.deadline()) {
                    save(r.with("FAILED", r.tx(), "the claim deadline passed before this node's claim landed"));
                    close(id);
                } else if (r.state().equals("CLAIM_SENT") && r.tx() != null
                        && (chain.inFlight(r.tx()) || chain.adopt(r.tx(), h -> recordClaimSent(id, h)))) {
                    log.debug("batch {}: claim {} pending", id, r.tx());
                } else {
                    OptimisticBatchMarket.BatchClaim c = claimOf(id).orElseThrow().claim();
                    String data = mode.claimBatch(id, BigInteger.valueOf(agentId.getAsLong()), Numeric.hexStringToByteArray(r.pool()),
                            c.resultsRoot(), c.shapesRoot()).encodeFunctionCall();
                    String tx = chain.sender().broadcast("OptimisticBatches", chain.deployment().taskMarket(), data, BigInteger.ZERO,
                            h -> recordClaimSent(id, h), BigInteger.valueOf(300_000));
                    log.info("event=obatch-claim-sent node={} batch={} tx={}", name, id, tx);
                }
            }
            case "CLAIMED" -> {
                answerDataRequests(id);
                discoverChallenges(id, os);
                if (st.status() == OPTIMISTIC) finalizeIfDue(id, os, 0);
                if (batches.state(id).status() != OPTIMISTIC) save(r.with("FINAL", r.tx(), null));
            }
            case "FINAL" -> {
                discoverChallenges(id, os);
                if (settleItems(id, gamesOf(id).stream().map(ItemGame::index).toList())) {
                    String claim = chain.claimDue(agentId.getAsLong()); // one claim for the batch (and whatever else is due)
                    save(r.with("DONE", r.tx(), null));
                    close(id);
                    log.info("event=obatch-done node={} batch={} status={} claim={}", name, id, batches.state(id).status(), claim);
                }
            }
            default -> { }
        }
    }

    /**
     * The worker's side of the data-withholding challenge (docs/DESIGN.md 6.4): every open request for one of its items'
     * data is answered on-chain from its claim document, within gameClock of the request; an unanswered one would void
     * the batch and cost the worker claimBond. The answer's gas comes back from the requester's bond.
     */
    private void answerDataRequests(BigInteger id) {
        List<Integer> asked = market.requestedItems(id);
        if (asked.isEmpty()) return;
        OptimisticBatchMarket.BatchClaim claim = null;
        for (int index : asked) {
            if (market.dataRequest(id, index).stage() != OptimisticBatchMarket.DATA_OPEN) continue;
            if (claim == null) claim = claimOf(id).orElseThrow().claim();
            try {
                market.answerItemData(id, index, claim);
                log.info("event=obatch-data-answered node={} batch={} item={}", name, id, index);
            } catch (dev.ledgermind.chain.ContractRevertedException e) {
                log.warn("event=obatch-data-answer-reverted node={} batch={} item={} error={} message=\"{}\"", name, id, index,
                        e.errorName(), e.getMessage());
            }
        }
    }

    /** Before the claim (or its replacement at a higher fee) leaves this process: its hash is durable. */
    private void recordClaimSent(BigInteger id, String tx) {
        Row now = row(id).orElseThrow();
        if (now.state().equals("COMPUTED") || now.state().equals("CLAIM_SENT")) save(now.with("CLAIM_SENT", tx, null));
    }

    /** Records a game for every item of this worker's batch that someone challenged (the claimer plays each). */
    private void discoverChallenges(BigInteger id, OptimisticBatchMarket.State os) {
        Set<Integer> known = new TreeSet<>();
        for (ItemGame g : gamesOf(id)) known.add(g.index());
        for (int index : market.struck(id)) {
            if (known.contains(index)) continue;
            OptimisticBatchMarket.Dispute d = market.dispute(id, index);
            if (d.stage() < CHALLENGED) continue;
            recordGame(new ItemGame(d.gameId().longValueExact(), id.toString(), index, true, os.claimBlock(), null));
            log.warn("event=obatch-item-challenged node={} batch={} item={} challenger={} game={}", name, id, index, d.challenger(),
                    d.gameId());
        }
    }

    // ------------------------------------------------------------------ validator and watcher

    private void checkerStep(BigInteger id, Row r) {
        BatchMarket.BatchState st = batches.state(id);
        OptimisticBatchMarket.State os = market.state(id);
        switch (r.state()) {
            case "WAITING" -> {
                if (os.claimBlock() == 0) {
                    if (st.status() != OPTIMISTIC) done(id, r, "never claimed (refunded)");
                    return;
                }
                if (st.status() != OPTIMISTIC || chainTime() > os.windowEnd()) {
                    // past the window (this node was down, or its checks kept failing): nothing left to audit or challenge
                    save(r.with("CHECKED", r.tx(), "the window ended before this node checked the claim"));
                    log.warn("event=obatch-window-missed node={} batch={}", name, id);
                    return;
                }
                if (!watch) {
                    OptimisticBatchMarket.AuditDraw draw = market.auditDraw(id, 1);
                    if (!draw.audited() || draw.validator() != agentId.getAsLong()) {
                        save(r.with("CHECKED", r.tx(), null)); // neither drawn to audit nor watching: nothing to fetch or check
                        return;
                    }
                }
                Optional<BatchClaimDocument> doc = claimOf(id);
                if (doc.isEmpty()) doc = fetchClaim(id, r, st, os);
                if (doc.isEmpty()) return;
                List<BatchItem> items = itemsOf(id, r);
                if (items == null) return;
                check(id, r, os, doc.get(), items);
            }
            case "CHECKED" -> {
                if (st.status() == OPTIMISTIC) finalizeIfDue(id, os, CHECKER_FINALIZE_GRACE_SECONDS);
                if (settleItems(id, r.challenged()) && batches.state(id).status() != OPTIMISTIC) done(id, r, null);
            }
            default -> { }
        }
    }

    private Optional<BatchClaimDocument> fetchClaim(BigInteger id, Row r, BatchMarket.BatchState st, OptimisticBatchMarket.State os) {
        long worker = batches.seats(id, Numeric.hexStringToByteArray(r.pool()), r.blockHash()).getFirst();
        String uri = chain.agentUri(worker);
        try {
            BatchClaimDocument doc = fetch.fetch(uri, id, st.count(), st.roots().get(0), st.roots().get(2));
            store.put("obatch.claim." + id, doc.toJson());
            log.info("event=obatch-claim-fetched node={} batch={} worker={} items={}", name, id, worker, doc.count());
            return Optional.of(doc);
        } catch (OffchainItems.Unavailable e) {
            withheld(id, worker, e.getMessage());
            if (chainTime() > os.windowEnd()) done(id, r, "the worker's claim was never available: " + e.getMessage());
            return Optional.empty();
        }
    }

    /**
     * The checker's side of the data-withholding challenge (docs/DESIGN.md 6.4): the worker of {@code batchId} does not
     * serve its claim, so this node asks for the data of the item it must check (its audited item when it is the drawn
     * validator, else item 0) on-chain, with the challenge bond, once. Unanswered within gameClock, anyone may finalize
     * the request: the batch is void, the worker slashed claimBond, and a validator that asked is not slashed as silent.
     * Answered, the item's leaf and shape are in the ItemDataAnswered log (reading them back into an audit or a challenge
     * is not built yet: {@code OptimisticBatchMarket.answeredItem} and {@code challengeAnswered} are the chain's side).
     */
    private void withheld(BigInteger batchId, long worker, String why) {
        log.warn("event=obatch-claim-unavailable node={} batch={} worker={} message=\"{}\" (retried next pass)", name, batchId, worker, why);
        long me = agentId.getAsLong();
        OptimisticBatchMarket.AuditDraw draw = market.auditDraw(batchId, 1);
        int index = draw.audited() && draw.validator() == me ? draw.index() : 0;
        OptimisticBatchMarket.DataRequest req = market.dataRequest(batchId, index);
        if (req.stage() == OptimisticBatchMarket.DATA_OPEN && chainTime() > req.deadline()) {
            try {
                market.finalizeItemData(batchId, index);
                log.warn("event=obatch-data-unanswered node={} batch={} item={} worker={} (batch void, worker slashed)", name, batchId,
                        index, worker);
            } catch (ContractRevertedException e) {
                log.debug("batch {}: finalizeItemData reverted ({})", batchId, e.errorName());
            }
            return;
        }
        if (req.stage() != OptimisticBatchMarket.DATA_NONE) return;
        if (terms == null) terms = new OptimisticTasks(chain).terms();
        try {
            market.requestItemData(batchId, index, me, terms.challengeBond());
            log.warn("event=obatch-data-requested node={} batch={} item={} worker={}", name, batchId, index, worker);
        } catch (ContractRevertedException e) {
            log.info("event=obatch-data-request-refused node={} batch={} item={} error={}", name, batchId, index, e.errorName());
        }
    }

    private List<BatchItem> itemsOf(BigInteger id, Row r) {
        Optional<String> stored = store.get("obatch.items." + id);
        if (stored.isPresent()) return BatchItem.decodeAll(Numeric.hexStringToByteArray(stored.get()));
        BatchMarket.Submission s = batches.submission(id).orElseThrow();
        try {
            String locator = locators.of(id, r.block())
                    .orElseThrow(() -> new OffchainItems.Unavailable("batch " + id + " has no BatchItemsOffchain locator"));
            List<BatchItem> items = offchain.fetch(s, locator, chain.modelTerms(s.modelId()));
            store.put("obatch.items." + id, Numeric.toHexString(BatchItem.encodeAll(items)));
            return items;
        } catch (OffchainItems.Unavailable e) {
            log.warn("event=obatch-items-unavailable node={} batch={} message=\"{}\" (retried next pass)", name, id, e.getMessage());
            return null;
        }
    }

    /** What a replay of item {@code index}'s claim gives: null when the claim is right, else the result to challenge with. */
    private record Wrong(byte[] resultHash, byte[] traceRoot, String reason) {}

    /** The audit (when this node is the drawn validator), then the watch; every step repeats nothing that landed. */
    private void check(BigInteger id, Row r, OptimisticBatchMarket.State os, BatchClaimDocument doc, List<BatchItem> items) {
        long me = agentId.getAsLong();
        int audited = -1;
        OptimisticBatchMarket.AuditDraw draw = market.auditDraw(id, 1);
        if (draw.audited() && draw.validator() == me) {
            audited = draw.index();
            if (os.auditState() == AUDIT_UNDECIDED || os.auditState() == AUDIT_DUE) {
                r = audit(id, r, doc, items, draw.index());
            }
        }
        if (watch) {
            for (int i : sampleOf(doc.count())) {
                if (i == audited) continue;
                Replayed replay = replay(items.get(i), doc.items().get(i));
                Wrong w = wrong(replay, doc.items().get(i));
                if (w != null) r = challenge(id, r, doc, items, i, w);
            }
        }
        save(r.with("CHECKED", r.tx(), null));
        log.info("event=obatch-checked node={} batch={} audited={} watched={} challenged={}", name, id, audited, watch, r.challenged());
    }

    private List<Integer> sampleOf(int count) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < count; i++) all.add(i);
        if (sample <= 0 || sample >= count) return all;
        java.util.Collections.shuffle(all, random); // drawn here, unknown to the worker when it claimed
        return all.subList(0, sample).stream().sorted().toList();
    }

    private Replayed replay(BatchItem item, BatchClaimDocument.Item claimed) {
        try {
            return runner.replay(TaskInput.parse(item.input()), claimed.output());
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** Null when the claimed item is what this node's replay gives, else what it stands behind. */
    private Wrong wrong(Replayed replay, BatchClaimDocument.Item claimed) {
        if (replay == null) return null; // nothing this node can replay (an encoder's item, a malformed input): no game covers it
        if (replay.accepted() && Arrays.equals(replay.resultHash(), claimed.resultHash())
                && Arrays.equals(replay.traceRoot(), claimed.traceRoot())) {
            return null;
        }
        return new Wrong(replay.ownResultHash(), replay.disputeRoot(), replay.accepted() ? "the claimed trace is not the replay's" : replay.reason());
    }

    private Row audit(BigInteger id, Row r, BatchClaimDocument doc, List<BatchItem> items, int index) {
        BatchClaimDocument.Item claimed = doc.items().get(index);
        Replayed replay = replay(items.get(index), claimed);
        if (replay == null) {
            log.warn("event=obatch-audit-impossible node={} batch={} item={} reason=\"this node cannot replay the item\"", name, id, index);
            return r;
        }
        Wrong w = wrong(replay, claimed);
        if (w != null) {
            log.warn("event=obatch-audit-disputes node={} batch={} item={} reason=\"{}\"", name, id, index, w.reason());
            return challenge(id, r, doc, items, index, w); // the audit is Disputed at the finalize: the item's game judges it
        }
        OptimisticBatchMarket.AuditDraw draw = market.auditDraw(id, claimed.leafCount());
        List<byte[]> leaves = new ArrayList<>();
        List<byte[]> proof = new ArrayList<>();
        MerkleTree tree = MerkleTree.of(replay.leaves());
        for (int leaf : draw.leafIndices()) {
            leaves.add(replay.leaves().get(leaf));
            proof.addAll(tree.proof(leaf).siblings());
        }
        try {
            var tx = market.audit(id, agentId.getAsLong(), index, doc.claim(), leaves, proof);
            log.info("event=obatch-audited node={} batch={} item={} tx={} gas={}", name, id, index, tx.getTransactionHash(), tx.getGasUsed());
            return r.with(r.state(), tx.getTransactionHash(), null);
        } catch (ContractRevertedException e) {
            if (!"AuditNotDue".equals(e.errorName())) throw e; // audited before a restart
            return r;
        }
    }

    private Row challenge(BigInteger id, Row r, BatchClaimDocument doc, List<BatchItem> items, int index, Wrong w) {
        BatchClaimDocument.Item claimed = doc.items().get(index);
        OptimisticBatchMarket.Dispute d = market.dispute(id, index);
        long me = agentId.getAsLong();
        if (d.stage() != 0) {
            if (d.challenger() == me) r = recordChallenge(id, r, index, d);
            return r; // challenged already (by this node before a restart, or by another)
        }
        if (Arrays.equals(w.traceRoot(), claimed.traceRoot())) {
            // only the last token's sampling differs: no game covers it (step program v1), as for a task
            log.warn("event=obatch-claim-differs-outside-the-trace node={} batch={} item={} reason=\"{}\"", name, id, index, w.reason());
            return r;
        }
        if (terms == null) terms = new OptimisticTasks(chain).terms();
        if (!terms.gameAvailable()) {
            log.warn("event=obatch-wrong-item-unchallengeable node={} batch={} item={} reason=\"no dispute game in this deployment\"", name, id,
                    index);
            return r;
        }
        try {
            var tx = market.challenge(id, index, me, doc.claim(), w.resultHash(), w.traceRoot(), items, terms.challengeBond());
            log.warn("event=obatch-challenged node={} batch={} item={} reason=\"{}\" tx={} gas={}", name, id, index, w.reason(),
                    tx.getTransactionHash(), tx.getGasUsed());
        } catch (ContractRevertedException e) {
            if (!"AlreadyChallenged".equals(e.errorName()) && !"ChallengeWindowClosed".equals(e.errorName())) throw e;
            return r;
        }
        return recordChallenge(id, r, index, market.dispute(id, index));
    }

    private Row recordChallenge(BigInteger id, Row r, int index, OptimisticBatchMarket.Dispute d) {
        Row next = r.challenging(index);
        save(next);
        if (gamesOf(id).stream().noneMatch(g -> g.index() == index)) {
            recordGame(new ItemGame(d.gameId().longValueExact(), id.toString(), index, false, market.state(id).claimBlock(), null));
        }
        return next;
    }

    // ------------------------------------------------------------------ settlement

    /**
     * Seconds past the window a checker waits before it finalizes a batch itself: the worker, which is paid by the
     * finalize, goes first, so the checkers rarely race it (and each other) with transactions that would revert.
     */
    static final long CHECKER_FINALIZE_GRACE_SECONDS = 4;

    /**
     * Finalizes the batch once its window has ended on the chain's clock, {@code graceSeconds} later (anyone may;
     * another's first is fine).
     */
    private void finalizeIfDue(BigInteger id, OptimisticBatchMarket.State os, long graceSeconds) {
        if (chainTime() <= os.windowEnd() + graceSeconds) return;
        try {
            var tx = market.finalizeBatch(id);
            log.info("event=obatch-finalized node={} batch={} tx={} gas={}", name, id, tx.getTransactionHash(), tx.getGasUsed());
        } catch (ContractRevertedException e) {
            if (!"TooEarly".equals(e.errorName()) && !"NotOptimisticBatch".equals(e.errorName())) throw e;
        }
    }

    /**
     * Settles each of {@code indices} whose game has a verdict (or ran past gameTimeout); true when every one of them
     * is settled (stage Final). Anyone may settle an item; one settled by another party first is fine.
     */
    private boolean settleItems(BigInteger id, List<Integer> indices) {
        boolean all = true;
        for (int index : indices) {
            OptimisticBatchMarket.Dispute d = market.dispute(id, index);
            if (d.stage() == FINAL) continue;
            boolean due = d.stage() == UPHELD || d.stage() == OVERTURNED || (d.stage() == CHALLENGED && chainTime() > d.until());
            all = false;
            if (!due) continue;
            try {
                var tx = market.settleItem(id, index, claimOf(id).orElseThrow().claim());
                log.info("event=obatch-item-settled node={} batch={} item={} verdict={} tx={}", name, id, index,
                        d.stage() == UPHELD ? "upheld" : d.stage() == OVERTURNED ? "overturned" : "no verdict", tx.getTransactionHash());
                all = market.dispute(id, index).stage() == FINAL && all;
            } catch (ContractRevertedException e) {
                if (!"ItemNotSettleable".equals(e.errorName())) throw e;
            }
        }
        return all;
    }

    private void done(BigInteger id, Row r, String why) {
        save(r.with("DONE", r.tx(), why != null ? why : r.error()));
        close(id);
    }

    // ------------------------------------------------------------------ games

    /**
     * One turn of every unresolved game of this node's batch items ({@link GamePlayer#advance}: its due move, or the
     * other side's timeout). A game's trouble (an RPC error, a refused move) is logged and retried next pass.
     */
    private void playGames() {
        for (ItemGame g : games()) {
            if (g.claimerWon() != null) continue;
            try {
                GamePlayer p = players.get(g.gameId());
                if (p == null) {
                    p = player(g);
                    players.put(g.gameId(), p);
                }
                Optional<Boolean> verdict = unplayable.contains(g.gameId()) ? p.outcome() : p.advance();
                if (verdict.isPresent()) {
                    players.remove(g.gameId());
                    store.put("obatch.game." + g.gameId(), write(new ItemGame(g.gameId(), g.batchId(), g.index(), g.claimer(), g.startBlock(),
                            verdict.get())));
                    boolean won = verdict.get() == g.claimer();
                    log.info("event=obatch-game-{} node={} batch={} item={} game={} side={}", won ? "won" : "lost", name, g.batchId(), g.index(),
                            g.gameId(), g.claimer() ? "claimer" : "challenger");
                }
            } catch (RuntimeException e) {
                log.warn("event=obatch-game-error node={} batch={} item={} game={} message=\"{}\"", name, g.batchId(), g.index(), g.gameId(),
                        e.getMessage());
            }
        }
    }

    /** The player of {@code g}: its witness is this node's run of the claimed tokens of the item (with its fault, if any). */
    private GamePlayer player(ItemGame g) {
        BigInteger id = new BigInteger(g.batchId());
        if (terms == null) terms = new OptimisticTasks(chain).terms();
        BatchClaimDocument doc = claimOf(id).orElseThrow(() -> new IllegalStateException("batch " + id + ": no claim stored"));
        BatchItem item = BatchItem.decodeAll(Numeric.hexStringToByteArray(store.get("obatch.items." + id).orElseThrow())).get(g.index());
        BatchClaimDocument.Item claimed = doc.items().get(g.index());
        TaskInput input = TaskInput.parse(item.input());
        DecoderTaskRunner d = runner.decoder(input.model());
        if (d == null) throw new IllegalStateException("game " + g.gameId() + ": this node serves no decoder for model " + input.model());
        int[] tokens = claimedTokens(d.promptTokens(input), claimed.output());
        int positions = claimed.positions(), layers = claimed.leafCount() / positions;
        StepFault fault = g.claimer() ? conduct.claimerFault(g.index(), doc.count(), positions, layers) : null;
        GameWitness w = new GameWitness(d.model(), tokens, Math.min(positions, tokens.length), fault, d.kernelConfig(), d.parallel(),
                d.weights());
        DisputeGameClient client = DisputeGameClient.at(chain.web3j(), terms.disputeGame(), chain.sender(), g.startBlock());
        GamePlayer p = new GamePlayer(client, BigInteger.valueOf(g.gameId()), g.claimer(), w);
        var view = client.game(BigInteger.valueOf(g.gameId()));
        byte[] mine = g.claimer() ? view.claimerTraceRoot() : view.challengerTraceRoot();
        if (positions != tokens.length - 1 || !Arrays.equals(w.trace().root().bytes(), mine)) {
            unplayable.add(g.gameId());
            log.warn("event=obatch-game-unplayable node={} batch={} item={} game={} reason=\"this node's trace of the claimed tokens is not"
                    + " its root in the game\"", name, id, g.index(), g.gameId());
        } else {
            log.info("event=obatch-game-playing node={} batch={} item={} game={} side={}{}", name, id, g.index(), g.gameId(),
                    g.claimer() ? "claimer" : "challenger", fault == null ? "" : " fault=" + fault);
        }
        return p;
    }

    /** The prompt's tokens followed by the output's ({@code u32le(n) || u32le(token_i)..}). */
    static int[] claimedTokens(int[] prompt, byte[] output) {
        ByteBuffer b = ByteBuffer.wrap(output).order(ByteOrder.LITTLE_ENDIAN);
        int n = output.length >= 4 ? b.getInt(0) : 0;
        if (n < 0 || output.length != 4 + 4L * n) throw new IllegalArgumentException("the claimed output is not u32le(n) followed by n token ids");
        int[] all = Arrays.copyOf(prompt, prompt.length + n);
        for (int i = 0; i < n; i++) all[prompt.length + i] = b.getInt(4 + 4 * i);
        return all;
    }

    // ------------------------------------------------------------------ store

    private List<ItemGame> gamesOf(BigInteger id) {
        return games().stream().filter(g -> g.batchId().equals(id.toString())).toList();
    }

    private void recordGame(ItemGame g) {
        store.put("obatch.game." + g.gameId(), write(g));
        LinkedHashSet<String> all = new LinkedHashSet<>(list(GAMES));
        all.add(Long.toString(g.gameId()));
        store.put(GAMES, String.join(",", all));
    }

    private void open(String id) {
        LinkedHashSet<String> all = new LinkedHashSet<>(list(OPEN));
        all.add(id);
        store.put(OPEN, String.join(",", all));
    }

    private void close(BigInteger id) {
        List<String> all = new ArrayList<>(list(OPEN));
        all.remove(id.toString());
        store.put(OPEN, String.join(",", all));
    }

    private List<String> list(String key) {
        String v = store.get(key).orElse("");
        return v.isEmpty() ? List.of() : List.of(v.split(","));
    }

    private void save(Row r) {
        store.put("obatch.row." + r.batchId(), write(r));
    }

    private static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException("cannot encode " + o, e);
        }
    }

    private static <T> T read(String json, Class<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (java.io.IOException e) {
            throw new IllegalStateException("corrupt optimistic batch record in the node store: " + e.getMessage(), e);
        }
    }

    private long head() {
        try {
            return chain.web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (java.io.IOException e) {
            throw new ChainException("eth_blockNumber failed: " + e.getMessage(), e);
        }
    }

    /** The latest block's timestamp: the chain's clock, which decides windows and deadlines. */
    private long chainTime() {
        try {
            return chain.web3j().ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send().getBlock().getTimestamp().longValueExact();
        } catch (java.io.IOException e) {
            throw new ChainException("eth_getBlockByNumber failed: " + e.getMessage(), e);
        }
    }
}
