package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.gguf.GgufFile;
import dev.ledgermind.inference.kernel.Rope;
import dev.ledgermind.inference.tensor.ComputeProfile;
import dev.ledgermind.inference.tokenizer.GgufTokenizers;
import dev.ledgermind.inference.tokenizer.Tokenizer;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A llama-family model loaded from a GGUF file: configuration, memory-mapped weights and tokenizer.
 * Immutable and shareable; each sequence runs in its own {@link LlamaState}. Closing unmaps the file.
 */
public final class LlamaModel implements AutoCloseable {
    private final GgufFile file;
    private final LlamaConfig config;
    private final LlamaWeights weights;
    private final Tokenizer tokenizer;

    private LlamaModel(GgufFile file, ComputeProfile profile) {
        this.file = file;
        this.config = LlamaConfig.of(file);
        this.weights = new LlamaWeights(file, config, profile);
        this.tokenizer = GgufTokenizers.of(file.metadata(), config.vocab());
    }

    /** The model under the default profile, {@link ComputeProfile#BINARY32}. */
    public static LlamaModel load(Path path) throws IOException {
        return load(path, ComputeProfile.BINARY32);
    }

    /** The model whose matrix products follow {@code profile} (its results and trace roots are that profile's). */
    public static LlamaModel load(Path path, ComputeProfile profile) throws IOException {
        GgufFile f = GgufFile.open(path);
        try {
            return new LlamaModel(f, profile);
        } catch (RuntimeException e) {
            f.close();
            throw e;
        }
    }

    /** The compute profile the model's products follow. */
    public ComputeProfile profile() {
        return weights.profile;
    }

    public LlamaConfig config() {
        return config;
    }

    public LlamaWeights weights() {
        return weights;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    public GgufFile file() {
        return file;
    }

    /** The RoPE tables for {@code positions} positions (row p is the same whatever the count). */
    public Rope rope(int positions) {
        return new Rope(config.ropeDim(), positions, config.ropeBase(), weights.ropeFactors, config.ropeLinearScale(), config.ropePairing());
    }

    @Override
    public void close() {
        file.close();
    }
}
