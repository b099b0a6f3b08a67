package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.AgentRegistry;
import dev.ledgermind.chain.contracts.TaskMarket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.ledgermind.chain.ChainFixture.h;
import static dev.ledgermind.chain.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Commitment lanes (a commitment lives in a reusable word of its agent from commit to reveal) and the
 * market's remembered operator per agent (cleared by the registry when the owner or wallet changes).
 * Three nodes and k = 3, so every node is assigned to every task.
 */
class CommitmentLaneTest {
    static final BigInteger FEE = BigInteger.TEN.pow(15);
    static ChainFixture f;

    /** A devnet with 3 staked nodes for this class, reset to its snapshot before each test. */
    @RegisterExtension
    static final SharedChain chain = new SharedChain(() -> f = new ChainFixture(3));

    static long now() throws Exception {
        return f.web3j.ethGetBlockByNumber(org.web3j.protocol.core.DefaultBlockParameterName.LATEST, false).send()
                .getBlock().getTimestamp().longValueExact();
    }

    static SubmittedTask submit() {
        return f.submitDistinct(TaskRequest.inline(f.modelId, "lanes".getBytes(StandardCharsets.UTF_8), 1, 3, FEE));
    }

    record Sealed(byte[] result, byte[] trace, byte[] salt) {}

    /** Commits agent {@code a}'s result to {@code task} in {@code lane} (null: the facade's choice). */
    static Sealed commit(BigInteger task, long a, Integer lane, byte[] result) {
        LedgermindContracts n = f.node(a);
        Sealed s = new Sealed(result, h("trace"), Commitment.randomSalt());
        byte[] c = n.commitment(task, s.result(), s.trace(), s.salt());
        if (lane == null) n.commit(task, a, c);
        else n.commit(task, a, lane, c);
        return s;
    }

    @Test
    void aNodeWithTwoOpenTasksKeepsThemInTwoLanesAndReusesTheLaneAfterRevealing() {
        SubmittedTask t1 = submit(), t2 = submit();
        byte[] r = h("r");
        Sealed[] s1 = new Sealed[3], s2 = new Sealed[3];
        for (int i = 0; i < 3; i++) s1[i] = commit(t1.taskId(), t1.nodes().get(i), null, r);
        for (int i = 0; i < 3; i++) s2[i] = commit(t2.taskId(), t2.nodes().get(i), null, r);
        for (long a : t1.nodes()) {
            assertEquals(0, f.node(a).laneOf(t1.taskId(), a));
            assertEquals(1, f.node(a).laneOf(t2.taskId(), a), "lane 0 still holds the unrevealed commitment to task 1");
        }
        for (int i = 0; i < 3; i++) {
            long a = t2.nodes().get(i);
            f.node(a).reveal(t2.taskId(), a, r, s2[i].trace(), s2[i].salt(), new byte[0]);
        }
        for (int i = 0; i < 3; i++) {
            long a = t1.nodes().get(i);
            f.node(a).reveal(t1.taskId(), a, r, s1[i].trace(), s1[i].salt(), new byte[0]);
        }
        assertEquals(TaskPhase.ACCEPTED, f.requester.phase(t1.taskId()));
        assertEquals(TaskPhase.ACCEPTED, f.requester.phase(t2.taskId()));
        SubmittedTask t3 = submit();
        long a = t3.nodes().getFirst();
        commit(t3.taskId(), a, null, r);
        assertEquals(0, f.node(a).laneOf(t3.taskId(), a), "both lanes are free again: the lowest is reused");
        f.assertInvariant("after two overlapping tasks");
    }

