package dev.ledgermind.inference.trace;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The batch tree of issue 13 is the trace tree's rule: the engine's {@link MerkleTree} gives the roots and
 * proofs of docs/vectors/batch-tree.json, the file that chain's BatchTree and the contract's BatchTree.sol
 * are checked against too (the leaf hashes are taken from the file: inference does not know request ids).
 */
class BatchTreeVectorsTest {
    private static byte[] b(JsonNode n) {
        return HexFormat.of().parseHex(n.asText().substring(2));
    }

    @Test
    void theTraceTreeRuleGivesTheBatchTreeVectors() throws Exception {
        JsonNode doc = new ObjectMapper().readTree(Path.of("../docs/vectors/batch-tree.json").toFile());
        int cases = 0;
        for (JsonNode c : doc.get("cases")) {
            int n = c.get("size").asInt();
            List<byte[]> leaves = new ArrayList<>();
            for (int i = 0; i < n; i++) leaves.add(b(c.get("leaves").get(i)));
            MerkleTree tree = MerkleTree.of(leaves);
            assertArrayEquals(b(c.get("root")), tree.root().bytes(), "root of " + n);
            for (int i = 0; i < n; i++) {
                MerkleProof p = tree.proof(i);
                JsonNode expected = c.get("proofs").get(i);
                assertEquals(expected.size(), p.siblings().size(), "proof length " + i + " of " + n);
                for (int j = 0; j < expected.size(); j++) assertArrayEquals(b(expected.get(j)), p.siblings().get(j));
                assertTrue(p.verify(tree.root(), leaves.get(i)));
            }
            cases++;
        }
        assertEquals(7, cases);
    }
}
