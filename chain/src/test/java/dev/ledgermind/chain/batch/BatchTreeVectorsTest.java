package dev.ledgermind.chain.batch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.web3j.utils.Numeric;

/**
 * Chain's batch tree against docs/vectors/batch-tree.json, the vector file that the contract's forge test
 * ({@code BatchTest.testBatchTreeMatchesTheSharedVectors}) and inference's {@code BatchTreeVectorsTest}
 * (the engine's MerkleTree) read too; the vectors come from a fourth implementation
 * (contracts/scripts/batch-tree-vectors.js).
 */
class BatchTreeVectorsTest {
    static JsonNode vectors() throws Exception {
        return new ObjectMapper().readTree(Path.of("../docs/vectors/batch-tree.json").toFile());
    }

    private static byte[] b(JsonNode n) {
        return Numeric.hexStringToByteArray(n.asText());
    }

    @Test
    void rootsLeavesAndProofsMatchTheSharedVectors() throws Exception {
        JsonNode doc = vectors();
        BigInteger batchId = BigInteger.valueOf(doc.get("batchId").asLong());
        int cases = 0;
        for (JsonNode c : doc.get("cases")) {
            int n = c.get("size").asInt();
            List<byte[]> leaves = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                BigInteger id = BatchTree.requestId(batchId, i);
                assertEquals(new BigInteger(c.get("requestIds").get(i).asText().substring(2), 16), id, "request id " + i);
                byte[] leaf = BatchTree.resultLeaf(id, b(c.get("resultHashes").get(i)), b(c.get("traceRoots").get(i)));
                assertArrayEquals(b(c.get("leaves").get(i)), leaf, "leaf " + i + " of " + n);
                leaves.add(leaf);
            }
            BatchTree tree = BatchTree.of(leaves);
            byte[] root = b(c.get("root"));
            assertArrayEquals(root, tree.root(), "root of " + n);
            for (int i = 0; i < n; i++) {
                BatchTree.Proof p = tree.proof(i);
                JsonNode expected = c.get("proofs").get(i);
                assertEquals(expected.size(), p.siblings().size(), "proof length of " + i + " of " + n);
                for (int j = 0; j < expected.size(); j++) assertArrayEquals(b(expected.get(j)), p.siblings().get(j));
                assertTrue(p.verify(root, leaves.get(i)), "proof " + i + " of " + n);
                // the wrong leaf, or the proof of another index, does not verify
                assertFalse(p.verify(root, leaves.get((i + 1) % n)) && n > 1, "wrong leaf " + i);
            }
            cases++;
        }
        assertEquals(7, cases);
    }

    @Test
    void aProofWithASiblingTooManyOrTooFewFitsNoTree() throws Exception {
        List<byte[]> leaves = new ArrayList<>();
        for (int i = 0; i < 5; i++) leaves.add(BatchTree.resultLeaf(BigInteger.valueOf(i), new byte[32], new byte[32]));
        BatchTree t = BatchTree.of(leaves);
        BatchTree.Proof p = t.proof(2);
        List<byte[]> more = new ArrayList<>(p.siblings());
        more.add(new byte[32]);
        assertNull(new BatchTree.Proof(2, 5, more).rootFrom(leaves.get(2)));
        assertNull(new BatchTree.Proof(2, 5, p.siblings().subList(0, 1)).rootFrom(leaves.get(2)));
        assertThrows(IndexOutOfBoundsException.class, () -> t.proof(5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BatchTree.of(List.of(new byte[31])));
        assertTrue(e.getMessage().contains("leaf 0"), e.getMessage());
    }

    @Test
    void itemsRoundTripAndATruncatedListNamesItsItemAndOffset() {
        List<BatchItem> items = List.of(
                BatchItem.inline(1, 16, 0, 42, BigInteger.valueOf(1_000_000_000_000L), "hello".getBytes()),
                BatchItem.offchain(2, 0, 700, -1, BigInteger.ONE.shiftLeft(95), new byte[32]));
        byte[] all = BatchItem.encodeAll(items);
        assertEquals(31 + 5 + 31 + 32, all.length);
        assertEquals(items, BatchItem.decodeAll(all));
        byte[] cut = java.util.Arrays.copyOf(all, all.length - 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BatchItem.decodeAll(cut));
        assertTrue(e.getMessage().contains("batch item 1 at byte 36"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> BatchItem.inline(1, 0, 0, 0, BigInteger.ONE.shiftLeft(96), new byte[0]));
    }
}
