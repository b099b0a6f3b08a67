package dev.ledgermind.node.worker;

import dev.ledgermind.node.task.TaskResult;
import org.web3j.crypto.Hash;

import java.nio.charset.StandardCharsets;

/** Results that are not the engine's own: the canonical error answer, and a dishonest node's lie. */
final class TaskResults {
    private TaskResults() {}

    /** The answer every honest node gives to an input it cannot run: {@code error: REASON}, no trace. */
    static TaskResult error(String reason) {
        byte[] output = ("error: " + reason).getBytes(StandardCharsets.UTF_8);
        return new TaskResult(output, Hash.sha3(output), new byte[32]);
    }

    /**
     * A dishonest result: the output with one bit of its last byte flipped (one vector component or one
     * token perturbed), hashed consistently so that the lie is well-formed and only a vote can catch it.
     */
    static TaskResult perturbed(TaskResult honest) {
        byte[] output = honest.output().clone();
        if (output.length == 0) output = new byte[] {1};
        else output[output.length - 1] ^= 0x01;
        byte[] trace = honest.traceRoot().clone();
        trace[31] ^= 0x01;
        return new TaskResult(output, Hash.sha3(output), trace);
    }
}
