package dev.ledgermind.chain.events;

import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.contracts.OptimisticSettlement;
import dev.ledgermind.chain.contracts.TaskMarket;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.TypeEncoder;
import dev.ledgermind.chain.contracts.AgentRegistry;
import org.web3j.abi.datatypes.Type;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * The typed read side of the chain: event queries and their decoding, and the registry views a client
 * needs (models by name, agent owners, gas of a transaction). Callers get {@link TaskEvent}s and
 * {@link RegisteredModel}s; no {@code EthFilter} or ABI decoding leaks out of this package.
 */
public final class ChainEvents {
    private static final String TASK_SUBMITTED = EventEncoder.encode(TaskMarket.TASKSUBMITTED_EVENT);
    private static final String COMMITTED = EventEncoder.encode(TaskMarket.COMMITTED_EVENT);
    private static final String REVEALED = EventEncoder.encode(TaskMarket.REVEALED_EVENT);
    private static final String SLASHED = EventEncoder.encode(TaskMarket.NODESLASHED_EVENT);
    private static final String REPLACED = EventEncoder.encode(TaskMarket.NODEREPLACED_EVENT);
    private static final String FINALIZED = EventEncoder.encode(TaskMarket.TASKFINALIZED_EVENT);
    private static final String HELD = EventEncoder.encode(TaskMarket.TASKHELD_EVENT);
    private static final String ROUND_PENDING = EventEncoder.encode(TaskMarket.REPLACEMENTPENDING_EVENT);
    private static final String CHALLENGED = EventEncoder.encode(TaskMarket.TASKCHALLENGED_EVENT);
    // the optimistic mode's events (emitted at the market's address)
    private static final String CLAIMED = EventEncoder.encode(OptimisticSettlement.RESULTCLAIMED_EVENT);
    private static final String AUDIT_DECIDED = EventEncoder.encode(OptimisticSettlement.AUDITDECIDED_EVENT);
    private static final String AUDITED = EventEncoder.encode(OptimisticSettlement.AUDITED_EVENT);
    private static final String CLAIM_CHALLENGED = EventEncoder.encode(OptimisticSettlement.CLAIMCHALLENGED_EVENT);
    private static final String GAME_RESOLVED = EventEncoder.encode(OptimisticSettlement.CLAIMGAMERESOLVED_EVENT);
    private static final String[] AUDIT_VERDICTS = {"undecided", "not audited", "due", "passed", "copied", "disputed", "expired"};

    private final LedgermindContracts chain;

    public ChainEvents(LedgermindContracts chain) {
        this.chain = chain;
    }

    /** Every TaskMarket event of one task, in chain order; empty when the task does not exist. */
    public List<TaskEvent> task(BigInteger taskId) {
        return decode(logs(BigInteger.valueOf(chain.deployment().deployBlock()), null,
                Numeric.toHexStringWithPrefixZeroPadded(taskId, 64)));
    }

    /** TaskMarket events of all tasks between two blocks (inclusive; {@code toBlock} null means latest). */
    public List<TaskEvent> between(long fromBlock, Long toBlock) {
        return decode(logs(BigInteger.valueOf(Math.max(fromBlock, chain.deployment().deployBlock())),
                toBlock == null ? null : BigInteger.valueOf(toBlock), null));
    }

