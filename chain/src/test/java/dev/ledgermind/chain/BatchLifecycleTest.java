package dev.ledgermind.chain;

import static dev.ledgermind.chain.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.batch.BatchTree;
import dev.ledgermind.chain.contracts.BatchItemVerifier;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.web3j.tx.gas.StaticGasProvider;

/**
 * Batches (issue 13) on a real anvil with the real contracts, driven through chain's facade
 * ({@link BatchMarket}): one lie about one item disputes only that item, a consumer contract verifies an
 * item's proof and refuses a forged one, vanished seats are refunded item by item.
 */
class BatchLifecycleTest {
    static BatchFixture f;

    @BeforeAll
    static void start() {
        f = new BatchFixture(5);
    }

    @AfterAll
    static void stop() {
        if (f != null) f.close();
    }

    @BeforeEach
    void reset() {
        f.reset();
    }

    static List<BatchItem> items(int n) {
        List<BatchItem> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(BatchItem.inline(1, 8, 0, i, f.chain.params.minFee().add(BigInteger.valueOf(i)), ("text " + i).getBytes()));
        }
        return out;
    }

    static BigInteger sumFees(List<BatchItem> items) {
        return items.stream().map(BatchItem::fee).reduce(BigInteger.ZERO, BigInteger::add);
    }

    @Test
    void oneSeatLyingAboutOneItemIsDisputedAndSlashedForThatItemOnly() {
        int n = 6;
        int lie = 4;
        List<BatchItem> items = items(n);
        BatchMarket.SubmittedBatch b = f.submitDistinct(items, 3, false);
        BigInteger id = b.batchId();
        BatchTree honest = BatchFixture.resultsTree(id, n, List.of());
        BatchTree liar = BatchFixture.resultsTree(id, n, List.of(lie));
        List<BatchTree> trees = List.of(honest, liar, honest);
        f.commitAll(b, trees);
        f.revealAll(b, trees);
        BatchMarket m = f.requester();
        assertEquals(BatchMarket.BatchState.HELD, m.state(id).status(), "roots differ, a quorum holds");

        long liarAgent = b.seats().get(1);
        BigInteger before = f.chain.deployer.stakeOf(liarAgent).bonded();
        List<byte[]> requestLeaves = items.stream().map(BatchItem::leafHash).toList();
        BatchTree requests = BatchTree.of(requestLeaves);
        assertArrayEquals(requests.root(), m.state(id).requestRoot(), "the request root is the Java tree's");
        // an item where the liar agrees is refused, by name
        assertReverts("BatchSettlement", "NotDiffering", () -> m.resolveItem(id, 1, 2,
                new byte[][] {BatchFixture.resultHash(id, 2, false), BatchFixture.traceRoot(2)}, liar.proof(2),
                new byte[][] {BatchFixture.resultHash(id, 2, false), BatchFixture.traceRoot(2)}, honest.proof(2),
                items.get(2), requests.proof(2)));
        m.resolveItem(id, 1, lie, new byte[][] {BatchFixture.resultHash(id, lie, true), BatchFixture.traceRoot(lie)}, liar.proof(lie),
                new byte[][] {BatchFixture.resultHash(id, lie, false), BatchFixture.traceRoot(lie)}, honest.proof(lie),
                items.get(lie), requests.proof(lie));
        assertEquals(f.chain.params.dissentSlash(), before.subtract(f.chain.deployer.stakeOf(liarAgent).bonded()),
                "slashed dissentSlash for its one item");
        assertArrayEquals(honest.root(), m.state(id).roots().get(1), "its root converged: no other item differs");

        f.chain.anvil.increaseTime(f.chain.params.revealWindow() + 1);
        m.finalizeBatch(id);
        assertEquals(BatchMarket.BatchState.ACCEPTED, m.state(id).status());
        BigInteger fee = sumFees(items);
        BigInteger share = fee.divide(BigInteger.valueOf(3));
        BigInteger liarPaid = share.subtract(items.get(lie).fee().divide(BigInteger.valueOf(3)));
        assertEquals(liarPaid, f.chain.deployer.claimable(liarAgent), "paid for the 5 items it got right");
        BigInteger honestPaid = f.chain.deployer.claimable(b.seats().get(0)).add(f.chain.deployer.claimable(b.seats().get(2)));
        BigInteger slashShare = f.chain.params.dissentSlash().multiply(BigInteger.valueOf(f.chain.params.slashHonestBps()))
                .divide(BigInteger.valueOf(10_000));
        assertEquals(fee.subtract(liarPaid).add(slashShare), honestPaid, "the honest seats get the rest and the slash share");
        f.chain.assertInvariant("after a disputed item");
        assertTrue(m.verifyResult(id, lie, n, BatchFixture.resultHash(id, lie, false), BatchFixture.traceRoot(lie), honest.proof(lie)));
        assertFalse(m.verifyResult(id, lie, n, BatchFixture.resultHash(id, lie, true), BatchFixture.traceRoot(lie), liar.proof(lie)));
    }

    @Test
    void aConsumerContractAcceptsAProvenItemAndRefusesAForgedProof() throws Exception {
        int n = 9;
        BatchFixture.Run r = f.runUnanimous(items(n));
        BigInteger id = r.batch().batchId();
        BatchTree t = BatchFixture.resultsTree(id, n, List.of());
        var gas = new StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(5_000_000));
        BatchItemVerifier consumer = BatchItemVerifier.deploy(f.chain.web3j, f.chain.requester.sender().transactionManager(), gas,
                f.chain.deployment.taskMarket()).send();
        String at = consumer.getContractAddress();
        TransactionSender s = f.chain.requester.sender();
        s.send("BatchItemVerifier", at, consumer.use(id, BigInteger.valueOf(7), BigInteger.valueOf(n),
                BatchFixture.resultHash(id, 7, false), BatchFixture.traceRoot(7), t.proof(7).siblings()), BigInteger.ZERO);
        assertArrayEquals(BatchFixture.resultHash(id, 7, false),
                (byte[]) s.call("BatchItemVerifier", at, consumer.accepted(BatchTree.requestId(id, 7))).getFirst().getValue());
        long cold = ((BigInteger) s.call("BatchItemVerifier", at, consumer.lastGas()).getFirst().getValue()).longValueExact();
        long warm = ((BigInteger) s.call("BatchItemVerifier", at, consumer.warmGas()).getFirst().getValue()).longValueExact();
        System.out.println("verifyResult from a consumer contract, 9 items (3 siblings, 1 promoted level): first call " + cold
                + " gas (market account and root word cold), second call " + warm + " gas");
        assertTrue(warm <= 5_000, "verifyResult, warm: " + warm + " gas");
        // the first call pays EIP-2929's cold surcharges (2,600 for the account, 2,100 for the root word) on top
        assertTrue(cold - warm >= 4_000 && cold - warm <= 5_000, "cold - warm = " + (cold - warm));
        // a forged proof (one sibling changed), another item's proof, a forged result: the consumer refuses them
        // (its test-only error is not in the decoder's table: matched by selector)
        List<byte[]> forged = new ArrayList<>(t.proof(7).siblings());
        forged.set(0, BatchFixture.traceRoot(99));
        for (List<byte[]> proof : List.of(forged, t.proof(6).siblings())) {
            assertNotProven(() -> s.send("BatchItemVerifier", at, consumer.use(id, BigInteger.valueOf(7), BigInteger.valueOf(n),
                    BatchFixture.resultHash(id, 7, false), BatchFixture.traceRoot(7), proof), BigInteger.ZERO));
        }
        assertNotProven(() -> s.send("BatchItemVerifier", at, consumer.use(id, BigInteger.valueOf(7), BigInteger.valueOf(n),
                BatchFixture.resultHash(id, 7, true), BatchFixture.traceRoot(7), t.proof(7).siblings()), BigInteger.ZERO));
    }

    private static void assertNotProven(org.junit.jupiter.api.function.Executable send) {
        ContractRevertedException e = org.junit.jupiter.api.Assertions.assertThrows(ContractRevertedException.class, send);
        String selector = org.web3j.crypto.Hash.sha3String("ResultNotProven(uint256,uint256)").substring(0, 10);
        assertTrue(e.revertData().startsWith(selector), "ResultNotProven expected, got " + e.getMessage());
    }

    @Test
    void vanishedSeatsAreRefundedItemByItemWithNoFeeLost() {
        List<BatchItem> items = items(4);
        BatchMarket.SubmittedBatch b = f.submitDistinct(items, 3, false);
        String requester = f.chain.requester.address();
        BigInteger before = f.chain.deployer.pendingWithdrawal(requester);
        f.chain.anvil.increaseTime(f.chain.params.commitWindow() + 1);
        f.requester().finalizeBatch(b.batchId());
        assertEquals(BatchMarket.BatchState.REFUNDED, f.requester().state(b.batchId()).status());
        assertEquals(sumFees(items), f.chain.deployer.pendingWithdrawal(requester).subtract(before),
                "the sum of every item's fee share is back with the requester");
        for (long agent : b.seats()) {
            assertEquals(ChainFixture.STAKE.subtract(f.chain.params.absenceSlash()), f.chain.deployer.stakeOf(agent).bonded(),
                    "absent seat " + agent + " slashed absenceSlash");
        }
        f.chain.assertInvariant("after a vanished batch");
    }
}
