package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.ReentrantConsumer;
import dev.ledgermind.chain.contracts.ReentrantWallet;
import dev.ledgermind.chain.contracts.RecordingConsumer;
import dev.ledgermind.chain.contracts.TaskMarket;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.gas.StaticGasProvider;

import java.math.BigInteger;
import java.util.List;
import java.nio.charset.StandardCharsets;

import static dev.ledgermind.chain.ChainFixture.h;
import static dev.ledgermind.chain.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Hostile consumers and wallets: reentry fails, settlement and funds stay intact. */
class ReentrancyTest {
    static final BigInteger FEE = BigInteger.TEN.pow(15);
    static final StaticGasProvider GAS = new StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(10_000_000));
    static ChainFixture f;

    /** A devnet with 5 staked nodes for this class, reset to its snapshot before each test. */
    @RegisterExtension
    static final SharedChain chain = new SharedChain(() -> f = new ChainFixture(5));

    static BigInteger big(Object o) {
        return (BigInteger) o;
    }

    @ParameterizedTest(name = "consumer behaviour {0}")
    @ValueSource(ints = {0, 1, 2}) // Return, Revert, BurnGas
    void hostileConsumerCannotReenterOrBlockSettlement(int behaviour) throws Exception {
        var tm = f.requester.sender().transactionManager();
        ReentrantConsumer c = ReentrantConsumer.deploy(f.web3j, tm, GAS, f.deployment.taskMarket()).send();
        long target = f.agentIds.getFirst();
        f.requester.sender().send("ReentrantConsumer", c.getContractAddress(),
                c.setBehaviour(BigInteger.valueOf(behaviour), BigInteger.valueOf(target)), BigInteger.ZERO);
        byte[] input = "hello".getBytes(StandardCharsets.UTF_8);
        TransactionReceipt sub = f.requester.sender().send("ReentrantConsumer", c.getContractAddress(),
                c.request(BigInteger.valueOf(f.modelId), input, BigInteger.ONE, FEE), FEE);
        var submitted = TaskMarket.getTaskSubmittedEvents(sub).getFirst();
        BigInteger taskId = submitted.taskId;
        long agent = f.requester.drawSeats(taskId, submitted.pool, sub.getBlockHash()).getFirst();
        LedgermindContracts n = f.node(agent);
        byte[] output = "42".getBytes(StandardCharsets.UTF_8);
        byte[] result = Hash.sha3(output);
        byte[] salt = Commitment.randomSalt();
        n.commit(taskId, agent, n.commitment(taskId, result, h("t"), salt));
        assertReverts("TaskMarket", "OutputHashMismatch", () -> n.reveal(taskId, agent, result, h("t"), salt, new byte[0]));
        BigInteger pendingBefore = n.pendingWithdrawal(n.address());
        TransactionReceipt r = n.reveal(taskId, agent, result, h("t"), salt, output);

        var cb = TaskMarket.getCallbackResultEvents(r).getFirst();
        assertEquals(behaviour == 0, cb.success);
        assertEquals(TaskPhase.ACCEPTED, f.requester.phase(taskId));
        assertArrayEquals(output, f.requester.result(taskId).output());
        assertEquals(BigInteger.ZERO, big(c.reentrySuccesses().send()), "no reentry may succeed");
        // a reverted or gas-exhausted callback rolls back its own effects, counters included
        assertEquals(behaviour == 0 ? BigInteger.valueOf(5) : BigInteger.ZERO, big(c.reentryFailures().send()));
        // the callback fee (callbackGasLimit x the submission's base fee) came out of msg.value and went to
        // the node whose reveal delivered the callback: the requester paid for the callback's gas
        BigInteger callbackFee = big(f.requester.taskMarket().callbackFeeOf(taskId).send());
        assertEquals(FEE.subtract(callbackFee), n.claimable(agent));
        assertEquals(FEE.subtract(callbackFee), submitted.fee, "TaskSubmitted carries the nodes' fee");
        assertEquals(pendingBefore.add(callbackFee), n.pendingWithdrawal(n.address()), "the deliverer is paid the callback's gas");
        f.assertInvariant("after hostile callback " + behaviour);
    }

    @Test
    void hostileRequesterCannotWithdrawARefundTwice() throws Exception {
        var tm = f.requester.sender().transactionManager();
        ReentrantConsumer c = ReentrantConsumer.deploy(f.web3j, tm, GAS, f.deployment.taskMarket()).send();
        // three distinct agents vanish (seats are drawn with replacement: resubmit until the draw has three)
        TaskMarket.TaskSubmittedEventResponse submitted;
        List<Long> seats;
        do {
            TransactionReceipt sub = f.requester.sender().send("ReentrantConsumer", c.getContractAddress(),
                    c.request(BigInteger.valueOf(f.modelId), "x".getBytes(), BigInteger.valueOf(3), FEE), FEE);
            submitted = TaskMarket.getTaskSubmittedEvents(sub).getFirst();
            seats = f.requester.drawSeats(submitted.taskId, submitted.pool, sub.getBlockHash());
        } while (seats.stream().distinct().count() < 3);
        BigInteger taskId = submitted.taskId;
        f.anvil.increaseTime(f.params.commitWindow() + 1);
        f.requester.finalizeTask(taskId); // 3 vanished, only 2 spare: refund (callback fires, then nothing)
        assertEquals(TaskPhase.REFUNDED, f.requester.phase(taskId));
        BigInteger refund = FEE.subtract(big(f.requester.taskMarket().callbackFeeOf(taskId).send())); // the callback fee paid the finalizer
        assertEquals(refund, f.requester.pendingWithdrawal(c.getContractAddress())); // earlier draws stay open
        f.requester.sender().send("ReentrantConsumer", c.getContractAddress(), c.withdrawRefund(), BigInteger.ZERO);
        assertEquals(refund, big(c.received().send()));
        assertEquals(refund, f.requester.balanceOf(c.getContractAddress()));
        assertEquals(BigInteger.ZERO, f.requester.pendingWithdrawal(c.getContractAddress()));
        assertEquals(BigInteger.ZERO, big(c.reentrySuccesses().send()));
        f.assertInvariant("after refund to hostile requester");
    }

    @Test
    void hostileAgentWalletCannotClaimTwice() throws Exception {
        var tm = f.requester.sender().transactionManager();
        ReentrantWallet w = ReentrantWallet.deploy(f.web3j, tm, GAS, f.deployment.taskMarket()).send();
        for (int i = 0; i < f.agentIds.size(); i++) {
            long id = f.agentIds.get(i);
            LedgermindContracts n = f.nodes.get(i);
            long deadline = f.web3j.ethGetBlockByNumber(org.web3j.protocol.core.DefaultBlockParameterName.LATEST, false)
                    .send().getBlock().getTimestamp().longValueExact() + 60;
            // the wallet is an ERC-1271 contract that approves any signature
            n.sender().send("AgentRegistry", f.deployment.agentRegistry(), n.agentRegistry().setAgentWallet(
                    BigInteger.valueOf(id), w.getContractAddress(), BigInteger.valueOf(deadline), new byte[65]), BigInteger.ZERO);
        }
        SubmittedTask t = f.submitDistinct(TaskRequest.inline(f.modelId, "y".getBytes(), 1, 5, FEE));
        long agent = t.nodes().getFirst();
        f.requester.sender().send("ReentrantWallet", w.getContractAddress(), w.setAgent(BigInteger.valueOf(agent)), BigInteger.ZERO);
        byte[][] salts = new byte[5][];
        for (int i = 0; i < 5; i++) {
            long a = t.nodes().get(i);
            salts[i] = Commitment.randomSalt();
            f.node(a).commit(t.taskId(), a, f.node(a).commitment(t.taskId(), h("r"), h("t"), salts[i]));
        }
        for (int i = 0; i < 5; i++) {
            long a = t.nodes().get(i);
            f.node(a).reveal(t.taskId(), a, h("r"), h("t"), salts[i], new byte[0]);
        }
        BigInteger owed = f.requester.claimable(agent);
        assertTrue(owed.signum() > 0);
        f.node(agent).claim(agent);
        assertEquals(owed, big(w.received().send()), "paid exactly once");
        assertEquals(BigInteger.ONE, big(w.payments().send()));
        assertEquals(BigInteger.ZERO, big(w.reentrySuccesses().send()));
        assertEquals(BigInteger.TWO, big(w.reentryFailures().send()));
        assertReverts("TaskMarket", "NothingToClaim", () -> f.node(agent).claim(agent));
        f.assertInvariant("after hostile wallet claim");
    }

    @Test
    void wellBehavedConsumerReceivesTheVerifiedResult() throws Exception {
        var tm = f.requester.sender().transactionManager();
        RecordingConsumer c = RecordingConsumer.deploy(f.web3j, tm, GAS, f.deployment.taskMarket()).send();
        TransactionReceipt sub = f.requester.sender().send("RecordingConsumer", c.getContractAddress(),
                c.request(BigInteger.valueOf(f.modelId), "z".getBytes(), BigInteger.ONE, FEE), FEE);
        var e = TaskMarket.getTaskSubmittedEvents(sub).getFirst();
        long a = f.requester.drawSeats(e.taskId, e.pool, sub.getBlockHash()).getFirst();
        byte[] out = "answer".getBytes(StandardCharsets.UTF_8);
        byte[] salt = Commitment.randomSalt();
        f.node(a).commit(e.taskId, a, f.node(a).commitment(e.taskId, Hash.sha3(out), h("tr"), salt));
        f.node(a).reveal(e.taskId, a, Hash.sha3(out), h("tr"), salt, out);
        assertEquals(BigInteger.ONE, big(c.deliveries().send()));
        assertEquals(e.taskId, big(c.lastTaskId().send()));
        assertTrue((Boolean) c.lastAccepted().send());
        assertArrayEquals(out, c.lastOutput().send());
        assertArrayEquals(h("tr"), c.lastTraceRoot().send());
    }
}
