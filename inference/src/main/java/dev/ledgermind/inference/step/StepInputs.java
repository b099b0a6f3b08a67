package dev.ledgermind.inference.step;

/**
 * What a step at {@code (position, layer)} reads besides the weights: {@code xIn} (layer 0: the token's embedding
 * row; else x_out of leaf (p, l-1)), and this layer's K and V rows of the earlier positions ({@code keys[t]} is
 * k_rope of leaf (t, l), t &lt; p). All agreed by the two parties when the game reaches the step.
 */
public record StepInputs(int position, int layer, int token, float[] xIn, float[][] keys, float[][] values) {
    public StepInputs {
        if (keys.length != position || values.length != position) {
            throw new IllegalArgumentException("a step at position " + position + " needs " + position + " K and V rows, found "
                    + keys.length + " and " + values.length);
        }
    }
}
