package dev.ledgermind.chain.game;

import dev.ledgermind.chain.AnvilControl;
import dev.ledgermind.chain.ContractRevertedException;
import dev.ledgermind.chain.TransactionSender;
import dev.ledgermind.chain.contracts.FakeGameMarket;
import dev.ledgermind.chain.devnet.Devnet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.gas.StaticGasProvider;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The game facade on a real anvil with the real DisputeGame, OneStep and StepReferee; the task market is
 * the test-only FakeGameMarket (the boundary this test is not about). A 2-position, 2-layer trace: one
 * 4-node descent move per party reaches the leaf, the facade reads the first mover's post from its event,
 * bad moves surface as the game's named errors, and a silent challenger loses on time.
 */
class DisputeGameClientTest {
    private static final long CLOCK = 600;
    private static Devnet devnet;
    private static Web3j web3j;
    private static AnvilControl anvil;

    @BeforeAll
    static void start() {
        devnet = Devnet.builder().accounts(4).start();
        HttpService http = new HttpService(devnet.rpcUrl());
        web3j = Web3j.build(http);
        anvil = new AnvilControl(http);
    }

    @AfterAll
    static void stop() {
        if (web3j != null) web3j.shutdown();
        if (devnet != null) devnet.close();
    }

    private static Credentials cred(int i) {
        return devnet.accounts().get(i).credentials();
    }

