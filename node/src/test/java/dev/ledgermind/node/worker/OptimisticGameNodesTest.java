package dev.ledgermind.node.worker;

import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.OptimisticParams;
import dev.ledgermind.chain.OptimisticTasks;
import dev.ledgermind.chain.TaskPhase;
import dev.ledgermind.chain.TaskRequest;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.chain.game.DisputeGameClient;
import dev.ledgermind.chain.game.GameView;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.inference.step.StepFault;
import dev.ledgermind.node.metrics.NodeMetrics;
import dev.ledgermind.node.store.GameRecord;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.DecoderTaskRunner;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskInput;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The nodes' game playing in every build (the node-process version, with more cases, is node/network's
 * OptimisticGameNetworkTest behind {@code -Doptimistic.e2e=true}): on a real anvil with the default deployment (the real
 * DisputeGame, OneStep and StepReferee), two in-process {@link Worker}s over a small synthetic llama (Q8_0) registered
 * with its weights commitment and step spec. Node 0 is a one-step-wrong worker ({@link Dishonesty#ONE_STEP_WRONG}),
 * node 1 an honest watcher ({@code role: validator}). The test only submits and turns the nodes' loops: the watcher
 * replays the claim and challenges it, both nodes play the game from their loops (the watcher stopped halfway and
 * restarted from its store: a new Worker on the same store file), the game ends at exactly the faulty op and element,
 * the claim is overturned and the liar slashed its claim bond.
 */
class OptimisticGameNodesTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);

    @TempDir
    static Path dir;

    @Test
    void aOneStepWrongClaimIsChallengedAndLostAtItsStepByNodesThatPlayTheGameAcrossARestart() throws Exception {
        Path gguf = dir.resolve("small-game.gguf");
        // dim 64, 2 layers, 2 heads of 32 over 1 KV head, FFN 96, vocabulary 320, context 64
        SyntheticModel.write(gguf, "llama3", new SyntheticModel.Shape(64, 2, 2, 1, 96, 320, 64, false), GgmlType.Q8_0, 5);
        List<DecoderTaskRunner> runners = new ArrayList<>();
        List<NodeStore> stores = new ArrayList<>();
        try (Devnet devnet = Devnet.builder().accounts(5).start()) {
            Web3j web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
            LedgermindContracts deployer = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(),
                    DeployParams.defaults().withWindows(30, 30).withOptimistic(OptimisticParams.defaults().withWindow(60)));
            Path deployment = dir.resolve("deployment.json");
            deployer.deployment().write(deployment);
            for (int i = 0; i < 2; i++) runners.add(new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1));
            ModelIdentity m = runners.getFirst().models().getFirst();
            assertTrue(m.gamePlayable());
            assertArrayEquals(runners.getFirst().weights().root(), m.weightsHash(), "registered with the weights commitment");
            int modelId = deployer.registerModel(new ModelSpec(m.weightsHash(), m.tokenizerHash(), m.architectureHash(), m.name(),
                    ModelSpec.MODE_OPTIMISTIC));
            NodeConfig[] configs = new NodeConfig[2];
            Worker[] nodes = new Worker[2];
            for (int i = 0; i < 2; i++) {
                configs[i] = new NodeConfig("g" + i, devnet.rpcUrl(), deployment, devnet.accounts().get(2 + i).privateKey(), "ledgermind://g" + i,
                        List.of(gguf.toString()), ETHER.multiply(BigInteger.TWO), dir.resolve("g" + i + ".db"), 0, 50,
                        i == 0 ? Dishonesty.ONE_STEP_WRONG : Dishonesty.HONEST).withRole(i == 0 ? NodeRole.WORKER : NodeRole.VALIDATOR);
                stores.add(NodeStore.open(configs[i].store()));
                nodes[i] = new Worker(configs[i], web3, runners.get(i), stores.getLast(), new NodeMetrics());
                nodes[i].join();
            }
            LedgermindContracts requester = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials());
            OptimisticTasks mode = new OptimisticTasks(requester);
            TaskInput input = TaskInput.generate("small-game", "Once upon a time", 4, 0f, 3);
            byte[] bytes = input.bytes();
            OptimisticTasks.Submitted task = null;
            for (int attempt = 0; attempt < 40 && (task == null || task.worker() != nodes[0].agentId()); attempt++) {
                task = mode.submit(new TaskRequest(modelId, Hash.sha3(bytes), bytes, input.seed(), 0, input.maxTokens(), input.kind().code,
                        1, ETHER.divide(BigInteger.valueOf(100)), false), 0, 100);
            }
            assertEquals(nodes[0].agentId(), task.worker(), "40 draws without the liar");
            BigInteger bonded = deployer.stakeOf(nodes[0].agentId()).bonded();

            boolean restarted = false;
            for (int round = 0; round < 400 && !requester.task(task.taskId()).phase().isFinal(); round++) {
                nodes[0].pollOnce();
                nodes[1].pollOnce();
                var st = mode.state(task.taskId());
                if (!restarted && st.gameId() != 0) {
                    var g = DisputeGameClient.at(web3, mode.terms().disputeGame(), devnet.accounts().get(1).credentials(), 0)
                            .game(BigInteger.valueOf(st.gameId()));
                    if (g.challengerMoved() || g.phase().ordinal() > dev.ledgermind.chain.game.GamePhase.TRACE.ordinal()) {
                        // the watcher "crashes" mid-game: a new Worker on the same store file finds the game and plays on
                        restarted = true;
                        stores.add(NodeStore.open(configs[1].store()));
                        // (the engine keeps nothing of the game: a fresh Worker over the same runner is a restart)
                        nodes[1] = new Worker(configs[1], web3, runners.get(1), stores.getLast(), new NodeMetrics());
                        nodes[1].join();
                    }
                }
                if (requester.task(task.taskId()).phase() == TaskPhase.FINALIZABLE) mode.finalizeTask(task.taskId());
            }
            assertTrue(restarted, "the watcher was restarted mid-game");
            assertEquals(TaskPhase.REFUNDED, requester.task(task.taskId()).phase(), "the one-step-wrong claim is overturned");
            var st = mode.state(task.taskId());
            assertEquals(nodes[1].agentId(), st.challenger(), "the watcher challenged");
            GameView g = DisputeGameClient.at(web3, mode.terms().disputeGame(), devnet.accounts().get(1).credentials(), 0)
                    .game(BigInteger.valueOf(st.gameId()));
            assertFalse(g.claimerWon());
            StepFault fault = Dishonesty.workerFault(g.positions(), g.layers());
            assertEquals((long) fault.position() * g.layers() + fault.layer(), g.leaf(), "the faulty leaf");
            assertEquals(fault.op().ordinal(), g.op(), "the faulty op");
            assertEquals(fault.element(), g.element(), "the faulty element");
            assertEquals(fault.bits(), g.claimerValue(), "the liar's injected value");
            assertEquals(bonded.subtract(mode.terms().claimBond()), deployer.stakeOf(nodes[0].agentId()).bonded(), "slashed its claim bond");
            try (NodeStore s = NodeStore.open(configs[1].store())) {
                GameRecord rec = s.games().stream().filter(r -> r.gameId() == st.gameId()).findFirst().orElseThrow();
                assertFalse(rec.claimer());
                assertEquals(Boolean.FALSE, rec.claimerWon(), "the watcher's store holds the verdict");
            }
            web3.shutdown();
        } finally {
            stores.forEach(NodeStore::close);
            runners.forEach(DecoderTaskRunner::close);
        }
    }
}
