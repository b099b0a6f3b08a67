package dev.ledgermind.inference.trace;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class StreamingRootTest {
    static List<byte[]> nodes(int n) {
        List<byte[]> l = new ArrayList<>();
        for (int i = 0; i < n; i++) l.add(Keccak256.hash(("node " + i).getBytes(StandardCharsets.UTF_8)));
        return l;
    }

    @Test
    void theStreamedRootAndRangeProofsEqualTheWholeTreesForOneToHundredThirtyLeaves() {
        for (int n = 1; n <= 130; n++) {
            List<byte[]> l = nodes(n);
            MerkleTree t = MerkleTree.ofLeafNodes(l);
            StreamingRoot s = new StreamingRoot();
            for (byte[] b : l) s.add(b);
            assertArrayEquals(t.rootBytes(), s.root(), "n = " + n);
            assertEquals(n, s.count());
            for (int i : new int[]{0, n / 3, n - 1}) {
                MerkleProof expected = t.proof(i), got = StreamingRoot.rangeProof(j -> l.get((int) j), n, i);
                assertEquals(expected.siblings().size(), got.siblings().size());
                for (int k = 0; k < got.siblings().size(); k++) assertArrayEquals(expected.siblings().get(k), got.siblings().get(k));
                assertEquals(true, got.verifyNode(t.root(), l.get(i)));
            }
        }
    }

    @Test
    void anEmptyStreamHasNoRoot() {
        assertThrows(IllegalStateException.class, () -> new StreamingRoot().root());
        assertThrows(IllegalArgumentException.class, () -> new StreamingRoot().add(new byte[31]));
    }
}
