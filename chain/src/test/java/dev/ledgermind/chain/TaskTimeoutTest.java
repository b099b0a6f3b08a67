package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.ReputationRegistry;
import dev.ledgermind.chain.contracts.TaskMarket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static dev.ledgermind.chain.ChainFixture.h;
import static dev.ledgermind.chain.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every timeout path: missing commits (replacement, refund), missing reveals (quorum kept, no quorum), and the
 * ERC-8004 records of a task without a majority.
 */
class TaskTimeoutTest {
    static final BigInteger FEE = BigInteger.TEN.pow(15);
    static ChainFixture f;

    /** A devnet with 5 staked nodes for this class, reset to its snapshot before each test. */
    @RegisterExtension
    static final SharedChain chain = new SharedChain(() -> f = new ChainFixture(5));

    record Committed(long agent, byte[] result, byte[] trace, byte[] salt) {}

    static Committed commit(BigInteger taskId, long agent, byte[] result) {
        LedgermindContracts n = f.node(agent);
        byte[] trace = h("trace");
        byte[] salt = Commitment.randomSalt();
        n.commit(taskId, agent, n.commitment(taskId, result, trace, salt));
        return new Committed(agent, result, trace, salt);
    }

    static TransactionReceipt reveal(BigInteger taskId, Committed c) {
        return f.node(c.agent()).reveal(taskId, c.agent(), c.result(), c.trace(), c.salt(), new byte[0]);
    }

    static SubmittedTask submit(int k) {
        return f.submitDistinct(TaskRequest.inline(f.modelId, "input".getBytes(StandardCharsets.UTF_8), 1, k, FEE));
    }

    @Test
    void aNodeThatNeverCommitsIsSlashedAndReplaced() {
        SubmittedTask t = submit(3);
        long vanished = t.nodes().get(2);
        List<Committed> done = new ArrayList<>();
        for (long a : t.nodes().subList(0, 2)) done.add(commit(t.taskId(), a, h("r")));
        assertReverts("TaskMarket", "TooEarly", () -> f.requester.finalizeTask(t.taskId()));
        assertReverts("TaskMarket", "RevealNotOpen", () -> reveal(t.taskId(), done.getFirst()));
        StakeInfo before = f.requester.stakeOf(vanished);

        f.anvil.increaseTime(f.params.commitWindow() + 1);
        assertEquals(TaskPhase.FINALIZABLE, f.requester.phase(t.taskId()));
        assertReverts("TaskMarket", "CommitWindowClosed",
                () -> f.node(vanished).commit(t.taskId(), vanished, h("late")));
        TransactionReceipt r = f.requester.finalizeTask(t.taskId());

        assertEquals(before.bonded().subtract(f.params.absenceSlash()), f.requester.stakeOf(vanished).bonded());
        // the replacement is drawn like a submission's seats: from a pool frozen now, with this block's hash,
        // by the new round's first commit (ReplacementPending now, NodeReplaced then)
        var pending = TaskMarket.getReplacementPendingEvents(r);
        assertEquals(1, pending.size());
        assertEquals(0b100, pending.getFirst().positions.intValueExact(), "position 2 is to be drawn");
        assertTrue(TaskMarket.getNodeReplacedEvents(r).isEmpty(), "nothing drawn at the finalize");
        assertTrue(f.requester.drawPending(t.taskId()));
        TaskState s = f.requester.task(t.taskId());
        long fresh = s.nodes().get(2); // the contract's preview of the pending draw
        assertFalse(t.nodes().contains(fresh), "the replacement is a node not already on the task");
        assertEquals(1, s.round());
        assertEquals(TaskPhase.COMMITTING, s.phase());
        assertReverts("TaskMarket", "NotAssigned", () -> f.node(vanished).commit(t.taskId(), vanished, h("x")));
        assertTrue(f.requester.drawPending(t.taskId()), "a refused commit keeps nothing of the draw");
        f.assertInvariant("after replacement");

        done.add(commit(t.taskId(), fresh, h("r")));
        assertFalse(f.requester.drawPending(t.taskId()));
        var replaced = new dev.ledgermind.chain.events.ChainEvents(f.requester).task(t.taskId()).stream()
                .filter(e -> e instanceof dev.ledgermind.chain.events.TaskEvent.Replaced)
                .map(e -> (dev.ledgermind.chain.events.TaskEvent.Replaced) e).toList();
        assertEquals(1, replaced.size());
        assertEquals(vanished, replaced.getFirst().oldAgentId());
        assertEquals(fresh, replaced.getFirst().newAgentId(), "the first commit seats the previewed replacement");
        assertEquals(fresh, (long) f.requester.taskNodes(t.taskId()).get(2));
        for (Committed c : done) reveal(t.taskId(), c);
        assertEquals(TaskPhase.ACCEPTED, f.requester.phase(t.taskId()));
        BigInteger honest = f.params.absenceSlash().multiply(BigInteger.valueOf(f.params.slashHonestBps()))
                .divide(BigInteger.valueOf(10_000));
        BigInteger paid = BigInteger.ZERO;
        for (Committed c : done) paid = paid.add(f.requester.claimable(c.agent()));
        assertEquals(FEE.add(honest), paid, "fee plus the held honest share of the absence slash");
        assertEquals(BigInteger.ZERO, f.requester.claimable(vanished));
        f.assertInvariant("after replaced task accepted");
    }

