package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.TaskMarket;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthBlock;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.Transaction;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What happened in the task market over a range of blocks, decoded into typed records: the task events
 * and every commit and reveal <em>transaction</em> that was mined, successful or reverted (an event only
 * shows the successful ones; a node that sends a second, doomed commit shows up only here). For audits
 * such as the chaos run, the explorer, and tests. Reads in chunks of {@code maxRange} blocks.
 */
public final class MarketHistory {
    /** A task event, by kind. {@code time} is the block's timestamp, unix seconds. */
    public sealed interface Entry permits Submitted, Committed, Revealed, Slashed, Replaced, Finalized {
        BigInteger taskId();
        long block();
        long time();
    }

    public record Submitted(BigInteger taskId, long block, long time, List<Long> nodes) implements Entry {}
    public record Committed(BigInteger taskId, long block, long time, long agentId) implements Entry {}
    public record Revealed(BigInteger taskId, long block, long time, long agentId) implements Entry {}
    /** {@code reason} is TaskMarket's SlashReason ordinal. */
    public record Slashed(BigInteger taskId, long block, long time, long agentId, int reason, BigInteger amount) implements Entry {}
    public record Replaced(BigInteger taskId, long block, long time, long oldAgentId, long newAgentId) implements Entry {}
    public record Finalized(BigInteger taskId, long block, long time, boolean accepted) implements Entry {}

    /** A mined transaction to the market calling commit or reveal: its sender, task, agent and status. */
    public record Call(String kind, String txHash, String from, BigInteger taskId, long agentId, long block, boolean ok) {}

    private static final String SUBMITTED = EventEncoder.encode(TaskMarket.TASKSUBMITTED_EVENT);
    private static final String COMMITTED = EventEncoder.encode(TaskMarket.COMMITTED_EVENT);
    private static final String REVEALED = EventEncoder.encode(TaskMarket.REVEALED_EVENT);
    private static final String SLASHED = EventEncoder.encode(TaskMarket.NODESLASHED_EVENT);
    private static final String REPLACED = EventEncoder.encode(TaskMarket.NODEREPLACED_EVENT);
    private static final String FINALIZED = EventEncoder.encode(TaskMarket.TASKFINALIZED_EVENT);

    private final LedgermindContracts chain;
    private final Web3j web3j;
    private final String market;
    private final int maxRange;
    private final Map<Long, Long> blockTimes = new HashMap<>();
    private final String commitSelector;
    private final String revealSelector;

    public MarketHistory(LedgermindContracts chain, int maxRange) {
        this.chain = chain;
        this.web3j = chain.web3j();
        this.market = chain.deployment().taskMarket().toLowerCase();
        this.maxRange = maxRange;
        // selectors from the generated wrapper, so that they follow the contract's ABI
        TaskMarket m = TaskMarket.load(market, web3j, chain.sender().transactionManager(), new org.web3j.tx.gas.DefaultGasProvider());
        this.commitSelector = m.commit(BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, new byte[32]).encodeFunctionCall().substring(0, 10);
        this.revealSelector = m.reveal(BigInteger.ZERO, BigInteger.ZERO, BigInteger.ZERO, new byte[32], new byte[32], new byte[32],
                new byte[0]).encodeFunctionCall().substring(0, 10);
    }

