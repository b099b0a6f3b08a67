package dev.ledgermind.node.worker;

import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.metrics.NodeMetrics;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.DecoderTaskRunner;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.inference.kernel.KernelConfig;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import dev.ledgermind.inference.tensor.ComputeProfile;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A generation task settled on a real anvil chain by two in-process workers running a GGUF decoder
 * (a tiny llama-shaped model with random weights, written by the project's GGUF writer): the same
 * receipt format and settlement as the encoder tasks, and the output hashes to the result hash.
 */
class GenerateTaskTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);

    /** Under both compute profiles: int8-q8 is a model of its own on chain, settled in replicated mode the same way. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"binary32", "int8-q8"})
    void twoNodesAgreeOnAGenerationAndTheReceiptMatchesALocalRun(String profileName, @TempDir Path dir) throws Exception {
        ComputeProfile profile = ComputeProfile.parse(profileName);
        Path gguf = dir.resolve("tiny-llama.gguf");
        SyntheticModel.write(gguf, "llama3", SyntheticModel.TINY, GgmlType.Q8_0, 7);
        String spec = profile == ComputeProfile.BINARY32 ? gguf.toString() : gguf + "@" + profile.id;
        try (Devnet devnet = Devnet.builder().accounts(5).start();
             DecoderTaskRunner local = new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1, profile)) {
            Web3j web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
            LedgermindContracts deployer = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(), DeployParams.defaults());
            Path deploymentFile = dir.resolve("deployment.json");
            deployer.deployment().write(deploymentFile);
            ModelIdentity m = local.models().getFirst();
            if (profile != ComputeProfile.BINARY32) {
                assertEquals("tiny-llama@int8-q8", m.name());
                assertFalse(m.gamePlayable(), "the dispute game covers binary32 only");
                try (DecoderTaskRunner b32 = new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1)) {
                    assertFalse(java.util.Arrays.equals(b32.models().getFirst().architectureHash(), m.architectureHash()),
                            "a profile is a model of its own: its architecture hash differs");
                    TaskInput probe = TaskInput.generate(m.name(), "Once upon a time", 8, 0.8f, 1234);
                    assertFalse(java.util.Arrays.equals(b32.run(TaskInput.generate(b32.models().getFirst().name(), "Once upon a time", 8, 0.8f, 1234)).traceRoot(),
                            local.run(probe).traceRoot()), "int8-q8 computes other bits than binary32");
                }
            }
            int modelId = deployer.registerModel(new ModelSpec(m.weightsHash(), m.tokenizerHash(), m.architectureHash(), m.name(),
                    ModelSpec.MODE_REPLICATED));
            // three nodes (k = 3 needs three eligible agents; k = 2 is refused): scalar 1 thread, 256-bit
            // 2 threads, scalar 3 threads
            Worker[] workers = new Worker[3];
            for (int i = 0; i < 3; i++) {
                NodeConfig c = new NodeConfig("gen" + i, devnet.rpcUrl(), deploymentFile, devnet.accounts().get(2 + i).privateKey(),
                        "ledgermind://gen" + i, List.of(spec), ETHER, dir.resolve("gen" + i + ".db"), 0, 50, Dishonesty.HONEST);
                workers[i] = new Worker(c, web3, new DecoderTaskRunner(gguf, KernelConfig.ofBits(i == 1 ? 256 : 0), 1 + i, profile),
                        NodeStore.open(c.store()), new NodeMetrics());
                workers[i].join();
            }
            Requester requester = new Requester(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
            TaskInput input = TaskInput.generate(m.name(), "Once upon a time", 8, 0.8f, 1234);
            // k = 3 (k = 2 is refused): seats are drawn with replacement, so resubmit until both nodes hold a seat
            SubmittedTask task = requester.submit(input, modelId, 3, ETHER.divide(BigInteger.valueOf(100)));
            for (int attempt = 0; !(task.nodes().contains(workers[0].agentId()) && task.nodes().contains(workers[1].agentId())); attempt++) {
                assertTrue(attempt < 50, "50 draws in a row without both the scalar and the 256-bit node");
                task = requester.submit(input, modelId, 3, ETHER.divide(BigInteger.valueOf(100)));
            }
            for (int round = 0; round < 100 && !requester.chain().task(task.taskId()).phase().isFinal(); round++) {
                for (Worker w : workers) w.pollOnce();
            }
            Receipt r = requester.await(task.taskId(), Duration.ofSeconds(30), line -> { });
            TaskResult expected = local.run(input);
            assertTrue(r.accepted(), "the two nodes (scalar path, 1 thread; 256-bit, 2 threads) must agree bit for bit");
            assertEquals(3, r.nodes().stream().filter(n -> n.verdict().equals("agreed")).count(), "every seat agreed");
            assertTrue(r.nodes().stream().map(Receipt.NodeVerdict::agentId).distinct().count() >= 2, "the two kernel paths took part");
            assertEquals(Numeric.toHexString(expected.resultHash()), r.resultHash());
            assertEquals(Numeric.toHexString(expected.traceRoot()), r.traceRoot());
            assertArrayEquals(expected.output(), r.output());
            assertEquals(r.resultHash(), Numeric.toHexString(Hash.sha3(r.output())), "the chain's output check: keccak(output) == resultHash");
            web3.shutdown();
        }
    }
}
