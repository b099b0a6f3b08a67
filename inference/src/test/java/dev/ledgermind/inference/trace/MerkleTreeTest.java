package dev.ledgermind.inference.trace;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MerkleTreeTest {
    private static byte[] hex(String h) {
        return HexFormat.of().parseHex(h);
    }

    private static List<byte[]> leaves(int n) {
        List<byte[]> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(Keccak256.hash(("leaf " + i).getBytes(StandardCharsets.UTF_8)));
        return out;
    }

    @Test
    void keccak256MatchesTheEthereumTestVectors() {
        assertArrayEquals(hex("c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
                Keccak256.hash(new byte[0]));
        assertArrayEquals(hex("4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
                Keccak256.hash("abc".getBytes(StandardCharsets.US_ASCII)));
    }

    @Test
    void floatsAreHashedAsTheirCanonicalLittleEndianBits() {
        // every NaN hashes as 0x7fc00000 (x86's 0f/0f is 0xffc00000, ARM's 0x7fc00000); -0 keeps its sign
        float[] x = {1.0f, -0.0f, Float.intBitsToFloat(0x7fc00001), Float.intBitsToFloat(0xffc00000)};
        byte[] le = {0, 0, (byte) 0x80, 0x3f, 0, 0, 0, (byte) 0x80, 0, 0, (byte) 0xc0, 0x7f, 0, 0, (byte) 0xc0, 0x7f};
        assertArrayEquals(Keccak256.hash(le), Keccak256.hashFloats(x, 0, 4));
        assertNotEquals(Keccak256.hex(Keccak256.hashFloats(new float[]{0.0f}, 0, 1)),
                Keccak256.hex(Keccak256.hashFloats(new float[]{-0.0f}, 0, 1)));
    }

    @Test
    void rootFollowsTheDocumentedDomainSeparatedConstruction() {
        List<byte[]> l = leaves(3);
        byte[] n0 = Keccak256.hash(new byte[]{0}, l.get(0));
        byte[] n1 = Keccak256.hash(new byte[]{0}, l.get(1));
        byte[] n2 = Keccak256.hash(new byte[]{0}, l.get(2));
        byte[] p01 = Keccak256.hash(new byte[]{1}, n0, n1);
        byte[] root = Keccak256.hash(new byte[]{1}, p01, n2); // n2 promoted, then paired
        assertEquals(new TraceRoot(root), MerkleTree.of(l).root());
        assertEquals(new TraceRoot(n0), MerkleTree.of(l.subList(0, 1)).root());
    }

    @Test
    void nodeHashesEqualTheGeneralDigestAtEveryMessageLength() {
        // nodes below 136 bytes go through the one-block Keccak, longer ones through the general digest
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int len = 0; len <= 140; len++) {
            byte[] a = new byte[len];
            r.nextBytes(a);
            assertArrayEquals(Keccak256.hash(new byte[]{0}, a), MerkleTree.leafNode(a), "leaf node of " + len + " bytes");
            byte[] left = java.util.Arrays.copyOf(a, len / 2), right = java.util.Arrays.copyOfRange(a, len / 2, len);
            assertArrayEquals(Keccak256.hash(new byte[]{1}, left, right), MerkleTree.innerNode(left, right), "inner node of " + len + " bytes");
        }
    }

    @Test
    void everyLeafProofVerifiesForTreesOfOneToThirtyThreeLeaves() {
        for (int n = 1; n <= 33; n++) {
            List<byte[]> l = leaves(n);
            MerkleTree tree = MerkleTree.of(l);
            TraceRoot root = tree.root();
            for (int i = 0; i < n; i++) {
                MerkleProof proof = tree.proof(i);
                assertTrue(proof.verify(root, l.get(i)), "leaf " + i + " of " + n);
                int expectedDepth = 0;
                // a proof is never longer than ceil(log2 n) siblings
                for (int s = n; s > 1; s = (s + 1) / 2) expectedDepth++;
                assertTrue(proof.siblings().size() <= expectedDepth, "proof length for leaf " + i + " of " + n);
            }
        }
    }

    @Test
    void tamperedLeafSiblingIndexOrRootFails() {
        for (int n = 1; n <= 33; n++) {
            List<byte[]> l = leaves(n);
            MerkleTree tree = MerkleTree.of(l);
            TraceRoot root = tree.root();
            for (int i = 0; i < n; i++) {
                MerkleProof proof = tree.proof(i);
                byte[] leaf = l.get(i).clone();
                leaf[i % 32] ^= 1;
                assertFalse(proof.verify(root, leaf), "tampered leaf " + i + " of " + n);
                if (n > 1) {
                    assertFalse(proof.verify(root, l.get((i + 1) % n)), "another leaf at index " + i + " of " + n);
                    List<byte[]> sib = new ArrayList<>(proof.siblings());
                    byte[] s0 = sib.get(0).clone();
                    s0[0] ^= (byte) 0x80;
                    sib.set(0, s0);
                    assertFalse(new MerkleProof(i, n, sib).verify(root, l.get(i)), "tampered sibling " + i + " of " + n);
                    assertFalse(new MerkleProof((i + 1) % n, n, proof.siblings()).verify(root, l.get(i)),
                            "wrong index for leaf " + i + " of " + n);
                    assertFalse(new MerkleProof(i, n, proof.siblings().subList(1, proof.siblings().size()))
                            .verify(root, l.get(i)), "truncated proof " + i + " of " + n);
                }
                byte[] r = root.bytes();
                r[31] ^= 1;
                assertFalse(proof.verify(new TraceRoot(r), l.get(i)), "tampered root, leaf " + i + " of " + n);
            }
        }
    }

    @Test
    void anInnerNodeCannotPassAsALeaf() {
        List<byte[]> l = leaves(4);
        MerkleTree tree = MerkleTree.of(l);
        byte[] inner = Keccak256.hash(new byte[]{1}, Keccak256.hash(new byte[]{0}, l.get(0)),
                Keccak256.hash(new byte[]{0}, l.get(1)));
        MerkleProof upper = tree.proof(2);
        // claiming the pair (0,1) as a single leaf of a 2-leaf tree with the upper sibling does not verify
        assertFalse(new MerkleProof(0, 2, List.of(upper.siblings().get(1))).verify(tree.root(), inner));
    }

    @Test
    void badInputIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.of(List.of()));
        assertThrows(IllegalArgumentException.class, () -> MerkleTree.of(List.of(new byte[31])));
        assertThrows(IndexOutOfBoundsException.class, () -> MerkleTree.of(leaves(3)).proof(3));
        assertThrows(IllegalArgumentException.class, () -> new TraceRoot(new byte[5]));
        TraceBuilder b = new TraceBuilder();
        b.addFloats(new float[]{1, 2, 3}, 0, 3);
        b.addBytes(new byte[]{9});
        assertEquals(MerkleTree.of(List.of(Keccak256.hashFloats(new float[]{1, 2, 3}, 0, 3),
                Keccak256.hash(new byte[]{9}))).root(), b.root());
        assertEquals(b.root(), TraceRoot.ofHex(b.root().hex()));
    }
}
