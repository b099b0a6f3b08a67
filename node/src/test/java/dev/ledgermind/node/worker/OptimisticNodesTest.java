package dev.ledgermind.node.worker;

import dev.ledgermind.chain.AnvilControl;
import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.OptimisticParams;
import dev.ledgermind.chain.OptimisticTasks;
import dev.ledgermind.chain.TaskRequest;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.metrics.NodeMetrics;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.DecoderTaskRunner;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The optimistic mode end to end on a real anvil with in-process real nodes running a GGUF decoder (a tiny
 * llama-shaped model with random weights): the worker computes and claims, the drawn validator replays the claim
 * with inference's Replay and audits it with the drawn trace leaves and their proofs, and the chain settles. No
 * dispute game is deployed here ({@code deployWithoutGame}: the games are played end to end, with node processes, in
 * node/network's OptimisticGameNetworkTest), so a validator's dispute ends the task as no result.
 *
 * <p>Behind {@code -Doptimistic.e2e=true} (about 45 s on 2 busy cores, most of it the engine's warm-up and four
 * devnets: over the budget of a test in {@code ./mvnw verify}); the forge tests (contracts/test/Optimistic.t.sol)
 * cover the same rules in every build:
 * <pre>./mvnw -B -pl node -am test -Dforge.skip=true -Dtest=OptimisticNodesTest -Doptimistic.e2e=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "optimistic.e2e", matches = "true")
class OptimisticNodesTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);
    static final long WINDOW = 20;

    @TempDir
    static Path dir;
    static Path gguf;
    static ModelIdentity model;

    @BeforeAll
    static void modelFile() throws Exception {
        gguf = dir.resolve("tiny-opt.gguf");
        SyntheticModel.write(gguf, "llama3", SyntheticModel.TINY, GgmlType.Q8_0, 11);
        try (DecoderTaskRunner r = new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1)) {
            model = r.models().getFirst();
        }
    }

    /** One devnet with two nodes serving the model, node 0 honest, node 1 as {@code second} (null: never runs). */
    record Net(Devnet devnet, Web3j web3, LedgermindContracts deployer, int modelId, Worker honest, Worker second,
               long secondAgent, Requester requester, List<DecoderTaskRunner> runners) implements AutoCloseable {
        @Override
        public void close() {
            runners.forEach(DecoderTaskRunner::close);
            web3.shutdown();
            devnet.close();
        }
    }

    static Net net(String tag, Dishonesty honestConduct, Dishonesty second, boolean secondRuns) throws Exception {
        Devnet devnet = Devnet.builder().accounts(6).start();
        Web3j web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
        LedgermindContracts deployer = LedgermindContracts.deployWithoutGame(web3, devnet.accounts().get(0).credentials(),
                DeployParams.defaults().withWindows(30, 30).withOptimistic(OptimisticParams.defaults().withWindow(WINDOW)));
        Path deployment = dir.resolve(tag + "-deployment.json");
        deployer.deployment().write(deployment);
        int modelId = deployer.registerModel(new ModelSpec(model.weightsHash(), model.tokenizerHash(), model.architectureHash(),
                model.name(), ModelSpec.MODE_REPLICATED | ModelSpec.MODE_OPTIMISTIC));
        List<DecoderTaskRunner> runners = new ArrayList<>();
        Worker[] w = new Worker[2];
        for (int i = 0; i < 2; i++) {
            Dishonesty d = i == 0 ? honestConduct : second;
            NodeConfig c = new NodeConfig(tag + i, devnet.rpcUrl(), deployment, devnet.accounts().get(2 + i).privateKey(),
                    "ledgermind://" + tag + i, List.of(gguf.toString()), ETHER.multiply(BigInteger.TWO), dir.resolve(tag + i + ".db"),
                    0, 50, d);
            DecoderTaskRunner runner = new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1);
            runners.add(runner);
            w[i] = new Worker(c, web3, runner, NodeStore.open(c.store()), new NodeMetrics());
            w[i].join();
        }
        Requester requester = new Requester(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        return new Net(devnet, web3, deployer, modelId, w[0], secondRuns ? w[1] : null, w[1].agentId(), requester, runners);
    }

    static final TaskInput INPUT = TaskInput.generate("tiny-opt", "Once upon a time", 6, 0f, 7);

    /** Submits with audit rate {@code auditBps} until the drawn worker is {@code worker} (the other node then validates). */
    static OptimisticTasks.Submitted submitFor(Net n, long worker, int auditBps) {
        OptimisticTasks tasks = new OptimisticTasks(n.requester().chain());
        byte[] bytes = INPUT.bytes();
        for (int attempt = 0; attempt < 40; attempt++) {
            var t = tasks.submit(new TaskRequest(n.modelId(), Hash.sha3(bytes), bytes, INPUT.seed(), 0, INPUT.maxTokens(),
                    INPUT.kind().code, 1, ETHER.divide(BigInteger.valueOf(100)), false), 0, auditBps);
            if (t.worker() == worker) return t;
        }
        throw new AssertionError("40 draws in a row without the wanted worker");
    }

    /** Polls the running nodes, moving the clock past the window, until the task is final; returns its receipt. */
    static Receipt drive(Net n, BigInteger taskId) throws Exception {
        AnvilControl anvil = new AnvilControl(new HttpService(n.devnet().rpcUrl()));
        OptimisticTasks tasks = new OptimisticTasks(n.requester().chain());
        for (int round = 0; round < 120; round++) {
            n.honest().pollOnce();
            if (n.second() != null) n.second().pollOnce();
            if (n.requester().chain().task(taskId).phase().isFinal()) return n.requester().receipt(taskId);
            var st = tasks.state(taskId);
            boolean auditSettled = st.audit() != OptimisticTasks.Audit.UNDECIDED && st.audit() != OptimisticTasks.Audit.DUE;
            // the window runs out once the claim is in and the audit has had its chance (a few polls)
            if (st.stage() == OptimisticTasks.Stage.CLAIMED && (auditSettled || round > 10)) {
                anvil.increaseTime(WINDOW + 1);
                anvil.mine();
            }
        }
        fail("optimistic task " + taskId + " did not finalize");
        return null;
    }

    @Test
    void anHonestOptimisticTaskFinalizesAfterItsAuditAndPaysWorkerAndAuditor() throws Exception {
        try (Net n = net("honest", Dishonesty.HONEST, Dishonesty.HONEST, true)) {
            var task = submitFor(n, n.honest().agentId(), 10_000); // always audited: by the other node
            Receipt r = drive(n, task.taskId());
            TaskResult expected;
            try (DecoderTaskRunner local = new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1)) {
                expected = local.run(INPUT);
            }
            assertTrue(r.accepted(), "accepted");
            assertEquals(Numeric.toHexString(expected.resultHash()), r.resultHash(), "the claim is what the engine computes");
            assertArrayEquals(expected.output(), r.output(), "the receipt carries the claimed output");
            assertEquals("optimistic", r.mode().label());
            assertEquals("one honest validator watching, challenge window " + WINDOW + " s (audit rate 100.00%)", r.trust());
            assertTrue(r.steps().stream().anyMatch(s -> s.contains("audited by agent " + n.secondAgent() + ": passed")), r.steps().toString());
            assertEquals(List.of("agreed", "agreed"), r.nodes().stream().map(Receipt.NodeVerdict::verdict).toList(), "worker and auditor");
            var params = new OptimisticTasks(n.requester().chain()).terms();
            BigInteger fee = ETHER.divide(BigInteger.valueOf(100));
            BigInteger auditor = fee.multiply(BigInteger.valueOf(params.auditShareBps())).divide(BigInteger.valueOf(10_000));
            // (the draws before this task left others open, whose windows the test's clock runs past: the agents'
            // accounts mix them, so this task's own figures come from its receipt)
            assertEquals(fee.subtract(auditor), r.rewardPerNodeWei(), "the worker is paid the fee less the audit share");
            assertTrue(r.nodes().stream().allMatch(v -> v.slashedWei().signum() == 0), "nobody slashed in this task");
        }
    }

    @Test
    void anAuditedValidatorThatCopiesTheClaimIsCaughtAndSlashed() throws Exception {
        try (Net n = net("copy", Dishonesty.HONEST, Dishonesty.COPY_AUDIT, true)) {
            var task = submitFor(n, n.honest().agentId(), 10_000);
            BigInteger before = n.deployer().stakeOf(n.secondAgent()).bonded();
            Receipt r = drive(n, task.taskId());
            assertTrue(r.accepted(), "the honest claim stands");
            assertTrue(r.steps().stream().anyMatch(s -> s.contains(": copied")), r.steps().toString());
            var auditor = r.nodes().stream().filter(v -> v.agentId() == n.secondAgent()).findFirst().orElseThrow();
            assertEquals("dissented", auditor.verdict(), "the copier is at fault");
            BigInteger slash = new OptimisticTasks(n.requester().chain()).terms().auditSlash();
            assertEquals(before.subtract(slash), n.deployer().stakeOf(n.secondAgent()).bonded(), "slashed auditSlash");
        }
    }

    @Test
    void aSilentValidatorIsSlashed() throws Exception {
        try (Net n = net("silent", Dishonesty.HONEST, Dishonesty.HONEST, false)) { // node 1 joined, then never runs
            var task = submitFor(n, n.honest().agentId(), 10_000);
            BigInteger before = n.deployer().stakeOf(n.secondAgent()).bonded();
            Receipt r = drive(n, task.taskId());
            assertTrue(r.accepted(), "the claim stands");
            var auditor = r.nodes().stream().filter(v -> v.agentId() == n.secondAgent()).findFirst().orElseThrow();
            assertEquals("absent", auditor.verdict(), "the silent validator is at fault");
            BigInteger slash = new OptimisticTasks(n.requester().chain()).terms().auditSlash();
            assertEquals(before.subtract(slash), n.deployer().stakeOf(n.secondAgent()).bonded(), "slashed auditSlash");
        }
    }

    @Test
    void aWrongClaimIsDisputedByTheValidatorsReplayAndNotPaid() throws Exception {
        try (Net n = net("wrong", Dishonesty.WRONG_RESULT, Dishonesty.HONEST, true)) {
            var task = submitFor(n, n.honest().agentId(), 10_000); // "honest" is node 0: here the lying worker
            Receipt r = drive(n, task.taskId());
            assertFalse(r.accepted(), "the wrong claim is not accepted");
            assertTrue(r.steps().stream().anyMatch(s -> s.contains(": disputed")), r.steps().toString());
            assertEquals(BigInteger.ZERO, r.rewardPerNodeWei(), "the lying worker is paid nothing");
            assertEquals(ETHER.divide(BigInteger.valueOf(100)), r.refundWei(), "the requester got its fee back");
        }
    }
}
