package dev.ledgermind.node.task;

import dev.ledgermind.inference.generate.GenerationResult;
import dev.ledgermind.inference.generate.Generator;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.sampling.SamplingParams;
import dev.ledgermind.inference.step.StepModelSpec;
import dev.ledgermind.inference.step.WeightsCommitment;
import dev.ledgermind.inference.tensor.ComputeProfile;
import dev.ledgermind.inference.trace.Keccak256;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Runs generate tasks on a GGUF decoder with the deterministic engine. The output is
 * {@code u32le(n) || u32le(token_0) .. u32le(token_{n-1})}, exactly the preimage of the engine's result
 * hash, so {@code keccak256(output) == resultHash} as the chain checks on reveal.
 *
 * <p>The model's identity on chain ({@link ModelIdentity}): when the dispute game covers its weights (F32, Q8_0),
 * the weights commitment's root and the step model spec's hash, which are what a game checks each step's weights
 * and shapes against, with keccak256 of the whole GGUF file (tokenizer included) as the tokenizer hash; otherwise
 * keccak256 of the file and of a one-line description of its architecture.
 */
public final class DecoderTaskRunner implements TaskRunner, AutoCloseable {
    private final String name;
    private final LlamaModel model;
    private final Generator generator;
    private final Parallel parallel;
    private final ModelIdentity identity;
    private final KernelConfig config;
    private final WeightsCommitment weights;

    public DecoderTaskRunner(Path gguf, KernelConfig config, int threads) {
        this(gguf, config, threads, ComputeProfile.BINARY32);
    }

    /**
     * A runner computing under {@code profile}. Under a profile other than binary32 the model is a different model on
     * chain (its results differ): its name is the file's with {@code @profile} appended, its architecture hash covers
     * the profile, and the dispute game does not cover it (replicated mode and audits by replay do).
     */
    public DecoderTaskRunner(Path gguf, KernelConfig config, int threads, ComputeProfile profile) {
        String base = gguf.getFileName().toString().replaceFirst("\\.gguf$", "");
        this.name = profile == ComputeProfile.BINARY32 ? base : base + "@" + profile.id;
        try {
            this.model = LlamaModel.load(gguf, profile);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot load GGUF model " + gguf + ": " + e.getMessage(), e);
        }
        this.parallel = new Parallel(threads);
        this.config = config;
        this.generator = new Generator(model, config, parallel);
        byte[] fileHash = fileHash(gguf);
        if (profile == ComputeProfile.BINARY32 && WeightsCommitment.notCovered(model).isEmpty()) {
            this.weights = WeightsCommitment.of(model, parallel);
            this.identity = new ModelIdentity(name, weights.root(), fileHash, StepModelSpec.of(model, weights).hash(), true);
        } else {
            this.weights = null;
            String profiled = profile == ComputeProfile.BINARY32 ? "" : "profile " + profile.id + " ";
            byte[] arch = Keccak256.hash(("ledgermind/llama-decoder/v1 " + profiled + model.config()).getBytes(StandardCharsets.UTF_8));
            this.identity = new ModelIdentity(name, fileHash, fileHash, arch, false);
        }
    }

    /** The loaded model (the dispute game's witness recomputes steps from it). */
    public LlamaModel model() {
        return model;
    }

    /** The kernels' configuration this runner computes with. */
    public KernelConfig kernelConfig() {
        return config;
    }

    /** This runner's threads. */
    public Parallel parallel() {
        return parallel;
    }

    /** The weights commitment the model is registered with, or null when the game does not cover its weights. */
    public WeightsCommitment weights() {
        return weights;
    }

    /** The prompt's tokens as this runner's generation forms them (the claimed sequence starts with them). */
    public int[] promptTokens(TaskInput input) {
        return generator.promptTokens(input.prompt());
    }

    private static byte[] fileHash(Path file) {
        Keccak256 k = new Keccak256();
        byte[] buf = new byte[1 << 20];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) k.update(buf, 0, n);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        return k.digest();
    }

    @Override
    public List<ModelIdentity> models() {
        return List.of(identity);
    }

    @Override
    public TaskResult run(TaskInput input) {
        return run(input, null);
    }

    @Override
    public TaskResult run(TaskInput input, IntConsumer onToken) {
        if (!name.equalsIgnoreCase(input.model())) return TaskResult.error("task is for model " + input.model() + ", this runner serves " + name);
        if (input.kind() != TaskKind.GENERATE) return TaskResult.error(input.kind().name().toLowerCase() + " is not a decoder task");
        GenerationResult r;
        try {
            r = generator.generate(generator.promptTokens(input.prompt()), input.maxTokens(),
                    new SamplingParams(input.temperature(), 0, input.topP(), input.seed()), onToken);
        } catch (IllegalArgumentException e) {
            return TaskResult.error(e.getMessage());
        }
        ByteBuffer out = ByteBuffer.allocate(4 + 4 * r.tokens().length).order(ByteOrder.LITTLE_ENDIAN);
        out.putInt(r.tokens().length);
        for (int t : r.tokens()) out.putInt(t);
        // the trace covers the prompt and every output token but the last
        int positions = r.promptTokens().length + r.tokens().length - 1;
        TraceShape shape = positions > 0 && r.leafCount() > 0
                ? new TraceShape(TraceShape.tokensHash(r.promptTokens(), r.tokens()), positions, r.leafCount()) : null;
        return new TaskResult(out.array(), r.resultHash(), r.traceRoot().bytes(), shape);
    }

    /**
     * Replays {@code claimedOutput} ({@code u32le(n) || u32le(token_i)..}) of {@code input} with inference's
     * {@link dev.ledgermind.inference.generate.Replay}, collecting every trace leaf hash; a claim it rejects is
     * answered with this node's own generation.
     */
    @Override
    public Replayed replay(TaskInput input, byte[] claimedOutput) {
        if (!name.equalsIgnoreCase(input.model()) || input.kind() != TaskKind.GENERATE) return null;
        int[] claimed;
        ByteBuffer in = ByteBuffer.wrap(claimedOutput).order(ByteOrder.LITTLE_ENDIAN);
        if (claimedOutput.length < 4 || in.getInt(0) < 0 || claimedOutput.length != 4 + 4L * in.getInt(0)) {
            TaskResult honest = run(input);
            return new Replayed(false, "the claimed output is not u32le(n) followed by n token ids", new byte[32], new byte[32],
                    java.util.List.of(), honest);
        }
        claimed = new int[in.getInt(0)];
        for (int i = 0; i < claimed.length; i++) claimed[i] = in.getInt(4 + 4 * i);
        java.util.List<byte[]> leaves = new java.util.ArrayList<>();
        var replay = new dev.ledgermind.inference.generate.Replay(model, config, parallel);
        var r = replay.replay(generator.promptTokens(input.prompt()), claimed, input.maxTokens(),
                new SamplingParams(input.temperature(), 0, input.topP(), input.seed()), leaves::add);
        byte[] root = r.traceRoot() == null ? new byte[32] : r.traceRoot().bytes();
        return new Replayed(r.accepted(), r.reason(), r.resultHash(), root, leaves, r.accepted() ? null : run(input));
    }

    @Override
    public DecoderTaskRunner decoder(String model) {
        return name.equalsIgnoreCase(model) ? this : null;
    }

    /** The text of generated tokens, with this model's tokenizer. */
    public String decode(int[] tokens) {
        return model.tokenizer().decode(tokens);
    }

    @Override
    public void warmUp() {
        generator.generate(generator.promptTokens("warm up"), 4, SamplingParams.greedy(), null);
    }

    @Override
    public void close() {
        parallel.close();
        model.close();
    }
}
