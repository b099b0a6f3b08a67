package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.OptimisticDisputes;
import dev.ledgermind.chain.contracts.OptimisticSettlement;
import dev.ledgermind.chain.contracts.TaskMarket;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Type;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Typed access to the optimistic mode (OptimisticSettlement, served at the TaskMarket's address by its fallback;
 * docs/DESIGN.md section 5), acting as the account of the {@link LedgermindContracts} it wraps: submit, claim,
 * audit, challenge, finalize, and the mode's view of a task. Like the market's own draw, the worker's seat and
 * the audit are the contract's previews ({@code drawSeats}, {@code auditDraw}) from the pool and block hash of
 * the task's logs, never re-derived here.
 */
public final class OptimisticTasks {
    private static final String ZERO = "0x0000000000000000000000000000000000000000";
    private final LedgermindContracts chain;
    /** The mode's ABI at the market's address (encoding only; every call goes through the chain's sender). */
    private final OptimisticSettlement mode;
    /** Its audit and challenge entry points (OptimisticDisputes), at the market's address too. */
    private final OptimisticDisputes disputes;
    private volatile Terms terms;

    public OptimisticTasks(LedgermindContracts chain) {
        this.chain = chain;
        this.mode = OptimisticSettlement.load(chain.deployment().taskMarket(), chain.web3j(), chain.sender().transactionManager(),
                new StaticGasProvider(BigInteger.ONE, BigInteger.valueOf(15_000_000L)));
        this.disputes = OptimisticDisputes.load(chain.deployment().taskMarket(), chain.web3j(), chain.sender().transactionManager(),
                new StaticGasProvider(BigInteger.ONE, BigInteger.valueOf(15_000_000L)));
    }

    public LedgermindContracts chain() {
        return chain;
    }

    /** The mode's deployment parameters, read once from the OptimisticSettlement contract itself. */
    public record Terms(String settlement, String disputeGame, int defaultAuditBps, int minAuditBps, long defaultWindow,
                        long minWindow, long maxWindow, BigInteger claimBond, BigInteger challengeBond, BigInteger auditSlash,
                        int auditShareBps, int auditLeaves) {
        /** Whether challenges can start a game (a deployment without a dispute game rests on audits alone). */
        public boolean gameAvailable() {
            return !ZERO.equalsIgnoreCase(disputeGame);
        }
    }

    public Terms terms() {
        Terms t = terms;
        if (t != null) return t;
        TransactionSender s = chain.sender();
        String market = chain.deployment().taskMarket();
        String at = chain.deployment().optimisticSettlement();
        if (at == null) throw new ChainException("this deployment (TaskMarket " + market + ") names no optimistic mode");
        OptimisticSettlement direct = OptimisticSettlement.load(at, chain.web3j(), s.transactionManager(),
                new StaticGasProvider(BigInteger.ONE, BigInteger.valueOf(15_000_000L)));
        t = new Terms(at, (String) s.call("OptimisticSettlement", at, direct.disputeGame()).getFirst().getValue(),
                num(s.call("OptimisticSettlement", at, direct.defaultAuditBps())).intValueExact(),
                num(s.call("OptimisticSettlement", at, direct.minAuditBps())).intValueExact(),
                num(s.call("OptimisticSettlement", at, direct.defaultWindow())).longValueExact(),
                num(s.call("OptimisticSettlement", at, direct.minWindow())).longValueExact(),
                num(s.call("OptimisticSettlement", at, direct.maxWindow())).longValueExact(),
                num(s.call("OptimisticSettlement", at, direct.claimBond())),
                num(s.call("OptimisticSettlement", at, direct.challengeBond())),
                num(s.call("OptimisticSettlement", at, direct.auditSlash())),
                num(s.call("OptimisticSettlement", at, direct.auditShareBps())).intValueExact(),
                num(s.call("OptimisticSettlement", at, direct.AUDIT_LEAVES())).intValueExact());
        terms = t;
        return t;
    }

    // ------------------------------------------------------------------ requester

    /** A submitted optimistic task: its id, the drawn worker (the contract's preview), the claim deadline, the receipt. */
    public record Submitted(BigInteger taskId, long worker, long claimDeadline, long window, int auditBps,
                            TransactionReceipt receipt) {}

