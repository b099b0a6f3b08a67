package dev.ledgermind.gateway;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.generate.Generator;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.node.client.ModelDirectory;
import dev.ledgermind.node.task.DecoderTaskRunner;
import dev.ledgermind.inference.tensor.ComputeProfile;
import dev.ledgermind.node.task.EncoderTaskRunner;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskRunner;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * A model this gateway runs on its own deterministic engine. One request uses a model at a time (the
 * engine's thread pool already spreads one request over the cores); others queue, fairly, for at most the
 * request timeout. {@link #runner()} is the node's own task runner for the model: what a node computes,
 * and what a receipt is recomputed with.
 */
public sealed interface LocalModel extends AutoCloseable {
    String name();

    ModelIdentity identity();

    TaskRunner runner();

    ReentrantLock lock();

    /** The ModelRegistry content hash of this model: the same value the chain records for it. */
    default String contentHash() {
        ModelIdentity m = identity();
        return ModelDirectory.contentHash(m.weightsHash(), m.tokenizerHash(), m.architectureHash());
    }

    /** Runs {@code work} holding this model, after waiting at most {@code timeout} for it. */
    default <T> T exclusive(Duration timeout, Supplier<T> work) {
        try {
            if (!lock().tryLock(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new ApiError(503, "server_error", "engine_busy", null,
                        "model " + name() + " is busy with other requests; waited " + timeout.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "server_error", "interrupted", null, "interrupted while waiting for model " + name());
        }
        try {
            return work.get();
        } finally {
            lock().unlock();
        }
    }

    @Override
    void close();

    /**
     * Loads a model spec: a path ending in {@code .gguf} is a decoder, {@code FILE.gguf@PROFILE} the decoder under a
     * named compute profile (a model of its own, {@code FILE@int8-q8}); anything else an encoder (built-in name or
     * ONNX path).
     */
    static LocalModel load(String spec) {
        int threads = KernelConfig.defaultThreads();
        int at = spec.lastIndexOf(".gguf@");
        if (at >= 0) return new Decoder(Path.of(spec.substring(0, at + 5)), threads, ComputeProfile.parse(spec.substring(at + 6)));
        if (spec.endsWith(".gguf")) return new Decoder(Path.of(spec), threads, ComputeProfile.BINARY32);
        return new Encoder(EncoderModel.load(spec), threads);
    }

    final class Encoder implements LocalModel {
        private final EncoderModel model;
        private final Parallel parallel;
        private final EncoderTaskRunner runner;
        private final ReentrantLock lock = new ReentrantLock(true);

        Encoder(EncoderModel model, int threads) {
            this.model = model;
            this.parallel = new Parallel(threads);
            this.runner = new EncoderTaskRunner(model, KernelConfig.defaults(), threads);
        }

        public EncoderModel model() {
            return model;
        }

        public Parallel parallel() {
            return parallel;
        }

        @Override
        public String name() {
            return model.name();
        }

        @Override
        public ModelIdentity identity() {
            return runner.models().getFirst();
        }

        @Override
        public TaskRunner runner() {
            return runner;
        }

        @Override
        public ReentrantLock lock() {
            return lock;
        }

        @Override
        public void close() {
            runner.close();
            parallel.close();
        }
    }

    final class Decoder implements LocalModel {
        private final LlamaModel model;
        private final Parallel parallel;
        private final Generator generator;
        private final DecoderTaskRunner runner;
        private final ReentrantLock lock = new ReentrantLock(true);

        /** One loaded model serves both the gateway's own generation and its runner (receipts, replays). */
        Decoder(Path gguf, int threads, ComputeProfile profile) {
            this.runner = new DecoderTaskRunner(gguf, KernelConfig.defaults(), threads, profile);
            this.model = runner.model();
            this.parallel = new Parallel(threads);
            this.generator = new Generator(model, KernelConfig.defaults(), parallel);
        }

        public LlamaModel model() {
            return model;
        }

        public Generator generator() {
            return generator;
        }

        @Override
        public String name() {
            return runner.models().getFirst().name();
        }

        @Override
        public ModelIdentity identity() {
            return runner.models().getFirst();
        }

        @Override
        public TaskRunner runner() {
            return runner;
        }

        @Override
        public ReentrantLock lock() {
            return lock;
        }

        @Override
        public void close() {
            parallel.close();
            runner.close(); // closes the model too
        }
    }
}
