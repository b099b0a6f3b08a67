package dev.ledgermind.node.worker;

import dev.ledgermind.inference.step.StepFault;
import dev.ledgermind.inference.step.StepOp;

/**
 * How a deliberately dishonest node misbehaves, for tests and the demo (config {@code "dishonesty"}, CLI
 * {@code ledgermind node run --dishonest NAME}). The network must catch each one: a wrong result loses the vote and
 * is slashed; a withheld reveal is slashed as a no-show; in the optimistic mode a one-step-wrong claim loses its
 * dispute game at the one step it changed, a false challenge loses its game, a copied audit is slashed.
 */
public enum Dishonesty {
    /** Computes and reports the true result. */
    HONEST,
    /** Reports a perturbed result: one flipped token, or one perturbed vector component (and a made-up trace root). */
    WRONG_RESULT,
    /** Commits honestly but never reveals. */
    WITHHOLD_REVEAL,
    /** Optimistic mode: audits without replaying (posts the claim's result with made-up leaves): a copier. */
    COPY_AUDIT,
    /**
     * Optimistic mode: challenges every claim it sees, honest ones too, with the trace of {@link #challengerFault}
     * (one element of one op changed, everything after it computed honestly), and plays the game for it: it loses at
     * that step.
     */
    FALSE_CHALLENGE,
    /**
     * Optimistic mode: claims the honest output with the trace of {@link #workerFault} (one element of one op in one
     * layer at one position changed, everything after it computed honestly, so only one step is wrong), and defends
     * it in the game: it loses at exactly that op and element. (Its replicated reveals carry that trace too.)
     */
    ONE_STEP_WRONG,
    /**
     * Optimistic batches: claims every item of a batch honestly but one, item {@link #LYING_ITEM} (or the last of a
     * smaller batch), whose trace is {@link #workerFault}'s as a {@link #ONE_STEP_WRONG} worker's, and defends that
     * item in its game: it loses that item alone. Tasks and replicated batches it computes honestly.
     */
    ONE_ITEM_WRONG;

    /** The item a {@link #ONE_ITEM_WRONG} worker lies about (the last one of a batch of fewer items). */
    public static final int LYING_ITEM = 1;

    /**
     * Whether a worker of this conduct claims item {@code index} of a batch of {@code count} with a faulty trace
     * ({@link #workerFault}): every item for {@link #ONE_STEP_WRONG}, one for {@link #ONE_ITEM_WRONG}.
     */
    public boolean faultsItem(int index, int count) {
        return this == ONE_STEP_WRONG || (this == ONE_ITEM_WRONG && index == Math.min(LYING_ITEM, count - 1));
    }

    /**
     * The runner a worker of this conduct computes item {@code index} of an optimistic batch of {@code count} items
     * with, given the runner its tasks use ({@link #decorate}d already): a {@link #ONE_ITEM_WRONG} worker's lying item
     * gets a one-step-wrong {@link LyingRunner}, every other item the runner as it is.
     */
    public dev.ledgermind.node.task.TaskRunner itemRunner(dev.ledgermind.node.task.TaskRunner runner, int index, int count) {
        return this == ONE_ITEM_WRONG && faultsItem(index, count) ? new LyingRunner(runner, true) : runner;
    }

    /**
     * The one change a {@link #ONE_STEP_WRONG} worker makes to a claim whose trace has {@code positions} positions of
     * {@code layers} layers: element 3 of layer 0's output residual (x_out, an elementwise op, so the game ends in one
     * step that the referee re-executes) at position min(1, positions - 1), set to 2.0f; layer 1 and every later
     * position that attends to it are computed honestly from the changed value.
     */
    public static StepFault workerFault(int positions, int layers) {
        return new StepFault(Math.min(1, positions - 1), 0, StepOp.X_OUT, 3, 0x40000000);
    }

    /**
     * The one change a {@link #FALSE_CHALLENGE} challenger's trace has: element 3 of the FFN's down projection (a
     * reduction) in the last layer at the last position, set to 1.0f. Its accumulation states are the honest ones, so
     * it loses when it posts them (their finish is not its value).
     */
    public static StepFault challengerFault(int positions, int layers) {
        return new StepFault(positions - 1, layers - 1, StepOp.DOWN, 3, 0x3f800000);
    }

    /** The runner a node with this conduct computes with: the honest one, or a {@link LyingRunner} around it. */
    public dev.ledgermind.node.task.TaskRunner decorate(dev.ledgermind.node.task.TaskRunner honest) {
        return switch (this) {
            case WRONG_RESULT -> new LyingRunner(honest, false);
            case ONE_STEP_WRONG -> new LyingRunner(honest, true);
            default -> honest;
        };
    }

    /** Whether a node with this conduct reveals what it committed to. */
    public boolean reveals() {
        return this != WITHHOLD_REVEAL;
    }

    /** The name the config and the CLI use ({@code one-step-wrong}). */
    public String label() {
        return this == HONEST ? "none" : name().toLowerCase().replace('_', '-');
    }

    public static Dishonesty parse(String s) {
        return switch (s.trim().toLowerCase().replace('_', '-')) {
            case "none", "honest" -> HONEST;
            case "wrong-result", "wrong" -> WRONG_RESULT;
            case "withhold-reveal", "withhold" -> WITHHOLD_REVEAL;
            case "copy-audit" -> COPY_AUDIT;
            case "false-challenge" -> FALSE_CHALLENGE;
            case "one-step-wrong" -> ONE_STEP_WRONG;
            case "one-item-wrong" -> ONE_ITEM_WRONG;
            default -> throw new IllegalArgumentException("unknown dishonesty '" + s
                    + "'; expected none, wrong-result, withhold-reveal, copy-audit, false-challenge, one-step-wrong or one-item-wrong");
        };
    }
}
