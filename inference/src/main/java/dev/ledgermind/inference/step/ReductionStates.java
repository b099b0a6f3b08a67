package dev.ledgermind.inference.step;

import java.util.List;

/**
 * The chunked states of one element of a reduction op (section 4.3 of the game): {@code states.get(0)} is S_0
 * (the initial state), {@code states.get(c)} the state after chunk c (c = 1..T), and {@code value} is
 * {@code finish(S_T)}, the element's value (before any fault).
 */
public record ReductionStates(StepOp op, int element, List<float[]> states, float value) {
    /** Number of chunks T. */
    public int chunks() {
        return states.size() - 1;
    }

    /** S_c, a copy. */
    public float[] state(int c) {
        return states.get(c).clone();
    }
}
