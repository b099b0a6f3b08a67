package dev.ledgermind.inference.trace;

import org.bouncycastle.crypto.digests.KeccakDigest;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * keccak256 (the EVM's hash: Keccak with the original padding, not SHA3-256), incremental.
 * Floats are fed as their canonical little-endian IEEE 754 bytes ({@link Float#floatToRawIntBits}),
 * so a NaN's payload and the sign of zero are part of the hash.
 *
 * <p>Not thread-safe; one instance per hash.
 */
public final class Keccak256 {
    /** Digest size in bytes. */
    public static final int SIZE = 32;

    private static final ValueLayout.OfFloat FLOAT_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final KeccakDigest digest = new KeccakDigest(256);
    private final byte[] buf = new byte[4096];

    /** keccak256 of {@code data}. */
    public static byte[] hash(byte[] data) {
        return new Keccak256().update(data).digest();
    }

    /** keccak256 of the concatenation of {@code parts}. */
    public static byte[] hash(byte[]... parts) {
        Keccak256 k = new Keccak256();
        for (byte[] p : parts) k.update(p);
        return k.digest();
    }

    /** keccak256 of the little-endian bytes of {@code x[off .. off+n)}. */
    public static byte[] hashFloats(float[] x, int off, int n) {
        return new Keccak256().updateFloats(x, off, n).digest();
    }

    public Keccak256 update(byte b) {
        digest.update(b);
        return this;
    }

    public Keccak256 update(byte[] data) {
        digest.update(data, 0, data.length);
        return this;
    }

    public Keccak256 update(byte[] data, int off, int len) {
        digest.update(data, off, len);
        return this;
    }

    /** Appends each float as 4 little-endian bytes of its raw IEEE 754 bits. */
    public Keccak256 updateFloats(float[] x, int off, int n) {
        java.util.Objects.checkFromIndexSize(off, n, x.length);
        MemorySegment bytes = MemorySegment.ofArray(buf);
        for (int i = 0; i < n; ) {
            int chunk = Math.min(n - i, buf.length / 4);
            MemorySegment.copy(x, off + i, bytes, FLOAT_LE, 0, chunk); // a bit copy: NaN payloads and -0 kept
            digest.update(buf, 0, 4 * chunk);
            i += chunk;
        }
        return this;
    }

    /** Appends a 32-bit integer as 4 little-endian bytes. */
    public Keccak256 updateIntLE(int v) {
        digest.update((byte) v);
        digest.update((byte) (v >>> 8));
        digest.update((byte) (v >>> 16));
        digest.update((byte) (v >>> 24));
        return this;
    }

    /** Finishes the hash; the instance must not be used afterwards. */
    public byte[] digest() {
        byte[] out = new byte[SIZE];
        digest.doFinal(out, 0);
        return out;
    }

    /** {@code 0x}-prefixed lower-case hex. */
    public static String hex(byte[] bytes) {
        return "0x" + HexFormat.of().formatHex(bytes);
    }
}
