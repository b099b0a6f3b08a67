package dev.ledgermind.node.worker;

import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.Commitment;
import dev.ledgermind.chain.ContractRevertedException;
import dev.ledgermind.chain.Deployment;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.NodeOutcome;
import dev.ledgermind.chain.TaskPhase;
import dev.ledgermind.chain.TaskState;
import dev.ledgermind.chain.events.ChainEvents;
import dev.ledgermind.chain.events.TaskEvent;
import dev.ledgermind.node.metrics.NodeMetrics;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.store.TaskRecord;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import dev.ledgermind.node.task.TaskKind;
import dev.ledgermind.node.feed.TokenFeed;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.math.BigInteger;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A worker node: registers and stakes once, declares its models, follows the TaskMarket, and takes each
 * task assigned to it through compute, commit, reveal and settlement.
 *
 * <p>The loop is one thread. Each pass first reads new chain events ({@link LogFollower}, gap-free from
 * the stored cursor), recording assignments in the {@link NodeStore}; then it advances every unfinished
 * task by one step against the task's on-chain state. Every step is safe to repeat after a crash:
 * <ul>
 *   <li>the result and salt are stored before any commit is sent, and a stored salt is never replaced;</li>
 *   <li>before committing (or revealing) the node reads the chain: if its commitment (or reveal) is
 *       already there, it only records that, so it never commits twice;</li>
 *   <li>a reveal is attempted for as long as the chain's reveal phase is open.</li>
 * </ul>
 * RPC failures and reverted transactions are logged with the task id and retried on the next pass; a
 * task whose window has closed is marked failed with the reason. A task over the node's {@link WorkLimits}
 * is declined on chain before anything is computed ({@code TaskMarket.decline}: replaced or refunded at the
 * commit timeout, not slashed) rather than left to time out.
 */
