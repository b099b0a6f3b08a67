package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.FakeDisputeGame;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.chain.events.ChainEvents;
import dev.ledgermind.chain.events.TaskEvent;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tx.gas.StaticGasProvider;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The optimistic mode's typed access ({@link OptimisticTasks}, the mode's events in {@link ChainEvents}) on a real
 * anvil with the real contracts, deployed with a FAKE dispute game (contracts/test/testing/FakeDisputeGame: the
 * test decides the game's verdict; the game itself is not what this test is about): a claim that stands, and a
 * claim that a challenge overturns, with the worker slashed and the requester refunded.
 */
class OptimisticTasksTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);

    @Test
    void aClaimStandsAfterItsWindowAndAChallengedOneIsOverturnedByTheGame() throws Exception {
        try (Devnet devnet = Devnet.builder().accounts(6).start()) {
            Web3j web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
            String[] game = new String[1];
            LedgermindContracts deployer = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(),
                    DeployParams.defaults(), (w, tm, gas, market) -> {
                        game[0] = FakeDisputeGame.deploy(w, tm, gas, market).send().getContractAddress();
                        return game[0];
                    });
            int modelId = deployer.registerModel(new ModelSpec(Hash.sha3("w".getBytes()), Hash.sha3("t".getBytes()),
                    Hash.sha3("a".getBytes()), "m", ModelSpec.MODE_OPTIMISTIC));
            LedgermindContracts[] nodes = new LedgermindContracts[3];
            long[] ids = new long[3];
            for (int i = 0; i < 3; i++) {
                nodes[i] = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(2 + i).credentials());
                ids[i] = nodes[i].registerAndStake("", ETHER.multiply(BigInteger.TWO));
                nodes[i].declareServes(ids[i], modelId);
            }
            LedgermindContracts requester = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials());
            OptimisticTasks mode = new OptimisticTasks(requester);
            assertTrue(mode.terms().gameAvailable(), "the deployment names the game");
            assertEquals(game[0].toLowerCase(), mode.terms().disputeGame().toLowerCase());
            AnvilControl anvil = new AnvilControl(new HttpService(devnet.rpcUrl()));
            byte[] output = "the answer".getBytes(StandardCharsets.UTF_8);
            byte[] root = Hash.sha3("root".getBytes(StandardCharsets.UTF_8));
            var claim = new OptimisticTasks.TraceClaim(Hash.sha3(output), root, output, Hash.sha3("tokens".getBytes()), 4, 8);

            // 1. a claim nobody challenges is final after its window (the floor audit rate: resubmit until unaudited)
            BigInteger standing = null;
            for (int attempt = 0; attempt < 20 && standing == null; attempt++) {
                var t = mode.submit(TaskRequest.inline(modelId, "in".getBytes(), 1, 1, ETHER.divide(BigInteger.valueOf(100))), 0, 100);
                int w = index(ids, t.worker());
                new OptimisticTasks(nodes[w]).claim(t.taskId(), t.worker(), 0, claim, null);
                anvil.mine();
                if (!mode.auditDraw(t.taskId()).audited()) standing = t.taskId();
            }
            assertNotNull(standing, "20 audited claims in a row at a 1% rate");
            assertEquals(OptimisticTasks.Stage.CLAIMED, mode.state(standing).stage());
            assertEquals(TaskPhase.OPTIMISTIC, requester.phase(standing), "open until its window ends");
            anvil.increaseTime(61);
            anvil.mine();
            assertEquals(TaskPhase.FINALIZABLE, requester.phase(standing));
            mode.finalizeTask(standing);
            assertEquals(TaskPhase.ACCEPTED, requester.phase(standing));
            assertArrayEquals(Hash.sha3(output), requester.result(standing).resultHash(), "the claimed result");

            // 2. a challenged claim: the fake game overturns it
            var t = mode.submit(TaskRequest.inline(modelId, "in2".getBytes(), 1, 1, ETHER.divide(BigInteger.valueOf(100))), 0, 100);
            int w = index(ids, t.worker());
            new OptimisticTasks(nodes[w]).claim(t.taskId(), t.worker(), 1, claim, null);
            int c = (w + 1) % 3;
            OptimisticTasks challenger = new OptimisticTasks(nodes[c]);
            BigInteger bond = challenger.terms().challengeBond();
            challenger.challenge(t.taskId(), ids[c], Hash.sha3("other".getBytes()), Hash.sha3("other root".getBytes()));
            var st = mode.state(t.taskId());
            assertEquals(OptimisticTasks.Stage.CHALLENGED, st.stage());
            assertEquals(ids[c], st.challenger());
            BigInteger bondedBefore = requester.stakeOf(t.worker()).bonded();
            FakeDisputeGame.load(game[0], web3, deployer.sender().transactionManager(),
                    new StaticGasProvider(web3.ethGasPrice().send().getGasPrice(), BigInteger.valueOf(1_000_000)))
                    .resolve(BigInteger.valueOf(st.gameId()), false).send();
            assertEquals(OptimisticTasks.Stage.OVERTURNED, mode.state(t.taskId()).stage());
            mode.finalizeTask(t.taskId());
            assertEquals(TaskPhase.REFUNDED, requester.phase(t.taskId()));
            BigInteger claimBond = mode.terms().claimBond();
            assertEquals(bondedBefore.subtract(claimBond), requester.stakeOf(t.worker()).bonded(), "the worker lost its claim bond");
            assertEquals(bond.add(claimBond.divide(BigInteger.TWO)), requester.pendingWithdrawal(nodes[c].address()),
                    "the challenger: its bond back and half the slash");
            assertEquals(NodeOutcome.ABSENT, requester.outcomeOf(t.taskId(), t.worker()), "the worker is at fault");

            List<TaskEvent> events = new ChainEvents(requester).task(t.taskId());
            assertTrue(events.stream().anyMatch(e -> e instanceof TaskEvent.Claimed k && k.agentId() == t.worker()), "Claimed");
            assertTrue(events.stream().anyMatch(e -> e instanceof TaskEvent.ClaimChallenged k && k.agentId() == ids[c]), "ClaimChallenged");
            assertTrue(events.stream().anyMatch(e -> e instanceof TaskEvent.GameResolved g && !g.claimerWins()), "GameResolved");
            web3.shutdown();
        }
    }

    static int index(long[] ids, long id) {
        for (int i = 0; i < ids.length; i++) if (ids[i] == id) return i;
        throw new AssertionError("agent " + id + " is none of the test's nodes");
    }
}
