package dev.ledgermind.inference.llama;

/** Receives trace leaf hashes in canonical (position, layer) order. */
@FunctionalInterface
public interface LeafSink {
    void leaf(int position, int layer, byte[] hash);
}
