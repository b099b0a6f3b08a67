package dev.ledgermind.node.task;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.task.EncoderTasks;

import java.util.List;

/**
 * Runs embed, similarity and classify tasks on an encoder model with the deterministic engine, through
 * {@link EncoderTasks} (which defines the canonical output bytes, the result hash and the trace root).
 * An input the engine refuses (an empty text, a model this node does not serve) gets the canonical
 * {@link TaskResult#error error result}, so honest nodes still agree on an answer.
 */
public final class EncoderTaskRunner implements TaskRunner, AutoCloseable {
    private final EncoderModel model;
    private final KernelConfig config;
    private final Parallel parallel;

    public EncoderTaskRunner(EncoderModel model, KernelConfig config, int threads) {
        this.model = model;
        this.config = config;
        this.parallel = new Parallel(threads);
    }

    @Override
    public List<ModelIdentity> models() {
        return List.of(new ModelIdentity(model.name(), model.weightsHash(), model.tokenizerHash(), model.architectureHash()));
    }

    @Override
    public TaskResult run(TaskInput input) {
        if (!model.name().equalsIgnoreCase(input.model())) {
            return TaskResult.error("task is for model " + input.model() + ", this runner serves " + model.name());
        }
        EncoderTasks.Commitment c;
        try {
            c = switch (input.kind()) {
                case EMBED -> EncoderTasks.embed(model, input.texts(), config, parallel).commitment();
                case SIMILARITY -> EncoderTasks.similarity(model, input.texts().get(0), input.texts().get(1), config, parallel).commitment();
                case CLASSIFY -> EncoderTasks.classify(model, input.texts().getFirst(), input.labels(), config, parallel).commitment();
                case GENERATE -> null;
            };
        } catch (IllegalArgumentException e) {
            return TaskResult.error(e.getMessage());
        }
        if (c == null) return TaskResult.error(input.kind().name().toLowerCase() + " is not an encoder task");
        return new TaskResult(c.output(), c.resultHash(), c.traceRoot().bytes());
    }

    @Override
    public void warmUp() {
        for (int i = 0; i < 3; i++) {
            EncoderTasks.classify(model, "Warming up the engine before the first task.", List.of("ready", "not ready"), config, parallel);
        }
    }

    @Override
    public void close() {
        parallel.close();
    }
}