    @Test
    void aDrawThatNoOneResolvesWhileItsBlockHashLastsExpiresRefundedInFullWithNoSlash() {
        SubmittedTask t = f.requester.submitTask(TaskRequest.inline(f.modelId, "expiring".getBytes(StandardCharsets.UTF_8), 1, 3, FEE));
        List<StakeInfo> before = f.agentIds.stream().map(f.requester::stakeOf).toList();
        BigInteger pendingBefore = f.requester.pendingWithdrawal(f.requester.address());
        f.anvil.mine(300); // the EVM keeps 256 block hashes: the submission's is gone
        long seated = t.nodes().getFirst();
        assertReverts("TaskMarket", "SeedBlockUnavailable", () -> f.node(seated).commit(t.taskId(), seated, h("late")));
        f.anvil.increaseTime(f.params.commitWindow() + 1);
        TransactionReceipt r = f.requester.finalizeTask(t.taskId());
        assertEquals(1, TaskMarket.getDrawExpiredEvents(r).size(), "DrawExpired");
        assertTrue(TaskMarket.getNodeSlashedEvents(r).isEmpty(), "no one was ever assigned: no one is slashed");
        var fin = TaskMarket.getTaskFinalizedEvents(r).getFirst();
        assertFalse(fin.accepted);
        assertEquals(FEE, fin.refund);
        assertEquals(TaskPhase.REFUNDED, f.requester.phase(t.taskId()));
        assertEquals(pendingBefore.add(FEE), f.requester.pendingWithdrawal(f.requester.address()), "the whole fee back");
        assertEquals(before, f.agentIds.stream().map(f.requester::stakeOf).toList(), "every stake unchanged");
        f.assertInvariant("after an expired draw");
    }

    @Test
    void aTaskWhoseNodesAllVanishIsRefunded() {
        SubmittedTask t = submit(3); // 5 nodes: 3 missing cannot be replaced by the 2 others
        f.anvil.increaseTime(f.params.commitWindow() + 1);
        TransactionReceipt r = f.requester.finalizeTask(t.taskId());
        assertEquals(3, TaskMarket.getNodeSlashedEvents(r).size());
        var fin = TaskMarket.getTaskFinalizedEvents(r).getFirst();
        assertFalse(fin.accepted);
        assertEquals(FEE, fin.refund);
        assertEquals(TaskPhase.REFUNDED, f.requester.phase(t.taskId()));
        assertEquals(FEE, f.requester.pendingWithdrawal(f.requester.address()));
        assertEquals(f.params.absenceSlash().multiply(BigInteger.valueOf(3)),
                f.requester.pendingWithdrawal(f.deployment.treasury()));
        f.assertInvariant("after refund");
        BigInteger before = f.requester.balanceOf(f.requester.address());
        TransactionReceipt w = f.requester.withdrawBalance();
        BigInteger gas = w.getGasUsed().multiply(new BigInteger(w.getEffectiveGasPrice().substring(2), 16));
        assertEquals(before.add(FEE).subtract(gas), f.requester.balanceOf(f.requester.address()));
        assertReverts("TaskMarket", "NothingToWithdraw", () -> f.requester.withdrawBalance());
        assertReverts("TaskMarket", "TaskNotActive", () -> f.requester.finalizeTask(t.taskId()));
        f.assertInvariant("after withdrawal");
    }