public final class Worker implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Worker.class);

    private final NodeConfig config;
    private final Web3j web3;
    private final LedgermindContracts chain;
    private final NodeStore store;
    private final TaskRunner runner;
    private final NodeMetrics metrics;
    private final TokenFeed feed;
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Map<Integer, ModelIdentity> modelsById = new HashMap<>();
    private LogFollower follower;
    private final ChainEvents events;
    private long agentId;
    private volatile String cardUrl;
    private dev.ledgermind.node.batch.BatchWorker batches;
    /** The optimistic mode's roles (null when the deployment has none). */
    private OptimisticRoles optimistic;
    /** The optimistic batches' roles (issue 13: worker, validator, watcher; node/batch/OptimisticBatchRoles). */
    private dev.ledgermind.node.batch.OptimisticBatchRoles optimisticBatches;

    public Worker(NodeConfig config, Web3j web3, TaskRunner runner, NodeStore store, NodeMetrics metrics) throws IOException {
        this(config, web3, runner, store, metrics, null);
    }

    /** A worker that publishes the tokens of the generate tasks it computes to {@code feed} (null: none). */
    public Worker(NodeConfig config, Web3j web3, TaskRunner runner, NodeStore store, NodeMetrics metrics, TokenFeed feed) throws IOException {
        this.config = config;
        this.feed = feed;
        this.web3 = web3;
        this.runner = config.dishonesty().decorate(runner);
        this.store = store;
        this.metrics = metrics;
        Deployment deployment = Deployment.read(config.deployment());
        this.chain = LedgermindContracts.at(web3, deployment, Credentials.create(config.privateKey()));
        this.events = new ChainEvents(chain);
    }

    public long agentId() {
        return agentId;
    }

    /**
     * The URL of this node's registration file (its token feed's {@code /agent.json}), registered as the
     * agent's URI when the config names none. Call before {@link #join()}.
     */
    public void advertise(String cardUrl) {
        this.cardUrl = cardUrl;
    }

    /** The requester of a task, as the chain holds it; empty when the chain has no such task. */
    public java.util.Optional<String> requesterOf(BigInteger taskId) {
        String r = chain.task(taskId).requester();
        return r == null || new BigInteger(Numeric.cleanHexPrefix(r), 16).signum() == 0 ? java.util.Optional.empty() : java.util.Optional.of(r);
    }

    /** The chain access this worker acts through. */
    public LedgermindContracts chain() {
        return chain;
    }

    /**
     * A store belongs to one deployment: the chain id, the task market's address and the hash of the block
     * that deployed it (a fresh anvil reuses the same addresses, so the address alone would not tell two
     * devnets apart). Opening a store that another deployment wrote fails rather than acting on its agent id
     * and tasks.
     */
    private void bindStoreToDeployment() throws IOException {
        var block = web3.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(chain.deployment().deployBlock())), false).send();
        if (block.hasError() || block.getBlock() == null) {
            throw new IOException("cannot read the deployment block " + chain.deployment().deployBlock() + " from the chain"
                    + (block.hasError() ? ": " + block.getError().getMessage() : ""));
        }
        String here = chain.deployment().chainId() + ":" + chain.deployment().taskMarket().toLowerCase() + ":" + block.getBlock().getHash();
        String stored = store.get("deployment").orElse(null);
        if (stored == null) {
            store.put("deployment", here);
        } else if (!stored.equals(here)) {
            throw new IllegalStateException("the node store " + store.file() + " belongs to another deployment (" + stored
                    + ") than the configured one (" + here + "); give this node a new store file");
        }
    }

    /** Registers, stakes and declares models where the chain does not have them yet. Idempotent. */
    public void join() throws IOException {
        bindStoreToDeployment();
        String me = chain.sender().address();
        agentId = store.get("agentId").map(Long::parseLong).orElseGet(() -> findOwnAgent(me));
        String uri = config.agentUri() != null ? config.agentUri() : cardUrl != null ? cardUrl : "ledgermind://node";
        if (agentId == 0) {
            agentId = chain.registerAgent(uri);
            log.info("event=registered node={} agent={} address={} uri={}", config.name(), agentId, me, uri);
        } else if (config.agentUri() == null && cardUrl != null && !cardUrl.equals(chain.agentUri(agentId))) {
            chain.setAgentUri(agentId, cardUrl); // the feed moved (a new port): point the agent at it
            log.info("event=agent-uri node={} agent={} uri={}", config.name(), agentId, cardUrl);
        }
        store.put("agentId", Long.toString(agentId));
        BigInteger bonded = chain.stakeOf(agentId).bonded();
        if (bonded.compareTo(config.stakeWei()) < 0) {
            chain.stake(agentId, config.stakeWei().subtract(bonded));
            log.info("event=staked node={} agent={} wei={}", config.name(), agentId, config.stakeWei().subtract(bonded));
        }
        // the runner was built from config.models(): serve every model it runs
        for (ModelIdentity m : runner.models()) {
            // registrations are per registrant: serve every model id registered for these files
            List<Integer> modelIds = chain.modelIdsOf(m.weightsHash(), m.tokenizerHash(), m.architectureHash());
            if (modelIds.isEmpty()) {
                throw new IllegalStateException("model " + m.name() + " is not registered on chain (weights hash "
                        + Numeric.toHexString(m.weightsHash()) + "); register it first");
            }
            for (int modelId : modelIds) {
                modelsById.put(modelId, m);
                try {
                    chain.declareServes(agentId, modelId);
                    log.info("event=serves node={} agent={} model={} modelId={}", config.name(), agentId, m.name(), modelId);
                } catch (ContractRevertedException e) {
                    if (!"AlreadyServing".equals(e.errorName())) throw e;
                }
            }
        }
        follower = new LogFollower(events, store, chain.deployment().deployBlock(), 2000);
        OptimisticRoles roles = new OptimisticRoles(config, chain, store, runner, modelsById, () -> agentId);
        optimistic = roles.available() ? roles : null;
        // ---- optimistic batches (issue 13): the roles of node/batch/OptimisticBatchRoles
        if (optimistic != null) {
            boolean privateNet = dev.ledgermind.node.client.TokenFeedClient.isPrivateNetworkUrl(config.rpcUrl());
            var limits = dev.ledgermind.node.batch.OffchainItems.Limits.defaults(privateNet);
            Dishonesty conduct = config.dishonesty();
            optimisticBatches = new dev.ledgermind.node.batch.OptimisticBatchRoles(config.name(), chain, () -> agentId, runner, store,
                    new dev.ledgermind.node.batch.OffchainItems(limits), new dev.ledgermind.node.batch.BatchClaimFetch(limits),
                    modelsById::containsKey, config.role() == NodeRole.VALIDATOR, Integer.getInteger(WATCH_SAMPLE, 0),
                    new dev.ledgermind.node.batch.OptimisticBatchRoles.Conduct() {
                        @Override
                        public TaskRunner itemRunner(TaskRunner r, int index, int count) {
                            return conduct.itemRunner(r, index, count);
                        }

                        @Override
                        public dev.ledgermind.inference.step.StepFault claimerFault(int index, int count, int positions, int layers) {
                            return conduct.faultsItem(index, count) ? Dishonesty.workerFault(positions, layers) : null;
                        }
                    });
        }
    }

    /**
     * The system property that makes a watcher replay a random sample of this many items of each optimistic batch
     * instead of every item (default 0: every item).
     */
    public static final String WATCH_SAMPLE = "ledgermind.batch.watchSample";

    /**
     * The claim this node made as the worker of optimistic batch {@code batchId} (what its HTTP face serves at
     * {@code /optimistic-batches/{batchId}}); empty for a batch it did not claim.
     */
    public java.util.Optional<dev.ledgermind.node.batch.BatchResultsHandler.Served> batchClaim(BigInteger batchId) {
        var roles = optimisticBatches;
        return roles == null ? java.util.Optional.empty() : roles.served(batchId);
    }

    /**
     * The item receipts of optimistic batch {@code batchId} this node claimed, for the {@code /batches/{batchId}/results}
     * route (OptimisticBatchRoles.publishedReceipts); empty for a batch it did not claim.
     */
    public java.util.Optional<String> optimisticReceipts(BigInteger batchId) {
        var roles = optimisticBatches;
        return roles == null ? java.util.Optional.empty() : roles.publishedReceipts(batchId);
    }

    /** This node's roles in optimistic batches (null before {@link #join()} or without the optimistic mode). */
    public dev.ledgermind.node.batch.OptimisticBatchRoles optimisticBatches() {
        return optimisticBatches;
    }

    /** The agent this address registered earlier, from the registry's Registered events; 0 if none. */
    private long findOwnAgent(String address) {
        return events.agentRegisteredBy(address);
    }

    /** Runs until {@link #stop()}. */
    public void run() throws InterruptedException {
        long backoff = config.pollMillis();
        while (running.get()) {
            try {
                pollOnce();
                backoff = config.pollMillis();
            } catch (ChainException | IOException e) {
                log.warn("event=rpc-error node={} message=\"{}\" retryInMs={}", config.name(), e.getMessage(), backoff);
                backoff = Math.min(backoff * 2, 5_000);
            } catch (Exception e) {
                log.error("event=error node={} message=\"{}\"", config.name(), e.getMessage(), e);
                backoff = Math.min(backoff * 2, 5_000);
            }
            Thread.sleep(backoff);
        }
    }

    public void stop() {
        running.set(false);
    }

    /**
     * One pass: read new events, then advance every unfinished task by one step: first the tasks with a transaction
     * due (commits, reveals), then the ones to compute, so a reveal never waits behind another task's compute; a task
     * just computed has its commit sent in the same pass. Transactions are pipelined (DESIGN.md section 7): commits,
     * reveals and claims are broadcast without waiting for their receipts, whether they landed is read from the
     * task's state on the next pass, and every pass replaces what has waited {@link #STUCK_MILLIS} (or was dropped)
     * at the same nonce with a higher fee.
     */
    public void pollOnce() throws Exception {
        follower.poll(this::onEvent);
        List<TaskRecord> open = store.unfinished();
        for (TaskRecord task : open) {
            if (task.state() != dev.ledgermind.node.store.TaskState.ASSIGNED) advanceQuietly(task);
        }
        for (TaskRecord task : open) {
            if (task.state() != dev.ledgermind.node.store.TaskState.ASSIGNED) continue;
            advanceQuietly(task);
            store.find(task.taskId()).filter(t -> t.state() == dev.ledgermind.node.store.TaskState.COMPUTED).ifPresent(this::advanceQuietly);
        }
        // ---- batches (issue 13): the batches this agent holds seats in, one step each (node/batch/BatchWorker)
        if (batches == null) {
            // an off-chain batch's items are fetched from the requester's locator: from private addresses only when the
            // chain itself is reached on one (a devnet or a private deployment), as for token feeds
            boolean privateNet = dev.ledgermind.node.client.TokenFeedClient.isPrivateNetworkUrl(config.rpcUrl());
            batches = new dev.ledgermind.node.batch.BatchWorker(chain, agentId, runner, store,
                    new dev.ledgermind.node.batch.OffchainItems(dev.ledgermind.node.batch.OffchainItems.Limits.defaults(privateNet)));
        }
        try {
            batches.step();
        } catch (ContractRevertedException e) {
            log.warn("event=reverted node={} batch message=\"{}\"", config.name(), e.getMessage());
        }
        // ---- end of batches
        if (optimistic != null) optimistic.advanceAll();
        if (optimisticBatches != null) {
            try {
                optimisticBatches.step();
            } catch (RuntimeException e) {
                log.warn("event=obatch-error node={} message=\"{}\"", config.name(), e.getMessage());
            }
        }
        String claim = chain.claimDue(agentId);
        if (claim != null) log.info("event=claim-sent node={} agent={} tx={}", config.name(), agentId, claim);
        for (var t : chain.replaceStuck(STUCK_MILLIS)) {
            log.info("event=tx-replaced node={} nonce={} gasPrice={} replacement={} tx={}", config.name(), t.nonce(), t.gasPrice(),
                    t.replacements(), t.hash());
        }
    }

    /** A transaction of this worker not mined after this long is replaced at a higher fee (3 to 5 blocks of 1 s). */
    static final long STUCK_MILLIS = 4_000;

    private void advanceQuietly(TaskRecord task) {
        try {
            advance(task);
        } catch (ContractRevertedException e) {
            log.warn("event=reverted node={} task={} message=\"{}\"", config.name(), task.taskId(), e.getMessage());
        }
    }

    private void onEvent(TaskEvent event) {
        if (optimistic != null) optimistic.onEvent(event);
        switch (event) {
            case TaskEvent.Submitted e when e.mode() == 1 -> { } // OptimisticRoles' part
            // the seats are drawn from the round's pool with its block's hash: the event carries the contract's preview
            case TaskEvent.Submitted e -> {
                if (e.nodes().contains(agentId) && store.recordAssigned(e.taskId(), e.modelId(), e.input())) {
                    metrics.seen.increment();
                    log.info("event=assigned node={} task={} model={} k={}", config.name(), e.taskId(), e.modelId(), e.k());
                }
            }
            case TaskEvent.RoundPending e -> {
                // a commit timeout opened a replacement round: its seats are drawn like a submission's
                boolean mine = false;
                for (int pos = 0; pos < e.seats().size(); pos++) {
                    if ((e.positions() & (1 << pos)) != 0 && e.seats().get(pos) == agentId) mine = true;
                }
                if (mine) assignedAsReplacement(e.taskId(), "round=" + e.round());
            }
            case TaskEvent.Replaced e -> {
                if (e.newAgentId() == agentId) assignedAsReplacement(e.taskId(), "replaces=" + e.oldAgentId());
            }
            // total over every stored state: a task this node gave up on (FAILED) is settled too
            case TaskEvent.Finalized e -> store.find(e.taskId()).filter(t -> t.outcome() == null).ifPresent(t -> settle(e.taskId()));
            default -> { }
        }
    }

    private void assignedAsReplacement(BigInteger taskId, String detail) {
        TaskEvent.Submitted s = events.submission(taskId)
                .orElseThrow(() -> new ChainException("no TaskSubmitted event for task " + taskId));
        if (store.recordAssigned(taskId, s.modelId(), s.input())) {
            metrics.seen.increment();
            log.info("event=assigned-as-replacement node={} task={} {}", config.name(), taskId, detail);
        }
    }

    /**
     * Records a final task's outcome for this node, as the contract rules it ({@code outcomeOf}: the one
     * outcome rule, shared with the requester's receipt). Safe in every stored state and when repeated.
     */
    private void settle(BigInteger taskId) {
        NodeOutcome outcome = chain.outcomeOf(taskId, agentId);
        String verdict = outcome != NodeOutcome.NONE ? outcome.verdict()
                : chain.taskNodes(taskId).contains(agentId) ? "refunded" : "replaced";
        TaskRecord before = store.find(taskId).orElseThrow();
        if (!store.markSettled(taskId, verdict)) return;
        if (outcome == NodeOutcome.AGREED) metrics.won.increment();
        else if (outcome == NodeOutcome.DISSENTED || outcome == NodeOutcome.ABSENT) metrics.slashed.increment();
        log.info("event=finalized node={} task={} outcome={} localState={}", config.name(), taskId, verdict, before.state());
    }

    /**
     * Moves one task one step forward, according to what is stored and what the chain says. The chain's
     * own phase and bitmaps decide what is still possible; the node never gives up on a step that the
     * chain would still accept. In particular a commit timeout of <em>another</em> node (phase FINALIZABLE
     * with commitments missing) does not close this node's reveal: the chain replaces the missing nodes,
     * opens a new commit window and, once all have committed, the reveal window after it.
     */
    private void advance(TaskRecord task) {
        BigInteger id = task.taskId();
        TaskState onChain = chain.task(id);
        if (onChain.phase().isFinal()) {
            settle(id);
            return;
        }
        if (onChain.positionOf(agentId) < 0) {
            store.markFailed(id, "no longer assigned (replaced after a missed commit)");
            log.warn("event=unassigned node={} task={}", config.name(), id);
            return;
        }
        switch (task.state()) {
            case ASSIGNED -> compute(task, onChain);
            case COMPUTED, COMMIT_SENT -> commitStep(task, onChain);
            case COMMITTED, REVEAL_SENT -> revealStep(task, onChain);
            case REVEALED -> afterReveal(id, onChain);
            default -> { }
        }
    }

    /**
     * A commit in flight (this process broadcast it, or, after a restart, the node still holds it: then it is taken
     * into the flight, so a lost one is re-sent at its own nonce) is waited for; whether it landed is read from the
     * chain's bitmap. The signed commit's hash is durable before it leaves the process, and so is every
     * replacement's (at the same nonce: only one of them can be mined).
     */
    private void commitStep(TaskRecord task, TaskState onChain) {
        BigInteger id = task.taskId();
        if (onChain.hasCommitted(agentId)) {
            store.markCommitted(id);
            metrics.committed.increment();
            log.info("event=committed node={} task={} tx={}", config.name(), id, task.commitTx());
            revealStep(store.find(id).orElseThrow(), onChain); // the reveal may be due now, not one pass later
        } else if (task.commitTx() != null && inFlightOrAdopted(task.commitTx(), tx -> recordSent(id, tx, true))) {
            log.debug("event=commit-pending node={} task={} tx={}", config.name(), id, task.commitTx());
        } else if (onChain.phase() == TaskPhase.COMMITTING) {
            long t0 = System.nanoTime();
            byte[] commitment = Commitment.of(id, chain.sender().address(), task.resultHash(), task.traceRoot(), task.salt());
            String tx = chain.commitAsync(id, agentId, task.lane(), commitment, h -> recordSent(id, h, true));
            metrics.recordTx("commit", Duration.ofNanos(System.nanoTime() - t0));
            log.info("event=commit-sent node={} task={} tx={}", config.name(), id, tx);
        } else {
            store.markFailed(id, "commit window closed before this node committed");
        }
    }

    private void revealStep(TaskRecord task, TaskState onChain) {
        BigInteger id = task.taskId();
        if (onChain.hasRevealed(agentId)) {
            store.markRevealed(id);
            metrics.revealed.increment();
            log.info("event=revealed node={} task={} tx={}", config.name(), id, task.revealTx());
            afterReveal(id, onChain); // a held split is challenged in this pass, not one pass later
        } else if (task.revealTx() != null && inFlightOrAdopted(task.revealTx(), tx -> recordSent(id, tx, false))) {
            log.debug("event=reveal-pending node={} task={} tx={}", config.name(), id, task.revealTx());
        } else if (onChain.phase() == TaskPhase.REVEALING) {
            if (!config.dishonesty().reveals()) return; // the tests' no-show
            long t0 = System.nanoTime();
            String tx = chain.revealAsync(id, agentId, task.lane(), task.resultHash(), task.traceRoot(), task.salt(), task.output(),
                    h -> recordSent(id, h, false));
            metrics.recordTx("reveal", Duration.ofNanos(System.nanoTime() - t0));
            log.info("event=reveal-sent node={} task={} tx={}", config.name(), id, tx);
        } else if (onChain.phase() == TaskPhase.FINALIZABLE) {
            if (onChain.allCommitted()) {
                store.markFailed(id, "reveal window closed before this node revealed");
            } else {
                // another node missed its commit: have it replaced (anyone may), then reveal in the new round
                finalizeQuietly(id);
            }
        }
        // COMMITTING: waiting for the other (or replacement) nodes' commitments
    }

    /** A revealed task: poke a finalizable one, and challenge a held split this honest node dissents from. */
    private void afterReveal(BigInteger id, TaskState onChain) {
        if (onChain.phase() == TaskPhase.FINALIZABLE) finalizeQuietly(id);
        else if (onChain.dissentsFromHeld(agentId) && config.dishonesty() == Dishonesty.HONEST) challengeQuietly(id, onChain);
    }

    /**
     * Whether the transaction {@code tx} is still to be waited for: in this process's flight, or held unmined by the
     * node (sent before a restart), in which case it joins the flight with {@code hook} for its replacements.
     */
    private boolean inFlightOrAdopted(String tx, java.util.function.Consumer<String> hook) {
        return chain.inFlight(tx) || chain.adopt(tx, hook);
    }

    /**
     * Before a commit or reveal (or its replacement at a higher fee) leaves this process: its hash goes into the
     * store, unless the task has moved past that step meanwhile (a replacement racing its original's inclusion).
     */
    private void recordSent(BigInteger id, String tx, boolean commit) {
        TaskRecord now = store.find(id).orElseThrow();
        var s = now.state();
        if (commit && (s == dev.ledgermind.node.store.TaskState.COMPUTED || s == dev.ledgermind.node.store.TaskState.COMMIT_SENT)) {
            store.markCommitSent(id, tx);
        } else if (!commit && (s == dev.ledgermind.node.store.TaskState.COMMITTED || s == dev.ledgermind.node.store.TaskState.REVEAL_SENT)) {
            store.markRevealSent(id, tx);
        }
    }

    /**
     * This honest node revealed a result that the held quorum does not share: it computed the task
     * deterministically, so the quorum is wrong (or colluding). It disputes the held split with the bond
     * (docs/DESIGN.md section 6.2), which freezes the task's payouts and its own slash; a challenge someone
     * else sent first, or a window that has just closed, is not an error.
     */
    private void challengeQuietly(BigInteger id, TaskState onChain) {
        try {
            TransactionReceipt r = chain.challenge(id, agentId);
            log.warn("event=challenged node={} task={} heldUntil={} tx={} gas={}", config.name(), id, onChain.heldUntil(),
                    r.getTransactionHash(), r.getGasUsed());
        } catch (ContractRevertedException e) {
            if (!"AlreadyChallenged".equals(e.errorName()) && !"ChallengeWindowClosed".equals(e.errorName())
                    && !"TaskNotHeld".equals(e.errorName())) throw e;
        }
    }

    /** Sends {@code finalize}; a task someone else advanced first is not an error. */
    private void finalizeQuietly(BigInteger id) {
        try {
            TransactionReceipt r = chain.finalizeTask(id);
            log.info("event=finalize-sent node={} task={} tx={} gas={}", config.name(), id, r.getTransactionHash(), r.getGasUsed());
        } catch (ContractRevertedException e) {
            if (!"TaskNotActive".equals(e.errorName()) && !"TooEarly".equals(e.errorName())) throw e;
        }
    }

    private void compute(TaskRecord task, TaskState onChain) {
        ModelIdentity model = modelsById.get(task.modelId());
        if (model == null) {
            store.markFailed(task.taskId(), "assigned model id " + task.modelId() + " is not one this node serves");
            return;
        }
        TaskInput input;
        try {
            input = TaskInput.parse(task.input());
        } catch (IllegalArgumentException e) {
            // A malformed input still gets a committed answer: the canonical error output, so honest
            // nodes agree on it rather than time out.
            input = null;
            log.warn("event=bad-input node={} task={} message=\"{}\"", config.name(), task.taskId(), e.getMessage());
        }
        String over = config.limits().exceededBy(task.input().length, input == null ? 0 : input.maxTokens());
        if (over != null) {
            decline(task, onChain, over);
            return;
        }
        long t0 = System.nanoTime();
        TaskResult result;
        if (input == null) {
            result = TaskResult.error("invalid input");
        } else if (feed != null && input.kind() == TaskKind.GENERATE) {
            BigInteger id = task.taskId();
            feed.begin(id);
            boolean[] any = new boolean[1];
            result = runner.run(input, t -> {
                any[0] = true;
                feed.token(id, t);
            });
            feed.end(id, !any[0]);
        } else {
            result = runner.run(input);
        }
        metrics.recordInference(Duration.ofNanos(System.nanoTime() - t0));
        TaskRecord saved = store.saveComputed(task.taskId(), result.resultHash(), result.traceRoot(), result.output(),
                Commitment.randomSalt(), LedgermindContracts.LANES);
        metrics.computed.increment();
        log.info("event=computed node={} task={} resultHash={} ms={}", config.name(), task.taskId(),
                Numeric.toHexString(saved.resultHash()), (System.nanoTime() - t0) / 1_000_000);
    }

    /** Declines a task over this node's limits, once: a decline already on chain is not an error. */
    private void decline(TaskRecord task, TaskState onChain, String reason) {
        BigInteger id = task.taskId();
        if (onChain.phase() != TaskPhase.COMMITTING) {
            store.markFailed(id, reason + "; the commit window closed before this node declined");
            return;
        }
        try {
            TransactionReceipt r = chain.decline(id, agentId);
            log.info("event=declined node={} task={} reason=\"{}\" tx={}", config.name(), id, reason, r.getTransactionHash());
        } catch (ContractRevertedException e) {
            if (!"AlreadyDeclined".equals(e.errorName())) throw e; // sent before a restart
        }
        store.markFailed(id, "declined: " + reason);
    }

    @Override
    public void close() {
        stop();
    }
}
