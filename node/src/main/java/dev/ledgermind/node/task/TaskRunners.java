package dev.ledgermind.node.task;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.KernelConfig;

import java.util.List;

/** Builds the runner that serves a node's configured models. */
public final class TaskRunners {
    public static final String DEFAULT_MODEL = "all-minilm-l6-v2";

    private TaskRunners() {}

    /** A runner for the given models (today: one encoder model, by built-in name or path). */
    public static TaskRunner forModels(List<String> models) {
        if (models.size() != 1) {
            throw new IllegalArgumentException("a node serves one model for now; got " + models);
        }
        return new EncoderTaskRunner(EncoderModel.load(models.getFirst()), KernelConfig.defaults(), KernelConfig.defaultThreads());
    }

    /** The runner for the model a local devnet serves by default. */
    public static TaskRunner defaultModels() {
        return forModels(List.of(DEFAULT_MODEL));
    }
}