    @Test
    void aNonRevealerIsSlashedWhileTheQuorumIsAccepted() {
        SubmittedTask t = submit(3);
        List<Committed> cs = new ArrayList<>();
        for (long a : t.nodes()) cs.add(commit(t.taskId(), a, h("same")));
        reveal(t.taskId(), cs.get(0));
        reveal(t.taskId(), cs.get(1));
        assertReverts("TaskMarket", "TooEarly", () -> f.requester.finalizeTask(t.taskId()));
        f.anvil.increaseTime(f.params.commitWindow() + f.params.revealWindow() + 1);
        assertReverts("TaskMarket", "RevealWindowClosed", () -> reveal(t.taskId(), cs.get(2)));
        StakeInfo before = f.requester.stakeOf(cs.get(2).agent());
        f.requester.finalizeTask(t.taskId()); // a 2-of-3 quorum with a withheld reveal: held for the challenge window
        assertEquals(TaskPhase.HELD, f.requester.phase(t.taskId()));
        f.anvil.increaseTime(f.params.revealWindow() + 1);
        TransactionReceipt r = f.requester.finalizeTask(t.taskId());
        var slashed = TaskMarket.getNodeSlashedEvents(r);
        assertEquals(1, slashed.size());
        assertEquals(1, slashed.getFirst().reason.intValueExact(), "reason NoReveal");
        // withholding a reveal is slashed like a wrong reveal (never cheaper than revealing it)
        assertEquals(before.bonded().subtract(f.params.dissentSlash()), f.requester.stakeOf(cs.get(2).agent()).bonded());
        TaskState s = f.requester.task(t.taskId());
        assertEquals(TaskPhase.ACCEPTED, s.phase());
        assertEquals(0b011, s.acceptedMask());
        f.assertInvariant("after reveal timeout");
    }

    @Test
    void noQuorumRefundsAndSlashesOnlyNonRevealers() {
        SubmittedTask t = submit(3);
        List<Committed> cs = new ArrayList<>();
        int i = 0;
        for (long a : t.nodes()) cs.add(commit(t.taskId(), a, h("r" + i++)));
        reveal(t.taskId(), cs.get(0));
        reveal(t.taskId(), cs.get(1)); // two different results, third silent
        f.anvil.increaseTime(f.params.commitWindow() + f.params.revealWindow() + 1);
        StakeInfo s0 = f.requester.stakeOf(cs.get(0).agent());
        TransactionReceipt r = f.requester.finalizeTask(t.taskId());
        assertEquals(TaskPhase.REFUNDED, f.requester.phase(t.taskId()));
        assertEquals(1, TaskMarket.getNodeSlashedEvents(r).size());
        assertEquals(s0, f.requester.stakeOf(cs.get(0).agent()), "a revealer without quorum keeps its stake");
        assertEquals(FEE, f.requester.pendingWithdrawal(f.requester.address()));
        f.assertInvariant("after no-quorum refund");
    }

    @Test
    void noMajorityGivesEveryRevealerAnInconclusiveRecordAndEveryAbsenteeAnAbsentOne() throws Exception {
        SubmittedTask t = submit(5); // quorum 3
        List<Committed> cs = new ArrayList<>();
        String[] results = {"a", "a", "b", "-", "-"}; // two agree, one differs, two never reveal
        for (int pos = 0; pos < 5; pos++) cs.add(commit(t.taskId(), t.nodes().get(pos), h(results[pos])));
        for (int pos = 0; pos < 3; pos++) reveal(t.taskId(), cs.get(pos));
        f.anvil.increaseTime(f.params.commitWindow() + f.params.revealWindow() + 1);
        List<StakeInfo> before = t.nodes().stream().map(f.requester::stakeOf).toList();
        TransactionReceipt r = f.requester.finalizeTask(t.taskId());
        assertEquals(TaskPhase.REFUNDED, f.requester.phase(t.taskId()));

        Map<Long, String> expected = new HashMap<>();
        for (int pos = 0; pos < 5; pos++) expected.put(t.nodes().get(pos), pos < 3 ? "inconclusive" : "absent");
        assertRecords(t.taskId(), r, expected);
        for (int pos = 0; pos < 5; pos++) {
            BigInteger slash = pos < 3 ? BigInteger.ZERO : f.params.dissentSlash(); // withheld reveals
            assertEquals(before.get(pos).bonded().subtract(slash), f.requester.stakeOf(t.nodes().get(pos)).bonded(),
                    "stake of position " + pos);
        }
        assertEquals(FEE, f.requester.pendingWithdrawal(f.requester.address()));
        f.assertInvariant("after the no-majority refund");
    }

