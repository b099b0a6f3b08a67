package dev.ledgermind.node.worker;

import dev.ledgermind.chain.ContractRevertedException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.NodeOutcome;
import dev.ledgermind.chain.OptimisticTasks;
import dev.ledgermind.chain.TaskPhase;
import dev.ledgermind.chain.TaskState;
import dev.ledgermind.chain.events.TaskEvent;
import dev.ledgermind.chain.game.DisputeGameClient;
import dev.ledgermind.chain.game.GameView;
import dev.ledgermind.inference.step.StepFault;
import dev.ledgermind.inference.step.TraceCommitment;
import dev.ledgermind.inference.trace.MerkleProof;
import dev.ledgermind.inference.trace.MerkleTree;
import dev.ledgermind.node.game.GamePlayer;
import dev.ledgermind.node.game.GameWitness;
import dev.ledgermind.node.store.GameRecord;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.store.OptimisticRecord;
import dev.ledgermind.node.task.DecoderTaskRunner;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.Replayed;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * A node's roles in the optimistic mode (docs/DESIGN.md section 5), driven by its {@link Worker}'s loop and
 * durable in its {@link NodeStore} ({@link OptimisticRecord}):
 * <ul>
 *   <li><b>worker</b>: a task it is drawn for (TaskSubmitted, mode 1) is computed, its result and trace shape
 *       stored with a lane, then claimed (the signed claim's hash stored before it is sent);</li>
 *   <li><b>validator</b>: every node checks each claim of the models it serves with the contract's
 *       {@code auditDraw}; when it is the drawn validator it replays the claimed output (inference's Replay) and
 *       audits: the same result with the drawn trace leaves and their Merkle proofs, or its own result, which
 *       challenges the claim;</li>
 *   <li><b>watcher</b> ({@code --role validator}): also replays every claim it is not drawn for and challenges a
 *       wrong one with the mode's bond.</li>
 * </ul>
 * Each step reads the chain first (the mode's stage and audit, the task's phase), so a restarted node repeats
 * none that landed. Settlement is total: every stored row takes the task's final outcome.
 *
 * <p><b>Dispute games</b> ({@link #gameMoves}): a node plays every game it is a party to, to the end, from its loop:
 * the claimer defends its claim, the challenger (a watcher, or the drawn validator whose audit disputed) attacks it.
 * The game is recorded in the store when its ClaimChallenged event arrives ({@link GameRecord}: the game id, the side,
 * the event's block); each pass a {@link GamePlayer} makes the due move, or claims the other side's timeout on the
 * chain's clock. The player's witness is recomputed from the task (its input on chain, the claimed tokens) and the
 * node's engine, with the node's {@link Dishonesty} fault if it has one, so a restarted node picks up at the due
 * move with nothing but the game id stored.
 */
final class OptimisticRoles {
    private static final Logger log = LoggerFactory.getLogger(OptimisticRoles.class);
    static final String WORKER = "WORKER", VALIDATOR = "VALIDATOR", WATCHER = "WATCHER";

    private final NodeConfig config;
    private final LedgermindContracts chain;
    private final OptimisticTasks optimistic;
    private final NodeStore store;
    private final TaskRunner runner;
    private final Map<Integer, ModelIdentity> modelsById;
    private final LongSupplier agentId;
    private final org.web3j.crypto.Credentials credentials;
    /** The games this process is playing, by game id (rebuilt from the store after a restart). */
    private final Map<Long, GamePlayer> players = new java.util.HashMap<>();
    /** Games this node cannot play (its recomputed trace is not its root in the game): only their verdict is read. */
    private final java.util.Set<Long> unplayable = new java.util.HashSet<>();
    private String gameAddress;

    OptimisticRoles(NodeConfig config, LedgermindContracts chain, NodeStore store, TaskRunner runner,
                    Map<Integer, ModelIdentity> modelsById, LongSupplier agentId) {
        this.config = config;
        this.chain = chain;
        this.optimistic = new OptimisticTasks(chain);
        this.store = store;
        this.runner = runner;
        this.modelsById = modelsById;
        this.agentId = agentId;
        this.credentials = org.web3j.crypto.Credentials.create(config.privateKey());
    }

    /** Whether this deployment has an optimistic mode at all. */
    boolean available() {
        return chain.deployment().optimisticSettlement() != null;
    }

    void onEvent(TaskEvent event) {
        long me = agentId.getAsLong();
        switch (event) {
            case TaskEvent.Submitted e when e.mode() == 1 -> {
                if (e.nodes().contains(me) && store.recordOptimistic(e.taskId(), WORKER, "ASSIGNED", e.modelId(), e.input())) {
                    log.info("event=optimistic-assigned node={} task={}", config.name(), e.taskId());
                }
            }
            case TaskEvent.Claimed e -> {
                if (e.agentId() == me) return;
                var submitted = new dev.ledgermind.chain.events.ChainEvents(chain).submission(e.taskId()).orElseThrow();
                if (!modelsById.containsKey(submitted.modelId())) return;
                OptimisticTasks.AuditDraw draw = optimistic.auditDraw(e.taskId());
                if (draw.audited() && draw.validator() == me) {
                    if (store.recordOptimistic(e.taskId(), VALIDATOR, "DUE", submitted.modelId(), submitted.input())) {
                        log.info("event=audit-drawn node={} task={} worker={}", config.name(), e.taskId(), e.agentId());
                    }
                } else if (config.role() == NodeRole.VALIDATOR || config.dishonesty() == Dishonesty.FALSE_CHALLENGE) {
                    store.recordOptimistic(e.taskId(), WATCHER, "WATCHING", submitted.modelId(), submitted.input());
                }
            }
            case TaskEvent.ClaimChallenged e -> {
                boolean challenger = e.agentId() == me;
                boolean claimer = !challenger && optimistic.claimed(e.taskId()).map(c -> c.agentId() == me).orElse(false);
                if ((challenger || claimer) && store.recordGame(e.gameId(), e.taskId(), claimer, e.block())) {
                    log.info("event=game-started node={} task={} game={} side={}", config.name(), e.taskId(), e.gameId(),
                            claimer ? "claimer" : "challenger");
                }
            }
            default -> { }
        }
    }

    /** Advances every optimistic row by one step. */
    void advanceAll() {
        for (OptimisticRecord r : store.unsettledOptimistic()) {
            try {
                advance(r);
            } catch (ContractRevertedException e) {
                log.warn("event=optimistic-reverted node={} task={} role={} message=\"{}\"", config.name(), r.taskId(), r.role(),
                        e.getMessage());
            }
        }
        gameMoves();
    }

    private void advance(OptimisticRecord r) {
        BigInteger id = r.taskId();
        TaskState task = chain.task(id);
        if (task.phase().isFinal()) {
            settle(r);
            return;
        }
        OptimisticTasks.State st = optimistic.state(id);
        if (!r.finished()) {
            switch (r.role()) {
                case WORKER -> workerStep(r, st, task);
                case VALIDATOR -> auditStep(r, st);
                case WATCHER -> watchStep(r, st);
                default -> store.failOptimistic(id, r.role(), "unknown role " + r.role());
            }
        }
        if (task.phase() == TaskPhase.FINALIZABLE) {
            try {
                TransactionReceipt tx = optimistic.finalizeTask(id);
                log.info("event=optimistic-finalize-sent node={} task={} tx={} gas={}", config.name(), id, tx.getTransactionHash(),
                        tx.getGasUsed());
            } catch (ContractRevertedException e) {
                if (!"TooEarly".equals(e.errorName()) && !"NotOptimistic".equals(e.errorName())) throw e; // someone else was first
            }
        }
    }

    private void workerStep(OptimisticRecord r, OptimisticTasks.State st, TaskState task) {
        BigInteger id = r.taskId();
        switch (r.state()) {
            case "ASSIGNED" -> {
                TaskInput input = TaskInput.parse(r.input());
                TaskResult result = runner.run(input);
                if (result.shape() == null) {
                    store.failOptimistic(id, WORKER, "this node's engine gives no trace shape for " + input.kind() + " tasks");
                    return;
                }
                store.saveOptimisticResult(id, WORKER, "COMPUTED", result.resultHash(), result.traceRoot(), result.output(),
                        result.shape().tokensHash(), result.shape().positions(), result.shape().leafCount(), LedgermindContracts.LANES);
                log.info("event=optimistic-computed node={} task={} resultHash={}", config.name(), id,
                        Numeric.toHexString(result.resultHash()));
            }
            case "COMPUTED", "CLAIM_SENT" -> {
                if (st.stage() != OptimisticTasks.Stage.OPEN) {
                    store.markOptimistic(id, WORKER, "CLAIMED", null); // the claim landed (before a restart, say)
                } else if (r.tx() != null && chain.pending(r.tx())) {
                    log.info("event=claim-pending node={} task={} tx={}", config.name(), id, r.tx());
                } else if (task.phase() == TaskPhase.OPTIMISTIC) {
                    TransactionReceipt tx = optimistic.claim(id, agentId.getAsLong(), r.lane(), new OptimisticTasks.TraceClaim(
                            r.resultHash(), r.traceRoot(), r.output(), r.tokensHash(), r.positions(), r.leafCount()),
                            h -> store.markOptimistic(id, WORKER, "CLAIM_SENT", h));
                    store.markOptimistic(id, WORKER, "CLAIMED", null);
                    log.info("event=claimed node={} task={} tx={} gas={}", config.name(), id, tx.getTransactionHash(), tx.getGasUsed());
                } else {
                    store.failOptimistic(id, WORKER, "the claim window closed before this node claimed");
                }
            }
            default -> { } // CLAIMED: the window, an audit or a game decides
        }
    }

    private void auditStep(OptimisticRecord r, OptimisticTasks.State st) {
        BigInteger id = r.taskId();
        if (!r.state().equals("DUE") && !r.state().equals("AUDIT_SENT")) return;
        if (st.audit() != OptimisticTasks.Audit.UNDECIDED && st.audit() != OptimisticTasks.Audit.DUE) {
            store.markOptimistic(id, VALIDATOR, "AUDITED", null);
            return;
        }
        if (r.tx() != null && chain.pending(r.tx())) return;
        long now = System.currentTimeMillis() / 1000;
        OptimisticTasks.Claimed claim = optimistic.claimed(id).orElseThrow();
        OptimisticTasks.AuditDraw draw = optimistic.auditDraw(id);
        Replayed replay = runner.replay(TaskInput.parse(r.input()), claim.output());
        if (replay == null) {
            store.failOptimistic(id, VALIDATOR, "this node's engine cannot replay the claim");
            return;
        }
        boolean same = replay.accepted() && Arrays.equals(replay.resultHash(), claim.resultHash())
                && Arrays.equals(replay.traceRoot(), claim.traceRoot());
        int lane = store.saveOptimisticResult(id, VALIDATOR, "DUE", replay.ownResultHash(), replay.ownTraceRoot(), null,
                new byte[32], 1, 1, LedgermindContracts.LANES).lane();
        TransactionReceipt tx;
        if (same || config.dishonesty() == Dishonesty.COPY_AUDIT) {
            List<byte[]> leaves = new ArrayList<>();
            List<byte[]> proof = new ArrayList<>();
            MerkleTree tree = replay.leaves().isEmpty() ? null : MerkleTree.of(replay.leaves());
            for (int index : draw.leafIndices()) {
                // a copier posts the claimed root with leaves it made up (it never replayed)
                byte[] leaf = config.dishonesty() == Dishonesty.COPY_AUDIT || tree == null
                        ? Hash.sha3(("made up " + index).getBytes(java.nio.charset.StandardCharsets.UTF_8)) : replay.leaves().get(index);
                leaves.add(leaf);
                if (tree != null && index < tree.leafCount()) {
                    MerkleProof p = tree.proof(index);
                    proof.addAll(p.siblings());
                }
            }
            tx = optimistic.audit(id, agentId.getAsLong(), lane, claim.resultHash(), claim.traceRoot(), leaves, proof, false);
            log.info("event=audited node={} task={} verdict={} tx={} gas={} now={}", config.name(), id,
                    config.dishonesty() == Dishonesty.COPY_AUDIT ? "copied" : "same", tx.getTransactionHash(), tx.getGasUsed(), now);
        } else {
            // the dispute stands on the replay's trace of the claimed tokens (a game can bisect it, and this node can
            // play every move of it); a game starts, with the bond, only when that root differs from the claim's
            byte[] root = replay.disputeRoot();
            boolean bond = optimistic.terms().gameAvailable() && st.stage() == OptimisticTasks.Stage.CLAIMED
                    && !Arrays.equals(root, claim.traceRoot());
            tx = optimistic.audit(id, agentId.getAsLong(), lane, replay.ownResultHash(), root, List.of(), List.of(), bond);
            log.warn("event=audit-disputes node={} task={} reason=\"{}\" tx={} gas={}", config.name(), id, replay.reason(),
                    tx.getTransactionHash(), tx.getGasUsed());
        }
        store.markOptimistic(id, VALIDATOR, "AUDITED", tx.getTransactionHash());
    }

    private void watchStep(OptimisticRecord r, OptimisticTasks.State st) {
        BigInteger id = r.taskId();
        if (!r.state().equals("WATCHING")) return;
        if (st.stage() != OptimisticTasks.Stage.CLAIMED) {
            store.markOptimistic(id, WATCHER, "AGREED", null); // challenged already, or past it
            return;
        }
        if (!optimistic.terms().gameAvailable()) {
            store.markOptimistic(id, WATCHER, "AGREED", null); // no game to challenge in: the audit is all there is
            return;
        }
        OptimisticTasks.Claimed claim = optimistic.claimed(id).orElseThrow();
        byte[] result;
        byte[] root;
        if (config.dishonesty() == Dishonesty.FALSE_CHALLENGE) {
            // the claimed tokens' trace with one step changed: a root it can defend in the game down to that step
            DecoderTaskRunner d = runner.decoder(modelsById.get(r.modelId()).name());
            if (d == null) {
                store.markOptimistic(id, WATCHER, "AGREED", null);
                return;
            }
            int[] tokens = LyingRunner.claimedTokens(d.promptTokens(TaskInput.parse(r.input())), claim.output());
            StepFault fault = Dishonesty.challengerFault(claim.positions(), claim.leafCount() / claim.positions());
            result = Hash.sha3(("false result " + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            root = TraceCommitment.of(d.model(), Arrays.copyOf(tokens, claim.positions()), fault, d.kernelConfig(), d.parallel())
                    .root().bytes();
        } else {
            Replayed replay = runner.replay(TaskInput.parse(r.input()), claim.output());
            if (replay == null || (replay.accepted() && Arrays.equals(replay.traceRoot(), claim.traceRoot()))) {
                store.markOptimistic(id, WATCHER, "AGREED", null);
                return;
            }
            result = replay.ownResultHash();
            root = replay.disputeRoot();
            if (Arrays.equals(root, claim.traceRoot())) {
                store.markOptimistic(id, WATCHER, "AGREED", null); // only the last token differs: no game covers it (v1)
                log.warn("event=claim-differs-outside-the-trace node={} task={} reason=\"{}\"", config.name(), id, replay.reason());
                return;
            }
        }
        try {
            TransactionReceipt tx = optimistic.challenge(id, agentId.getAsLong(), result, root);
            store.markOptimistic(id, WATCHER, "CHALLENGED", tx.getTransactionHash());
            log.warn("event=challenged-claim node={} task={} tx={} gas={}", config.name(), id, tx.getTransactionHash(), tx.getGasUsed());
        } catch (ContractRevertedException e) {
            if (!"AlreadyChallenged".equals(e.errorName()) && !"WrongStage".equals(e.errorName())
                    && !"ChallengeWindowClosed".equals(e.errorName())) throw e;
            store.markOptimistic(id, WATCHER, "AGREED", null);
        }
    }

    /**
     * Plays every unresolved game this node is a party to by one turn ({@link GamePlayer#advance}: its due move, or
     * the other side's timeout), and records each verdict. A game's failure (an RPC error, a refused move) is logged
     * and retried on the next pass; the chess clock, not this node, decides when waiting is over.
     */
    void gameMoves() {
        for (GameRecord g : store.games()) {
            if (g.resolved()) continue;
            try {
                GamePlayer p = players.get(g.gameId());
                if (p == null) {
                    p = player(g);
                    players.put(g.gameId(), p);
                }
                Optional<Boolean> verdict = unplayable.contains(g.gameId()) ? p.outcome() : p.advance();
                if (verdict.isPresent()) {
                    players.remove(g.gameId());
                    if (store.resolveGame(g.gameId(), verdict.get())) {
                        boolean won = verdict.get() == g.claimer();
                        log.info("event=game-{} node={} task={} game={} side={}", won ? "won" : "lost", config.name(), g.taskId(),
                                g.gameId(), g.claimer() ? "claimer" : "challenger");
                    }
                }
            } catch (ContractRevertedException e) {
                log.warn("event=game-move-refused node={} task={} game={} error={} message=\"{}\"", config.name(), g.taskId(),
                        g.gameId(), e.errorName(), e.getMessage());
            } catch (RuntimeException e) {
                // one game's trouble (an RPC error, a malformed claim) must not stop the other games or the node's loop
                log.warn("event=game-error node={} task={} game={} message=\"{}\"", config.name(), g.taskId(), g.gameId(), e.getMessage());
            }
        }
    }

    /** The player of game {@code g}: its witness is this node's recomputation of the claimed tokens (with its fault). */
    private GamePlayer player(GameRecord g) {
        if (gameAddress == null) gameAddress = optimistic.terms().disputeGame();
        TaskEvent.Submitted sub = new dev.ledgermind.chain.events.ChainEvents(chain).submission(g.taskId()).orElseThrow(
                () -> new IllegalStateException("task " + g.taskId() + " of game " + g.gameId() + " has no TaskSubmitted event"));
        OptimisticTasks.Claimed claim = optimistic.claimed(g.taskId()).orElseThrow(
                () -> new IllegalStateException("task " + g.taskId() + " of game " + g.gameId() + " has no claim"));
        ModelIdentity m = modelsById.get(sub.modelId());
        DecoderTaskRunner d = m == null ? null : runner.decoder(m.name());
        if (d == null) throw new IllegalStateException("game " + g.gameId() + ": this node serves no decoder for model " + sub.modelId());
        int[] tokens = LyingRunner.claimedTokens(d.promptTokens(TaskInput.parse(sub.input())), claim.output());
        int positions = claim.positions(), layers = claim.leafCount() / positions;
        StepFault fault = g.claimer() && config.dishonesty() == Dishonesty.ONE_STEP_WRONG ? Dishonesty.workerFault(positions, layers)
                : !g.claimer() && config.dishonesty() == Dishonesty.FALSE_CHALLENGE ? Dishonesty.challengerFault(positions, layers)
                : null;
        GameWitness w = new GameWitness(d.model(), tokens, Math.min(positions, tokens.length), fault, d.kernelConfig(), d.parallel(),
                d.weights());
        DisputeGameClient client = DisputeGameClient.at(chain.web3j(), gameAddress, credentials, g.startBlock());
        GamePlayer p = new GamePlayer(client, BigInteger.valueOf(g.gameId()), g.claimer(), w);
        GameView view = client.game(BigInteger.valueOf(g.gameId()));
        byte[] mine = g.claimer() ? view.claimerTraceRoot() : view.challengerTraceRoot();
        if (!Arrays.equals(TraceCommitment.tokensHash(tokens), claim.tokensHash()) || positions != tokens.length - 1
                || !Arrays.equals(w.trace().root().bytes(), mine)) {
            unplayable.add(g.gameId());
            log.warn("event=game-unplayable node={} task={} game={} side={} reason=\"this node's recomputed trace of the claimed tokens"
                    + " is not its root in the game\"", config.name(), g.taskId(), g.gameId(), g.claimer() ? "claimer" : "challenger");
        } else {
            log.info("event=game-playing node={} task={} game={} side={} leaves={}{}", config.name(), g.taskId(), g.gameId(),
                    g.claimer() ? "claimer" : "challenger", claim.leafCount(), fault == null ? "" : " fault=" + fault);
        }
        return p;
    }

    private void settle(OptimisticRecord r) {
        NodeOutcome outcome = chain.outcomeOf(r.taskId(), agentId.getAsLong());
        String verdict = outcome != NodeOutcome.NONE ? outcome.verdict() : r.role().equals(WATCHER) ? "watched" : "refunded";
        if (store.settleOptimistic(r.taskId(), r.role(), verdict)) {
            log.info("event=optimistic-final node={} task={} role={} outcome={}", config.name(), r.taskId(), r.role(), verdict);
        }
    }
}
