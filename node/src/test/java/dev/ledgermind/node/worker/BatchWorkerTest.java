package dev.ledgermind.node.worker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.contracts.BatchSettlement;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.node.batch.BatchWorker;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.TaskInput;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

/**
 * Batch workers on a real anvil with the real contracts and a FAKE model ({@link FakeHashRunner}: the model is
 * a boundary these tests are not about): three workers compute a whole batch, commit one root each, and the
 * batch is accepted; an item's receipt is proven by the chain; a worker whose store lost its commit (as after
 * a crash between broadcasting it and recording it) resumes from the chain without committing twice; a root-only
 * batch (items off-chain, served by the requester's {@link dev.ledgermind.node.client.BatchItemServer} over real HTTP)
 * is fetched, checked against its request root and computed end to end, and an item's receipt verifies with its
 * items fetched from the locator (and fails only its recomputation, naming the locator, once the requester stops
 * serving); a requester that withholds its items has
 * its batch declined by every seat and refunded at the commit deadline, less the decline shares, nobody slashed.
 */
class BatchWorkerTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);
    static Devnet devnet;
    static Web3j web3;
    static LedgermindContracts deployer;
    static int modelId;
    static final List<LedgermindContracts> nodes = new ArrayList<>();
    static final List<Long> agents = new ArrayList<>();

    @TempDir
    static Path dir;

    @BeforeAll
    static void chain() {
        devnet = Devnet.builder().accounts(6).start();
        web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
        deployer = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(), DeployParams.defaults());
        var m = FakeHashRunner.MODEL;
        modelId = deployer.registerModel(new ModelSpec(m.weightsHash(), m.tokenizerHash(), m.architectureHash(), m.name(),
                ModelSpec.MODE_REPLICATED));
        for (int i = 0; i < 3; i++) {
            LedgermindContracts n = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(2 + i).credentials());
            long id = n.registerAndStake("https://batch-node" + i + ".example/agent.json", ETHER.multiply(BigInteger.TWO));
            n.declareServes(id, modelId);
            nodes.add(n);
            agents.add(id);
        }
    }

    @AfterAll
    static void stop() {
        web3.shutdown();
        devnet.close();
    }

    static List<BatchItem> items(int n, String tag) {
        List<BatchItem> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] input = TaskInput.embed(FakeHashRunner.MODEL.name(), List.of(tag + " text " + i)).bytes();
            out.add(BatchItem.inline(1, 0, 0, i, BigInteger.TEN.pow(12), input));
        }
        return out;
    }

    static BatchMarket.SubmittedBatch submitDistinct(BatchMarket requester, List<BatchItem> items) {
        for (int attempt = 0; attempt < 100; attempt++) {
            BatchMarket.SubmittedBatch b = requester.submit(modelId, 3, false, items);
            if (b.seats().stream().distinct().count() == 3) return b;
        }
        throw new AssertionError("100 draws in a row gave an agent two seats");
    }

    static int commitsBy(BigInteger batchId, long agentId) throws Exception {
        EthFilter f = new EthFilter(org.web3j.protocol.core.DefaultBlockParameter.valueOf(BigInteger.ZERO),
                DefaultBlockParameterName.LATEST, deployer.deployment().taskMarket());
        f.addSingleTopic(EventEncoder.encode(BatchSettlement.BATCHCOMMITTED_EVENT));
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(batchId, 64));
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(agentId), 64));
        return web3.ethGetLogs(f).send().getLogs().size();
    }

    @Test
    void threeWorkersComputeABatchCommitOneRootEachAndAReceiptIsProven() throws Exception {
        BatchMarket requester = new BatchMarket(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        BatchMarket.SubmittedBatch b = submitDistinct(requester, items(5, "first"));
        List<BatchWorker> workers = new ArrayList<>();
        List<NodeStore> stores = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            NodeStore s = NodeStore.open(dir.resolve("batch-" + i + ".db"));
            stores.add(s);
            workers.add(new BatchWorker(nodes.get(i), agents.get(i), new FakeHashRunner(), s));
        }
        try {
            for (int pass = 0; pass < 10 && requester.state(b.batchId()).status() == BatchMarket.BatchState.ACTIVE; pass++) {
                for (BatchWorker w : workers) w.step();
            }
            assertEquals(BatchMarket.BatchState.ACCEPTED, requester.state(b.batchId()).status(), "k equal roots accept the batch");
            for (BatchWorker w : workers) w.step(); // claims
            BatchWorker.BatchRecord rec = workers.getFirst().record(b.batchId()).orElseThrow();
            assertEquals(BatchWorker.State.DONE, rec.state());
            for (BatchWorker w : workers) assertEquals(rec.root(), w.record(b.batchId()).orElseThrow().root(), "equal roots");
            for (long a : agents) assertEquals(BigInteger.ZERO, deployer.claimable(a), "each node claimed all its items at once");
            BatchMarket.ItemReceipt receipt = rec.receipt(3);
            assertTrue(requester.verify(receipt), "item 3's receipt is proven by the chain");
            byte[] output = Numeric.hexStringToByteArray(rec.outputs().get(3));
            assertArrayEquals(org.web3j.crypto.Hash.sha3(output), receipt.resultHash(), "the receipt's result is its output's hash");
            BatchMarket.ItemReceipt forged = new BatchMarket.ItemReceipt(receipt.batchId(), 3, receipt.count(),
                    org.web3j.crypto.Hash.sha3("another answer".getBytes()), receipt.traceRoot(), receipt.proof());
            assertTrue(!requester.verify(forged), "a forged result is refused");

            // the item's receipt document: written by the worker, parsed back, checked against the chain and recomputed
            var doc = dev.ledgermind.node.client.BatchItemReceipt.parse(rec.itemReceipt(3).toJson());
            var verifier = new dev.ledgermind.node.client.BatchItemReceiptVerifier(requester, model -> new FakeHashRunner());
            var v = verifier.verify(doc, line -> { });
            assertTrue(v.verified(), v.checks().toString());
            assertEquals(7, v.checks().size(), "accepted, count, root, verifyResult, output, local result hash, local trace root");
            assertEquals(receipt.requestId(), v.taskId());
            // a forged proof: one sibling changed; the chain refuses it and its root is no seat's
            List<byte[]> bad = new ArrayList<>(receipt.proof());
            byte[] sib = bad.getFirst().clone();
            sib[0] ^= 1;
            bad.set(0, sib);
            var forgedProof = new dev.ledgermind.node.client.BatchItemReceipt(new BatchMarket.ItemReceipt(receipt.batchId(), 3,
                    receipt.count(), receipt.resultHash(), receipt.traceRoot(), bad), doc.output());
            var fv = verifier.verify(forgedProof, line -> { });
            assertTrue(!fv.verified());
            List<String> failed = fv.checks().stream().filter(c -> !c.ok()).map(c -> c.check()).toList();
            assertEquals(List.of("proof leads to the root the seats revealed", "chain's verifyResult accepts the item and its proof"), failed);
            // another item's result under this item's index: refused by the chain, and the local run disagrees
            var swapped = new dev.ledgermind.node.client.BatchItemReceipt(new BatchMarket.ItemReceipt(receipt.batchId(), 3, receipt.count(),
                    rec.receipt(2).resultHash(), receipt.traceRoot(), receipt.proof()), null);
            var sv = verifier.verify(swapped, line -> { });
            assertTrue(sv.checks().stream().filter(c -> !c.ok()).map(c -> c.check()).toList()
                    .containsAll(List.of("chain's verifyResult accepts the item and its proof", "local recomputation gives the same result hash")));
            IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                    () -> dev.ledgermind.node.client.BatchItemReceipt.parse(rec.itemReceipt(3).toJson().replaceFirst("\"0x[0-9a-f]{64}\"", "\"0x12\"")));
            assertTrue(e.getMessage().contains("$.resultHash"), e.getMessage());
        } finally {
            for (NodeStore s : stores) s.close();
        }
    }

    @Test
    void aWorkerThatLostItsCommitFromItsStoreResumesWithoutCommittingTwice() throws Exception {
        BatchMarket requester = new BatchMarket(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        BatchMarket.SubmittedBatch b = submitDistinct(requester, items(4, "second"));
        Path file = dir.resolve("crash-0.db");
        NodeStore s0 = NodeStore.open(file);
        BatchWorker w0 = new BatchWorker(nodes.get(0), agents.get(0), new FakeHashRunner(), s0);
        // computes and broadcasts its commit without waiting (pipelined); anvil mines it at once, and the same
        // pass's walk over the open batches reads it from the chain
        w0.step();
        BatchWorker.BatchRecord before = w0.record(b.batchId()).orElseThrow();
        assertEquals(BatchWorker.State.COMMITTED, before.state());
        assertEquals(1, commitsBy(b.batchId(), agents.get(0)), "the commit landed");
        // the crash: the store is back at COMPUTED (what it held before the commit's hash was recorded)
        s0.put("batch." + b.batchId(), new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(
                new BatchWorker.BatchRecord(before.batchId(), BatchWorker.State.COMPUTED, before.salt(), before.root(),
                        before.resultHashes(), before.traceRoots(), before.outputs(), before.pool(), before.blockHash(), null, null, null)));
        s0.close();
        NodeStore s0b = NodeStore.open(file);
        NodeStore s1 = NodeStore.open(dir.resolve("crash-1.db"));
        NodeStore s2 = NodeStore.open(dir.resolve("crash-2.db"));
        try {
            List<BatchWorker> workers = List.of(new BatchWorker(nodes.get(0), agents.get(0), new FakeHashRunner(), s0b),
                    new BatchWorker(nodes.get(1), agents.get(1), new FakeHashRunner(), s1),
                    new BatchWorker(nodes.get(2), agents.get(2), new FakeHashRunner(), s2));
            for (int pass = 0; pass < 10 && requester.state(b.batchId()).status() == BatchMarket.BatchState.ACTIVE; pass++) {
                for (BatchWorker w : workers) w.step();
            }
            assertEquals(BatchMarket.BatchState.ACCEPTED, requester.state(b.batchId()).status(), "the batch settled");
            long agent0 = agents.get(0);
            int seats0 = (int) b.seats().stream().filter(a -> a == agent0).count();
            assertEquals(seats0 == 0 ? 0 : 1, commitsBy(b.batchId(), agent0), "one commit, not two");
        } finally {
            s0b.close();
            s1.close();
            s2.close();
        }
    }

    @Test
    void theRequesterClientBatchesUpToNItemsOrTMilliseconds() throws Exception {
        BatchMarket market = new BatchMarket(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        List<BatchItem> items = items(4, "auto");
        List<java.util.concurrent.CompletableFuture<dev.ledgermind.node.client.BatchingRequester.Placed>> placed = new ArrayList<>();
        try (var client = new dev.ledgermind.node.client.BatchingRequester(market, modelId, 3, 3, 200)) {
            for (BatchItem it : items) placed.add(client.request(it));
            var first = placed.get(0).get(30, java.util.concurrent.TimeUnit.SECONDS);
            for (int i = 0; i < 3; i++) {
                var p = placed.get(i).get(30, java.util.concurrent.TimeUnit.SECONDS);
                assertEquals(first.batchId(), p.batchId(), "the first 3 requests share a batch (N = 3)");
                assertEquals(i, p.index());
            }
            var last = placed.get(3).get(30, java.util.concurrent.TimeUnit.SECONDS); // flushed by the timer (T = 200 ms)
            assertTrue(!last.batchId().equals(first.batchId()), "the 4th went out in the next batch");
            assertEquals(0, last.index());
            assertEquals(3, market.state(first.batchId()).count());
            assertEquals(1, market.state(last.batchId()).count());
            assertArrayEquals(dev.ledgermind.chain.batch.BatchTree.of(List.of(items.get(3).leafHash())).root(),
                    market.state(last.batchId()).requestRoot(), "the 4th item alone under its batch's request root");
        }
    }

    static List<String> failed(dev.ledgermind.node.client.ReceiptVerification v) {
        return v.checks().stream().filter(c -> !c.ok()).map(c -> c.check()).toList();
    }

    static dev.ledgermind.node.batch.OffchainItems loopbackFetch() {
        return new dev.ledgermind.node.batch.OffchainItems(
                new dev.ledgermind.node.batch.OffchainItems.Limits(1 << 20, java.time.Duration.ofSeconds(5), true));
    }

    @Test
    void aRootOnlyBatchIsFetchedFromItsRequesterCheckedAndComputedEndToEnd() throws Exception {
        LedgermindContracts requesterChain = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials());
        BatchMarket market = new BatchMarket(requesterChain);
        List<BatchItem> items = items(6, "offchain");
        List<NodeStore> stores = new ArrayList<>();
        try (var server = dev.ledgermind.node.client.BatchItemServer.onLoopback();
             var client = new dev.ledgermind.node.client.BatchingRequester(market, modelId, 3, 6, 10_000, 1, server)) {
            List<java.util.concurrent.CompletableFuture<dev.ledgermind.node.client.BatchingRequester.Placed>> placed = new ArrayList<>();
            for (BatchItem it : items) placed.add(client.request(it));
            BigInteger id = placed.getLast().get(30, java.util.concurrent.TimeUnit.SECONDS).batchId();
            BatchMarket.Submission sub = market.submission(id).orElseThrow();
            assertEquals(6, sub.count());
            assertTrue(sub.items().isEmpty(), "no item is on-chain: the batch was submitted root-only");
            List<BatchWorker> workers = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                NodeStore st = NodeStore.open(dir.resolve("offchain-" + i + ".db"));
                stores.add(st);
                workers.add(new BatchWorker(nodes.get(i), agents.get(i), new FakeHashRunner(), st, loopbackFetch()));
            }
            for (int pass = 0; pass < 10 && market.state(id).status() == BatchMarket.BatchState.ACTIVE; pass++) {
                for (BatchWorker w : workers) w.step();
            }
            assertEquals(BatchMarket.BatchState.ACCEPTED, market.state(id).status(), "the fetched items were computed and agreed on");
            BatchWorker.BatchRecord rec = null;
            for (BatchWorker w : workers) rec = w.record(id).orElse(rec);
            assertEquals(6, rec.resultHashes().size());
            // item 4's result is the one its input gives (computed here, apart from the workers), and the chain proves it
            var expected = new FakeHashRunner().run(TaskInput.parse(items.get(4).input()));
            assertEquals(Numeric.toHexString(expected.resultHash()), rec.resultHashes().get(4));
            assertTrue(market.verify(rec.receipt(4)), "item 4's receipt is proven by the chain");

            // `receipt verify --batch-item`: the items are fetched from the batch's locator, checked against its
            // request root, and item 4 recomputed; every check passes
            var doc = dev.ledgermind.node.client.BatchItemReceipt.parse(rec.itemReceipt(4).toJson());
            var verifier = new dev.ledgermind.node.client.BatchItemReceiptVerifier(market, model -> new FakeHashRunner(),
                    new dev.ledgermind.chain.events.BatchItemsLocator(requesterChain), loopbackFetch());
            List<String> progress = new ArrayList<>();
            var v = verifier.verify(doc, progress::add);
            assertTrue(v.verified(), v.checks().toString());
            assertEquals(List.of("batch is final and accepted", "receipt's count is the batch's", "proof leads to the root the seats revealed",
                    "chain's verifyResult accepts the item and its proof", "output hashes to the result hash",
                    "off-chain items fetched from the locator are under the request root",
                    "local recomputation gives the same result hash", "local recomputation gives the same trace root"),
                    v.checks().stream().map(c -> c.check()).toList());
            String locator = server.publish(items); // the same items: the same locator, the one the batch names
            assertTrue(progress.stream().anyMatch(l -> l.contains(locator)), progress.toString());
            // a verifier without a fetch path says the items are off-chain (and the chain's checks still pass)
            var inlineOnly = new dev.ledgermind.node.client.BatchItemReceiptVerifier(market, model -> new FakeHashRunner()).verify(doc, l -> { });
            assertEquals(List.of("local recomputation of the item"), failed(inlineOnly));
            // the requester stops serving: the recomputation check fails naming the locator and what failed; the
            // checks against the chain's finalized root still run and pass
            server.close();
            var gone = verifier.verify(doc, l -> { });
            assertTrue(!gone.verified());
            assertEquals(List.of("local recomputation of the item"), failed(gone));
            String why = gone.checks().stream().filter(c -> !c.ok()).findFirst().orElseThrow().value();
            assertTrue(why.contains("locator " + locator) && why.contains("GET " + locator + " failed: cannot connect to 127.0.0.1:"), why);
            assertEquals(5, gone.checks().stream().filter(c -> c.ok()).count(), gone.checks().toString());
        } finally {
            for (NodeStore st : stores) st.close();
        }
    }

    @Test
    void aRequesterThatWithholdsItsItemsHasItsBatchDeclinedAndRefundedWithNobodySlashed() throws Exception {
        LedgermindContracts requesterChain = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials());
        BatchMarket market = new BatchMarket(requesterChain);
        List<BatchItem> items = items(3, "withheld");
        BigInteger fee = items.stream().map(BatchItem::fee).reduce(BigInteger.ZERO, BigInteger::add);
        List<NodeStore> stores = new ArrayList<>();
        try (var server = dev.ledgermind.node.client.BatchItemServer.onLoopback()) {
            String locator = server.publish(items);
            byte[] root = dev.ledgermind.chain.batch.BatchTree.of(items.stream().map(BatchItem::leafHash).toList()).root();
            server.withdraw(root); // the requester names a locator and then serves nothing there
            BatchMarket.SubmittedBatch b = market.submitRoot(modelId, 3, false, items, locator);
            List<BigInteger> stakes = new ArrayList<>();
            for (long a : agents) stakes.add(deployer.stakeOf(a).bonded());
            BigInteger refundsBefore = requesterChain.pendingWithdrawal(requesterChain.address());
            for (int i = 0; i < 3; i++) {
                NodeStore st = NodeStore.open(dir.resolve("withheld-" + i + ".db"));
                stores.add(st);
                BatchWorker w = new BatchWorker(nodes.get(i), agents.get(i), new FakeHashRunner(), st, loopbackFetch());
                w.step();
                w.step(); // a second look declines nothing again (and does not fail)
                assertTrue(w.record(b.batchId()).isEmpty(), "nothing computed for a batch whose items are not served");
            }
            BatchMarket.BatchState s = market.state(b.batchId());
            assertEquals(BatchMarket.BatchState.ACTIVE, s.status());
            assertEquals(0, s.committed(), "no seat committed");
            // the commit deadline passes: refunded, less declineShareBps for each of the k declined seats out of k
            var anvil = new dev.ledgermind.chain.AnvilControl(new HttpService(devnet.rpcUrl()));
            anvil.increaseTime(DeployParams.defaults().commitWindow() + 1);
            anvil.mine();
            market.finalizeBatch(b.batchId());
            assertEquals(BatchMarket.BatchState.REFUNDED, market.state(b.batchId()).status());
            BigInteger kept = fee.multiply(BigInteger.valueOf(DeployParams.defaults().declineShareBps())).multiply(BigInteger.valueOf(3))
                    .divide(BigInteger.valueOf(10_000L * 3));
            assertEquals(refundsBefore.add(fee).subtract(kept), requesterChain.pendingWithdrawal(requesterChain.address()),
                    "the requester gets its fee back less the decline shares");
            for (int i = 0; i < agents.size(); i++) {
                assertEquals(stakes.get(i), deployer.stakeOf(agents.get(i)).bonded(), "agent " + agents.get(i) + " is not slashed");
            }
        } finally {
            for (NodeStore st : stores) st.close();
        }
    }
}
