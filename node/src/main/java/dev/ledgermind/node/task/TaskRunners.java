package dev.ledgermind.node.task;

import java.util.List;

/** Builds the runner that serves a node's configured models. */
public final class TaskRunners {
    private TaskRunners() {}

    public static TaskRunner forModels(List<String> models) {
        throw new IllegalArgumentException("no engine available yet for models " + models);
    }

    /** The runner for the models a local devnet serves by default. */
    public static TaskRunner defaultModels() {
        return forModels(List.of("all-minilm-l6-v2"));
    }
}
