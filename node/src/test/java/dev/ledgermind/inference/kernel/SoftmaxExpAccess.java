package dev.ledgermind.inference.kernel;

/**
 * Test-only door to {@code Softmax.exp(float)}, which is package-private "for the referee's parity vectors": node's
 * StepRefereeParityTest compares the on-chain softmax exponential with the engine's own function through it.
 */
public final class SoftmaxExpAccess {
    private SoftmaxExpAccess() {
    }

    /** {@code Softmax.exp(diff)}: {@code (double) diff < -104 ? 0 : (float) Erf.exp(diff)}. */
    public static float exp(float diff) {
        return Softmax.exp(diff);
    }
}
