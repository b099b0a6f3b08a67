package dev.ledgermind.inference.trace;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class VectorRootTest {
    private static byte[] le(int... bits) {
        byte[] b = new byte[4 * bits.length];
        for (int i = 0; i < bits.length; i++) for (int k = 0; k < 4; k++) b[4 * i + k] = (byte) (bits[i] >>> (8 * k));
        return b;
    }

    @Test
    void theOneBlockKeccakEqualsTheGeneralDigestForEveryLengthItTakes() {
        SplittableRandom r = new SplittableRandom(9);
        OneBlockKeccak k = new OneBlockKeccak();
        for (int rep = 0; rep < 3; rep++) {
            for (int len = 0; len < OneBlockKeccak.RATE; len++) {
                byte[] msg = new byte[len];
                r.nextBytes(msg);
                System.arraycopy(msg, 0, k.block, 0, len);
                byte[] out = new byte[36];
                k.hash(len, out, 2);
                assertArrayEquals(Keccak256.hash(msg), java.util.Arrays.copyOfRange(out, 2, 34), "length " + len);
            }
        }
        assertThrows(IllegalArgumentException.class, () -> k.hash(136, new byte[32], 0));
    }

    @Test
    void aShortVectorIsOneChunkHashedWithItsBytesDirectly() {
        float[] v = {1.0f, -0.0f, Float.intBitsToFloat(0xffc00000)};
        byte[] expected = Keccak256.hash(new byte[]{0}, le(0x3f800000, 0x80000000, 0x7fc00000));
        assertArrayEquals(expected, VectorRoot.of(v));
    }

    @Test
    void seventyElementsAreTwoFullChunksAndAShortOnePromoted() {
        float[] v = new float[70];
        for (int i = 0; i < v.length; i++) v[i] = i * 0.5f - 3f;
        byte[][] chunk = new byte[3][];
        for (int c = 0; c < 3; c++) {
            int len = Math.min(32, 70 - 32 * c);
            int[] bits = new int[len];
            for (int j = 0; j < len; j++) bits[j] = Float.floatToIntBits(v[32 * c + j]);
            chunk[c] = Keccak256.hash(new byte[]{0}, le(bits));
        }
        byte[] root = Keccak256.hash(new byte[]{1}, Keccak256.hash(new byte[]{1}, chunk[0], chunk[1]), chunk[2]);
        assertArrayEquals(root, VectorRoot.of(v));
        assertEquals(3, VectorRoot.chunks(70));
        assertEquals(24, VectorRoot.chunkBytes(v, 0, 70, 2).length);
    }

    @Test
    void everyNaNGivesTheSameRootAndSignedZerosDiffer() {
        assertArrayEquals(VectorRoot.of(new float[]{Float.NaN}), VectorRoot.of(new float[]{Float.intBitsToFloat(0xfff00001)}));
        assertFalse(java.util.Arrays.equals(VectorRoot.of(new float[]{0.0f}), VectorRoot.of(new float[]{-0.0f})));
    }

    @Test
    void theReusableHasherEqualsTheTreeAndEveryChunkProofVerifies() {
        SplittableRandom r = new SplittableRandom(1);
        VectorRoot.Hasher h = new VectorRoot.Hasher();
        for (int n = 1; n <= 300; n += 1 + r.nextInt(7)) {
            float[] v = new float[n + 5];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            MerkleTree t = VectorRoot.tree(v, 5, n);
            byte[] out = new byte[40];
            h.root(v, 5, n, out, 3);
            assertArrayEquals(t.rootBytes(), java.util.Arrays.copyOfRange(out, 3, 35), "n = " + n);
            assertArrayEquals(t.rootBytes(), VectorRoot.of(java.util.Arrays.copyOfRange(v, 5, 5 + n)));
            for (int c = 0; c < VectorRoot.chunks(n); c++) {
                byte[] node = VectorRoot.leafNodeOfBytes(VectorRoot.chunkBytes(v, 5, n, c));
                assertTrue(t.proof(c).verifyNode(t.root(), node), "n = " + n + " chunk " + c);
                assertFalse(t.proof(c).verifyNode(t.root(), Keccak256.hash(node)));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> VectorRoot.of(new float[0]));
    }

    @Test
    void treeNodesAndChildrenFollowTheDescentRule() {
        float[] v = new float[5 * 32];
        for (int i = 0; i < v.length; i++) v[i] = i;
        MerkleTree t = VectorRoot.tree(v);
        assertEquals(4, t.height()); // 5, 3, 2, 1 nodes
        assertTrue(t.promoted(1, 2));
        assertFalse(t.promoted(1, 1));
        byte[][] ch = t.children(3, 0);
        assertArrayEquals(t.rootBytes(), MerkleTree.innerNode(ch[0], ch[1]));
        assertArrayEquals(t.node(1, 2), t.node(0, 4));
        assertThrows(IllegalArgumentException.class, () -> t.children(1, 2));
    }

    @Test
    void theFoldOfAVectorsGroupRootsIsItsRoot() {
        SplittableRandom r = new SplittableRandom(31);
        VectorRoot.Hasher h = new VectorRoot.Hasher();
        for (int n : new int[]{1, 31, 32, 33, 511, 512, 513, 1024, 1500, 2048, 2049, 2560, 3072, 4096, 4097, 5000, 8192, 16_385}) {
            float[] v = new float[n + 3];
            for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
            int groups = VectorRoot.groups(n);
            assertEquals((n + 511) / 512, groups, "groups of " + n);
            byte[] nodes = new byte[groups * Keccak256.SIZE + 5];
            for (int g = groups - 1; g >= 0; g--) h.group(v, 3, n, g, nodes, 5 + g * Keccak256.SIZE); // any order
            byte[] folded = new byte[Keccak256.SIZE];
            h.fold(nodes, 5, groups, folded, 0);
            assertArrayEquals(VectorRoot.of(v, 3, n), folded, "n = " + n);
            assertArrayEquals(VectorRoot.tree(v, 3, n).rootBytes(), folded, "n = " + n);
        }
        assertThrows(IndexOutOfBoundsException.class, () -> h.group(new float[512], 0, 512, 1, new byte[32], 0));
        assertThrows(IllegalArgumentException.class, () -> h.fold(new byte[32], 0, 0, new byte[32], 0));
    }
}