    @Test
    void threeDifferentResultsSettleInTheLastRevealWithThreeInconclusiveRecords() throws Exception {
        SubmittedTask t = submit(3);
        List<Committed> cs = new ArrayList<>();
        int i = 0;
        for (long a : t.nodes()) cs.add(commit(t.taskId(), a, h("r" + i++)));
        reveal(t.taskId(), cs.get(0));
        reveal(t.taskId(), cs.get(1));
        TransactionReceipt last = reveal(t.taskId(), cs.get(2)); // the k-th reveal settles: no quorum
        assertEquals(TaskPhase.REFUNDED, f.requester.phase(t.taskId()));
        assertEquals(0, TaskMarket.getNodeSlashedEvents(last).size(), "nobody is slashed when all revealed");
        Map<Long, String> expected = new HashMap<>();
        for (long a : t.nodes()) expected.put(a, "inconclusive");
        assertRecords(t.taskId(), last, expected);
        f.assertInvariant("after the all-revealed no-majority refund");
    }

    @Test
    void summariesWeighAgreedRecordsAndCountInconclusiveOnesOnlyUnderTheirTag() throws Exception {
        // task 1: all three agree; task 2: the same three nodes reveal three different results
        SubmittedTask agreed = submit(3);
        List<Committed> cs = new ArrayList<>();
        for (long a : agreed.nodes()) cs.add(commit(agreed.taskId(), a, h("same")));
        for (Committed c : cs) reveal(agreed.taskId(), c);
        SubmittedTask split = submit(3);
        cs.clear();
        int i = 0;
        for (long a : split.nodes()) cs.add(commit(split.taskId(), a, h("r" + i++)));
        for (Committed c : cs) reveal(split.taskId(), c);
        assertEquals(TaskPhase.REFUNDED, f.requester.phase(split.taskId()));

        var rep = f.requester.reputationRegistry();
        List<String> market = List.of(f.deployment.taskMarket());
        BigInteger e18 = BigInteger.TEN.pow(18);
        for (long a : f.agentIds) {
            // expected from the records readable one by one: the unfiltered summary weighs what cost
            // something (agreed records by their pay; no fault here), an inconclusive record weighs nothing
            int agreedRecords = 0;
            int inconclusive = 0;
            for (SubmittedTask t : List.of(agreed, split)) {
                if (!t.nodes().contains(a)) continue;
                var fb = rep.readFeedback(BigInteger.valueOf(a), market.getFirst(), t.taskId()).send();
                if (fb.component4().equals("inconclusive")) inconclusive++;
                if (fb.component4().equals("agreed")) agreedRecords++;
            }
            var all = rep.getSummary(BigInteger.valueOf(a), market, "", "").send();
            assertEquals(BigInteger.valueOf(agreedRecords), all.component1(), "record count of agent " + a);
            assertEquals(agreedRecords == 0 ? BigInteger.ZERO : BigInteger.valueOf(100).multiply(e18), all.component2(),
                    "average value of agent " + a);
            var inc = rep.getSummary(BigInteger.valueOf(a), market, "ledgermind", "inconclusive").send();
            assertEquals(BigInteger.valueOf(inconclusive), inc.component1(), "inconclusive count of agent " + a);
            assertEquals(inconclusive == 0 ? BigInteger.ZERO : BigInteger.valueOf(50).multiply(e18), inc.component2());
            var counts = f.requester.taskMarket().outcomeCounts(BigInteger.valueOf(a)).send();
            assertEquals(BigInteger.valueOf(inconclusive), counts.component3(), "outcomeCounts.inconclusive of agent " + a);
        }
        // nodes on both tasks: one agreed (100) record counts; the inconclusive one (fee refunded) weighs
        // nothing (v2 before the weighting: two records, average 75)
        long both = split.nodes().stream().filter(agreed.nodes()::contains).findFirst().orElseThrow();
        var s = rep.getSummary(BigInteger.valueOf(both), market, "", "").send();
        assertEquals(BigInteger.ONE, s.component1());
        assertEquals(BigInteger.valueOf(100).multiply(e18), s.component2());
        f.assertInvariant("after an agreed and a split task");
    }

