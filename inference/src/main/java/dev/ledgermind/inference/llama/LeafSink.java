package dev.ledgermind.inference.llama;

/** Receives trace leaf hashes in canonical (position, layer) order. */
@FunctionalInterface
public interface LeafSink {
    void leaf(int position, int layer, byte[] hash);

    /**
     * The leaf with its preimage: {@code roots} is {@code vecRoot(x_out) || vecRoot(k_rope) || vecRoot(v)} (96 bytes),
     * and {@code hash = keccak256(0x02 || roots)} (trace leaf v2, DESIGN.md section 4). The dispute game opens a leaf
     * with these roots. By default only the hash is kept.
     */
    default void leaf(int position, int layer, byte[] roots, byte[] hash) {
        leaf(position, layer, hash);
    }
}
