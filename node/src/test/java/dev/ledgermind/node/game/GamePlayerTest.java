package dev.ledgermind.node.game;

import dev.ledgermind.chain.TransactionSender;
import dev.ledgermind.chain.contracts.FakeGameMarket;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.chain.game.DisputeGameClient;
import dev.ledgermind.chain.game.GameView;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.inference.step.StepFault;
import dev.ledgermind.inference.step.StepOp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.gas.StaticGasProvider;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Two {@link GamePlayer}s play whole dispute games against each other on a real anvil, with the real
 * DisputeGame, OneStep and StepReferee, over real synthetic models (Q8_0, F32 with q/k/v biases, Q4_0, Q6_K with
 * biases, Q4_K): one
 * party honest, the other running the engine with one element of one operation changed at one (position,
 * layer) and everything after it computed honestly from there ({@link StepFault}). The game must find exactly
 * the faulty leaf, op and element, and the faulty party must lose, whether it is the claimer or the challenger.
 * The task market is the test-only FakeGameMarket (the boundary this test is not about: the optimistic mode
 * starts games in production).
 */
class GamePlayerTest {
    private static final long CLOCK = 3_600;
    @TempDir
    static Path dir;
    private static Devnet devnet;
    private static Web3j web3j;
    private static DisputeGameClient game;
    private static FakeGameMarket market;
    private static Parallel par;

    @BeforeAll
    static void start() throws Exception {
        devnet = Devnet.builder().accounts(3).start();
        web3j = Web3j.build(new HttpService(devnet.rpcUrl()));
        TransactionSender deployer = new TransactionSender(web3j, cred(0), devnet.chainId());
        market = FakeGameMarket.deploy(web3j, deployer.transactionManager(),
                new StaticGasProvider(BigInteger.valueOf(1_000_000_000L), BigInteger.valueOf(5_000_000L))).send();
        game = DisputeGameClient.deploy(web3j, deployer, market.getContractAddress());
        market.setGame(game.address()).send();
        par = new Parallel(2);
    }

    @AfterAll
    static void stop() {
        if (par != null) par.close();
        if (web3j != null) web3j.shutdown();
        if (devnet != null) devnet.close();
    }

    static Credentials cred(int i) {
        return devnet.accounts().get(i).credentials();
    }

    /**
     * F32, Q8_0, Q4_0: dim 64, 2 layers, 2 heads of 32 over 1 KV head, FFN 96; Q4_K, Q6_K: dim 256, FFN 256 (rows of
     * whole super-blocks), 2 heads of 128.
     */
    static LlamaModel model(GgmlType type, boolean bias) throws Exception {
        Path p = dir.resolve((bias ? "qwen2-" : "llama3-") + type + ".gguf");
        SyntheticModel.Shape shape = type.blockSize == 256
                ? new SyntheticModel.Shape(256, 2, 2, 1, 256, 320, 16, false)
                : new SyntheticModel.Shape(64, 2, 2, 1, 96, 320, 16, false);
        if (!p.toFile().exists()) SyntheticModel.write(p, bias ? "qwen2" : "llama3", shape, type, 7);
        return LlamaModel.load(p);
    }

    /** Faults the one-step verifier covers: elementwise ops and reductions, in layer 0 and 1, early and late positions. */
    static Stream<Arguments> faults() {
        return Stream.of(
                Arguments.of(GgmlType.Q8_0, false, new StepFault(2, 1, StepOp.X_OUT, 5, 0x3f800000), true),
                Arguments.of(GgmlType.Q8_0, false, new StepFault(1, 0, StepOp.DOWN, 40, 0x40000000), false),
                Arguments.of(GgmlType.Q8_0, false, new StepFault(0, 1, StepOp.ATTN_NORM, 3, 0xbf000000), true),
                Arguments.of(GgmlType.F32, true, new StepFault(3, 0, StepOp.Q, 17, 0x3e000000), false),
                Arguments.of(GgmlType.F32, true, new StepFault(2, 1, StepOp.ACT, 77, 0x00000000), true),
                Arguments.of(GgmlType.F32, true, new StepFault(1, 1, StepOp.FFN_SS, 0, 0x42000000), false),
                // quantized matrices and token embedding: the layer-0 faults in x_mid and attn_norm end in a one step
                // that opens the token's embedding chunk from its quantized block (a Q4_K or Q6_K super-block's
                // sub-block, dequantized on chain by the referee's dequantChunk); gate ends at the reduction's finish
                Arguments.of(GgmlType.Q4_0, false, new StepFault(1, 0, StepOp.X_MID, 33, 0x3f800000), true),
                Arguments.of(GgmlType.Q6_K, true, new StepFault(1, 0, StepOp.ATTN_NORM, 200, 0xbf000000), false),
                Arguments.of(GgmlType.Q4_K, false, new StepFault(2, 0, StepOp.X_MID, 130, 0x42000000), true),
                Arguments.of(GgmlType.Q4_K, false, new StepFault(1, 0, StepOp.GATE, 250, 0x00000000), false));
    }

