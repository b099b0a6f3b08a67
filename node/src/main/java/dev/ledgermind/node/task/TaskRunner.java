package dev.ledgermind.node.task;

import java.util.List;

/** Computes a task's result with the deterministic engine. Implementations must be thread-safe. */
public interface TaskRunner {
    /** The models this runner serves, with their content identities. */
    List<ModelIdentity> models();

    /** Runs the task; the result's hash is keccak256 of its output bytes. */
    TaskResult run(TaskInput input);
}
