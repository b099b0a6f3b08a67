package dev.ledgermind.inference.step;

/**
 * One value an elementwise op reads, with where it is opened from: {@code source} is {@code x_in}, an op's name
 * (its output vector), {@code w:TENSOR} (a tensor of the weights commitment, {@code index} the row-major element
 * index in it) or {@code rope} (the rope table pseudo-tensor, index {@code p * rotDim + 2i} for cos of pair i,
 * {@code + 1} for its sin).
 */
public record Operand(String role, String source, int index, float value) {
    public int bits() {
        return Float.floatToIntBits(value);
    }
}
