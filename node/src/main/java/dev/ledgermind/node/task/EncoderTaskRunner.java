package dev.ledgermind.node.task;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.trace.Keccak256;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Runs embed, similarity and classify tasks on an encoder model with the deterministic engine.
 * Similarity is the canonical dot product of the two L2-normalised embeddings; classify scores the
 * text against each label the same way and ranks by score (ties: lower label index first). The output
 * is {@link TaskOutput}'s canonical bytes; the result hash is their keccak256; the trace root covers
 * every text the task embedded, in order (the text first, then the labels).
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

    public EncoderModel model() {
        return model;
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
        byte[] output;
        EncoderModel.Embeddings e;
        switch (input.kind()) {
            case EMBED -> {
                e = model.embed(input.texts(), config, parallel);
                output = TaskOutput.embeddings(e.vectors());
            }
            case SIMILARITY -> {
                e = model.embed(input.texts(), config, parallel);
                output = TaskOutput.similarity(Dot.dot(config, e.vectors()[0], 0, e.vectors()[1], 0, model.dimensions()));
            }
            case CLASSIFY -> {
                List<String> texts = new ArrayList<>();
                texts.add(input.texts().getFirst());
                texts.addAll(input.labels());
                e = model.embed(texts, config, parallel);
                int n = input.labels().size();
                float[] score = new float[n];
                for (int i = 0; i < n; i++) score[i] = Dot.dot(config, e.vectors()[0], 0, e.vectors()[i + 1], 0, model.dimensions());
                Integer[] order = new Integer[n];
                for (int i = 0; i < n; i++) order[i] = i;
                Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -score[i]).thenComparingInt(i -> i));
                int[] idx = new int[n];
                float[] sorted = new float[n];
                for (int i = 0; i < n; i++) {
                    idx[i] = order[i];
                    sorted[i] = score[order[i]];
                }
                output = TaskOutput.classification(idx, sorted);
            }
            default -> {
                return TaskResult.error(input.kind().name().toLowerCase() + " is not an encoder task");
            }
        }
        return new TaskResult(output, Keccak256.hash(output), e.traceRoot().bytes());
    }

    @Override
    public void close() {
        parallel.close();
    }
}
