package dev.ledgermind.chain;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The hook that lets a worker store a signed transaction's hash before the transaction leaves the
 * process (node/TaskState's COMMIT_SENT rule), on a real anvil.
 */
class BroadcastHookTest {
    static ChainFixture f;

    @RegisterExtension
    static final SharedChain chain = new SharedChain(() -> f = new ChainFixture(3));

    @Test
    void theHookSeesTheHashOfTheTransactionThatIsThenMinedAndAFailingHookSendsNothing() throws Exception {
        byte[] input = "hook".getBytes(StandardCharsets.UTF_8);
        SubmittedTask t = f.requester.submitTask(TaskRequest.inline(f.modelId, input, 2, 1, BigInteger.TEN.pow(15)));
        long agent = t.nodes().getFirst();
        LedgermindContracts node = f.node(agent);
        byte[] commitment = node.commitment(t.taskId(), new byte[32], new byte[32], Commitment.randomSalt());
        String address = node.sender().address();
        BigInteger nonceBefore = f.web3j.ethGetTransactionCount(address, DefaultBlockParameterName.PENDING).send().getTransactionCount();

        // a crash between storing and broadcasting: the hook throws, so nothing may reach the chain
        RuntimeException crash = new RuntimeException("simulated crash after storing the hash");
        RuntimeException thrown = assertThrows(RuntimeException.class,
                () -> node.commit(t.taskId(), agent, 0, commitment, tx -> { throw crash; }));
        assertSame(crash, thrown);
        assertEquals(nonceBefore, f.web3j.ethGetTransactionCount(address, DefaultBlockParameterName.PENDING).send().getTransactionCount(),
                "a transaction whose hook failed must not be broadcast");
        assertFalse(node.task(t.taskId()).hasCommitted(agent));

        // the real send: the hash handed to the hook is the hash of the mined transaction
        List<String> seen = new ArrayList<>();
        TransactionReceipt r = node.commit(t.taskId(), agent, 0, commitment, seen::add);
        assertEquals(List.of(r.getTransactionHash()), seen);
        assertTrue(node.task(t.taskId()).hasCommitted(agent));
        assertFalse(node.pending(r.getTransactionHash()), "a mined transaction is not pending");
        assertFalse(node.pending("0x" + "ab".repeat(32)), "an unknown transaction is not pending");
    }
}
