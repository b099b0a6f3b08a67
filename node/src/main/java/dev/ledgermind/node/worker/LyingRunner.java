package dev.ledgermind.node.worker;

import dev.ledgermind.inference.step.StepFault;
import dev.ledgermind.inference.step.TraceCommitment;
import dev.ledgermind.node.task.DecoderTaskRunner;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import org.web3j.crypto.Hash;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * A dishonest node's runner, for tests and the demo. It runs the honest runner, then lies in one of two ways:
 * <ul>
 *   <li>{@link Dishonesty#WRONG_RESULT}: the output with one bit of its last byte flipped (one vector component or
 *       one token perturbed) and a trace root with one bit flipped, hashed consistently so that the lie is
 *       well-formed and only a vote (or a replay) can catch it;</li>
 *   <li>{@link Dishonesty#ONE_STEP_WRONG} (decoders): the honest output with the trace root of the same token
 *       sequence run with {@link Dishonesty#workerFault} (one element of one op changed at one (position, layer),
 *       everything after it computed honestly from there), so exactly one step of the claimed trace is wrong and the
 *       node can defend every other leaf of it in a dispute game.</li>
 * </ul>
 * The worker itself has no dishonest branches.
 */
final class LyingRunner implements TaskRunner {
    private final TaskRunner honest;
    private final boolean oneStep;

    LyingRunner(TaskRunner honest, boolean oneStep) {
        this.honest = honest;
        this.oneStep = oneStep;
    }

    @Override
    public List<ModelIdentity> models() {
        return honest.models();
    }

    @Override
    public TaskResult run(TaskInput input) {
        return lie(input, honest.run(input));
    }

    @Override
    public TaskResult run(TaskInput input, IntConsumer onToken) {
        return lie(input, honest.run(input, onToken)); // the feed shows the honest tokens; the reveal lies
    }

    @Override
    public void warmUp() {
        honest.warmUp();
    }

    @Override
    public dev.ledgermind.node.task.Replayed replay(TaskInput input, byte[] claimedOutput) {
        return honest.replay(input, claimedOutput); // it lies about its own results, not when it checks others'
    }

    @Override
    public DecoderTaskRunner decoder(String model) {
        return honest.decoder(model);
    }

    private TaskResult lie(TaskInput input, TaskResult r) {
        if (!oneStep) return perturbed(r);
        DecoderTaskRunner d = honest.decoder(input.model());
        if (d == null || r.shape() == null) return r; // nothing a game could dispute: honest
        int positions = r.shape().positions(), layers = r.shape().leafCount() / positions;
        int[] tokens = claimedTokens(d.promptTokens(input), r.output());
        StepFault fault = Dishonesty.workerFault(positions, layers);
        byte[] root = TraceCommitment.of(d.model(), Arrays.copyOf(tokens, positions), fault, d.kernelConfig(), d.parallel())
                .root().bytes();
        return new TaskResult(r.output(), r.resultHash(), root, r.shape());
    }

    /** The prompt's tokens followed by the output's ({@code u32le(n) || u32le(token_i)..}). */
    static int[] claimedTokens(int[] prompt, byte[] output) {
        ByteBuffer b = ByteBuffer.wrap(output).order(ByteOrder.LITTLE_ENDIAN);
        int n = b.getInt(0);
        int[] all = Arrays.copyOf(prompt, prompt.length + n);
        for (int i = 0; i < n; i++) all[prompt.length + i] = b.getInt(4 + 4 * i);
        return all;
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
