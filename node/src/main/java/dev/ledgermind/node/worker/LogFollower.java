package dev.ledgermind.node.worker;

import dev.ledgermind.node.store.NodeStore;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Follows the logs of a set of contracts with {@code eth_getLogs}, from a durable cursor, with no gaps.
 *
 * <p>Each {@link #poll} reads the blocks {@code [cursor, min(latest, cursor + maxRange - 1)]}, hands their
 * logs to the handler in (block, log index) order, and only then advances the stored cursor past them.
 * A crash or an RPC failure before the cursor moves makes the next poll read the same blocks again, so
 * handlers must be idempotent (the worker's are: the store ignores a task it already knows). Polling
 * rather than a websocket subscription is what makes restarts and RPC reconnects gap-free.
 */
public final class LogFollower {
    private final Web3j web3;
    private final List<String> addresses;
    private final NodeStore store;
    private final long startBlock;
    private final int maxRange;

    public LogFollower(Web3j web3, List<String> addresses, NodeStore store, long startBlock, int maxRange) {
        this.web3 = web3;
        this.addresses = List.copyOf(addresses);
        this.store = store;
        this.startBlock = startBlock;
        this.maxRange = maxRange;
    }

    public interface Handler {
        void onLog(Log log) throws Exception;
    }

    /**
     * Reads and handles the next range of blocks. Returns the number of logs handled. Throws IOException
     * when the RPC fails; the cursor then stays where it was.
     */
    public int poll(Handler handler) throws Exception {
        long from = store.nextBlock(startBlock);
        long latest = web3.ethBlockNumber().send().getBlockNumber().longValueExact();
        if (from > latest) return 0;
        long to = Math.min(latest, from + maxRange - 1);
        EthFilter filter = new EthFilter(
                DefaultBlockParameter.valueOf(BigInteger.valueOf(from)),
                DefaultBlockParameter.valueOf(BigInteger.valueOf(to)),
                addresses);
        EthLog response = web3.ethGetLogs(filter).send();
        if (response.hasError()) {
            throw new IOException("eth_getLogs for blocks " + from + ".." + to + " failed: " + response.getError().getMessage());
        }
        List<Log> logs = new ArrayList<>();
        for (EthLog.LogResult<?> r : response.getLogs()) logs.add((Log) r.get());
        logs.sort(Comparator.comparing(Log::getBlockNumber).thenComparing(Log::getLogIndex));
        for (Log log : logs) handler.onLog(log);
        store.advanceCursor(to + 1);
        return logs.size();
    }
}
