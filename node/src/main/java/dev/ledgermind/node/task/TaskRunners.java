package dev.ledgermind.node.task;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.KernelConfig;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Builds the runner that serves a node's configured models. */
public final class TaskRunners {
    public static final String DEFAULT_MODEL = "all-minilm-l6-v2";

    private TaskRunners() {}

    /**
     * A runner for the given models: a path ending in {@code .gguf} is a decoder (its name is the file
     * name without the extension); anything else is an encoder, by built-in name or ONNX path.
     */
    public static TaskRunner forModels(List<String> models) {
        if (models.isEmpty()) throw new IllegalArgumentException("a node must serve at least one model");
        List<TaskRunner> runners = new ArrayList<>();
        for (String m : models) {
            runners.add(m.endsWith(".gguf")
                    ? new DecoderTaskRunner(Path.of(m), KernelConfig.defaults(), KernelConfig.defaultThreads())
                    : new EncoderTaskRunner(EncoderModel.load(m), KernelConfig.defaults(), KernelConfig.defaultThreads()));
        }
        return runners.size() == 1 ? runners.getFirst() : new CompositeTaskRunner(runners);
    }

    /** The runner for the model a local devnet serves by default. */
    public static TaskRunner defaultModels() {
        return forModels(List.of(DEFAULT_MODEL));
    }
}