    @ParameterizedTest(name = "{0}, fault {2}, faulty claimer: {3}")
    @MethodSource("faults")
    void theFaultyPartyLosesAtExactlyTheOpAndElementItChanged(GgmlType type, boolean bias, StepFault fault, boolean faultyClaimer)
            throws Exception {
        LlamaModel m = model(type, bias);
        assertTrue(dev.ledgermind.inference.step.WeightsCommitment.notCovered(m).isEmpty(), type + " is covered by the game");
        int[] tokens = {3, 141, 59, 26, 53};
        KernelConfig cfg = KernelConfig.defaults();
        GameWitness honest = new GameWitness(m, tokens, null, cfg, par);
        GameWitness faulty = new GameWitness(m, tokens, fault, cfg, par);
        assertEquals(type.id, honest.weights().tensor(honest.weights().indexOf("token_embd.weight")).type().id,
                "the token embedding has the model's type");
        GameWitness claimerSide = faultyClaimer ? faulty : honest, challengerSide = faultyClaimer ? honest : faulty;
        assertNotEquals(honest.trace().root(), faulty.trace().root(), "the fault changes the trace");

        var opened = market.openGame(BigInteger.valueOf(7), cred(1).getAddress(), cred(2).getAddress(),
                claimerSide.trace().root().bytes(), challengerSide.trace().root().bytes(),
                BigInteger.valueOf(tokens.length), BigInteger.valueOf(m.config().layers()), Hash.sha3(honest.spec()),
                honest.weights().root(), dev.ledgermind.inference.step.TraceCommitment.tokensHash(tokens),
                BigInteger.valueOf(CLOCK)).send();
        BigInteger id = dev.ledgermind.chain.contracts.DisputeGame.getGameStartedEvents(opened).getFirst().gameId;

        GamePlayer claimer = new GamePlayer(game.as(cred(1)), id, true, claimerSide);
        GamePlayer challenger = new GamePlayer(game.as(cred(2)), id, false, challengerSide);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Boolean> a = pool.submit(() -> claimer.playToEnd(Duration.ofSeconds(Long.getLong("game.timeout.s", 120)), Duration.ofMillis(50)));
            Future<Boolean> b = pool.submit(() -> challenger.playToEnd(Duration.ofSeconds(Long.getLong("game.timeout.s", 120)), Duration.ofMillis(50)));
            boolean claimerWon = a.get();
            assertEquals(claimerWon, b.get(), "both players read the same verdict");
            assertEquals(!faultyClaimer, claimerWon, "the faulty party loses");
        } finally {
            pool.shutdownNow();
        }
        GameView g = game.game(id);
        assertEquals((long) fault.position() * m.config().layers() + fault.layer(), g.leaf(), "the faulty leaf");
        assertEquals(fault.op().ordinal(), g.op(), "the faulty op");
        assertEquals(fault.element(), g.element(), "the faulty element");
        int faultyValue = faultyClaimer ? g.claimerValue() : g.challengerValue();
        assertEquals(fault.bits(), faultyValue, "the faulty party's value is the one it injected");

        // the game's report (what a receipt shows), read from its events alone, names the same place and verdict
        var report = game.report(id);
        assertTrue(report.ended());
        assertEquals(!faultyClaimer, report.claimerWins());
        assertEquals(fault.position(), report.found().position(), "the report's position");
        assertEquals(fault.layer(), report.found().layer(), "the report's layer");
        assertEquals(fault.op().ordinal(), report.found().op(), "the report's op");
        assertEquals(fault.element(), report.element().element(), "the report's element");
        assertEquals(fault.bits(), faultyClaimer ? report.element().claimerBits() : report.element().challengerBits());
        assertTrue(report.levels() >= 3, "trace, vec and at least one more level: " + report.levels());
        assertTrue(report.moves() >= 2 * report.levels(), "each completed level took both parties' moves");
        if ("one step".equals(report.reason())) {
            assertEquals(!faultyClaimer, report.step().claimerMatches(), "the one step reproduces the honest value");
            assertEquals(faultyClaimer, report.step().challengerMatches());
        } else {
            assertEquals("finish mismatch", report.reason(), "a game that does not end on time ends in the step or the finish");
        }
    }
}
