package dev.ledgermind.node.worker;

import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import org.web3j.crypto.Hash;

import java.util.List;
import java.util.function.IntConsumer;

/**
 * A dishonest node's runner, for tests and the demo ({@link Dishonesty#WRONG_RESULT}): it runs the honest
 * runner, then reports the output with one bit of its last byte flipped (one vector component or one
 * token perturbed) and a trace root with one bit flipped, hashed consistently so that the lie is
 * well-formed and only a vote can catch it. The worker itself has no dishonest branches.
 */
final class LyingRunner implements TaskRunner {
    private final TaskRunner honest;

    LyingRunner(TaskRunner honest) {
        this.honest = honest;
    }

    @Override
    public List<ModelIdentity> models() {
        return honest.models();
    }

    @Override
    public TaskResult run(TaskInput input) {
        return perturbed(honest.run(input));
    }

    @Override
    public TaskResult run(TaskInput input, IntConsumer onToken) {
        return perturbed(honest.run(input, onToken)); // the feed shows the honest tokens; the reveal lies
    }

    @Override
    public void warmUp() {
        honest.warmUp();
    }

    @Override
    public dev.ledgermind.node.task.Replayed replay(TaskInput input, byte[] claimedOutput) {
        return honest.replay(input, claimedOutput); // it lies about its own results, not when it checks others'
    }

    static TaskResult perturbed(TaskResult honest) {
        byte[] output = honest.output().clone();
        if (output.length == 0) output = new byte[] {1};
        else output[output.length - 1] ^= 0x01;
        byte[] trace = honest.traceRoot().clone();
        trace[31] ^= 0x01;
        return new TaskResult(output, Hash.sha3(output), trace, honest.shape());
    }
}