    /**
     * Submits an optimistic task ({@code windowSeconds} 0 and {@code auditBps} 0: the mode's defaults). The worker
     * is drawn by its claim from the pool the submission froze; what is returned is the contract's preview.
     */
    public Submitted submit(TaskRequest req, long windowSeconds, int auditBps) {
        TransactionReceipt r = chain.sender().send("TaskMarket", chain.deployment().taskMarket(),
                mode.submitOptimistic(BigInteger.valueOf(req.modelId()), req.inputHash(), req.input(), BigInteger.valueOf(req.seed()),
                        BigInteger.valueOf(req.temperatureMilli()), BigInteger.valueOf(req.maxTokens()), BigInteger.valueOf(req.kind()),
                        BigInteger.valueOf(windowSeconds), BigInteger.valueOf(auditBps), BigInteger.valueOf(req.callback() ? 1 : 0),
                        req.fee()), req.fee());
        var submitted = TaskMarket.getTaskSubmittedEvents(r).getFirst();
        var o = OptimisticSettlement.getOptimisticSubmittedEvents(r).getFirst();
        List<Long> seats = chain.drawSeats(submitted.taskId, submitted.pool, r.getBlockHash());
        return new Submitted(submitted.taskId, seats.getFirst(), o.claimDeadline.longValueExact(),
                o.challengeWindow.longValueExact(), o.auditBps.intValueExact(), r);
    }

    /** Settles an optimistic task past its deadline (see OptimisticSettlement.finalizeOptimistic); anyone may. */
    public TransactionReceipt finalizeTask(BigInteger taskId) {
        return send(mode.finalizeOptimistic(taskId, submission(taskId).pool()), BigInteger.ZERO);
    }

    // ------------------------------------------------------------------ worker

    /**
     * What a worker claims: the result hash, trace root, output, and the trace's shape (tokens hash, positions,
     * leaves) that a dispute game checks the claim against.
     */
    public record TraceClaim(byte[] resultHash, byte[] traceRoot, byte[] output, byte[] tokensHash, int positions, int leafCount) {
        public TraceClaim {
            Commitment.require32("resultHash", resultHash);
            Commitment.require32("traceRoot", traceRoot);
            Commitment.require32("tokensHash", tokensHash);
            if (positions <= 0 || leafCount <= 0 || leafCount % positions != 0) {
                throw new IllegalArgumentException("trace shape: leafCount " + leafCount + " must be a positive multiple of positions "
                        + positions);
            }
            output = output == null ? new byte[0] : output;
        }
    }

    /**
     * Claims the result for {@code agentId} (the drawn worker), keeping the claim in the agent's commitment
     * {@code lane} until the task is final (its stake stays bonded meanwhile). {@code beforeBroadcast} sees the
     * signed transaction's hash before it is sent (a node stores it first).
     */
    public TransactionReceipt claim(BigInteger taskId, long agentId, int lane, TraceClaim c, Consumer<String> beforeBroadcast) {
        return chain.sender().send("TaskMarket", chain.deployment().taskMarket(),
                mode.claimResult(taskId, BigInteger.valueOf(agentId), BigInteger.valueOf(lane), submission(taskId).pool(), c.resultHash(),
                        c.traceRoot(), c.tokensHash(), BigInteger.valueOf(c.positions()), BigInteger.valueOf(c.leafCount()),
                        c.output()).encodeFunctionCall(), BigInteger.ZERO, beforeBroadcast, BigInteger.valueOf(400_000));
    }

    // ------------------------------------------------------------------ validator and challenger

    /** What the claim block's hash decides: whether the claim is audited, by whom, and which leaves the audit opens. */
    public record AuditDraw(boolean audited, long validator, List<Integer> leafIndices) {}

    /** The audit of a claimed task (the contract's {@code auditDraw} with the pool and the claim log's block hash). */
    public AuditDraw auditDraw(BigInteger taskId) {
        Claimed claimed = claimed(taskId).orElseThrow(() -> new ChainException("task " + taskId + " has no claim yet"));
        List<Type> v = chain.sender().call("TaskMarket", chain.deployment().taskMarket(),
                disputes.auditDraw(taskId, submission(taskId).pool(), Numeric.hexStringToByteArray(claimed.blockHash())));
        @SuppressWarnings("unchecked")
        DynamicArray<Type<BigInteger>> idx = (DynamicArray<Type<BigInteger>>) v.get(2);
        List<Integer> indices = new ArrayList<>();
        for (Type<BigInteger> i : idx.getValue()) indices.add(i.getValue().intValueExact());
        return new AuditDraw((Boolean) v.get(0).getValue(), num(v.subList(1, 2)).longValueExact(), indices);
    }

    /**
     * The drawn validator's audit: the same result and root as the claim with the trace leaves at
     * {@link AuditDraw#leafIndices()} and their proofs' siblings concatenated; or a different result, which
     * challenges with the bond (sent here when {@code challenging}).
     */
    public TransactionReceipt audit(BigInteger taskId, long agentId, int lane, byte[] resultHash, byte[] traceRoot,
                                    List<byte[]> leaves, List<byte[]> proof, boolean challenging) {
        BigInteger value = challenging ? terms().challengeBond() : BigInteger.ZERO;
        return chain.sender().send("TaskMarket", chain.deployment().taskMarket(),
                disputes.audit(taskId, BigInteger.valueOf(agentId), BigInteger.valueOf(lane), submission(taskId).pool(), resultHash, traceRoot,
                        leaves, proof, value).encodeFunctionCall(), value, null, BigInteger.valueOf(500_000));
    }