    /** The market's task events in blocks {@code [from, to]}, in chain order. */
    public List<Entry> events(long from, long to) {
        List<Entry> out = new ArrayList<>();
        for (long a = from; a <= to; a += maxRange) {
            long b = Math.min(to, a + maxRange - 1);
            EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(a)),
                    DefaultBlockParameter.valueOf(BigInteger.valueOf(b)), market);
            try {
                EthLog logs = web3j.ethGetLogs(f).send();
                if (logs.hasError()) throw new ChainException("eth_getLogs " + a + ".." + b + " failed: " + logs.getError().getMessage());
                for (EthLog.LogResult<?> r : logs.getLogs()) {
                    Entry e = decode((Log) r.get());
                    if (e != null) out.add(e);
                }
            } catch (IOException e) {
                throw new ChainException("cannot read the market's events in blocks " + a + ".." + b + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    private Entry decode(Log l) throws IOException {
        String topic = l.getTopics().getFirst();
        long block = l.getBlockNumber().longValueExact();
        long time = blockTime(block);
        if (topic.equals(SUBMITTED)) {
            var e = TaskMarket.getTaskSubmittedEventFromLog(l);
            return new Submitted(e.taskId, block, time, chain.drawSeats(e.taskId, e.pool, l.getBlockHash()));
        } else if (topic.equals(COMMITTED)) {
            var e = TaskMarket.getCommittedEventFromLog(l);
            return new Committed(e.taskId, block, time, e.agentId.longValueExact());
        } else if (topic.equals(REVEALED)) {
            var e = TaskMarket.getRevealedEventFromLog(l);
            return new Revealed(e.taskId, block, time, e.agentId.longValueExact());
        } else if (topic.equals(SLASHED)) {
            var e = TaskMarket.getNodeSlashedEventFromLog(l);
            return new Slashed(e.taskId, block, time, e.agentId.longValueExact(), e.reason.intValueExact(), e.amount);
        } else if (topic.equals(REPLACED)) {
            var e = TaskMarket.getNodeReplacedEventFromLog(l);
            return new Replaced(e.taskId, block, time, e.oldAgentId.longValueExact(), e.newAgentId.longValueExact());
        } else if (topic.equals(FINALIZED)) {
            var e = TaskMarket.getTaskFinalizedEventFromLog(l);
            return new Finalized(e.taskId, block, time, e.accepted);
        }
        return null;
    }

    /** Every commit and reveal transaction mined in blocks {@code [from, to]}, reverted ones included. */
    public List<Call> calls(long from, long to) {
        List<Call> out = new ArrayList<>();
        try {
            for (long n = from; n <= to; n++) {
                EthBlock b = web3j.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(n)), true).send();
                if (b.hasError() || b.getBlock() == null) throw new ChainException("cannot read block " + n);
                blockTimes.put(n, b.getBlock().getTimestamp().longValueExact());
                for (EthBlock.TransactionResult<?> r : b.getBlock().getTransactions()) {
                    Transaction tx = (Transaction) r.get();
                    if (tx.getTo() == null || !tx.getTo().equalsIgnoreCase(market)) continue;
                    String input = tx.getInput();
                    String kind = input.startsWith(commitSelector) ? "commit" : input.startsWith(revealSelector) ? "reveal" : null;
                    if (kind == null) continue;
                    BigInteger taskId = Numeric.toBigInt(input.substring(10, 74));
                    long agentId = Numeric.toBigInt(input.substring(74, 138)).longValueExact();
                    var receipt = web3j.ethGetTransactionReceipt(tx.getHash()).send().getTransactionReceipt().orElseThrow(
                            () -> new ChainException("no receipt for mined transaction " + tx.getHash()));
                    out.add(new Call(kind, tx.getHash(), tx.getFrom(), taskId, agentId, n, receipt.isStatusOK()));
                }
            }
        } catch (IOException e) {
            throw new ChainException("cannot read the market's transactions: " + e.getMessage(), e);
        }
        return out;
    }

    /** The timestamp of block {@code n}, unix seconds. */
    public long blockTime(long n) throws IOException {
        Long t = blockTimes.get(n);
        if (t != null) return t;
        EthBlock b = web3j.ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(n)), false).send();
        if (b.hasError() || b.getBlock() == null) throw new ChainException("cannot read block " + n);
        long time = b.getBlock().getTimestamp().longValueExact();
        blockTimes.put(n, time);
        return time;
    }

    /** The latest block number. */
    public long latestBlock() {
        try {
            return web3j.ethBlockNumber().send().getBlockNumber().longValueExact();
        } catch (IOException e) {
            throw new ChainException("eth_blockNumber failed: " + e.getMessage(), e);
        }
    }
}
