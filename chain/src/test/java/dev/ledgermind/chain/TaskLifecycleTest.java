package dev.ledgermind.chain;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.ledgermind.chain.ChainFixture.h;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The full task lifecycle on a real anvil: submit, commit, reveal, finalize, claim. */
class TaskLifecycleTest {
    static final BigInteger FEE = BigInteger.TEN.pow(15).multiply(BigInteger.valueOf(3));
    static ChainFixture f;

    /** A devnet with 5 staked nodes for this class, reset to its snapshot before each test. */
    @RegisterExtension
    static final SharedChain chain = new SharedChain(() -> f = new ChainFixture(5));

    /** Runs the last queued reveal through a wrapper that keeps its receipt. */
    static TransactionReceipt lastReveal(SubmittedTask t, List<Runnable> reveals) {
        TransactionReceipt[] box = new TransactionReceipt[1];
        lastReceipt.set(box);
        reveals.getLast().run();
        return box[0];
    }

    static final ThreadLocal<TransactionReceipt[]> lastReceipt = new ThreadLocal<>();

    static TaskRequest request(int k) {
        byte[] input = "classify: the movie was great".getBytes(StandardCharsets.UTF_8);
        return TaskRequest.inline(f.modelId, input, 2, k, FEE);
    }

    /** Commits and reveals (result, trace) for one agent; returns the reveal receipt. */
    static TransactionReceipt commitAndLater(BigInteger taskId, long agent, byte[] result, byte[] trace, List<Runnable> reveals) {
        LedgermindContracts n = f.node(agent);
        byte[] salt = Commitment.randomSalt();
        TransactionReceipt r = n.commit(taskId, agent, n.commitment(taskId, result, trace, salt));
        reveals.add(() -> {
            TransactionReceipt rr = n.reveal(taskId, agent, result, trace, salt, new byte[0]);
            TransactionReceipt[] box = lastReceipt.get();
            if (box != null) box[0] = rr;
        });
        return r;
    }

    @Test
    void k1TaskIsAcceptedPaidAndClaimable() {
        SubmittedTask t = f.requester.submitTask(request(1));
        assertEquals(1, t.nodes().size());
        long agent = t.nodes().getFirst();
        assertTrue(f.agentIds.contains(agent));
        assertEquals(TaskPhase.COMMITTING, f.requester.phase(t.taskId()));
        f.assertInvariant("after submit");

        byte[] output = "positive".getBytes(StandardCharsets.UTF_8);
        byte[] result = Hash.sha3(output);
        byte[] trace = h("trace-1");
        LedgermindContracts n = f.node(agent);
        byte[] salt = Commitment.randomSalt();
        n.commit(t.taskId(), agent, n.commitment(t.taskId(), result, trace, salt));
        assertEquals(TaskPhase.REVEALING, f.requester.phase(t.taskId()));
        n.reveal(t.taskId(), agent, result, trace, salt, output); // the last reveal settles the task

        TaskState s = f.requester.task(t.taskId());
        assertEquals(TaskPhase.ACCEPTED, s.phase());
        assertEquals(1, s.acceptedMask());
        TaskResult res = f.requester.result(t.taskId());
        assertTrue(res.accepted());
        assertArrayEquals(result, res.resultHash());
        assertArrayEquals(trace, res.traceRoot());
        assertEquals(FEE, n.claimable(agent));
        f.assertInvariant("after finalize");

        BigInteger before = n.balanceOf(n.address());
        TransactionReceipt claim = n.claim(agent);
        BigInteger gas = claim.getGasUsed().multiply(new BigInteger(claim.getEffectiveGasPrice().substring(2), 16));
        assertEquals(before.add(FEE).subtract(gas), n.balanceOf(n.address()));
        assertEquals(BigInteger.ZERO, n.claimable(agent));
        f.assertInvariant("after claim");
    }

