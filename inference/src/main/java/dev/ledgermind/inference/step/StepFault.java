package dev.ledgermind.inference.step;

/**
 * The dishonest worker's one change: element {@code element} of op {@code op} at {@code (position, layer)} gets the
 * bits {@code bits} instead of its value; everything after it is computed honestly from it (in the step, then in
 * every later leaf). Apply it to a run with {@link StepEngine#faultHook}.
 */
public record StepFault(int position, int layer, StepOp op, int element, int bits) {
    public StepFault {
        if (position < 0 || layer < 0 || element < 0) {
            throw new IllegalArgumentException("a fault needs a position, layer and element >= 0, found " + position + ", " + layer + ", " + element);
        }
        if (op == null) throw new IllegalArgumentException("a fault needs an op");
    }

    public float value() {
        return Float.intBitsToFloat(bits);
    }
}