    @Test
    void committingOverAnUnrevealedLaneOnlyCostsTheNodeThatDidIt() {
        SubmittedTask t1 = submit(), t2 = submit();
        long a = t1.nodes().getFirst();
        byte[] r = h("r");
        Sealed first = commit(t1.taskId(), a, 5, r);
        Sealed second = commit(t2.taskId(), a, 5, r); // the same lane: task 1's commitment is gone
        List<Long> others = t1.nodes().stream().filter(x -> x != a).toList(); // the same two in both tasks
        Sealed[] others1 = new Sealed[2], others2 = new Sealed[2];
        for (int i = 0; i < 2; i++) {
            others1[i] = commit(t1.taskId(), others.get(i), null, r);
            others2[i] = commit(t2.taskId(), others.get(i), null, r);
        }
        LedgermindContracts n = f.node(a);
        assertReverts("TaskMarket", "CommitmentMismatch",
                () -> n.reveal(t1.taskId(), a, 5, r, first.trace(), first.salt(), new byte[0]));
        assertReverts("TaskMarket", "CommitmentMismatch",
                () -> n.reveal(t2.taskId(), a, 6, r, second.trace(), second.salt(), new byte[0]));
        n.reveal(t2.taskId(), a, 5, r, second.trace(), second.salt(), new byte[0]);
        for (int i = 0; i < 2; i++) {
            long b = others.get(i);
            f.node(b).reveal(t1.taskId(), b, r, others1[i].trace(), others1[i].salt(), new byte[0]);
            f.node(b).reveal(t2.taskId(), b, r, others2[i].trace(), others2[i].salt(), new byte[0]);
        }
        assertEquals(TaskPhase.ACCEPTED, f.requester.phase(t2.taskId()));
        assertEquals(7, f.requester.task(t2.taskId()).acceptedMask());
        f.anvil.increaseTime(f.params.commitWindow() + f.params.revealWindow() + 1);
        f.requester.finalizeTask(t1.taskId()); // two of three revealed: the split is held for its challenge window
        assertEquals(TaskPhase.HELD, f.requester.phase(t1.taskId()));
        f.anvil.increaseTime(f.params.revealWindow() + 1);
        TransactionReceipt fin = f.requester.finalizeTask(t1.taskId());
        var slashed = TaskMarket.getNodeSlashedEvents(fin);
        assertEquals(1, slashed.size());
        assertEquals(a, slashed.getFirst().agentId.longValueExact());
        assertEquals(BigInteger.ONE, slashed.getFirst().reason, "NoReveal");
        TaskState s = f.requester.task(t1.taskId());
        assertEquals(TaskPhase.ACCEPTED, s.phase(), "the two others still form the quorum");
        assertEquals(6, s.acceptedMask());
        f.assertInvariant("after a clobbered lane");
    }

    @Test
    void aCommitmentPlantedThroughAnotherTasksCommitCannotBeOpened() {
        SubmittedTask t1 = submit(), t2 = submit();
        long a = t1.nodes().getFirst();
        LedgermindContracts n = f.node(a);
        byte[] honest = h("honest"), hedge = h("hedge"), trace = h("trace");
        Sealed real = commit(t1.taskId(), a, 0, honest);
        // a second commitment to task 1, smuggled in through the commit call of task 2
        byte[] hedgeSalt = Commitment.randomSalt();
        n.commit(t2.taskId(), a, 1, n.commitment(t1.taskId(), hedge, trace, hedgeSalt));
        for (int i = 1; i < 3; i++) commit(t1.taskId(), t1.nodes().get(i), null, hedge);
        assertEquals(TaskPhase.REVEALING, f.requester.phase(t1.taskId()));
        assertReverts("TaskMarket", "CommitmentMismatch",
                () -> n.reveal(t1.taskId(), a, 1, hedge, trace, hedgeSalt, new byte[0]));
        assertReverts("TaskMarket", "CommitmentMismatch",
                () -> n.reveal(t1.taskId(), a, 0, hedge, trace, hedgeSalt, new byte[0]));
        n.reveal(t1.taskId(), a, 0, honest, real.trace(), real.salt(), new byte[0]);
        assertTrue(f.requester.task(t1.taskId()).hasRevealed(a));
    }

