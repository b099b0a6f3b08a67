package dev.ledgermind.chain.events;

/**
 * A model as the ModelRegistry records it: id, human name, the three content hashes and the verification
 * modes it supports (bit 1 replicated, 2 optimistic, 4 ensemble).
 */
public record RegisteredModel(int id, String name, byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash,
                              String registrant, int modes) {
}
