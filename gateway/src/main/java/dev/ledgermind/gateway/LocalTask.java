package dev.ledgermind.gateway;

import dev.ledgermind.node.task.TaskInput;

/**
 * What the local backend computed, in the same canonical form as a network task's input (top-p
 * included), so that its input hash means the same thing on both backends.
 */
public record LocalTask(TaskInput input) {
    public byte[] bytes() {
        return input.bytes();
    }

    public float topP() {
        return input.topP();
    }
}
