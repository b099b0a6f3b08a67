package dev.ledgermind.chain;

import org.web3j.protocol.core.methods.response.TransactionReceipt;

import java.math.BigInteger;
import java.util.List;

/**
 * A submitted task: its id, the agents drawn for it (by position), deadlines, and the receipt.
 */
public record SubmittedTask(BigInteger taskId, List<Long> nodes, long commitDeadline, long revealDeadline,
                            TransactionReceipt receipt) {
    public SubmittedTask {
        nodes = List.copyOf(nodes);
    }
}