    @Test
    void aZeroResultHashWithAnOutputRevealsKeccakOfTheOutput() {
        SubmittedTask t = submit();
        byte[] output = "forty-two".getBytes(StandardCharsets.UTF_8);
        byte[] result = Hash.sha3(output);
        Sealed[] s = new Sealed[3];
        for (int i = 0; i < 3; i++) s[i] = commit(t.taskId(), t.nodes().get(i), null, result);
        long a = t.nodes().getFirst();
        LedgermindContracts n = f.node(a);
        assertReverts("TaskMarket", "CommitmentMismatch",
                () -> n.reveal(t.taskId(), a, new byte[32], s[0].trace(), s[0].salt(), new byte[0]));
        TransactionReceipt rr = n.reveal(t.taskId(), a, new byte[32], s[0].trace(), s[0].salt(), output);
        assertArrayEquals(result, TaskMarket.getRevealedEvents(rr).getFirst().resultHash);
        for (int i = 1; i < 3; i++) {
            long b = t.nodes().get(i);
            f.node(b).reveal(t.taskId(), b, result, s[i].trace(), s[i].salt(), output);
        }
        TaskResult res = f.requester.result(t.taskId());
        assertTrue(res.accepted());
        assertArrayEquals(result, res.resultHash());
        assertEquals(7, f.requester.task(t.taskId()).acceptedMask(), "the zero-hash reveal agreed with the others");
    }

    @Test
    void aTransferredAgentsFormerOwnerCanNoLongerCommit() {
        SubmittedTask t1 = submit();
        long a = t1.nodes().getFirst();
        LedgermindContracts owner = f.node(a);
        commit(t1.taskId(), a, null, h("r")); // the market now remembers the owner as a's operator
        LedgermindContracts buyer = LedgermindContracts.at(f.web3j, f.deployment, f.cred(5));
        owner.sender().send("AgentRegistry", f.deployment.agentRegistry(),
                owner.agentRegistry().transferFrom(owner.address(), buyer.address(), BigInteger.valueOf(a)), BigInteger.ZERO);
        SubmittedTask t2 = submit();
        assertReverts("TaskMarket", "NotOperator", () -> owner.commit(t2.taskId(), a, h("c")));
        buyer.commit(t2.taskId(), a, buyer.commitment(t2.taskId(), h("r"), h("t"), Commitment.randomSalt()));
        assertTrue(f.requester.task(t2.taskId()).hasCommitted(a));
    }

    @Test
    void aRemovedAgentWalletCanNoLongerCommit() throws Exception {
        SubmittedTask t1 = submit();
        long a = t1.nodes().getFirst();
        LedgermindContracts owner = f.node(a);
        Credentials walletKey = f.cred(5);
        LedgermindContracts wallet = LedgermindContracts.at(f.web3j, f.deployment, walletKey);
        AgentRegistry reg = owner.agentRegistry();
        long deadline = now() + 120;
        byte[] digest = reg.agentWalletDigest(BigInteger.valueOf(a), wallet.address(), owner.address(),
                BigInteger.valueOf(deadline)).send();
        owner.sender().send("AgentRegistry", f.deployment.agentRegistry(), reg.setAgentWallet(BigInteger.valueOf(a),
                wallet.address(), BigInteger.valueOf(deadline), RegistryAndErrorsTest.sign(digest, walletKey)), BigInteger.ZERO);
        wallet.commit(t1.taskId(), a, wallet.commitment(t1.taskId(), h("r"), h("t"), Commitment.randomSalt()));
        owner.sender().send("AgentRegistry", f.deployment.agentRegistry(), reg.unsetAgentWallet(BigInteger.valueOf(a)),
                BigInteger.ZERO);
        SubmittedTask t2 = submit();
        assertReverts("TaskMarket", "NotOperator", () -> wallet.commit(t2.taskId(), a, h("c")));
        owner.commit(t2.taskId(), a, owner.commitment(t2.taskId(), h("r"), h("t"), Commitment.randomSalt()));
    }

    @Test
    void onlyTheAgentRegistryMakesTheMarketForgetAnOperator() {
        TaskMarket m = f.requester.taskMarket();
        for (LedgermindContracts who : List.of(f.requester, f.deployer, f.nodes.getFirst())) {
            assertReverts("TaskMarket", "NotAgentRegistry", () -> who.sender().send("TaskMarket", f.deployment.taskMarket(),
                    m.forgetOperator(BigInteger.valueOf(f.agentIds.getFirst())), BigInteger.ZERO));
        }
    }
}
