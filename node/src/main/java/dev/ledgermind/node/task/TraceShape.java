package dev.ledgermind.node.task;

/**
 * The shape of a result's execution trace, as an optimistic claim states it (docs/DESIGN.md section 5): the
 * hash of the claimed token sequence ({@code keccak256} of the prompt's then the output's token ids, uint32
 * little-endian), the positions the trace covers (that sequence less its last token) and its leaves
 * (positions x layers, in (position, layer) order). A dispute game checks the claim against it.
 */
public record TraceShape(byte[] tokensHash, int positions, int leafCount) {
    public TraceShape {
        if (tokensHash == null || tokensHash.length != 32) throw new IllegalArgumentException("tokensHash must be 32 bytes");
        if (positions <= 0 || leafCount <= 0 || leafCount % positions != 0) {
            throw new IllegalArgumentException("a trace of " + leafCount + " leaves over " + positions + " positions is not positions x layers");
        }
    }

    /** keccak256 of the token ids, uint32 little-endian, in order. */
    public static byte[] tokensHash(int[] prompt, int[] output) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(4 * (prompt.length + output.length)).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (int t : prompt) b.putInt(t);
        for (int t : output) b.putInt(t);
        return dev.ledgermind.inference.trace.Keccak256.hash(b.array());
    }
}