    private static byte[] h(String s) {
        return Hash.sha3(s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] cat(byte[]... parts) {
        int n = 0;
        for (byte[] p : parts) n += p.length;
        byte[] out = new byte[n];
        int o = 0;
        for (byte[] p : parts) {
            System.arraycopy(p, 0, out, o, p.length);
            o += p.length;
        }
        return out;
    }

    private static byte[] leafNode(byte[] leafHash) {
        return Hash.sha3(cat(new byte[] {0}, leafHash));
    }

    private static byte[] inner(byte[] l, byte[] r) {
        return Hash.sha3(cat(new byte[] {1}, l, r));
    }

    private static List<byte[]> opRoots(String who) {
        List<byte[]> r = new ArrayList<>();
        for (int k = 0; k < 22; k++) r.add(h(who + " op " + k));
        return r;
    }

    private static byte[] leafOf(List<byte[]> ops) {
        return Hash.sha3(cat(new byte[] {2}, ops.get(21), ops.get(6), ops.get(4)));
    }

    @Test
    void playsTheTraceLevelReadsTheOtherPostDecodesBadMovesAndEndsOnTime() throws Exception {
        long chainId = devnet.chainId();
        TransactionSender deployer = new TransactionSender(web3j, cred(0), chainId);
        FakeGameMarket market = FakeGameMarket.deploy(web3j, deployer.transactionManager(),
                new StaticGasProvider(BigInteger.valueOf(1_000_000_000L), BigInteger.valueOf(5_000_000L))).send();
        DisputeGameClient game = DisputeGameClient.deploy(web3j, deployer, market.getContractAddress());
        market.setGame(game.address()).send();
        DisputeGameClient claimer = game.as(cred(1));
        DisputeGameClient challenger = game.as(cred(2));
        DisputeGameClient stranger = game.as(cred(3));

        // leaves 0 and 1 agreed, leaf 2 the first that differs (the claimer's from its op roots), leaf 3 differs
        List<byte[]> claimerOps = opRoots("claimer");
        byte[][] cl = {h("leaf 0"), h("leaf 1"), leafOf(claimerOps), h("claimer leaf 3")};
        byte[][] ch = {h("leaf 0"), h("leaf 1"), h("challenger leaf 2"), h("challenger leaf 3")};
        List<byte[]> cn = new ArrayList<>();
        List<byte[]> hn = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            cn.add(leafNode(cl[i]));
            hn.add(leafNode(ch[i]));
        }
        byte[] claimerRoot = inner(inner(cn.get(0), cn.get(1)), inner(cn.get(2), cn.get(3)));
        byte[] challengerRoot = inner(inner(hn.get(0), hn.get(1)), inner(hn.get(2), hn.get(3)));
        market.openGame(BigInteger.valueOf(42), cred(1).getAddress(), cred(2).getAddress(), claimerRoot, challengerRoot,
                BigInteger.TWO, BigInteger.TWO, h("spec"), h("weights"), h("tokens"), BigInteger.valueOf(CLOCK)).send();
        BigInteger id = BigInteger.ONE;

        GameView g = game.game(id);
        assertEquals(GamePhase.TRACE, g.phase());
        assertEquals(2, g.level(), "top of a 4-leaf tree");
        assertEquals(4, g.nodesDue(), "one move posts the 4 leaves");
        assertArrayEquals(claimerRoot, g.claimerNode());
        assertEquals(cred(1).getAddress().toLowerCase(), g.claimer());
        long[] d = game.deadlines(id);
        assertEquals(d[0], d[1], "both clocks start together");

        ContractRevertedException e = assertThrows(ContractRevertedException.class,
                () -> stranger.bisect(id, cn, List.of()));
        assertEquals("NotParty", e.errorName());
        e = assertThrows(ContractRevertedException.class, () -> claimer.bisect(id, hn, List.of()));
        assertEquals("WrongNodes", e.errorName());

        challenger.bisect(id, hn, List.of());
        assertTrue(game.game(id).challengerMoved());
        e = assertThrows(ContractRevertedException.class, () -> challenger.bisect(id, hn, List.of()));
        assertEquals("AlreadyMoved", e.errorName());
        DisputeGameClient.Bisected first = claimer.bisected(id, false, 2, 0).orElseThrow();
        assertEquals(4, first.nodes().size());
        e = assertThrows(ContractRevertedException.class, () -> claimer.bisect(id, cn, cn));
        assertEquals("WrongOtherPost", e.errorName());
        claimer.bisect(id, cn, first.nodes());

        g = game.game(id);
        assertEquals(GamePhase.LEAF, g.phase());
        assertEquals(0, g.level());
        assertEquals(2, g.index(), "the first differing leaf");
        assertArrayEquals(cn.get(2), g.claimerNode());

        e = assertThrows(ContractRevertedException.class,
                () -> claimer.revealLeaf(id, opRoots("someone else"), opRoots("x"), new byte[0]));
        assertEquals("WrongLeaf", e.errorName());
        claimer.revealLeaf(id, claimerOps, claimerOps, new byte[0]);
        assertEquals(claimerOps.size(), game.revealedOpRoots(id, true).orElseThrow().size());
        assertFalse(game.claimerWon(id).isPresent(), "not over");

        // the challenger stays silent: its clock runs out
        e = assertThrows(ContractRevertedException.class, () -> stranger.timeout(id));
        assertEquals("NotTimedOut", e.errorName());
        anvil.increaseTime(CLOCK + 1);
        anvil.mine();
        e = assertThrows(ContractRevertedException.class,
                () -> challenger.revealLeaf(id, opRoots("c"), claimerOps, h("spec")));
        assertEquals("Late", e.errorName());
        stranger.timeout(id);
        g = game.game(id);
        assertEquals(GamePhase.RESOLVED, g.phase());
        assertTrue(g.claimerWon());
        assertTrue(game.claimerWon(id).orElseThrow());
        assertTrue(market.lastClaimerWins().send(), "the market was told");
        assertEquals(BigInteger.valueOf(42), market.lastTask().send());
        assertEquals(BigInteger.ONE, market.calls().send());

        // the game's record, from its events: one level completed (the trace's), three moves (the two descents
        // and the claimer's reveal), five transactions with the start and the timeout, no leaf found
        GameReport rec = stranger.report(id);
        assertTrue(rec.ended());
        assertTrue(rec.claimerWins());
        assertEquals("timeout", rec.reason());
        assertEquals(1, rec.levels());
        assertEquals(3, rec.moves());
        assertEquals(5, rec.transactions().size());
        assertNull(rec.found(), "the op is found once both reveal the leaf");
        assertNull(rec.element());
        assertNull(rec.step());
    }
}