    @Test
    void k3UnanimousTaskSplitsTheFee() {
        SubmittedTask t = f.submitDistinct(request(3));
        assertEquals(3, t.nodes().stream().distinct().count(), "three distinct nodes");
        // submitDistinct leaves the draws it refused open, with their fees in escrow: only this task's fee may leave
        BigInteger escrowedAtSubmit = f.requester.marketTotals()[1];
        byte[] result = h("result");
        byte[] trace = h("trace");
        List<Runnable> reveals = new java.util.ArrayList<>();
        for (long a : t.nodes()) commitAndLater(t.taskId(), a, result, trace, reveals);
        reveals.forEach(Runnable::run);
        TaskState s = f.requester.task(t.taskId());
        assertEquals(TaskPhase.ACCEPTED, s.phase());
        assertEquals(0b111, s.acceptedMask());
        BigInteger share = FEE.divide(BigInteger.valueOf(3));
        BigInteger sum = BigInteger.ZERO;
        for (long a : t.nodes()) {
            BigInteger c = f.requester.claimable(a);
            assertTrue(c.equals(share) || c.equals(share.add(FEE.mod(BigInteger.valueOf(3)))), "share of " + a + ": " + c);
            sum = sum.add(c);
        }
        assertEquals(FEE, sum, "the whole fee is paid out");
        assertEquals(share.add(FEE.mod(BigInteger.valueOf(3))), f.requester.claimable(t.nodes().getFirst()),
                "the rounding remainder goes to the leader, the first revealer");
        for (long a : t.nodes()) {
            var acct = f.requester.taskMarket().accountOf(BigInteger.valueOf(a)).sendAsync().join();
            assertEquals(BigInteger.ONE, acct.component3(), "one agreed outcome counted for " + a);
            assertEquals(BigInteger.ZERO, acct.component4(), "no fault for " + a);
        }
        var totals = f.requester.marketTotals();
        assertEquals(escrowedAtSubmit.subtract(FEE), totals[1], "this task's whole fee left escrow");
        assertEquals(FEE, totals[2], "the fee is now unclaimed rewards");
        f.assertInvariant("after k=3 finalize");
    }

    @Test
    void k3SplitAcceptsMajorityAndSlashesDissenter() {
        SubmittedTask t = f.submitDistinct(request(3));
        byte[] good = h("good");
        byte[] trace = h("trace");
        long liar = t.nodes().get(1);
        List<Runnable> reveals = new java.util.ArrayList<>();
        for (long a : t.nodes()) {
            commitAndLater(t.taskId(), a, a == liar ? h("flipped") : good, trace, reveals);
        }
        StakeInfo before = f.requester.stakeOf(liar);
        for (int i = 0; i < reveals.size() - 1; i++) reveals.get(i).run();
        assertEquals(TaskPhase.REVEALING, f.requester.phase(t.taskId()));
        lastReveal(t, reveals);
        assertEquals(TaskPhase.HELD, f.requester.phase(t.taskId()), "a split is held for its challenge window");
        assertEquals(before, f.requester.stakeOf(liar), "nobody is slashed while held");
        f.anvil.increaseTime(f.params.revealWindow() + 1);
        TransactionReceipt fin = f.requester.finalizeTask(t.taskId());
        TaskState s = f.requester.task(t.taskId());
        assertEquals(TaskPhase.ACCEPTED, s.phase());
        assertEquals(0b101, s.acceptedMask());
        assertArrayEquals(good, f.requester.result(t.taskId()).resultHash());
        BigInteger slash = f.params.dissentSlash();
        assertEquals(before.bonded().subtract(slash), f.requester.stakeOf(liar).bonded());
        assertEquals(BigInteger.ZERO, f.requester.claimable(liar));
        BigInteger honest = slash.multiply(BigInteger.valueOf(f.params.slashHonestBps())).divide(BigInteger.valueOf(10_000));
        BigInteger pool = FEE.add(honest);
        BigInteger paid = BigInteger.ZERO;
        for (long a : t.nodes()) if (a != liar) paid = paid.add(f.requester.claimable(a));
        assertEquals(pool, paid, "fee plus the honest share of the slash go to the two agreeing nodes");
        assertEquals(slash.subtract(honest), f.requester.pendingWithdrawal(f.deployment.treasury()));
        assertFalse(dev.ledgermind.chain.contracts.TaskMarket.getNodeSlashedEvents(fin).isEmpty());
        f.assertInvariant("after split finalize");
    }
}
