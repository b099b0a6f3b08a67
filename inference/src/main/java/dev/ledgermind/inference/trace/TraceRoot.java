package dev.ledgermind.inference.trace;

import java.util.Arrays;
import java.util.HexFormat;

/** The 32-byte root of a trace's Merkle tree ({@link MerkleTree}), committed on-chain beside the result hash. */
public final class TraceRoot {
    private final byte[] bytes;

    public TraceRoot(byte[] bytes) {
        if (bytes.length != Keccak256.SIZE) {
            throw new IllegalArgumentException("a trace root is 32 bytes, found " + bytes.length);
        }
        this.bytes = bytes.clone();
    }

    /** Parses {@code 0x}-prefixed (or bare) hex of 32 bytes. */
    public static TraceRoot ofHex(String hex) {
        String h = hex.startsWith("0x") || hex.startsWith("0X") ? hex.substring(2) : hex;
        return new TraceRoot(HexFormat.of().parseHex(h));
    }

    public byte[] bytes() {
        return bytes.clone();
    }

    /** {@code 0x}-prefixed lower-case hex. */
    public String hex() {
        return Keccak256.hex(bytes);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TraceRoot other && Arrays.equals(bytes, other.bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return hex();
    }
}
