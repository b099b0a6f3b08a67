package dev.ledgermind.chain;

import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.batch.BatchTree;
import dev.ledgermind.chain.batch.OptimisticBatchMarket;
import dev.ledgermind.chain.game.DisputeGameClient;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Hash;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Optimistic batches (issue 13) on a real anvil with the default deployment (the real DisputeGame): one worker
 * claims a 16-item batch with one root; one item is challenged and played alone in the game while the other 15
 * are final at the window's end (a consumer proves them with verifyResult, a forged proof is refused); the game's
 * verdict (the challenger never moves: it loses on time) puts the item back into the root, and one reward claim
 * pays the worker for the whole batch and the lost bond's share.
 */
class OptimisticBatchLifecycleTest {
    static ChainFixture chain;
    static int optModel;

    @BeforeAll
    static void start() {
        chain = new ChainFixture(4);
        optModel = chain.deployer.registerModel(new ModelSpec(ChainFixture.h("ow"), ChainFixture.h("ot"), ChainFixture.h("oa"),
                "opt-model", ModelSpec.MODE_REPLICATED | ModelSpec.MODE_OPTIMISTIC));
        for (int i = 0; i < chain.agentIds.size(); i++) chain.nodes.get(i).declareServes(chain.agentIds.get(i), optModel);
    }

    @AfterAll
    static void stop() {
        if (chain != null) chain.close();
    }