    /**
     * The settlement receipt holds exactly one ERC-8004 NewFeedback per node (agent -> tag2 in
     * {@code expected}), from the market, indexed by the task id, and readFeedback answers the same.
     */
    static void assertRecords(BigInteger taskId, TransactionReceipt r, Map<Long, String> expected) throws Exception {
        var events = ReputationRegistry.getNewFeedbackEvents(r);
        Map<Long, String> got = new HashMap<>();
        for (var e : events) {
            long agent = e.agentId.longValueExact();
            assertNull(got.put(agent, e.tag2), "one record per node, agent " + agent);
            assertTrue(f.deployment.taskMarket().equalsIgnoreCase(e.clientAddress));
            assertEquals(taskId, e.feedbackIndex);
            assertEquals("ledgermind", e.tag1);
            assertEquals(e.tag2.equals("inconclusive") ? BigInteger.valueOf(50) : BigInteger.ZERO, e.value);
        }
        assertEquals(expected, got);
        var rep = f.requester.reputationRegistry();
        for (var x : expected.entrySet()) {
            var fb = rep.readFeedback(BigInteger.valueOf(x.getKey()), f.deployment.taskMarket(), taskId).send();
            assertEquals(x.getValue(), fb.component4(), "readFeedback tag2 of agent " + x.getKey());
            assertEquals(x.getValue().equals("inconclusive") ? BigInteger.valueOf(50) : BigInteger.ZERO, fb.component1());
            assertFalse(fb.component5());
        }
    }

    @Test
    void revealChecksCommitmentOutputAndSender() {
        SubmittedTask t = submit(1);
        long a = t.nodes().getFirst();
        LedgermindContracts n = f.node(a);
        byte[] output = "label".getBytes(StandardCharsets.UTF_8);
        byte[] result = Hash.sha3(output);
        byte[] trace = h("t");
        byte[] salt = Commitment.randomSalt();
        assertReverts("TaskMarket", "ZeroCommitment", () -> n.commit(t.taskId(), a, new byte[32]));
        LedgermindContracts stranger = f.nodes.stream().filter(x -> !x.address().equals(n.address())).findFirst().orElseThrow();
        assertReverts("TaskMarket", "NotOperator", () -> stranger.commit(t.taskId(), a, h("c")));
        n.commit(t.taskId(), a, n.commitment(t.taskId(), result, trace, salt));
        assertReverts("TaskMarket", "AlreadyCommitted", () -> n.commit(t.taskId(), a, h("c")));
        assertReverts("TaskMarket", "CommitmentMismatch", () -> n.reveal(t.taskId(), a, h("other"), trace, salt, new byte[0]));
        assertReverts("TaskMarket", "CommitmentMismatch", () -> stranger.reveal(t.taskId(), a, result, trace, salt, new byte[0]));
        assertReverts("TaskMarket", "OutputHashMismatch", () -> n.reveal(t.taskId(), a, result, trace, salt, "other".getBytes()));
        assertReverts("TaskMarket", "OutputTooLarge",
                () -> n.reveal(t.taskId(), a, result, trace, salt, new byte[f.params.maxOutputBytes() + 1]));
        n.reveal(t.taskId(), a, result, trace, salt, output);
        assertReverts("TaskMarket", "TaskNotActive", () -> n.reveal(t.taskId(), a, result, trace, salt, output));
        assertNotEquals(TaskPhase.NONE, f.requester.phase(t.taskId()));
        assertTrue(f.requester.result(t.taskId()).accepted());
    }
}
