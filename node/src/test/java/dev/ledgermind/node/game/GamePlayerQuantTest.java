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
import dev.ledgermind.inference.step.TraceCommitment;
import dev.ledgermind.inference.step.WeightsCommitment;
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

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link GamePlayerTest}'s whole games on anvil (real DisputeGame, OneStep, StepReferee; two {@link GamePlayer}s) over
 * synthetic models whose matrices and token embedding are Q4_0, Q6_K or Q4_K: the game must stop at exactly the
 * faulted leaf, op and element, and the faulty party must lose. The layer-0 faults in x_mid and attn_norm end in a
 * one step that opens the token's embedding chunk from its quantized block (OneStep dequantizes it through the
 * referee's dequantChunk: a Q4_K or Q6_K super-block's sub-block); the matrix faults end at the reduction's finish
 * (the faulty party's honest states cannot finish at its value). The matrix chunks themselves are re-executed from the
 * engine's vectors by forge's GameVectorsTest and node's StepVectorsRefereeTest. The market is the test-only
 * FakeGameMarket, as in GamePlayerTest.
 */
class GamePlayerQuantTest {
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

    /** Q4_0: dim 64, FFN 96 (GamePlayerTest's shape); Q4_K, Q6_K: dim 256, FFN 256 (super-block rows), 2 heads of 128. */
    static LlamaModel model(GgmlType type, boolean bias) throws Exception {
        Path p = dir.resolve((bias ? "qwen2-" : "llama3-") + type + ".gguf");
        SyntheticModel.Shape shape = type.blockSize == 256
                ? new SyntheticModel.Shape(256, 2, 2, 1, 256, 320, 16, false)
                : new SyntheticModel.Shape(64, 2, 2, 1, 96, 320, 16, false);
        if (!p.toFile().exists()) SyntheticModel.write(p, bias ? "qwen2" : "llama3", shape, type, 7);
        return LlamaModel.load(p);
    }

    static Stream<Arguments> faults() {
        return Stream.of(
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
        assertTrue(WeightsCommitment.notCovered(m).isEmpty(), type + " is covered by the game");
        int[] tokens = {3, 141, 59, 26, 53};
        KernelConfig cfg = KernelConfig.defaults();
        GameWitness honest = new GameWitness(m, tokens, null, cfg, par);
        GameWitness faulty = new GameWitness(m, tokens, fault, cfg, par);
        assertEquals(type.id, honest.weights().tensor(honest.weights().indexOf("token_embd.weight")).type().id);
        GameWitness claimerSide = faultyClaimer ? faulty : honest, challengerSide = faultyClaimer ? honest : faulty;
        assertNotEquals(honest.trace().root(), faulty.trace().root(), "the fault changes the trace");

        var opened = market.openGame(BigInteger.valueOf(7), cred(1).getAddress(), cred(2).getAddress(),
                claimerSide.trace().root().bytes(), challengerSide.trace().root().bytes(),
                BigInteger.valueOf(tokens.length), BigInteger.valueOf(m.config().layers()), Hash.sha3(honest.spec()),
                honest.weights().root(), TraceCommitment.tokensHash(tokens), BigInteger.valueOf(CLOCK)).send();
        BigInteger id = dev.ledgermind.chain.contracts.DisputeGame.getGameStartedEvents(opened).getFirst().gameId;

        GamePlayer claimer = new GamePlayer(game.as(cred(1)), id, true, claimerSide);
        GamePlayer challenger = new GamePlayer(game.as(cred(2)), id, false, challengerSide);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Duration limit = Duration.ofSeconds(Long.getLong("game.timeout.s", 120));
            Future<Boolean> a = pool.submit(() -> claimer.playToEnd(limit, Duration.ofMillis(50)));
            Future<Boolean> b = pool.submit(() -> challenger.playToEnd(limit, Duration.ofMillis(50)));
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
    }
}
