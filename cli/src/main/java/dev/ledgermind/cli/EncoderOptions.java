package dev.ledgermind.cli;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.KernelConfig;
import picocli.CommandLine.Option;

/** Options of the encoder commands (embed, similarity, classify): which model and how many threads. */
final class EncoderOptions {
    @Option(names = "--model", paramLabel = "NAME|PATH", defaultValue = "all-minilm-l6-v2",
            description = "A built-in model (all-minilm-l6-v2, bge-small-en-v1.5, e5-small-v2) or an .onnx file "
                    + "with tokenizer.json (or NAME-tokenizer.json) beside it, and the model's config.json beside it or one "
                    + "directory up, for its head count (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "0",
            description = "Threads (default: ledgermind.threads, else the number of processors). Results are identical for any N.")
    int threads;

    EncoderModel load() {
        return EncoderModel.load(model);
    }

    int threadCount() {
        if (threads < 0) throw new IllegalArgumentException("--threads must be positive, found " + threads);
        return KernelConfig.threads(threads);
    }
}
