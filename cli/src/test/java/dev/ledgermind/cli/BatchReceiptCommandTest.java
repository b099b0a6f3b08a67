package dev.ledgermind.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ledgermind.chain.batch.BatchTree;
import dev.ledgermind.node.batch.BatchWorker;
import dev.ledgermind.node.client.BatchItemReceipt;
import dev.ledgermind.node.store.NodeStore;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

/**
 * The batch parts of {@code ledgermind receipt} in child JVMs (issue 13): {@code receipt batch-item} prints an
 * item's receipt from a worker's node store, with the proof that leads to the record's root; malformed input is
 * refused with a message naming what is wrong. (Verifying against a chain: BatchWorkerTest.)
 */
class BatchReceiptCommandTest {
    @TempDir
    Path dir;

    @Test
    void batchItemPrintsTheReceiptFromANodeStoreAndBadInputIsNamed() throws Exception {
        Path store = dir.resolve("node.db");
        BigInteger batchId = BigInteger.valueOf(7);
        List<String> outputs = List.of("0x01", "0x0202", "0x030303");
        List<String> hashes = outputs.stream().map(o -> Numeric.toHexString(Hash.sha3(Numeric.hexStringToByteArray(o)))).toList();
        List<String> traces = List.of("0x" + "11".repeat(32), "0x" + "22".repeat(32), "0x" + "33".repeat(32));
        BatchWorker.BatchRecord rec = new BatchWorker.BatchRecord(batchId.toString(), BatchWorker.State.DONE, "0x" + "00".repeat(32), null,
                hashes, traces, outputs, "0x", "0x" + "44".repeat(32), null, null, null);
        String root = Numeric.toHexString(rec.tree().root());
        try (NodeStore s = NodeStore.open(store)) {
            s.put("batch." + batchId, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(rec));
        }
        LedgermindCliTest.Result r = LedgermindCliTest.run("receipt", "batch-item", "--store", store.toString(), "--batch", "7", "--index", "2");
        assertEquals(0, r.exit(), r.output());
        String json = r.output().substring(r.output().indexOf('{'));
        BatchItemReceipt receipt = BatchItemReceipt.parse(json);
        assertEquals(2, receipt.item().index());
        assertEquals(3, receipt.item().count());
        assertEquals(hashes.get(2), Numeric.toHexString(receipt.item().resultHash()));
        assertEquals("0x030303", Numeric.toHexString(receipt.output()));
        assertEquals(root, Numeric.toHexString(receipt.item().root()), "the printed proof leads to the record's root");
        assertEquals(BatchTree.requestId(batchId, 2), receipt.item().requestId());

        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, json.replace(hashes.get(2), "0x12"));
        LedgermindCliTest.Result badFile = LedgermindCliTest.run("receipt", "verify", "--batch-item", bad.toString());
        assertNotEquals(0, badFile.exit());
        assertTrue(badFile.output().contains("$.resultHash"), badFile.output());
    }
}