    static List<BatchItem> items(int n, BigInteger fee) {
        List<BatchItem> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(BatchItem.offchain(1, 16, 0, 100 + i, fee.add(BigInteger.valueOf(i)),
                    Hash.sha3(("input " + i).getBytes(StandardCharsets.UTF_8))));
        }
        return out;
    }

    static OptimisticBatchMarket.BatchClaim honestClaim(BigInteger batchId, int n) {
        List<OptimisticBatchMarket.ItemClaim> c = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            c.add(new OptimisticBatchMarket.ItemClaim(ChainFixture.h("result " + i), ChainFixture.h("trace " + i),
                    ChainFixture.h("tokens " + i), 4, 12));
        }
        return new OptimisticBatchMarket.BatchClaim(batchId, c);
    }

    @Test
    void aChallengedItemIsPlayedAloneTheRestIsFinalAndOneClaimPaysTheWorker() throws Exception {
        int n = 16;
        int disputed = 5;
        BigInteger fee = chain.params.minFee();
        List<BatchItem> items = items(n, fee);
        BigInteger total = BigInteger.ZERO;
        for (BatchItem it : items) total = total.add(it.fee());
        OptimisticBatchMarket requester = new OptimisticBatchMarket(chain.requester);

        // a claimed batch the audit draw leaves alone (the 1% floor: resubmit while audited)
        BatchMarket.SubmittedBatch b = null;
        long worker = 0;
        OptimisticBatchMarket.BatchClaim claim = null;
        for (int attempt = 0; attempt < 20 && b == null; attempt++) {
            BatchMarket.SubmittedBatch s = requester.submit(optModel, false, items, "https://requester.example/items", 0, 100);
            assertEquals(1, s.seats().size(), "one worker");
            long w = s.seats().getFirst();
            OptimisticBatchMarket.BatchClaim c = honestClaim(s.batchId(), n);
            new OptimisticBatchMarket(chain.node(w)).claim(s.batchId(), w, c);
            chain.anvil.mine();
            if (!requester.auditDraw(s.batchId(), 12).audited()) {
                b = s;
                worker = w;
                claim = c;
            }
        }
        assertNotNull(b, "20 audited batches in a row at a 1% rate");
        BigInteger id = b.batchId();
        assertEquals(6, requester.batches().state(id).status(), "open (status Optimistic) in its window");

        // one item challenged: struck from the live root, a game for it alone
        final long drawn = worker;
        long challenger = chain.agentIds.stream().filter(a -> a != drawn).findFirst().orElseThrow();
        BigInteger bond = chain.params.optimistic().challengeBond();
        OptimisticBatchMarket ch = new OptimisticBatchMarket(chain.node(challenger));
        ch.challenge(id, disputed, challenger, claim, ChainFixture.h("other result"), ChainFixture.h("other trace"), items, bond);
        OptimisticBatchMarket.Dispute d = requester.dispute(id, disputed);
        assertEquals(3, d.stage(), "challenged");
        assertEquals(items.get(disputed).fee(), d.fee(), "its fee share is held");
        assertEquals(Set.of(disputed), requester.struck(id));
        String gameAddress = new OptimisticTasks(chain.requester).terms().disputeGame();
        DisputeGameClient game = DisputeGameClient.at(chain.web3j, gameAddress, chain.requester.sender(), 0);
        assertEquals(OptimisticBatchMarket.itemKey(id, disputed), game.game(d.gameId()).taskId(), "the game names the item");

        // the window ends: the other 15 items are final
        chain.anvil.increaseTime(chain.params.optimistic().defaultWindow() + 1);
        chain.anvil.mine();
        requester.finalizeBatch(id);
        assertEquals(BatchMarket.BatchState.ACCEPTED, requester.batches().state(id).status());
        BatchTree live = claim.live(Set.of(disputed));
        for (int i : new int[] {0, 4, 6, 15}) {
            var it = claim.items().get(i);
            assertTrue(requester.batches().verifyResult(id, i, n, it.resultHash(), it.traceRoot(), live.proof(i)), "item " + i + " is final");
        }
        var held = claim.items().get(disputed);
        assertFalse(requester.batches().verifyResult(id, disputed, n, held.resultHash(), held.traceRoot(), claim.resultProof(disputed)),
                "the challenged item is not proven while its game runs");
        BatchTree.Proof good = live.proof(3);
        List<byte[]> forged = new ArrayList<>(good.siblings());
        forged.set(1, ChainFixture.h("forged"));
        var it3 = claim.items().get(3);
        assertFalse(requester.batches().verifyResult(id, 3, n, it3.resultHash(), it3.traceRoot(), new BatchTree.Proof(3, n, forged)),
                "a forged proof is refused");
        assertEquals(total.subtract(items.get(disputed).fee()), chain.requester.claimable(worker),
                "the worker is owed every item but the challenged one");

        // the game: the challenger never moves and loses on time; the item settles and goes back into the root
        chain.anvil.increaseTime(chain.params.optimistic().gameClock() + 1);
        chain.anvil.mine();
        game.timeout(d.gameId());
        assertEquals(4, requester.dispute(id, disputed).stage(), "upheld");
        requester.settleItem(id, disputed, claim);
        assertEquals(Set.of(), requester.struck(id));
        assertTrue(requester.batches().verifyResult(id, disputed, n, held.resultHash(), held.traceRoot(), claim.resultProof(disputed)),
                "the upheld item is proven now");
        BigInteger honest = bond.multiply(BigInteger.valueOf(chain.params.slashHonestBps())).divide(BigInteger.valueOf(10_000));
        assertEquals(total.add(honest), chain.requester.claimable(worker), "the whole fee and the lost bond's share");
        chain.node(worker).claim(worker);
        assertEquals(BigInteger.ZERO, chain.requester.claimable(worker), "one claim paid it all");
        chain.assertInvariant("after an optimistic batch");
    }

    /** A claimed batch of {@code n} items the audit draw leaves alone (resubmitted while audited); its worker and claim. */
    record Claimed(BatchMarket.SubmittedBatch batch, long worker, OptimisticBatchMarket.BatchClaim claim) {}

    static Claimed claimedUnaudited(OptimisticBatchMarket requester, List<BatchItem> items) {
        for (int attempt = 0; attempt < 20; attempt++) {
            BatchMarket.SubmittedBatch s = requester.submit(optModel, false, items, "https://requester.example/items", 0, 100);
            long w = s.seats().getFirst();
            OptimisticBatchMarket.BatchClaim c = honestClaim(s.batchId(), items.size());
            new OptimisticBatchMarket(chain.node(w)).claim(s.batchId(), w, c);
            chain.anvil.mine();
            if (!requester.auditDraw(s.batchId(), 12).audited()) return new Claimed(s, w, c);
        }
        throw new AssertionError("20 audited batches in a row at a 1% rate");
    }

    @Test
    void aWithheldItemIsAnsweredOnChainAndChallengedFromTheLogOrItsBatchIsVoidAndTheWorkerSlashed() throws Exception {
        int n = 8;
        List<BatchItem> items = items(n, chain.params.minFee());
        BigInteger total = BatchItem.totalFee(items);
        BigInteger bond = chain.params.optimistic().challengeBond();
        BigInteger claimBond = chain.params.optimistic().claimBond();
        OptimisticBatchMarket requester = new OptimisticBatchMarket(chain.requester);

        // an honest worker that serves nobody its leaves: asked on-chain, it answers, and the item is challenged
        // with what the answer's log carries alone
        Claimed a = claimedUnaudited(requester, items);
        BigInteger id = a.batch().batchId();
        long challenger = chain.agentIds.stream().filter(x -> x != a.worker()).findFirst().orElseThrow();
        OptimisticBatchMarket watcher = new OptimisticBatchMarket(chain.node(challenger));
        BigInteger watcherBefore = chain.requester.pendingWithdrawal(chain.node(challenger).address());
        watcher.requestItemData(id, 6, challenger, bond);
        assertEquals(OptimisticBatchMarket.DATA_OPEN, requester.dataRequest(id, 6).stage());
        assertEquals(challenger, requester.dataRequest(id, 6).agent());
        new OptimisticBatchMarket(chain.node(a.worker())).answerItemData(id, 6, a.claim());
        assertEquals(OptimisticBatchMarket.DATA_ANSWERED, requester.dataRequest(id, 6).stage());
        OptimisticBatchMarket.AnsweredItem answered = watcher.answeredItem(id, 6).orElseThrow();
        var claimed = a.claim().items().get(6);
        assertArrayEquals(claimed.resultHash(), answered.claim().resultHash(), "the claimed result is on-chain");
        assertArrayEquals(claimed.traceRoot(), answered.claim().traceRoot());
        assertArrayEquals(claimed.tokensHash(), answered.claim().tokensHash());
        assertEquals(claimed.leafCount(), answered.claim().leafCount());
        assertEquals(bond.subtract(answered.compensation()),
                chain.requester.pendingWithdrawal(chain.node(challenger).address()).subtract(watcherBefore), "the bond back less the answer's gas");
        assertTrue(answered.compensation().signum() >= 0 && answered.compensation().compareTo(bond) < 0, "the answer's gas, under the bond");
        watcher.challengeAnswered(id, answered, challenger, ChainFixture.h("other result"), ChainFixture.h("other trace"), items, bond);
        assertEquals(3, requester.dispute(id, 6).stage(), "challenged from the log's data");
        assertEquals(Set.of(6), requester.struck(id));

        // a worker that does not answer: after gameClock anyone finalizes the request; the batch is void
        Claimed b = claimedUnaudited(requester, items);
        BigInteger id2 = b.batch().batchId();
        long asker = chain.agentIds.stream().filter(x -> x != b.worker()).findFirst().orElseThrow();
        String askerAddress = chain.node(asker).address();
        BigInteger askerBefore = chain.requester.pendingWithdrawal(askerAddress);
        BigInteger requesterBefore = chain.requester.pendingWithdrawal(chain.requester.address());
        BigInteger stakeBefore = chain.requester.stakeOf(b.worker()).bonded();
        new OptimisticBatchMarket(chain.node(asker)).requestItemData(id2, 2, asker, bond);
        chain.anvil.increaseTime(chain.params.optimistic().gameClock() + 1);
        chain.anvil.mine();
        requester.finalizeItemData(id2, 2);
        assertEquals(OptimisticBatchMarket.DATA_FAILED, requester.dataRequest(id2, 2).stage());
        assertEquals(BatchMarket.BatchState.REFUNDED, requester.batches().state(id2).status(), "void");
        assertEquals(claimBond, stakeBefore.subtract(chain.requester.stakeOf(b.worker()).bonded()), "the worker slashed claimBond");
        assertEquals(total, chain.requester.pendingWithdrawal(chain.requester.address()).subtract(requesterBefore), "every share refunded");
        BigInteger honest = claimBond.multiply(BigInteger.valueOf(chain.params.slashHonestBps())).divide(BigInteger.valueOf(10_000));
        assertEquals(bond.add(honest), chain.requester.pendingWithdrawal(askerAddress).subtract(askerBefore), "bond back and the slash's share");
        var it = b.claim().items().get(1);
        assertFalse(requester.batches().verifyResult(id2, 1, n, it.resultHash(), it.traceRoot(), b.claim().resultProof(1)),
                "nothing of a void batch is proven");
        chain.assertInvariant("after the data-withholding challenge");
    }
}
