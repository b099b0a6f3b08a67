package dev.ledgermind.node.task;

/**
 * A model's content identity, as the ModelRegistry records it: keccak256 of the weights, of the
 * tokenizer, and of the architecture description. Two nodes with the same identity run the same model.
 */
public record ModelIdentity(String name, byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash) {
}
