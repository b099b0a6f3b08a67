package dev.ledgermind.node.worker;

import dev.ledgermind.node.task.TaskResult;
import org.web3j.crypto.Hash;


/** A dishonest node's lie, for tests and the demo. */
final class TaskResults {
    private TaskResults() {}

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
