package dev.ledgermind.inference.trace;

import org.bouncycastle.crypto.digests.KeccakDigest;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.HexFormat;

/**
 * keccak256 (the EVM's hash: Keccak with the original padding, not SHA3-256), incremental.
 * Floats are fed as their canonical little-endian IEEE 754 bytes ({@link #canonicalBits}: the bits of
 * {@link Float#floatToIntBits}, so every NaN is {@code 0x7fc00000} and the sign of zero is kept). A NaN's
 * raw payload is not portable (x86 makes {@code 0xffc00000} for {@code 0f/0f}, ARM {@code 0x7fc00000}), so
 * hashing raw bits would make traces differ between CPUs (trace leaves v2, DESIGN.md section 4).
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

    /** The canonical bits of {@code f}: {@link Float#floatToIntBits} (every NaN becomes {@code 0x7fc00000}; -0 kept). */
    public static int canonicalBits(float f) {
        return Float.floatToIntBits(f);
    }

    /** Writes the canonical little-endian bytes of {@code x[off .. off+n)} to {@code out[outOff ..]} (4n bytes). */
    public static void canonicalBytes(float[] x, int off, int n, byte[] out, int outOff) {
        MemorySegment.copy(x, off, MemorySegment.ofArray(out), FLOAT_LE, outOff, n); // a bit copy, then NaNs fixed
        for (int i = 0; i < n; i++) {
            float v = x[off + i];
            if (v != v) {
                int o = outOff + 4 * i;
                out[o] = 0;
                out[o + 1] = 0;
                out[o + 2] = (byte) 0xc0;
                out[o + 3] = 0x7f;
            }
        }
    }

    /** Appends each float as the 4 little-endian bytes of its canonical bits ({@link #canonicalBits}). */
    public Keccak256 updateFloats(float[] x, int off, int n) {
        java.util.Objects.checkFromIndexSize(off, n, x.length);
        for (int i = 0; i < n; ) {
            int chunk = Math.min(n - i, buf.length / 4);
            canonicalBytes(x, off + i, chunk, buf, 0);
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
