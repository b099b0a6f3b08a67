package dev.ledgermind.node.task;

/** Computes a task's result with the deterministic engine. Implementations must be thread-safe. */
public interface TaskRunner {
    /** True if this runner serves the named model. */
    boolean serves(String model);

    TaskResult run(TaskInput input);
}
