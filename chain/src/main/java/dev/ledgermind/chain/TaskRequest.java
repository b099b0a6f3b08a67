package dev.ledgermind.chain;

import org.web3j.crypto.Hash;

import java.math.BigInteger;
import java.util.Arrays;

/**
 * A task to submit to the TaskMarket (replicated mode).
 *
 * @param modelId          the ModelRegistry id
 * @param inputHash        keccak256 of the input (32 bytes)
 * @param input            the inline input, or empty when the input travels off-chain
 * @param seed             sampling seed
 * @param temperatureMilli temperature in thousandths (700 = 0.7)
 * @param maxTokens        generation limit (0 for non-generative kinds)
 * @param kind             application-defined task kind
 * @param k                redundancy, 1..maxK
 * @param fee              wei held in escrow
 * @param callback         true for ILedgermindConsumer delivery (the requester must be a contract)
 */
public record TaskRequest(int modelId, byte[] inputHash, byte[] input, long seed, int temperatureMilli,
                          int maxTokens, int kind, int k, BigInteger fee, boolean callback) {
    public TaskRequest {
        Commitment.require32("inputHash", inputHash);
        if (input == null) input = new byte[0];
        if (k < 1) throw new IllegalArgumentException("k must be at least 1, got " + k);
        if (fee == null || fee.signum() <= 0) throw new IllegalArgumentException("fee must be positive, got " + fee);
    }

    /** A task with an inline input (its hash is computed), default sampling parameters and no callback. */
    public static TaskRequest inline(int modelId, byte[] input, int kind, int k, BigInteger fee) {
        return new TaskRequest(modelId, Hash.sha3(input), input, 0, 0, 0, kind, k, fee, false);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TaskRequest t && modelId == t.modelId && Arrays.equals(inputHash, t.inputHash)
                && Arrays.equals(input, t.input) && seed == t.seed && temperatureMilli == t.temperatureMilli
                && maxTokens == t.maxTokens && kind == t.kind && k == t.k && fee.equals(t.fee) && callback == t.callback;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(inputHash) * 31 + modelId;
    }

    @Override
    public String toString() {
        return "TaskRequest[model=" + modelId + ", k=" + k + ", kind=" + kind + ", input=" + input.length
                + " bytes, fee=" + fee + ", callback=" + callback + "]";
    }
}
