package dev.ledgermind.node.task;

/**
 * What a node computed for a task: the canonical output bytes, their hash (the result hash that is
 * committed on chain) and the execution trace's Merkle root.
 */
public record TaskResult(byte[] output, byte[] resultHash, byte[] traceRoot, TraceShape shape) {
    /** A result without a trace shape (runners whose traces an optimistic claim does not cover). */
    public TaskResult(byte[] output, byte[] resultHash, byte[] traceRoot) {
        this(output, resultHash, traceRoot, null);
    }

    /**
     * The canonical answer to an input no engine can run ({@code error: REASON}, no trace): every honest
     * node gives the same one, so such a task settles instead of timing out.
     */
    public static TaskResult error(String reason) {
        byte[] output = ("error: " + reason).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        return new TaskResult(output, dev.ledgermind.inference.trace.Keccak256.hash(output), new byte[32]);
    }

    public TaskResult {
        if (resultHash.length != 32 || traceRoot.length != 32) {
            throw new IllegalArgumentException("result hash and trace root must be 32 bytes, got "
                    + resultHash.length + " and " + traceRoot.length);
        }
    }
}
