package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.TaskMarket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

import static dev.ledgermind.chain.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The forced-absence attack of issue 11 (finding 6), on anvil: a griefer submits minimum-fee tasks that no
 * node can compute in the commit window. On the v1 contracts maxTokens was unbounded, a node could not
 * decline, and after the commit timeout every fee came back in full while the honest nodes were slashed
 * absenceSlash each (10 tasks slashed them 0.3 ETH). Now the model's terms refuse the unbounded workload and
 * the underpriced one at submission, and a node declines a task it cannot finish: it is not slashed, and the
 * refund keeps declineShareBps of the fee per declined seat from the griefer.
 */
class ForcedAbsenceAttackTest {
    static ChainFixture f;

    /** Three staked nodes serving one model: with k = 3 every server is on every task (no replacement). */
    @RegisterExtension
    static final SharedChain chain = new SharedChain(() -> f = new ChainFixture(3));

    static final byte[] INPUT = "a prompt".getBytes(StandardCharsets.UTF_8);
    /** 64 bytes in, 256 tokens out, 10 gwei a token: the registrant's (the deployer's) terms for its model. */
    static final ModelTerms TERMS = new ModelTerms(64, 256, BigInteger.TEN.pow(10));

    static TaskRequest task(int maxTokens, BigInteger fee) {
        return new TaskRequest(f.modelId, Hash.sha3(INPUT), INPUT, 1, 0, maxTokens, 3, 3, fee, false);
    }

    @Test
    void forcedAbsenceGriefingIsRefusedAtSubmissionOrDeclinedWithoutSlashAndPaidByTheGriefer() {
        f.deployer.setModelTerms(f.modelId, TERMS);
        assertEquals(TERMS, f.requester.modelTerms(f.modelId));
        BigInteger minFee = f.params.minFee();

        // 1. over the bounds, or below their price, at the minimum fee: refused, naming the bound
        assertReverts("TaskMarket", "OutputOverModelBound", () -> f.requester.submitTask(task(1_000_000, minFee)));
        assertReverts("TaskMarket", "FeeBelowModelPrice", () -> f.requester.submitTask(task(256, minFee)));
        assertReverts("TaskMarket", "InputOverModelBound", () -> f.requester.submitTask(
                TaskRequest.inline(f.modelId, new byte[65], 3, 3, minFee.multiply(BigInteger.TEN.pow(6)))));

        // 2. within the bounds, at their price, but more than the nodes can finish in the window: they decline
        BigInteger fee = TERMS.requiredFee(INPUT.length, 256);
        BigInteger bondedBefore = f.requester.stakeTotals()[0];
        BigInteger griefer = f.requester.pendingWithdrawal(f.requester.address());
        BigInteger treasury = f.requester.pendingWithdrawal(f.deployment.treasury());
        int tasks = 10;
        for (int i = 0; i < tasks; i++) {
            SubmittedTask t = f.requester.submitTask(task(256, fee));
            for (long agent : t.nodes().stream().distinct().toList()) {
                LedgermindContracts node = f.node(agent);
                var declined = TaskMarket.getDeclinedEvents(node.decline(t.taskId(), agent));
                assertEquals(1, declined.size(), "Declined event");
                assertReverts("TaskMarket", "AlreadyDeclined", () -> node.decline(t.taskId(), agent));
            }
            long stranger = f.agentIds.stream().filter(a -> !t.nodes().contains(a)).findFirst().orElse(-1L);
            if (stranger > 0) assertReverts("TaskMarket", "NotAssigned", () -> f.node(stranger).decline(t.taskId(), stranger));
            assertReverts("TaskMarket", "NotOperator", () -> f.requester.decline(t.taskId(), t.nodes().getFirst()));
            f.anvil.increaseTime(f.params.commitWindow() + 1);
            TransactionReceipt r = f.requester.finalizeTask(t.taskId());
            assertTrue(TaskMarket.getNodeSlashedEvents(r).isEmpty(), "no node slashed for declining");
            assertEquals(TaskPhase.REFUNDED, f.requester.phase(t.taskId()));
            for (long agent : t.nodes()) assertEquals(NodeOutcome.NONE, f.requester.outcomeOf(t.taskId(), agent));
        }
        assertEquals(bondedBefore, f.requester.stakeTotals()[0], "the honest nodes lost no stake");
        // all k seats declined: the refund keeps declineShareBps of the fee for the treasury
        BigInteger share = fee.multiply(BigInteger.valueOf(f.params.declineShareBps())).divide(BigInteger.valueOf(10_000));
        BigInteger n = BigInteger.valueOf(tasks);
        assertEquals(griefer.add(fee.subtract(share).multiply(n)), f.requester.pendingWithdrawal(f.requester.address()),
                "the griefer gets its fees back less the share");
        assertEquals(treasury.add(share.multiply(n)), f.requester.pendingWithdrawal(f.deployment.treasury()),
                "the treasury keeps the share");
        f.assertInvariant("after the declined tasks");
    }

    @Test
    void aDeclineAfterCommittingIsRefused() {
        SubmittedTask t = f.requester.submitTask(TaskRequest.inline(f.modelId, INPUT, 3, 1, f.params.minFee()));
        long agent = t.nodes().getFirst();
        LedgermindContracts node = f.node(agent);
        byte[] h = Hash.sha3("r".getBytes(StandardCharsets.UTF_8));
        node.commit(t.taskId(), agent, node.commitment(t.taskId(), h, h, Commitment.randomSalt()));
        assertReverts("TaskMarket", "AlreadyCommitted", () -> node.decline(t.taskId(), agent));
        assertReverts("ModelRegistry", "NotRegistrant", () -> f.requester.setModelTerms(f.modelId, TERMS));
    }
}