    /** The first agent that {@code owner} registered (AgentRegistry's Registered events), or 0 when it has none. */
    public long agentRegisteredBy(String owner) {
        try {
            EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(chain.deployment().deployBlock())),
                    DefaultBlockParameterName.LATEST, chain.deployment().agentRegistry());
            f.addSingleTopic(EventEncoder.encode(AgentRegistry.REGISTERED_EVENT));
            f.addNullTopic();
            f.addSingleTopic("0x" + TypeEncoder.encode(new Address(owner)));
            EthLog logs = chain.web3j().ethGetLogs(f).send();
            if (logs.hasError()) throw new ChainException("eth_getLogs failed: " + logs.getError().getMessage());
            for (EthLog.LogResult<?> r : logs.getLogs()) {
                return AgentRegistry.getRegisteredEventFromLog((Log) r.get()).agentId.longValueExact();
            }
            return 0;
        } catch (IOException e) {
            throw new ChainException("cannot read the agent registrations of " + owner + ": " + e.getMessage(), e);
        }
    }

    /** A task's submission event: its model, input and first seats; empty when the chain has no such task. */
    public java.util.Optional<TaskEvent.Submitted> submission(BigInteger taskId) {
        for (TaskEvent e : task(taskId)) if (e instanceof TaskEvent.Submitted s) return java.util.Optional.of(s);
        return java.util.Optional.empty();
    }

    /** The latest block number. */
    public long blockNumber() {
        try {
            return chain.web3j().ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (IOException e) {
            throw new ChainException("eth_blockNumber failed: " + e.getMessage(), e);
        }
    }

    /** Gas used by a mined transaction (0 when the chain has no receipt for it). */
    public BigInteger gasUsed(String txHash) {
        try {
            return chain.web3j().ethGetTransactionReceipt(txHash).send().getTransactionReceipt()
                    .map(TransactionReceipt::getGasUsed).orElse(BigInteger.ZERO);
        } catch (IOException e) {
            throw new ChainException("cannot read the receipt of " + txHash + ": " + e.getMessage(), e);
        }
    }

    /** The owner address of an agent (its ERC-721 owner). */
    public String agentOwner(long agentId) {
        return (String) chain.sender().call("AgentRegistry", chain.deployment().agentRegistry(),
                chain.agentRegistry().ownerOf(BigInteger.valueOf(agentId))).getFirst().getValue();
    }

    /** Every model in the ModelRegistry, in id order (ids are 1..modelCount). */
    public List<RegisteredModel> models() {
        String registry = chain.deployment().modelRegistry();
        int count = ((BigInteger) chain.sender().call("ModelRegistry", registry, chain.modelRegistry().modelCount())
                .getFirst().getValue()).intValueExact();
        List<RegisteredModel> out = new ArrayList<>(count);
        for (int id = 1; id <= count; id++) {
            List<Type> v = chain.sender().call("ModelRegistry", registry, chain.modelRegistry().getModel(BigInteger.valueOf(id)));
            out.add(new RegisteredModel(id, (String) v.get(5).getValue(), (byte[]) v.get(0).getValue(), (byte[]) v.get(1).getValue(),
                    (byte[]) v.get(2).getValue(), (String) v.get(3).getValue(), ((BigInteger) v.get(4).getValue()).intValueExact()));
        }
        return out;
    }

    /** Every registered agent with its stake, served models and reputation summary. */
    public List<AgentView> agents() {
        int count = ((BigInteger) chain.sender().call("AgentRegistry", chain.deployment().agentRegistry(),
                chain.agentRegistry().totalAgents()).getFirst().getValue()).intValueExact();
        List<RegisteredModel> models = models();
        List<AgentView> out = new ArrayList<>(count);
        for (long id = 1; id <= count; id++) {
            BigInteger agent = BigInteger.valueOf(id);
            List<Integer> serves = new ArrayList<>();
            for (RegisteredModel m : models) {
                Boolean s = (Boolean) chain.sender().call("ModelRegistry", chain.deployment().modelRegistry(),
                        chain.modelRegistry().serves(agent, BigInteger.valueOf(m.id()))).getFirst().getValue();
                if (Boolean.TRUE.equals(s)) serves.add(m.id());
            }
            List<Type> rep = chain.sender().call("ReputationRegistry", chain.deployment().reputationRegistry(),
                    chain.reputationRegistry().getSummary(agent, List.of(chain.deployment().taskMarket()), "", ""));
            out.add(new AgentView(id, agentOwner(id), chain.stakeOf(id).bonded(), serves,
                    ((BigInteger) rep.get(0).getValue()).longValueExact(), (BigInteger) rep.get(1).getValue()));
        }
        return out;
    }

    /** A block's timestamp, in seconds. */
    public long blockTimestamp(long block) {
        try {
            var b = chain.web3j().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(block)), false).send().getBlock();
            if (b == null) throw new ChainException("no block " + block);
            return b.getTimestamp().longValueExact();
        } catch (IOException e) {
            throw new ChainException("eth_getBlockByNumber(" + block + ") failed: " + e.getMessage(), e);
        }
    }

    public long chainId() {
        return chain.deployment().chainId();
    }

    private List<Log> logs(BigInteger from, BigInteger to, String taskTopic) {
        try {
            EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(from),
                    to == null ? DefaultBlockParameterName.LATEST : DefaultBlockParameter.valueOf(to), chain.deployment().taskMarket());
            f.addOptionalTopics(TASK_SUBMITTED, COMMITTED, REVEALED, SLASHED, REPLACED, FINALIZED, HELD, CHALLENGED, ROUND_PENDING,
                    CLAIMED, AUDIT_DECIDED, AUDITED, CLAIM_CHALLENGED, GAME_RESOLVED);
            if (taskTopic != null) f.addSingleTopic(taskTopic);
            EthLog response = chain.web3j().ethGetLogs(f).send();
            if (response.hasError()) throw new ChainException("eth_getLogs failed: " + response.getError().getMessage());
            List<Log> logs = new ArrayList<>();
            for (EthLog.LogResult<?> r : response.getLogs()) logs.add((Log) r.get());
            return logs;
        } catch (IOException e) {
            throw new ChainException("cannot read TaskMarket events: " + e.getMessage(), e);
        }
    }

    private List<TaskEvent> decode(List<Log> logs) {
        List<TaskEvent> out = new ArrayList<>(logs.size());
        for (Log l : logs) {
            String topic = l.getTopics().getFirst();
            String tx = l.getTransactionHash();
            long block = l.getBlockNumber().longValueExact();
            if (topic.equals(TASK_SUBMITTED)) {
                var e = TaskMarket.getTaskSubmittedEventFromLog(l);
                out.add(new TaskEvent.Submitted(e.taskId, tx, block, e.requester, e.modelId.intValueExact(), e.inputHash, e.input,
                        e.k.intValueExact(), e.mode.intValueExact(), e.fee, chain.drawSeats(e.taskId, e.pool, l.getBlockHash())));
            } else if (topic.equals(COMMITTED)) {
                var e = TaskMarket.getCommittedEventFromLog(l);
                out.add(new TaskEvent.Committed(e.taskId, tx, block, e.agentId.longValueExact()));
            } else if (topic.equals(REVEALED)) {
                var e = TaskMarket.getRevealedEventFromLog(l);
                out.add(new TaskEvent.Revealed(e.taskId, tx, block, e.agentId.longValueExact(), e.resultHash, e.traceRoot, e.output));
            } else if (topic.equals(SLASHED)) {
                var e = TaskMarket.getNodeSlashedEventFromLog(l);
                out.add(new TaskEvent.Slashed(e.taskId, tx, block, e.agentId.longValueExact(), e.amount));
            } else if (topic.equals(REPLACED)) {
                var e = TaskMarket.getNodeReplacedEventFromLog(l);
                out.add(new TaskEvent.Replaced(e.taskId, tx, block, e.position.intValueExact(), e.oldAgentId.longValueExact(),
                        e.newAgentId.longValueExact()));
            } else if (topic.equals(ROUND_PENDING)) {
                var e = TaskMarket.getReplacementPendingEventFromLog(l);
                out.add(new TaskEvent.RoundPending(e.taskId, tx, block, e.round.intValueExact(), e.positions.intValueExact(),
                        chain.drawSeats(e.taskId, e.pool, l.getBlockHash())));
            } else if (topic.equals(HELD)) {
                var e = TaskMarket.getTaskHeldEventFromLog(l);
                out.add(new TaskEvent.Held(e.taskId, tx, block, e.resultHash, e.acceptedMask.intValueExact(),
                        e.releaseAt.longValueExact()));
            } else if (topic.equals(CHALLENGED)) {
                var e = TaskMarket.getTaskChallengedEventFromLog(l);
                out.add(new TaskEvent.Challenged(e.taskId, tx, block, e.agentId.longValueExact(), e.challenger, e.bond,
                        e.resolvableAt.longValueExact()));
            } else if (topic.equals(CLAIMED)) {
                var e = OptimisticSettlement.getResultClaimedEventFromLog(l);
                out.add(new TaskEvent.Claimed(e.taskId, tx, block, l.getBlockHash(), e.agentId.longValueExact(), e.resultHash,
                        e.traceRoot, e.output, e.positions.intValueExact(), e.leafCount.intValueExact(), e.windowEnd.longValueExact()));
            } else if (topic.equals(AUDIT_DECIDED)) {
                var e = OptimisticSettlement.getAuditDecidedEventFromLog(l);
                out.add(new TaskEvent.AuditDecided(e.taskId, tx, block, e.audited, e.validator.longValueExact()));
            } else if (topic.equals(AUDITED)) {
                var e = OptimisticSettlement.getAuditedEventFromLog(l);
                out.add(new TaskEvent.Audited(e.taskId, tx, block, e.agentId.longValueExact(), AUDIT_VERDICTS[e.state.intValueExact()]));
            } else if (topic.equals(CLAIM_CHALLENGED)) {
                var e = OptimisticSettlement.getClaimChallengedEventFromLog(l);
                out.add(new TaskEvent.ClaimChallenged(e.taskId, tx, block, e.agentId.longValueExact(), e.challenger,
                        e.gameId.longValueExact(), e.bond));
            } else if (topic.equals(GAME_RESOLVED)) {
                var e = OptimisticSettlement.getClaimGameResolvedEventFromLog(l);
                out.add(new TaskEvent.GameResolved(e.taskId, tx, block, e.gameId.longValueExact(), e.claimerWins));
            } else if (topic.equals(FINALIZED)) {
                var e = TaskMarket.getTaskFinalizedEventFromLog(l);
                out.add(new TaskEvent.Finalized(e.taskId, tx, block, e.accepted, e.acceptedMask.intValueExact(), e.resultHash,
                        e.traceRoot, e.rewardPerNode, e.refund));
            }
        }
        return out;
    }
}
