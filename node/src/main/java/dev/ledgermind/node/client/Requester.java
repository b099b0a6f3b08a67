package dev.ledgermind.node.client;

import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.ContractRevertedException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.chain.TaskPhase;
import dev.ledgermind.chain.TaskRequest;
import dev.ledgermind.chain.TaskState;
import dev.ledgermind.chain.contracts.TaskMarket;
import dev.ledgermind.node.task.TaskInput;
import org.web3j.abi.EventEncoder;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.utils.Numeric;

import java.io.IOException;
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
 * {@link Receipt} from the chain's own events.
 */
public final class Requester {
    private static final String TASK_SUBMITTED = EventEncoder.encode(TaskMarket.TASKSUBMITTED_EVENT);
    private static final String COMMITTED = EventEncoder.encode(TaskMarket.COMMITTED_EVENT);
    private static final String REVEALED = EventEncoder.encode(TaskMarket.REVEALED_EVENT);
    private static final String SLASHED = EventEncoder.encode(TaskMarket.NODESLASHED_EVENT);
    private static final String REPLACED = EventEncoder.encode(TaskMarket.NODEREPLACED_EVENT);
    private static final String FINALIZED = EventEncoder.encode(TaskMarket.TASKFINALIZED_EVENT);

    private final LedgermindContracts chain;

    public Requester(LedgermindContracts chain) {
        this.chain = chain;
    }

    public LedgermindContracts chain() {
        return chain;
    }

