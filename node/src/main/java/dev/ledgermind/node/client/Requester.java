package dev.ledgermind.node.client;

import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.ContractRevertedException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.NodeOutcome;
import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.chain.TaskPhase;
import dev.ledgermind.chain.TaskRequest;
import dev.ledgermind.chain.TaskState;
import dev.ledgermind.chain.events.ChainEvents;
import dev.ledgermind.chain.events.TaskEvent;
import dev.ledgermind.chain.game.DisputeGameClient;
import dev.ledgermind.chain.game.GameReport;
import dev.ledgermind.node.task.TaskInput;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The requester client: submits a task, waits for it to become final (finalizing it itself once the
 * chain allows, so that a requester never depends on the nodes to settle), and builds its
 * {@link Receipt} from the contract's own events, read through {@link ChainEvents}.
 */
public final class Requester {
    private final LedgermindContracts chain;
    private final ChainEvents events;
    private final ModelDirectory models;
    /** The optimistic mode's facade, one per requester: it reads the mode's terms once. */
    private final dev.ledgermind.chain.OptimisticTasks optimistic;

    public Requester(LedgermindContracts chain) {
        this.chain = chain;
        this.events = new ChainEvents(chain);
        this.models = new ModelDirectory(events);
        this.optimistic = new dev.ledgermind.chain.OptimisticTasks(chain);
    }

    public LedgermindContracts chain() {
        return chain;
    }

    public ChainEvents events() {
        return events;
    }

    /** The network's models, by name, from the ModelRegistry. */
    public ModelDirectory models() {
        return models;
    }

    /** Submits {@code input} for model {@code modelId} to {@code k} nodes with {@code fee} wei in escrow. */
    public SubmittedTask submit(TaskInput input, int modelId, int k, BigInteger fee) {
        byte[] bytes = input.bytes();
        TaskRequest request = new TaskRequest(modelId, Hash.sha3(bytes), bytes, input.seed(),
                Math.round(input.temperature() * 1000), input.maxTokens(), input.kind().code, k, fee, false);
        return chain.submitTask(request);
    }

    /**
     * Submits {@code input} for the model its {@code model} field names (resolved on chain), waits until the
     * task is final and returns its receipt.
     */
    public Receipt ask(TaskInput input, int k, BigInteger fee, Duration timeout, Consumer<String> progress)
            throws InterruptedException {
        int modelId = models.resolve(input.model()).id();
        SubmittedTask task = submit(input, modelId, k, fee);
        progress.accept("submitted task " + task.taskId() + " to agents " + task.nodes() + " (tx "
                + task.receipt().getTransactionHash() + ")");
        return await(task.taskId(), timeout, progress);
    }

