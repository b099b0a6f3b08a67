package dev.ledgermind.chain;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static dev.ledgermind.chain.ChainFixture.h;
import static dev.ledgermind.chain.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11's settlement attacks on a real anvil, named after the attack (the forge twins are in
 * contracts/test/Attacks.t.sol). Against the v1 contracts the first saw the honest node slashed and the
 * colluders paid in the last reveal; the second saw 12 self-requested minimum-fee tasks give 12 records
 * at 100/100.
 */
class SplitAndReputationAttackTest {
    static final BigInteger FEE = BigInteger.TEN.pow(15).multiply(BigInteger.valueOf(3));
    static ChainFixture f;

    @RegisterExtension
    static final SharedChain chain = new SharedChain(() -> f = new ChainFixture(5));

    static TaskRequest request(int k, BigInteger fee) {
        return TaskRequest.inline(f.modelId, "classify: split".getBytes(StandardCharsets.UTF_8), 2, k, fee);
    }

    record Sealed(long agent, byte[] result, byte[] salt) {
    }

    static Sealed commit(BigInteger taskId, long agent, byte[] result) {
        LedgermindContracts n = f.node(agent);
        byte[] salt = Commitment.randomSalt();
        n.commit(taskId, agent, n.commitment(taskId, result, result, salt));
        return new Sealed(agent, result, salt);
    }

    static void reveal(BigInteger taskId, Sealed s) {
        f.node(s.agent()).reveal(taskId, s.agent(), s.result(), s.result(), s.salt(), new byte[0]);
    }

    @Test
    void colludingMajoritySlashesTheHonestMinority() {
        SubmittedTask t = f.submitDistinct(request(3, FEE));
        long honest = t.nodes().get(2);
        List<Sealed> sealed = new ArrayList<>();
        for (long a : t.nodes()) sealed.add(commit(t.taskId(), a, a == honest ? h("right") : h("colluders' result")));
        StakeInfo before = f.requester.stakeOf(honest);
        for (Sealed s : sealed) reveal(t.taskId(), s); // the honest node reveals last: v1 settled here

        TaskState held = f.requester.task(t.taskId());
        assertEquals(TaskPhase.HELD, held.phase(), "a split is held, not settled");
        assertTrue(held.dissentsFromHeld(honest));
        assertEquals(before, f.requester.stakeOf(honest), "the honest minority is not slashed at the last reveal");
        for (long a : t.nodes()) assertEquals(BigInteger.ZERO, f.requester.claimable(a), "nobody is paid while held");

        f.node(honest).challenge(t.taskId(), honest);
        assertEquals(TaskPhase.CHALLENGED, f.requester.phase(t.taskId()));
        assertReverts("TaskMarket", "AlreadyChallenged", () -> f.node(honest).challenge(t.taskId(), honest));
        f.assertInvariant("while challenged");
        f.anvil.increaseTime(f.params.revealWindow() + 1);
        f.requester.finalizeTask(t.taskId());

        assertEquals(TaskPhase.REFUNDED, f.requester.phase(t.taskId()), "the disputed result is not accepted");
        assertEquals(before, f.requester.stakeOf(honest), "the honest minority keeps its stake");
        for (long a : t.nodes()) assertEquals(BigInteger.ZERO, f.requester.claimable(a), "the colluders are never paid");
        assertEquals(FEE, f.requester.pendingWithdrawal(f.requester.address()), "the requester gets its fee back");
        assertEquals(f.params.dissentSlash(), f.requester.pendingWithdrawal(f.node(honest).address()), "the bond comes back");
        f.assertInvariant("after the challenge's resolution");
    }

    @Test
    void aHeldSplitIsReleasedAfterTheWindowAndThenPaysAndSlashes() {
        SubmittedTask t = f.submitDistinct(request(3, FEE));
        long liar = t.nodes().get(1);
        List<Sealed> sealed = new ArrayList<>();
        for (long a : t.nodes()) sealed.add(commit(t.taskId(), a, a == liar ? h("flipped") : h("good")));
        StakeInfo before = f.requester.stakeOf(liar);
        for (Sealed s : sealed) reveal(t.taskId(), s);
        TaskState held = f.requester.task(t.taskId());
        assertEquals(TaskPhase.HELD, held.phase());
        assertEquals(0b101, held.acceptedMask());
        assertTrue(held.heldUntil() > 0);
        assertReverts("TaskMarket", "TooEarly", () -> f.requester.finalizeTask(t.taskId()));
        f.anvil.increaseTime(f.params.revealWindow() + 1);
        assertEquals(TaskPhase.FINALIZABLE, f.requester.phase(t.taskId()));
        assertReverts("TaskMarket", "ChallengeWindowClosed", () -> f.node(liar).challenge(t.taskId(), liar));
        f.requester.finalizeTask(t.taskId());
        assertEquals(TaskPhase.ACCEPTED, f.requester.phase(t.taskId()));
        assertEquals(before.bonded().subtract(f.params.dissentSlash()), f.requester.stakeOf(liar).bonded());
        assertEquals(NodeOutcome.DISSENTED, f.requester.outcomeOf(t.taskId(), liar));
        f.assertInvariant("after the release");
    }

    @Test
    void reputationForThePriceOfGas() throws Exception {
        long self = f.agentIds.getFirst();
        LedgermindContracts operator = f.node(self); // requests from the address its agent commits with
        int tasks = 0;
        BigInteger minFee = f.params.minFee();
        while (tasks < 12) {
            SubmittedTask t = operator.submitTask(request(1, minFee));
            if (t.nodes().getFirst() != self) continue; // another node's seat: that fee went to someone else
            Sealed s = commit(t.taskId(), self, h("r" + tasks));
            reveal(t.taskId(), s);
            assertEquals(TaskPhase.ACCEPTED, f.requester.phase(t.taskId()));
            tasks++;
        }
        var summary = f.requester.reputationRegistry()
                .getSummary(BigInteger.valueOf(self), List.of(f.deployment.taskMarket()), "", "").send();
        assertEquals(BigInteger.ZERO, summary.component1(), "self-requested records are not counted");
        assertEquals(BigInteger.ZERO, summary.component2(), "and do not raise the summary");

        // control: the same agent's task paid by a real requester counts, at 100
        SubmittedTask paid;
        do paid = f.requester.submitTask(request(1, FEE)); while (paid.nodes().getFirst() != self);
        reveal(paid.taskId(), commit(paid.taskId(), self, h("paid")));
        var after = f.requester.reputationRegistry()
                .getSummary(BigInteger.valueOf(self), List.of(f.deployment.taskMarket()), "", "").send();
        assertEquals(BigInteger.ONE, after.component1());
        assertEquals(BigInteger.valueOf(100).multiply(BigInteger.TEN.pow(18)), after.component2());
        assertFalse(f.requester.claimable(self).signum() == 0, "the self-requested fees were still paid to the agent");
        f.assertInvariant("after self-requested tasks");
    }
}
