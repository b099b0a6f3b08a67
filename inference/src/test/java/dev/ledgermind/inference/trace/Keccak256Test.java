package dev.ledgermind.inference.trace;

import org.bouncycastle.crypto.digests.KeccakDigest;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

/** The incremental keccak256 wrapper (pieces, single bytes, floats at any byte offset) against one-shot KeccakDigest runs. */
class Keccak256Test {
    private static byte[] reference(byte[] data) {
        KeccakDigest d = new KeccakDigest(256);
        d.update(data, 0, data.length);
        byte[] out = new byte[32];
        d.doFinal(out, 0);
        return out;
    }

    private static byte[] bytesOf(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float f : x) b.putInt(f != f ? 0x7fc00000 : Float.floatToRawIntBits(f)); // canonical NaN, written out
        return b.array();
    }

    @Test
    void everyLengthAroundTheRateEqualsTheReference() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int len = 0; len <= 3 * 136 + 9; len++) {
            byte[] data = new byte[len];
            rnd.nextBytes(data);
            assertArrayEquals(reference(data), Keccak256.hash(data), "length " + len);
            // the same bytes fed in random pieces, single bytes among them
            Keccak256 k = new Keccak256();
            for (int off = 0; off < len; ) {
                int piece = Math.min(len - off, rnd.nextInt(4) == 0 ? 1 : rnd.nextInt(1, 150));
                if (piece == 1) k.update(data[off]);
                else k.update(data, off, piece);
                off += piece;
            }
            assertArrayEquals(reference(data), k.digest(), "pieces, length " + len);
        }
    }

    @Test
    void floatsHashAsTheirLittleEndianBitsAtAnyByteOffset() {
        SplittableRandom rnd = new SplittableRandom(2);
        for (int n = 0; n < 200; n += rnd.nextInt(1, 9)) {
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) x[i] = (float) rnd.nextGaussian();
            x[1] = -0.0f;
            x[2] = Float.intBitsToFloat(0xffc00123); // a NaN with a sign and a payload: hashed as the canonical 0x7fc00000
            float[] slice = java.util.Arrays.copyOfRange(x, 1, 1 + n);
            assertArrayEquals(reference(bytesOf(slice)), Keccak256.hashFloats(x, 1, n), "n " + n);
            for (int prefix = 0; prefix < 9; prefix++) { // floats after 0..8 bytes: on and off lane and float boundaries
                byte[] head = new byte[prefix];
                rnd.nextBytes(head);
                byte[] all = new byte[prefix + 4 * n];
                System.arraycopy(head, 0, all, 0, prefix);
                System.arraycopy(bytesOf(slice), 0, all, prefix, 4 * n);
                byte[] got = new Keccak256().update(head).updateFloats(x, 1, n).updateIntLE(prefix).digest();
                byte[] tail = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(prefix).array();
                byte[] expected = new byte[all.length + 4];
                System.arraycopy(all, 0, expected, 0, all.length);
                System.arraycopy(tail, 0, expected, all.length, 4);
                assertArrayEquals(reference(expected), got, "n " + n + " after " + prefix + " bytes");
            }
        }
    }
}
