package dev.ledgermind.node.game;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.step.StepModelSpec;
import dev.ledgermind.inference.step.Step;
import dev.ledgermind.inference.step.StepEngine;
import dev.ledgermind.inference.step.StepFault;
import dev.ledgermind.inference.step.TraceCommitment;
import dev.ledgermind.inference.step.WeightsCommitment;

import java.util.HashMap;
import java.util.Map;

/**
 * What one party of a dispute game computes from: the model, the claimed token sequence, and its own run of
 * it, honest or with a {@link StepFault} (the dishonest worker or challenger of the tests and the demo). The
 * trace, the weights commitment and each step are computed on first use and kept; nothing here is on-chain
 * state, so a party that restarts recomputes the same bits from the same model and tokens.
 */
public final class GameWitness {
    private final LlamaModel model;
    private final int[] tokens;
    private final int positions;
    private final StepFault fault;
    private final KernelConfig cfg;
    private final Parallel par;
    private final StepEngine engine;
    private final Map<Long, Step> steps = new HashMap<>();
    private TraceCommitment trace;
    private WeightsCommitment weights;
    private byte[] spec;

    /**
     * A witness whose trace covers every token of {@code tokens} (the game's tokens hash is theirs).
     *
     * @param fault  null for an honest party
     */
    public GameWitness(LlamaModel model, int[] tokens, StepFault fault, KernelConfig cfg, Parallel par) {
        this(model, tokens, tokens.length, fault, cfg, par, null);
    }

    /**
     * The witness of an optimistic claim: {@code tokens} is the whole claimed sequence (prompt, then every output
     * token: what the claim's tokensHash covers and what a layer-0 step opens), of which the trace covers the first
     * {@code positions} (the claim's positions: the last output token is never run).
     *
     * @param fault   null for an honest party
     * @param weights the model's weights commitment when the caller has it (null: computed on first use)
     */
    public GameWitness(LlamaModel model, int[] tokens, int positions, StepFault fault, KernelConfig cfg, Parallel par,
                       WeightsCommitment weights) {
        if (positions <= 0) throw new IllegalArgumentException("a game needs at least one position");
        if (positions > tokens.length) {
            throw new IllegalArgumentException("a trace of " + positions + " positions over a sequence of " + tokens.length + " tokens");
        }
        this.model = model;
        this.tokens = tokens.clone();
        this.positions = positions;
        this.weights = weights;
        this.fault = fault;
        this.cfg = cfg;
        this.par = par;
        this.engine = new StepEngine(model, cfg, par);
    }

    public LlamaModel model() {
        return model;
    }

    /** Positions the trace covers (a prefix of {@link #tokens()}). */
    public int positions() {
        return positions;
    }

    /** The whole claimed sequence (the tokens hash's preimage). */
    public int[] tokens() {
        return tokens.clone();
    }

    public int layers() {
        return model.config().layers();
    }

    public synchronized TraceCommitment trace() {
        if (trace == null) trace = TraceCommitment.of(model, java.util.Arrays.copyOf(tokens, positions), fault, cfg, par);
        return trace;
    }

    public synchronized WeightsCommitment weights() {
        if (weights == null) weights = WeightsCommitment.of(model, par);
        return weights;
    }

    /** The model spec's bytes (the registry's architectureHash is their keccak256). */
    public synchronized byte[] spec() {
        if (spec == null) spec = StepModelSpec.of(model, weights()).encode();
        return spec.clone();
    }

    /** This party's step at leaf index {@code leaf} (position leaf / layers, layer leaf % layers). */
    public synchronized Step step(long leaf) {
        return steps.computeIfAbsent(leaf, i -> engine.step(tokens, (int) (i / layers()), (int) (i % layers()), fault));
    }
}
