package dev.ledgermind.node.store;

import java.math.BigInteger;

/**
 * What a worker has stored about one task. Byte arrays are 32-byte hashes except {@code input} and {@code output}.
 * Fields that a state has not reached yet are null. {@code lane} is the TaskMarket commitment lane chosen
 * with the salt (null before COMPUTED). {@code commitTx}/{@code revealTx} are the hashes of the signed
 * transactions, stored before they were broadcast. {@code outcome} is the chain's verdict on this node
 * ({@code TaskMarket.outcomeOf}, lower case) once the task is final, whatever the local state.
 */
public record TaskRecord(
        BigInteger taskId,
        TaskState state,
        int modelId,
        byte[] input,
        byte[] resultHash,
        byte[] traceRoot,
        byte[] output,
        byte[] salt,
        String commitTx,
        String revealTx,
        String error,
        long updatedAtMillis,
        Integer lane,
        String outcome) {
}
