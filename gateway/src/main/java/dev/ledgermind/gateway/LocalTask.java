package dev.ledgermind.gateway;

import dev.ledgermind.node.task.TaskInput;

import java.nio.charset.StandardCharsets;

/**
 * What the local backend computed, in the same canonical form as a network task's input, so that its
 * input hash means the same thing: the node's {@link TaskInput} bytes, and {@code ,"topP":P} before the
 * closing brace when nucleus sampling was on (the network's task format has no top-p yet).
 */
public record LocalTask(TaskInput input, float topP) {
    public byte[] bytes() {
        byte[] base = input.bytes();
        if (topP >= 1f) return base;
        String s = new String(base, StandardCharsets.UTF_8);
        return (s.substring(0, s.length() - 1) + ",\"topP\":" + topP + "}").getBytes(StandardCharsets.UTF_8);
    }
}