    /**
     * Waits until the task is final, reporting each phase change to {@code progress}. Once the chain
     * says the task can be finalized (all revealed, or a deadline passed) this client finalizes it.
     *
     * @throws ChainException if the task is not final within {@code timeout}
     */
    public Receipt await(BigInteger taskId, Duration timeout, Consumer<String> progress) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        TaskPhase last = null;
        int lastCommitted = -1, lastRevealed = -1;
        while (true) {
            TaskState t = chain.task(taskId);
            int committed = Integer.bitCount(t.committedMask()), revealed = Integer.bitCount(t.revealedMask());
            if (t.phase() != last || committed != lastCommitted || revealed != lastRevealed) {
                progress.accept("task " + taskId + ": " + t.phase().name().toLowerCase() + ", " + committed + "/" + t.k()
                        + " committed, " + revealed + "/" + t.k() + " revealed"
                        + (t.held() ? ", held until " + java.time.Instant.ofEpochSecond(t.heldUntil())
                                + " (a split result: nothing is paid or slashed before then)" : ""));
                last = t.phase();
                lastCommitted = committed;
                lastRevealed = revealed;
            }
            if (t.phase().isFinal()) {
                // the state is read at the latest block, the events by eth_getLogs, whose index may lag a moment behind
                // it: an accepted task's receipt is built once its TaskFinalized log is seen
                Receipt r = receipt(taskId);
                for (int i = 0; i < 40 && t.phase() == TaskPhase.ACCEPTED && !r.accepted(); i++) {
                    Thread.sleep(250);
                    r = receipt(taskId);
                }
                return r;
            }
            if (t.phase() == TaskPhase.FINALIZABLE) {
                try {
                    chain.finalizeTask(taskId);
                } catch (ContractRevertedException e) {
                    if (!"TaskNotActive".equals(e.errorName())) throw e; // a node finalized first
                } catch (ChainException e) {
                    // a transient RPC or nonce problem: the nodes finalize too, so keep polling
                    progress.accept("task " + taskId + ": finalize not sent (" + e.getMessage() + "); still waiting");
                    Thread.sleep(250);
                }
                continue;
            }
            if (System.nanoTime() > deadline) {
                throw new ChainException("task " + taskId + " is not final after " + timeout.toSeconds() + " s (phase "
                        + t.phase() + ", " + committed + "/" + t.k() + " committed, " + revealed + " revealed)");
            }
            Thread.sleep(250);
        }
    }

    /** Builds the receipt of a task from the contract's events and the transactions' receipts. */
    public Receipt receipt(BigInteger taskId) {
        List<TaskEvent> log = events.task(taskId);
        if (log.isEmpty()) throw new ChainException("task " + taskId + " does not exist on this chain");
        TaskEvent.Submitted submitted = null;
        TaskEvent.Finalized finalized = null;
        String pendingVerdict = "pending"; // a held or challenged split says until when
        List<Receipt.NodeVerdict> replaced = new ArrayList<>();
        Map<Integer, String> revealedHash = new HashMap<>();
        Map<Integer, byte[]> revealedOutput = new HashMap<>();
        Map<Long, BigInteger> slashed = new HashMap<>();
        Map<String, Receipt.Tx> txs = new LinkedHashMap<>(); // by hash: a finalize may emit several events
        List<Long> nodes = new ArrayList<>();
        List<String> optimisticSteps = new ArrayList<>(); // the optimistic mode's audit and challenge, in order
        long[] auditor = {0};
        List<GameReport> games = new ArrayList<>(); // the dispute games of its challenges, as their events tell
        for (TaskEvent e : log) {
            String kind = null;
            Long agent = null;
            switch (e) {
                case TaskEvent.Submitted s -> {
                    submitted = s;
                    nodes.addAll(s.nodes());
                    kind = "submit";
                }
                case TaskEvent.Committed c -> {
                    kind = "commit";
                    agent = c.agentId();
                }
                case TaskEvent.Revealed r -> {
                    // every seat the agent holds at the time of its reveal (seats are drawn with replacement)
                    for (int pos = 0; pos < nodes.size(); pos++) {
                        if (nodes.get(pos) != r.agentId()) continue;
                        revealedHash.put(pos, Numeric.toHexString(r.resultHash()));
                        revealedOutput.put(pos, r.output());
                    }
                    kind = "reveal";
                    agent = r.agentId();
                }
                case TaskEvent.Slashed s -> slashed.merge(s.agentId(), s.amount(), BigInteger::add);
                case TaskEvent.Replaced r -> {
                    replaced.add(new Receipt.NodeVerdict(r.oldAgentId(), r.position(), events.agentOwner(r.oldAgentId()),
                            "replaced", null, slashed.getOrDefault(r.oldAgentId(), BigInteger.ZERO)));
                    nodes.set(r.position(), r.newAgentId());
                    kind = "replace";
                }
                case TaskEvent.Held h -> {
                    pendingVerdict = "held until " + java.time.Instant.ofEpochSecond(h.releaseAt());
                    kind = "hold";
                }
                case TaskEvent.Challenged c -> {
                    pendingVerdict = "challenged by agent " + c.agentId() + ", frozen until "
                            + java.time.Instant.ofEpochSecond(c.resolvableAt());
                    kind = "challenge";
                    agent = c.agentId();
                }
                case TaskEvent.Finalized f -> {
                    finalized = f;
                    kind = "finalize";
                }
                case TaskEvent.RoundPending p -> { } // its seats show in the NodeReplaced events of the round's first commit
                // the optimistic mode: the claim is the worker's reveal; the audit and a challenge are steps of their own
                case TaskEvent.Claimed c -> {
                    if (!nodes.isEmpty()) {
                        revealedHash.put(0, Numeric.toHexString(c.resultHash()));
                        revealedOutput.put(0, c.output());
                    }
                    pendingVerdict = "claimed, final after " + java.time.Instant.ofEpochSecond(c.windowEnd()) + " unless challenged";
                    kind = "claim";
                    agent = c.agentId();
                }
                case TaskEvent.AuditDecided a -> {
                    if (a.audited()) {
                        optimisticSteps.add("audit drawn: agent " + a.validator());
                        auditor[0] = a.validator();
                    } else {
                        optimisticSteps.add("not audited");
                    }
                }
                case TaskEvent.Audited a -> {
                    optimisticSteps.add("audited by agent " + a.agentId() + ": " + a.verdict());
                    kind = "audit";
                    agent = a.agentId();
                }
                case TaskEvent.ClaimChallenged c -> {
                    optimisticSteps.add("challenged by agent " + c.agentId() + " (game " + c.gameId() + ", bond " + c.bond() + " wei)");
                    pendingVerdict = "challenged: dispute game " + c.gameId() + " decides";
                    kind = "challenge";
                    agent = c.agentId();
                }
                case TaskEvent.GameResolved g -> {
                    GameReport game = gameReport(BigInteger.valueOf(g.gameId()));
                    games.add(game);
                    optimisticSteps.add("game " + g.gameId() + ": claim " + (g.claimerWins() ? "upheld" : "overturned")
                            + " (" + GameWords.summary(game) + ")");
                    kind = "game";
                }
            }
            if (kind != null && !txs.containsKey(e.txHash())) {
                txs.put(e.txHash(), new Receipt.Tx(kind, e.txHash(), e.block(), events.gasUsed(e.txHash()), agent));
            }
        }
        if (submitted == null) throw new ChainException("task " + taskId + " has no TaskSubmitted event");
        boolean accepted = finalized != null && finalized.accepted();
        byte[] output = new byte[0];
        List<Receipt.NodeVerdict> verdicts = new ArrayList<>();
        // an audited optimistic task's validator is its position 1 once final (TaskMarket.outcomeOf reads it there)
        if (auditor[0] != 0 && nodes.size() == 1) nodes.add(auditor[0]);
        for (int pos = 0; pos < nodes.size(); pos++) {
            long agentId = nodes.get(pos);
            // the contract's own outcome rule (TaskMarket.outcomeOf), the one the worker records too
            String verdict;
            if (finalized == null) verdict = pendingVerdict;
            else {
                NodeOutcome outcome = chain.outcomeOf(taskId, agentId);
                verdict = outcome == NodeOutcome.NONE ? "refunded" : outcome.verdict();
                // an optimistic claimer that lost a dispute game: its claim was overturned, not missing
                if (pos == 0 && games.stream().anyMatch(g -> g.ended() && !g.claimerWins())) verdict = "overturned";
            }
            if (verdict.equals("agreed") && output.length == 0 && revealedOutput.get(pos) != null) output = revealedOutput.get(pos);
            verdicts.add(new Receipt.NodeVerdict(agentId, pos, events.agentOwner(agentId), verdict,
                    revealedHash.get(pos), slashed.getOrDefault(agentId, BigInteger.ZERO)));
        }
        verdicts.addAll(replaced);
        String modelHash = models.byId(submitted.modelId()).map(ModelDirectory::contentHash).orElse(null);
        return new Receipt(taskId, submitted.modelId(), submitted.requester(), Numeric.toHexString(submitted.inputHash()),
                accepted, accepted ? Numeric.toHexString(finalized.resultHash()) : null,
                accepted ? Numeric.toHexString(finalized.traceRoot()) : null, output, submitted.k(), submitted.fee(),
                finalized == null ? BigInteger.ZERO : finalized.rewardPerNode(),
                finalized == null ? BigInteger.ZERO : finalized.refund(), verdicts, List.copyOf(txs.values()),
                modelHash, VerificationMode.ofCode(submitted.mode()), trustAssumption(submitted), List.copyOf(optimisticSteps),
                List.copyOf(games));
    }

    /** Game {@code gameId} of this deployment's dispute game, read from its events. */
    private GameReport gameReport(BigInteger gameId) {
        String game = optimistic.terms().disputeGame();
        return DisputeGameClient.at(chain.web3j(), game, chain.sender(), chain.deployment().deployBlock()).report(gameId);
    }

    /** The trust assumption of this task, in words, with its own parameters (the challenge window of an optimistic task). */
    private String trustAssumption(TaskEvent.Submitted s) {
        VerificationMode mode = VerificationMode.ofCode(s.mode());
        if (mode != VerificationMode.OPTIMISTIC) return mode.trustAssumption;
        var state = optimistic.state(s.taskId());
        return "one honest validator watching, challenge window " + state.window() + " s (audit rate "
                + String.format(java.util.Locale.ROOT, "%.2f", state.auditBps() / 100.0) + "%)";
    }

    // ------------------------------------------------------------------ the optimistic mode

    /**
     * Submits {@code input} as an optimistic task (docs/DESIGN.md section 5: one drawn worker claims, a drawn
     * validator audits a fraction of claims, anyone may challenge within the window), waits until it is final and
     * returns its receipt. {@code windowSeconds} and {@code auditBps} 0: the mode's defaults.
     */
    public Receipt askOptimistic(TaskInput input, BigInteger fee, long windowSeconds, int auditBps, Duration timeout,
                                 Consumer<String> progress) throws InterruptedException {
        int modelId = models.resolve(input.model()).id();
        byte[] bytes = input.bytes();
        TaskRequest request = new TaskRequest(modelId, Hash.sha3(bytes), bytes, input.seed(),
                Math.round(input.temperature() * 1000), input.maxTokens(), input.kind().code, 1, fee, false);
        var task = optimistic.submit(request, windowSeconds, auditBps);
        progress.accept("submitted optimistic task " + task.taskId() + " to worker agent " + task.worker() + ", challenge window "
                + task.window() + " s, audit rate " + task.auditBps() / 100.0 + "% (tx " + task.receipt().getTransactionHash() + ")");
        return awaitOptimistic(task.taskId(), timeout, progress);
    }

    /**
     * Waits until an optimistic task is final, reporting its stages (claimed, audited, challenged, final) to
     * {@code progress}, and finalizes it once the chain allows.
     */
    public Receipt awaitOptimistic(BigInteger taskId, Duration timeout, Consumer<String> progress) throws InterruptedException {
        var mode = optimistic;
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = null;
        while (true) {
            TaskState t = chain.task(taskId);
            if (t.phase().isFinal()) {
                progress.accept("task " + taskId + ": final (" + t.phase().name().toLowerCase() + ")");
                return receipt(taskId);
            }
            var st = mode.state(taskId);
            String line = switch (st.stage()) {
                case OPEN -> "waiting for the worker's claim";
                case CLAIMED -> "claimed, final after " + java.time.Instant.ofEpochSecond(st.windowEnd()) + " unless challenged"
                        + switch (st.audit()) {
                            case DUE -> "; audited: validator agent " + st.validator() + " is checking it";
                            case PASSED -> "; audited: passed (agent " + st.validator() + ")";
                            case COPIED -> "; audited: the validator did not replay (it will be slashed)";
                            case DISPUTED -> "; audited: the validator disputes it";
                            case NOT_AUDITED -> "; not audited";
                            default -> "";
                        };
                case CHALLENGED -> "challenged by agent " + st.challenger() + ": dispute game " + st.gameId() + " decides";
                case UPHELD -> "the game upheld the claim";
                case OVERTURNED -> "the game overturned the claim";
                default -> st.stage().name().toLowerCase();
            };
            if (!line.equals(last)) {
                progress.accept("task " + taskId + ": " + line);
                last = line;
            }
            if (t.phase() == TaskPhase.FINALIZABLE) {
                try {
                    mode.finalizeTask(taskId);
                } catch (ContractRevertedException e) {
                    if (!"NotOptimistic".equals(e.errorName()) && !"TooEarly".equals(e.errorName())) throw e; // a node was first
                } catch (ChainException e) {
                    progress.accept("task " + taskId + ": finalize not sent (" + e.getMessage() + "); still waiting");
                    Thread.sleep(250);
                }
                continue;
            }
            if (System.nanoTime() > deadline) {
                throw new ChainException("optimistic task " + taskId + " is not final after " + timeout.toSeconds() + " s (" + line + ")");
            }
            Thread.sleep(250);
        }
    }

    /** The inline input the task was submitted with. */

    public byte[] input(BigInteger taskId) {
        for (TaskEvent e : events.task(taskId)) {
            if (e instanceof TaskEvent.Submitted s) return s.input();
        }
        throw new ChainException("task " + taskId + " does not exist on this chain");
    }
}