    /** Challenges a claim for {@code agentId} (not the worker) with the mode's challenge bond and a different trace root. */
    public TransactionReceipt challenge(BigInteger taskId, long agentId, byte[] resultHash, byte[] traceRoot) {
        BigInteger bond = terms().challengeBond();
        return chain.sender().send("TaskMarket", chain.deployment().taskMarket(),
                disputes.challengeClaim(taskId, BigInteger.valueOf(agentId), resultHash, traceRoot, bond).encodeFunctionCall(), bond,
                null, BigInteger.valueOf(600_000));
    }

    // ------------------------------------------------------------------ reads

    /** Where an optimistic task is (OptimisticSettlement.Stage), in order. */
    public enum Stage { NONE, OPEN, CLAIMED, CHALLENGED, UPHELD, OVERTURNED, FINAL }

    /** The audit of a claim (OptimisticSettlement.AuditState), in order. */
    public enum Audit { UNDECIDED, NOT_AUDITED, DUE, PASSED, COPIED, DISPUTED, EXPIRED }

    /** The mode's state of a task. Agent ids are 0 when none. */
    public record State(Stage stage, Audit audit, long window, int auditBps, long claimBlock, long windowEnd, long validator,
                        long challenger, long gameId, int positions, int leafCount) {}

    public State state(BigInteger taskId) {
        OptimisticSettlement.Claim c = (OptimisticSettlement.Claim) chain.sender().call("TaskMarket", chain.deployment().taskMarket(),
                mode.optimisticTask(taskId)).getFirst();
        return new State(Stage.values()[c.stage.intValueExact()], Audit.values()[c.audit.intValueExact()], c.window.longValueExact(),
                c.auditBps.intValueExact(), c.claimBlock.longValueExact(), c.windowEnd.longValueExact(), c.validator.longValueExact(),
                c.challenger.longValueExact(), c.gameId.longValueExact(), c.positions.intValueExact(), c.leafCount.intValueExact());
    }

    /** The task's TaskSubmitted log: the pool its worker and validator are drawn from, and its block's hash. */
    public record Submission(byte[] pool, String blockHash, long block) {}

    /** The task's claim as its ResultClaimed log has it, with the hash of the claim's block. */
    public record Claimed(long agentId, byte[] resultHash, byte[] traceRoot, byte[] tokensHash, int positions, int leafCount,
                          byte[] output, long windowEnd, String blockHash, long block) {}

    public Submission submission(BigInteger taskId) {
        for (Log l : logs(taskId, EventEncoder.encode(TaskMarket.TASKSUBMITTED_EVENT))) {
            return new Submission(TaskMarket.getTaskSubmittedEventFromLog(l).pool, l.getBlockHash(), l.getBlockNumber().longValueExact());
        }
        throw new ChainException("task " + taskId + " has no TaskSubmitted event");
    }

    public java.util.Optional<Claimed> claimed(BigInteger taskId) {
        for (Log l : logs(taskId, EventEncoder.encode(OptimisticSettlement.RESULTCLAIMED_EVENT))) {
            var e = OptimisticSettlement.getResultClaimedEventFromLog(l);
            return java.util.Optional.of(new Claimed(e.agentId.longValueExact(), e.resultHash, e.traceRoot, e.tokensHash,
                    e.positions.intValueExact(), e.leafCount.intValueExact(), e.output, e.windowEnd.longValueExact(), l.getBlockHash(),
                    l.getBlockNumber().longValueExact()));
        }
        return java.util.Optional.empty();
    }

    private List<Log> logs(BigInteger taskId, String topic) {
        try {
            EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(chain.deployment().deployBlock())),
                    DefaultBlockParameterName.LATEST, chain.deployment().taskMarket());
            f.addSingleTopic(topic);
            f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(taskId, 64));
            EthLog logs = chain.web3j().ethGetLogs(f).send();
            if (logs.hasError()) throw new ChainException("eth_getLogs failed: " + logs.getError().getMessage());
            List<Log> out = new ArrayList<>();
            for (EthLog.LogResult<?> r : logs.getLogs()) out.add((Log) r.get());
            return out;
        } catch (IOException e) {
            throw new ChainException("cannot read the logs of task " + taskId + ": " + e.getMessage(), e);
        }
    }

    private TransactionReceipt send(org.web3j.protocol.core.RemoteFunctionCall<?> call, BigInteger value) {
        return chain.sender().send("TaskMarket", chain.deployment().taskMarket(), call, value);
    }

    private static BigInteger num(List<Type> v) {
        return (BigInteger) v.getFirst().getValue();
    }
}
