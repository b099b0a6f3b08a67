package dev.ledgermind.inference.generate;

import dev.ledgermind.inference.trace.Keccak256;

/**
 * The result hash of a generation: {@code keccak256(u32le(n) || u32le(t_0) || ... || u32le(t_{n-1}))} over
 * the output token ids (prompt excluded).
 */
public final class ResultHash {
    private ResultHash() {
    }

    public static byte[] of(int[] outputTokens) {
        Keccak256 k = new Keccak256().updateIntLE(outputTokens.length);
        for (int t : outputTokens) k.updateIntLE(t);
        return k.digest();
    }
}
