package dev.ledgermind.node.task;

/**
 * A model's content identity, as the ModelRegistry records it. Two nodes with the same identity run the same model.
 *
 * <p>For a decoder the dispute game can play ({@code gamePlayable}: llama-family matrices in F32, Q8_0, Q4_0, Q4_K or Q6_K, F32 norms and biases,
 * docs/DESIGN.md section 4.4) the registry's fields are what the game checks a step against: {@code weightsHash} is
 * the weights commitment's root (inference's {@code WeightsCommitment}: a Merkle root over 32-element weight blocks
 * and the rope table) and {@code architectureHash} the model spec's hash ({@code StepModelSpec.hash}: the shapes,
 * epsilons, RoPE pairing and tensor types the step program needs); {@code tokenizerHash} is keccak256 of the whole
 * GGUF file, which carries the tokenizer and chat template. For any other model (encoders, decoders with weight types
 * the game does not cover) the three are keccak256 of the weights, of the tokenizer and of an architecture
 * description; such a model cannot be disputed in a game and is not registered for the optimistic mode.
 */
public record ModelIdentity(String name, byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash, boolean gamePlayable) {
    /** A model the dispute game cannot play (hashes of its files and description). */
    public ModelIdentity(String name, byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash) {
        this(name, weightsHash, tokenizerHash, architectureHash, false);
    }
}