    /** Submits {@code input} for model {@code modelId} to {@code k} nodes with {@code fee} wei in escrow. */
    public SubmittedTask submit(TaskInput input, int modelId, int k, BigInteger fee) {
        byte[] bytes = input.bytes();
        TaskRequest request = new TaskRequest(modelId, Hash.sha3(bytes), bytes, input.seed(),
                Math.round(input.temperature() * 1000), input.maxTokens(), input.kind().code, k, fee, false);
        return chain.submitTask(request);
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
                        + " committed, " + revealed + "/" + t.k() + " revealed");
                last = t.phase();
                lastCommitted = committed;
                lastRevealed = revealed;
            }
            if (t.phase().isFinal()) return receipt(taskId);
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

    /** Builds the receipt of a task from the chain's events and transaction receipts. */
    public Receipt receipt(BigInteger taskId) {
        List<Log> logs = taskLogs(taskId);
        if (logs.isEmpty()) throw new ChainException("task " + taskId + " does not exist on this chain");
        TaskMarket.TaskSubmittedEventResponse submitted = null;
        TaskMarket.TaskFinalizedEventResponse finalized = null;
        Map<Integer, Receipt.NodeVerdict> byPosition = new LinkedHashMap<>();
        List<Receipt.NodeVerdict> replaced = new ArrayList<>();
        Map<Integer, String> revealedHash = new HashMap<>();
        Map<Integer, byte[]> revealedOutput = new HashMap<>();
        Map<Integer, BigInteger> slashed = new HashMap<>();
        Map<String, Receipt.Tx> txs = new LinkedHashMap<>(); // by hash: a finalize may emit several events
        List<Long> nodes = new ArrayList<>();
        for (Log l : logs) {
            String topic = l.getTopics().getFirst();
            String kind = null;
            Long agent = null;
            if (topic.equals(TASK_SUBMITTED)) {
                submitted = TaskMarket.getTaskSubmittedEventFromLog(l);
                submitted.nodes.forEach(n -> nodes.add(n.longValue()));
                kind = "submit";
            } else if (topic.equals(COMMITTED)) {
                var e = TaskMarket.getCommittedEventFromLog(l);
                kind = "commit";
                agent = e.agentId.longValue();
            } else if (topic.equals(REVEALED)) {
                var e = TaskMarket.getRevealedEventFromLog(l);
                // every seat the agent holds at the time of its reveal (seats are drawn with replacement)
                for (int pos = 0; pos < nodes.size(); pos++) {
                    if (nodes.get(pos) != e.agentId.longValue()) continue;
                    revealedHash.put(pos, Numeric.toHexString(e.resultHash));
                    revealedOutput.put(pos, e.output);
                }
                kind = "reveal";
                agent = e.agentId.longValue();
            } else if (topic.equals(SLASHED)) {
                var e = TaskMarket.getNodeSlashedEventFromLog(l);
                slashed.merge(e.agentId.intValue(), e.amount, BigInteger::add);
            } else if (topic.equals(REPLACED)) {
                var e = TaskMarket.getNodeReplacedEventFromLog(l);
                int pos = e.position.intValue();
                replaced.add(new Receipt.NodeVerdict(e.oldAgentId.longValue(), pos, agentAddress(e.oldAgentId.longValue()),
                        "replaced", null, slashed.getOrDefault(e.oldAgentId.intValue(), BigInteger.ZERO)));
                nodes.set(pos, e.newAgentId.longValue());
                kind = "replace";
            } else if (topic.equals(FINALIZED)) {
                finalized = TaskMarket.getTaskFinalizedEventFromLog(l);
                kind = "finalize";
            }
            if (kind != null && !txs.containsKey(l.getTransactionHash())) {
                txs.put(l.getTransactionHash(), new Receipt.Tx(kind, l.getTransactionHash(), l.getBlockNumber().longValue(),
                        gasUsed(l.getTransactionHash()), agent));
            }
        }
        if (submitted == null) throw new ChainException("task " + taskId + " has no TaskSubmitted event");
        boolean accepted = finalized != null && finalized.accepted;
        int acceptedMask = finalized == null ? 0 : finalized.acceptedMask.intValue();
        byte[] output = new byte[0];
        for (int pos = 0; pos < nodes.size(); pos++) {
            long agentId = nodes.get(pos);
            String verdict;
            if (finalized == null) verdict = "pending";
            else if ((acceptedMask & (1 << pos)) != 0) verdict = "agreed";
            else if (revealedHash.containsKey(pos)) verdict = accepted ? "dissented" : "inconclusive";
            else verdict = "absent";
            if (verdict.equals("agreed") && output.length == 0 && revealedOutput.get(pos) != null) output = revealedOutput.get(pos);
            byPosition.put(pos, new Receipt.NodeVerdict(agentId, pos, agentAddress(agentId), verdict,
                    revealedHash.get(pos), slashed.getOrDefault((int) agentId, BigInteger.ZERO)));
        }
        List<Receipt.NodeVerdict> verdicts = new ArrayList<>(byPosition.values());
        verdicts.addAll(replaced);
        return new Receipt(taskId, submitted.modelId.intValue(), submitted.requester, Numeric.toHexString(submitted.inputHash),
                accepted, accepted ? Numeric.toHexString(finalized.resultHash) : null,
                accepted ? Numeric.toHexString(finalized.traceRoot) : null, output, submitted.k.intValue(), submitted.fee,
                finalized == null ? BigInteger.ZERO : finalized.rewardPerNode,
                finalized == null ? BigInteger.ZERO : finalized.refund, verdicts, List.copyOf(txs.values()));
    }

    /** The inline input the task was submitted with. */
    public byte[] input(BigInteger taskId) {
        for (Log l : taskLogs(taskId)) {
            if (l.getTopics().getFirst().equals(TASK_SUBMITTED)) return TaskMarket.getTaskSubmittedEventFromLog(l).input;
        }
        throw new ChainException("task " + taskId + " does not exist on this chain");
    }

    private List<Log> taskLogs(BigInteger taskId) {
        try {
            EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(chain.deployment().deployBlock())),
                    DefaultBlockParameterName.LATEST, chain.deployment().taskMarket());
            f.addOptionalTopics(TASK_SUBMITTED, COMMITTED, REVEALED, SLASHED, REPLACED, FINALIZED);
            f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(taskId, 64));
            EthLog response = chain.web3j().ethGetLogs(f).send();
            if (response.hasError()) throw new ChainException("eth_getLogs failed: " + response.getError().getMessage());
            List<Log> logs = new ArrayList<>();
            for (EthLog.LogResult<?> r : response.getLogs()) logs.add((Log) r.get());
            return logs;
        } catch (IOException e) {
            throw new ChainException("cannot read the events of task " + taskId + ": " + e.getMessage(), e);
        }
    }

    private BigInteger gasUsed(String txHash) {
        try {
            return chain.web3j().ethGetTransactionReceipt(txHash).send().getTransactionReceipt()
                    .map(TransactionReceipt::getGasUsed).orElse(BigInteger.ZERO);
        } catch (IOException e) {
            throw new ChainException("cannot read the receipt of " + txHash + ": " + e.getMessage(), e);
        }
    }

    /** The owner address of an agent (its ERC-721 owner). */
    private String agentAddress(long agentId) {
        return (String) chain.sender().call("AgentRegistry", chain.deployment().agentRegistry(),
                chain.agentRegistry().ownerOf(BigInteger.valueOf(agentId))).getFirst().getValue();
    }
}
