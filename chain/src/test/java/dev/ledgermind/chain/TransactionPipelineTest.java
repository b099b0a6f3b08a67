package dev.ledgermind.chain;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ledgermind.chain.devnet.Devnet;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.protocol.http.HttpService;

/**
 * TransactionSender's pipelined sending on a real anvil (issue 13): several transactions in flight with
 * consecutive nonces, a stuck one replaced at the same nonce with a higher fee, a dropped one sent again.
 * "Stuck" is made real with anvil's automine off: nothing is mined until the test mines a block.
 */
class TransactionPipelineTest {
    static Devnet devnet;
    static Web3j web3;
    static AnvilControl anvil;
    static String to;

    @BeforeAll
    static void chain() {
        devnet = Devnet.builder().accounts(4).start();
        web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
        anvil = new AnvilControl(new HttpService(devnet.rpcUrl()));
        to = devnet.accounts().get(3).address();
    }

    @AfterAll
    static void stop() {
        web3.shutdown();
        devnet.close();
    }

    @AfterEach
    void automineBackOn() {
        anvil.setAutomine(true);
    }

    static BigInteger minedNonce(String address) throws Exception {
        return web3.ethGetTransactionCount(address, DefaultBlockParameterName.LATEST).send().getTransactionCount();
    }

    static TransactionReceipt receipt(String hash) throws Exception {
        return web3.ethGetTransactionReceipt(hash).send().getTransactionReceipt().orElse(null);
    }

    static TransactionSender sender(int account) {
        return new TransactionSender(web3, devnet.accounts().get(account).credentials(), devnet.chainId());
    }

    @Test
    void severalTransactionsAreInFlightAtOnceWithConsecutiveNoncesAndAllAreMinedInOneBlock() throws Exception {
        TransactionSender s = sender(0);
        anvil.setAutomine(false);
        BigInteger first = minedNonce(s.address());
        List<String> hashes = new ArrayList<>();
        for (int i = 0; i < 5; i++) hashes.add(s.broadcast("transfer", to, "0x", BigInteger.valueOf(1 + i), null, BigInteger.ZERO));
        assertEquals(5, hashes.stream().distinct().count());
        List<TransactionSender.InFlight> open = s.inFlight();
        assertEquals(5, open.size(), "nothing is mined yet: all five are in flight, none waited for a receipt");
        for (int i = 0; i < 5; i++) assertEquals(first.add(BigInteger.valueOf(i)), open.get(i).nonce(), "consecutive nonces");
        for (String h : hashes) assertTrue(s.isInFlight(h));
        anvil.mine();
        long block = -1;
        for (String h : hashes) {
            TransactionReceipt r = receipt(h);
            assertTrue(r != null && r.isStatusOK(), "mined: " + h);
            if (block < 0) block = r.getBlockNumber().longValueExact();
            assertEquals(block, r.getBlockNumber().longValueExact(), "one block holds all five");
        }
        assertTrue(s.replaceStuck(0).isEmpty(), "mined transactions are not sent again");
        assertTrue(s.inFlight().isEmpty(), "and are forgotten");
        assertEquals(first.add(BigInteger.valueOf(5)), minedNonce(s.address()));
    }

    @Test
    void aStuckTransactionIsReplacedAtTheSameNonceWithAHigherFeeAndOnlyTheReplacementIsMined() throws Exception {
        TransactionSender s = sender(1);
        anvil.setAutomine(false);
        BigInteger first = minedNonce(s.address());
        List<String> hooked = new ArrayList<>();
        String a = s.broadcast("transfer", to, "0x", BigInteger.ONE, hooked::add, BigInteger.ZERO);
        String b = s.broadcast("transfer", to, "0x", BigInteger.TWO, null, BigInteger.ZERO);
        assertEquals(List.of(a), hooked);
        TransactionSender.InFlight before = s.inFlight().getFirst();
        assertTrue(s.replaceStuck(60_000).isEmpty(), "not stuck yet: younger than a minute, and still known to the node");

        List<TransactionSender.InFlight> replaced = s.replaceStuck(0); // both are now "stuck"
        assertEquals(2, replaced.size());
        TransactionSender.InFlight ra = replaced.getFirst();
        assertEquals(before.nonce(), ra.nonce(), "a replacement keeps its nonce");
        assertTrue(ra.gasPrice().compareTo(before.gasPrice().multiply(BigInteger.valueOf(5)).divide(BigInteger.valueOf(4))) >= 0,
                "and pays at least 25% more: " + before.gasPrice() + " -> " + ra.gasPrice());
        assertNotEquals(a, ra.hash());
        assertEquals(List.of(a, ra.hash()), hooked, "the hook sees the replacement's hash before it is broadcast");
        assertFalse(s.isInFlight(a));
        assertTrue(s.isInFlight(ra.hash()));

        anvil.mine();
        assertEquals(null, receipt(a), "the replaced transaction is never mined");
        assertEquals(null, receipt(b));
        assertTrue(receipt(ra.hash()).isStatusOK());
        assertTrue(receipt(replaced.get(1).hash()).isStatusOK());
        assertEquals(first.add(BigInteger.TWO), minedNonce(s.address()), "two nonces used, not four");
        s.replaceStuck(0);
        assertTrue(s.inFlight().isEmpty());
    }

    @Test
    void aDroppedTransactionIsSentAgainAtItsNonceSoTheOnesBehindItAreMined() throws Exception {
        TransactionSender s = sender(2);
        anvil.setAutomine(false);
        BigInteger first = minedNonce(s.address());
        String a = s.broadcast("transfer", to, "0x", BigInteger.ONE, null, BigInteger.ZERO);
        String b = s.broadcast("transfer", to, "0x", BigInteger.TWO, null, BigInteger.ZERO);
        anvil.dropTransaction(a); // the first is lost: b waits behind a nonce gap forever
        anvil.mine();
        assertEquals(first, minedNonce(s.address()), "a gap: nothing of this account was mined");

        boolean bKnown = web3.ethGetTransactionByHash(b).send().getTransaction().isPresent();
        List<TransactionSender.InFlight> sent = s.replaceStuck(60_000); // both are young: only what the node lost goes again
        assertEquals(first, sent.getFirst().nonce(), "the dropped one is sent again at its own nonce");
        assertEquals(bKnown ? 1 : 2, sent.size(), "what the node still holds is left alone (b known: " + bKnown + ")");
        anvil.mine();
        for (TransactionSender.InFlight t : sent) assertTrue(receipt(t.hash()).isStatusOK(), "mined: nonce " + t.nonce());
        assertEquals(first.add(BigInteger.TWO), minedNonce(s.address()), "the gap is filled: both nonces used");
        s.replaceStuck(0);
        assertTrue(s.inFlight().isEmpty());
    }

    @Test
    void withAutomineTheSenderStillWorksBackToBackAndBlockingSendsShareTheNonceSequence() throws Exception {
        TransactionSender s = sender(0);
        BigInteger first = minedNonce(s.address());
        String a = s.broadcast("transfer", to, "0x", BigInteger.ONE, null, BigInteger.ZERO);
        TransactionReceipt mid = s.send("transfer", to, "0x", BigInteger.ONE);
        String c = s.broadcast("transfer", to, "0x", BigInteger.ONE, null, BigInteger.ZERO);
        assertTrue(receipt(a).isStatusOK());
        assertTrue(mid.isStatusOK());
        for (int i = 0; i < 100 && receipt(c) == null; i++) Thread.sleep(20);
        assertTrue(receipt(c).isStatusOK());
        assertEquals(first.add(BigInteger.valueOf(3)), minedNonce(s.address()));
    }
}
