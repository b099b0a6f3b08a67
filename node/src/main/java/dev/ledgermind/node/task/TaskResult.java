package dev.ledgermind.node.task;

/**
 * What a node computed for a task: the canonical output bytes, their hash (the result hash that is
 * committed on chain) and the execution trace's Merkle root.
 */
public record TaskResult(byte[] output, byte[] resultHash, byte[] traceRoot) {
    public TaskResult {
        if (resultHash.length != 32 || traceRoot.length != 32) {
            throw new IllegalArgumentException("result hash and trace root must be 32 bytes, got "
                    + resultHash.length + " and " + traceRoot.length);
        }
    }
}
