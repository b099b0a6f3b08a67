package dev.ledgermind.node.worker;

import dev.ledgermind.chain.ContractRevertedException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.NodeOutcome;
import dev.ledgermind.chain.OptimisticTasks;
import dev.ledgermind.chain.TaskPhase;
import dev.ledgermind.chain.TaskState;
import dev.ledgermind.chain.events.TaskEvent;
import dev.ledgermind.inference.trace.MerkleProof;
import dev.ledgermind.inference.trace.MerkleTree;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.store.OptimisticRecord;
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
 * <p>Playing the dispute game itself (bisection moves) is not wired: it needs the game's facade and the step
 * witnesses. A challenge started here is decided by the DisputeGame contract; this node only records its verdict.
 * The hook is {@link #gameMoves}: where a node would answer the game's moves for its claims and challenges.
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

    OptimisticRoles(NodeConfig config, LedgermindContracts chain, NodeStore store, TaskRunner runner,
                    Map<Integer, ModelIdentity> modelsById, LongSupplier agentId) {
        this.config = config;
        this.chain = chain;
        this.optimistic = new OptimisticTasks(chain);
        this.store = store;
        this.runner = runner;
        this.modelsById = modelsById;
        this.agentId = agentId;
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
                } else if (config.role() == NodeRole.VALIDATOR) {
                    store.recordOptimistic(e.taskId(), WATCHER, "WATCHING", submitted.modelId(), submitted.input());
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
            boolean bond = optimistic.terms().gameAvailable() && st.stage() == OptimisticTasks.Stage.CLAIMED;
            tx = optimistic.audit(id, agentId.getAsLong(), lane, replay.ownResultHash(), replay.ownTraceRoot(), List.of(), List.of(), bond);
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
            result = Hash.sha3(("false result " + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            root = Hash.sha3(("false root " + id).getBytes(java.nio.charset.StandardCharsets.UTF_8));
        } else {
            Replayed replay = runner.replay(TaskInput.parse(r.input()), claim.output());
            if (replay == null || (replay.accepted() && Arrays.equals(replay.traceRoot(), claim.traceRoot()))) {
                store.markOptimistic(id, WATCHER, "AGREED", null);
                return;
            }
            result = replay.ownResultHash();
            root = replay.ownTraceRoot();
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
     * The hook where a node would play the dispute game for its claim or challenge (bisection moves within the
     * game's clocks): not wired in this version (it needs the game's facade and the step witnesses), so a game
     * started by or against this node is decided by the DisputeGame contract's rules and clocks alone.
     */
    void gameMoves() {
    }

    private void settle(OptimisticRecord r) {
        NodeOutcome outcome = chain.outcomeOf(r.taskId(), agentId.getAsLong());
        String verdict = outcome != NodeOutcome.NONE ? outcome.verdict() : r.role().equals(WATCHER) ? "watched" : "refunded";
        if (store.settleOptimistic(r.taskId(), r.role(), verdict)) {
            log.info("event=optimistic-final node={} task={} role={} outcome={}", config.name(), r.taskId(), r.role(), verdict);
        }
    }
}
