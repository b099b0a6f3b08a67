package dev.ledgermind.node.task;

import java.util.List;
import java.util.function.IntConsumer;

/** Computes a task's result with the deterministic engine. Implementations must be thread-safe. */
public interface TaskRunner {
    /** The models this runner serves, with their content identities. */
    List<ModelIdentity> models();

    /** Runs the task; the result's hash is keccak256 of its output bytes. */
    TaskResult run(TaskInput input);

    /**
     * Runs the task, handing each generated token to {@code onToken} as it is decided (generate tasks; other
     * kinds produce no tokens). The result is the same as {@link #run(TaskInput)}'s.
     */
    default TaskResult run(TaskInput input, IntConsumer onToken) {
        return run(input);
    }

    /**
     * Runs a small task once so that the first real task is not slowed by class loading and JIT
     * compilation (a cold first run can take seconds and miss a commit window).
     */
    default void warmUp() {
    }

    /**
     * Replays a claimed output of {@code input} (an optimistic-mode validator's check, docs/DESIGN.md section 5),
     * or null when this runner cannot replay (encoders and test runners: only decoders' traces are claimed).
     */
    default Replayed replay(TaskInput input, byte[] claimedOutput) {
        return null;
    }

    /**
     * The decoder runner serving {@code model}, whose engine a dispute game's witness recomputes steps with; null when
     * this runner serves no such decoder.
     */
    default DecoderTaskRunner decoder(String model) {
        return null;
    }
}
