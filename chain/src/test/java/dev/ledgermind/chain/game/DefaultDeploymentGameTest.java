package dev.ledgermind.chain.game;

import dev.ledgermind.chain.AnvilControl;
import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.NodeOutcome;
import dev.ledgermind.chain.OptimisticTasks;
import dev.ledgermind.chain.TaskPhase;
import dev.ledgermind.chain.TaskRequest;
import dev.ledgermind.chain.contracts.DisputeGame;
import dev.ledgermind.chain.devnet.Devnet;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.gas.StaticGasProvider;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The default deployment ({@link LedgermindContracts#deploy(Web3j, org.web3j.crypto.Credentials, DeployParams)}) on a
 * real anvil carries the real dispute game (StepReferee, OneStep, DisputeGame: three transactions, two of them before
 * the market's address is predicted), wired both ways: the optimistic mode names the game, the game trusts exactly
 * the market, a challenge starts a real game with the model's registered spec hash and weights root, and the game's
 * verdict (here a silent claimer's timeout) reaches the market's {@code onGameResolved} and settles the task. A game
 * deployer that sends more than one transaction where one is due is refused by name.
 */
class DefaultDeploymentGameTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);

    static byte[] h(String s) {
        return Hash.sha3(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theDefaultDeploymentStartsRealGamesAndHearsTheirVerdicts() throws Exception {
        try (Devnet devnet = Devnet.builder().accounts(5).start()) {
            Web3j web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
            LedgermindContracts deployer = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(), DeployParams.defaults());
            assertTrue(deployer.deployReceipts().keySet().containsAll(java.util.List.of("StepReferee", "OneStep", "DisputeGame")),
                    deployer.deployReceipts().keySet().toString());
            OptimisticTasks mode = new OptimisticTasks(deployer);
            assertTrue(mode.terms().gameAvailable(), "the optimistic mode names a game");
            var gas = new StaticGasProvider(BigInteger.ONE, BigInteger.valueOf(1_000_000));
            DisputeGame game = DisputeGame.load(mode.terms().disputeGame(), web3, deployer.sender().transactionManager(), gas);
            assertEquals(deployer.deployment().taskMarket().toLowerCase(), game.market().send().toLowerCase(), "the game trusts the market");

            byte[] weightsRoot = h("weights root"), specHash = h("spec");
            int modelId = deployer.registerModel(new ModelSpec(weightsRoot, h("tokenizer"), specHash, "m", ModelSpec.MODE_OPTIMISTIC));
            LedgermindContracts[] nodes = new LedgermindContracts[2];
            long[] ids = new long[2];
            for (int i = 0; i < 2; i++) {
                nodes[i] = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(2 + i).credentials());
                ids[i] = nodes[i].registerAndStake("", ETHER.multiply(BigInteger.TWO));
                nodes[i].declareServes(ids[i], modelId);
            }
            LedgermindContracts requester = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials());
            OptimisticTasks asker = new OptimisticTasks(requester);
            var t = asker.submit(TaskRequest.inline(modelId, "in".getBytes(), 1, 1, ETHER.divide(BigInteger.valueOf(100))), 0, 100);
            int w = t.worker() == ids[0] ? 0 : 1, c = 1 - w;
            byte[] output = "out".getBytes(StandardCharsets.UTF_8);
            new OptimisticTasks(nodes[w]).claim(t.taskId(), ids[w], 0,
                    new OptimisticTasks.TraceClaim(Hash.sha3(output), h("claimed root"), output, h("tokens"), 3, 6), null);
            new OptimisticTasks(nodes[c]).challenge(t.taskId(), ids[c], h("other"), h("other root"));
            var st = asker.state(t.taskId());
            assertEquals(OptimisticTasks.Stage.CHALLENGED, st.stage());

            DisputeGameClient client = DisputeGameClient.at(web3, mode.terms().disputeGame(), devnet.accounts().get(2 + c).credentials(),
                    deployer.deployment().deployBlock());
            GameView g = client.game(BigInteger.valueOf(st.gameId()));
            assertEquals(GamePhase.TRACE, g.phase(), "a real game runs");
            assertEquals(t.taskId(), g.taskId());
            assertEquals(nodes[w].address().toLowerCase(), g.claimer().toLowerCase(), "the worker's operator moves for the claimer");
            assertEquals(nodes[c].address().toLowerCase(), g.challenger().toLowerCase());
            assertArrayEquals(specHash, g.specHash(), "the model's registered architectureHash is the game's spec hash");
            assertArrayEquals(weightsRoot, g.weightsRoot(), "the model's registered weightsHash is the game's weights root");
            assertEquals(3, g.positions());
            assertEquals(2, g.layers());
            BigInteger gameId = BigInteger.valueOf(st.gameId());
            var bad = assertThrows(dev.ledgermind.chain.ContractRevertedException.class,
                    () -> client.bisect(gameId, java.util.List.of(), java.util.List.of()));
            assertEquals("NodeCount", bad.errorName(), "a malformed move is refused by name");

            // neither party moves: both clocks run out together, and the tie goes against the challenger; the
            // verdict reaches the market's onGameResolved (only this game may call it) and the claim is upheld
            AnvilControl anvil = new AnvilControl(new HttpService(devnet.rpcUrl()));
            anvil.increaseTime(dev.ledgermind.chain.OptimisticParams.defaults().gameClock() + 1);
            anvil.mine();
            client.timeout(gameId);
            assertEquals(GamePhase.RESOLVED, client.game(gameId).phase());
            assertTrue(client.claimerWon(gameId).orElseThrow(), "the challenger lost on time");
            assertEquals(OptimisticTasks.Stage.UPHELD, asker.state(t.taskId()).stage(), "the market heard the verdict");
            anvil.increaseTime(3_600);
            anvil.mine();
            asker.finalizeTask(t.taskId());
            assertEquals(TaskPhase.ACCEPTED, requester.phase(t.taskId()));
            assertEquals(NodeOutcome.AGREED, requester.outcomeOf(t.taskId(), ids[w]));
            web3.shutdown();
        }
    }

    @Test
    void aGameDeployerThatSendsMoreThanOneTransactionForTheGameIsRefused() {
        try (Devnet devnet = Devnet.builder().accounts(1).start()) {
            Web3j web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
            ChainException e = assertThrows(ChainException.class, () -> LedgermindContracts.deploy(web3,
                    devnet.accounts().get(0).credentials(), DeployParams.defaults(), (w, tm, gas, market) -> {
                        dev.ledgermind.chain.contracts.StepReferee.deploy(w, tm, gas).send(); // a dependency in the wrong place
                        return dev.ledgermind.chain.contracts.StepReferee.deploy(w, tm, gas).send().getContractAddress();
                    }));
            assertTrue(e.getMessage().contains("sent 2 transactions, expected exactly 1"), e.getMessage());
            web3.shutdown();
        }
    }
}
