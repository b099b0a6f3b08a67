package dev.ledgermind.node.worker;

import dev.ledgermind.chain.AnvilControl;
import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.node.network.RpcProxy;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.metrics.NodeMetrics;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.store.TaskState;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskInput;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The worker's protocol on a real anvil chain, with in-process workers and a FAKE model
 * ({@link FakeHashRunner}): honest agreement, a lying node slashed, a node that withholds its reveal
 * slashed, and a worker that stops after committing and is resumed from its store by a new instance.
 */
class WorkerProtocolTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);
    static Devnet devnet;
    static Web3j web3;
    static LedgermindContracts deployer;
    static int modelId;
    static Path deploymentFile;

    @TempDir
    static Path dir;

    @BeforeAll
    static void chain() throws Exception {
        devnet = Devnet.builder().accounts(10).start();
        web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
        deployer = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(),
                DeployParams.defaults().withWindows(30, 30));
        deploymentFile = dir.resolve("deployment.json");
        deployer.deployment().write(deploymentFile);
        var m = FakeHashRunner.MODEL;
        modelId = deployer.registerModel(new ModelSpec(m.weightsHash(), m.tokenizerHash(), m.architectureHash(), m.name(),
                ModelSpec.MODE_REPLICATED));
    }

    @AfterAll
    static void stop() {
        web3.shutdown();
        devnet.close();
    }

    /**
     * Registers a model from account 0 through a fresh facade: aStoreWrittenForAnotherDeploymentIsRefused
     * deploys from account 0 too, which leaves {@code deployer}'s cached nonce behind, so a test that ran
     * after it and used {@code deployer} failed with "nonce too low" depending on the method order.
     */
    /**
     * Submits until the drawn seats satisfy {@code wanted}: seats are drawn with replacement, so a test that
     * needs particular agents in particular numbers resubmits. Earlier draws are left to the workers.
     */
    static SubmittedTask submitUntil(Requester requester, TaskInput input, int modelId, int k,
                                     java.util.function.Predicate<List<Long>> wanted) throws Exception {
        for (int attempt = 0; attempt < 60; attempt++) {
            SubmittedTask t = requester.submit(input, modelId, k, ETHER.divide(BigInteger.valueOf(100)));
            if (wanted.test(t.nodes())) return t;
        }
        throw new AssertionError("60 draws in a row did not give the seats the test needs");
    }

    static int registerModel(ModelIdentity m) {
        return LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(0).credentials())
                .registerModel(new ModelSpec(m.weightsHash(), m.tokenizerHash(), m.architectureHash(), m.name(),
                        ModelSpec.MODE_REPLICATED));
    }

    Worker worker(int account, Dishonesty dishonesty, String storeName) throws Exception {
        return worker(account, dishonesty, storeName, FakeHashRunner.MODEL);
    }

    Worker worker(int account, Dishonesty dishonesty, String storeName, ModelIdentity model) throws Exception {
        NodeConfig config = new NodeConfig("node" + account, devnet.rpcUrl(), deploymentFile,
                devnet.accounts().get(account).privateKey(), "ledgermind://node" + account, List.of(model.name()),
                ETHER, dir.resolve(storeName), 0, 50, dishonesty);
        Worker w = new Worker(config, web3, new FakeHashRunner(model), NodeStore.open(config.store()), new NodeMetrics());
        w.join();
        return w;
    }

    /** Polls every worker until the requester's task is final. */
    Receipt drive(Requester requester, SubmittedTask task, List<Worker> workers) throws Exception {
        AnvilControl anvil = new AnvilControl(new HttpService(devnet.rpcUrl()));
        boolean heldBefore = false;
        for (int round = 0; round < 200; round++) {
            for (Worker w : workers) w.pollOnce();
            var state = requester.chain().task(task.taskId());
            if (state.phase().isFinal()) return requester.receipt(task.taskId());
            // a held split's window runs out only after every worker has polled it once (an outvoted honest
            // worker challenges then)
            boolean waitOutHeld = state.held() && heldBefore;
            heldBefore = state.held();
            if ((state.phase() == dev.ledgermind.chain.TaskPhase.REVEALING && round > 20) || waitOutHeld) {
                anvil.increaseTime(31); // a withheld reveal, or a held split: let the window run out
                anvil.mine();
            }
            if (state.phase() == dev.ledgermind.chain.TaskPhase.FINALIZABLE) requester.chain().finalizeTask(task.taskId());
        }
        fail("task " + task.taskId() + " did not finalize");
        return null;
    }

    @Test
    void aWorkerRidesOutAnRpcOutageAndFinishesItsTask() throws Exception {
        ModelIdentity solo = FakeHashRunner.identity("fake-outage-model");
        int soloId = registerModel(solo);
        int anvilPort = Integer.parseInt(devnet.rpcUrl().substring(devnet.rpcUrl().lastIndexOf(':') + 1));
        try (RpcProxy proxy = new RpcProxy(anvilPort)) {
            NodeConfig config = new NodeConfig("outage-node", proxy.url(), deploymentFile, devnet.accounts().get(7).privateKey(),
                    "ledgermind://outage", List.of(solo.name()), ETHER, dir.resolve("outage.db"), 0, 50, Dishonesty.HONEST);
            Web3j viaProxy = Web3j.build(new org.web3j.protocol.http.HttpService(proxy.url()));
            Worker worker = new Worker(config, viaProxy, new FakeHashRunner(solo), NodeStore.open(config.store()), new NodeMetrics());
            worker.join();
            Thread loop = Thread.ofPlatform().start(() -> {
                try {
                    worker.run();
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            try {
                proxy.down(); // the node's RPC endpoint disappears
                Requester requester = new Requester(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
                SubmittedTask task = requester.submit(TaskInput.embed(solo.name(), List.of("outage")), soloId, 1,
                        ETHER.divide(BigInteger.valueOf(100)));
                Thread.sleep(1500); // the worker keeps polling, fails, backs off
                assertFalse(requester.chain().task(task.taskId()).hasCommitted(worker.agentId()), "no RPC, no commit");
                proxy.up(); // and comes back on the same address
                Receipt receipt = requester.await(task.taskId(), Duration.ofSeconds(60), line -> { });
                assertTrue(receipt.accepted(), "the worker must resume and finish once the RPC is back");
                assertEquals("agreed", receipt.nodes().getFirst().verdict());
            } finally {
                worker.stop();
                loop.join(10_000);
                viaProxy.shutdown();
            }
        }
    }

    @Test
    void aStoreWrittenForAnotherDeploymentIsRefused() throws Exception {
        // a model of its own, so that this node is never drawn for the other tests' tasks
        ModelIdentity own = FakeHashRunner.identity("fake-bound-model");
        registerModel(own);
        worker(8, Dishonesty.HONEST, "bound.db", own); // binds bound.db to this deployment

        // a second deployment on the same chain; with a fresh anvil it could even have the same addresses
        LedgermindContracts other = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(), DeployParams.defaults());
        Path otherFile = dir.resolve("other-deployment.json");
        other.deployment().write(otherFile);
        NodeConfig config = new NodeConfig("node8", devnet.rpcUrl(), otherFile, devnet.accounts().get(8).privateKey(),
                "ledgermind://node8", List.of(own.name()), ETHER, dir.resolve("bound.db"), 0, 50, Dishonesty.HONEST);
        try (NodeStore store = NodeStore.open(config.store())) {
            Worker w = new Worker(config, web3, new FakeHashRunner(own), store, new NodeMetrics());
            IllegalStateException e = assertThrows(IllegalStateException.class, w::join);
            assertTrue(e.getMessage().contains("belongs to another deployment"), e.getMessage());
            assertEquals(BigInteger.ZERO, other.agentRegistry().balanceOf(devnet.accounts().get(8).address()).send(),
                    "nothing may be registered on the other deployment");
        }
    }

    @Test
    void aNodeConfigNeverPrintsItsKey() {
        String key = devnet.accounts().get(2).privateKey();
        NodeConfig config = new NodeConfig("n", devnet.rpcUrl(), deploymentFile, key, "u", List.of("m"), ETHER,
                dir.resolve("x.db"), 0, 50, Dishonesty.HONEST);
        assertFalse(config.toString().contains(key.substring(2)), config.toString());
    }

    @Test
    void honestNodesAgreeAndALiarIsSlashed() throws Exception {
        List<Worker> workers = new ArrayList<>();
        workers.add(worker(2, Dishonesty.HONEST, "a.db"));
        workers.add(worker(3, Dishonesty.HONEST, "b.db"));
        workers.add(worker(4, Dishonesty.WRONG_RESULT, "c.db"));
        long liar = workers.get(2).agentId();
        BigInteger stakeBefore = deployer.stakeOf(liar).bonded();

        Requester requester = new Requester(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        TaskInput input = TaskInput.embed(FakeHashRunner.MODEL.name(), List.of("hello world"));
        // seats are drawn with replacement: resubmit until three distinct agents, the liar among them, hold them
        SubmittedTask task = submitUntil(requester, input, modelId, 3,
                nodes -> nodes.stream().distinct().count() == 3 && nodes.contains(liar));
        Receipt receipt = drive(requester, task, workers);

        assertTrue(receipt.accepted());
        var expected = new FakeHashRunner().run(input);
        assertEquals(Numeric.toHexString(expected.resultHash()), receipt.resultHash(), "the honest majority's result wins");
        assertArrayEquals(expected.output(), receipt.output());
        assertEquals(2, receipt.nodes().stream().filter(n -> n.verdict().equals("agreed")).count());
        Receipt.NodeVerdict liarVerdict = receipt.nodes().stream().filter(n -> n.agentId() == liar).findFirst().orElseThrow();
        assertEquals("dissented", liarVerdict.verdict());
        assertTrue(deployer.stakeOf(liar).bonded().compareTo(stakeBefore) < 0, "the liar's stake must shrink");
        assertTrue(receipt.transactions().stream().anyMatch(t -> t.kind().equals("submit")));
        assertEquals(3, receipt.transactions().stream().filter(t -> t.kind().equals("commit")).count());
        assertTrue(receipt.totalGas().signum() > 0);
    }

    @Test
    void anHonestNodeOutvotedByTwoColludingLiarsChallengesAndNobodyIsPaidOrSlashed() throws Exception {
        // a model only these three agents serve; both liars flip the same bit, so they agree with each other
        ModelIdentity collusion = FakeHashRunner.identity("fake-collusion-model");
        int collusionId = registerModel(collusion);
        List<Worker> workers = List.of(worker(2, Dishonesty.HONEST, "collude-honest.db", collusion),
                worker(3, Dishonesty.WRONG_RESULT, "collude-liar1.db", collusion),
                worker(4, Dishonesty.WRONG_RESULT, "collude-liar2.db", collusion));
        long honest = workers.getFirst().agentId();
        BigInteger stakeBefore = deployer.stakeOf(honest).bonded();
        Requester requester = new Requester(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        SubmittedTask task = submitUntil(requester, TaskInput.embed(collusion.name(), List.of("outvoted")), collusionId, 3,
                nodes -> nodes.stream().distinct().count() == 3);
        Receipt receipt = drive(requester, task, workers);

        assertFalse(receipt.accepted(), "the colluders' result is not accepted");
        assertTrue(receipt.transactions().stream().anyMatch(t -> t.kind().equals("challenge") && Long.valueOf(honest).equals(t.agentId())),
                "the honest worker challenged: " + receipt.transactions());
        assertEquals(stakeBefore, deployer.stakeOf(honest).bonded(), "the honest node is not slashed");
        assertEquals(BigInteger.ZERO, receipt.rewardPerNodeWei(), "nobody is paid from a challenged split");
        assertEquals(receipt.feeWei(), receipt.refundWei(), "the requester gets its fee back");
        for (Receipt.NodeVerdict v : receipt.nodes()) {
            assertEquals("inconclusive", v.verdict(), "verdict of agent " + v.agentId());
            assertEquals(BigInteger.ZERO, v.slashedWei(), "nobody is slashed: agent " + v.agentId());
        }
    }

    @Test
    void withoutAMajorityTheReceiptAndTheErc8004RecordsSayInconclusiveAndAbsent() throws Exception {
        // a model only these three agents serve, so that the market must draw all three
        ModelIdentity split = FakeHashRunner.identity("fake-split-model");
        int splitId = registerModel(split);
        List<Worker> workers = List.of(worker(2, Dishonesty.HONEST, "split-honest.db", split),
                worker(3, Dishonesty.WRONG_RESULT, "split-wrong.db", split),
                worker(4, Dishonesty.WITHHOLD_REVEAL, "split-withhold.db", split));
        long withheld = workers.get(2).agentId();
        Requester requester = new Requester(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        SubmittedTask task = submitUntil(requester, TaskInput.embed(split.name(), List.of("no majority")), splitId, 3,
                nodes -> nodes.stream().distinct().count() == 3);
        Receipt receipt = drive(requester, task, workers); // one true result, one perturbed, one withheld: no quorum of 2

        assertFalse(receipt.accepted());
        var rep = requester.chain().reputationRegistry();
        String market = deployer.deployment().taskMarket();
        assertEquals(3, receipt.nodes().size());
        for (Receipt.NodeVerdict v : receipt.nodes()) {
            assertEquals(v.agentId() == withheld ? "absent" : "inconclusive", v.verdict(), "verdict of agent " + v.agentId());
            var fb = rep.readFeedback(BigInteger.valueOf(v.agentId()), market, task.taskId()).send();
            assertEquals(v.verdict(), fb.component4(), "the receipt's verdict is the ERC-8004 record's tag2");
        }
    }

    @Test
    void aWorkerStoppedAfterCommittingIsResumedFromItsStoreAndReveals() throws Exception {
        // a model only this worker serves, so that the market must draw it
        ModelIdentity solo = FakeHashRunner.identity("fake-solo-model");
        int soloId = registerModel(solo);
        Worker chosen = worker(5, Dishonesty.HONEST, "d.db", solo);
        Requester requester = new Requester(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        SubmittedTask task = requester.submit(TaskInput.embed(solo.name(), List.of("resume me")), soloId, 1,
                ETHER.divide(BigInteger.valueOf(100)));
        long assigned = task.nodes().getFirst();
        assertEquals(chosen.agentId(), assigned);
        String storeName = "d.db";
        int account = 5;
        // poll until this worker's commit is on chain, then drop the instance (its store stays). The commit is
        // pipelined: the pass that broadcast it (anvil mines it at once) has only recorded its hash (COMMIT_SENT, durable
        // before the broadcast); the next pass would read it from the chain and reveal. So this is a node stopped after
        // its commit landed and before it knew: the resumed one must learn it from the chain, not commit again.
        for (int i = 0; i < 50; i++) {
            chosen.pollOnce();
            if (requester.chain().task(task.taskId()).hasCommitted(assigned)) break;
        }
        NodeStore peek = NodeStore.open(dir.resolve(storeName));
        byte[] salt = peek.find(task.taskId()).orElseThrow().salt();
        assertEquals(TaskState.COMMIT_SENT, peek.find(task.taskId()).orElseThrow().state());
        String commitTx = peek.find(task.taskId()).orElseThrow().commitTx();
        assertTrue(web3.ethGetTransactionReceipt(commitTx).send().getTransactionReceipt().orElseThrow().isStatusOK(),
                "the stored hash is the commit that landed");
        peek.close();

        Worker resumed = worker(account, Dishonesty.HONEST, storeName, solo);
        assertEquals(assigned, resumed.agentId(), "a restarted node keeps its agent id");
        Receipt receipt = drive(requester, task, List.of(resumed));
        assertTrue(receipt.accepted());
        NodeStore after = NodeStore.open(dir.resolve(storeName));
        assertArrayEquals(salt, after.find(task.taskId()).orElseThrow().salt(), "the resumed node revealed with its stored salt");
        assertEquals(1, receipt.transactions().stream().filter(t -> t.kind().equals("commit")).count(), "one commit, not two");
        after.close();
    }

    @Test
    void overlappingTasksCommitInDifferentLanesAndBothSettle() throws Exception {
        ModelIdentity model = FakeHashRunner.identity("fake-overlap-model");
        int id = registerModel(model);
        List<Worker> workers = List.of(worker(6, Dishonesty.HONEST, "o6.db", model), worker(8, Dishonesty.HONEST, "o8.db", model),
                worker(9, Dishonesty.HONEST, "o9.db", model));
        Requester requester = new Requester(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        // every worker must hold a seat of both tasks (seats are drawn with replacement)
        SubmittedTask first = submitUntil(requester, TaskInput.embed(model.name(), List.of("one")), id, 3,
                nodes -> nodes.stream().distinct().count() == 3);
        SubmittedTask second = submitUntil(requester, TaskInput.embed(model.name(), List.of("two")), id, 3,
                nodes -> nodes.stream().distinct().count() == 3);
        for (Worker w : workers) w.pollOnce(); // sees both assignments
        for (Worker w : workers) w.pollOnce(); // computes both: each gets a lane
        Receipt r2 = drive(requester, second, workers);
        Receipt r1 = drive(requester, first, workers);
        assertTrue(r1.accepted() && r2.accepted());
        assertEquals(3, r1.nodes().stream().filter(n -> n.verdict().equals("agreed")).count());
        assertEquals(3, r2.nodes().stream().filter(n -> n.verdict().equals("agreed")).count());
        for (String store : List.of("o6.db", "o8.db", "o9.db")) {
            try (NodeStore st = NodeStore.open(dir.resolve(store))) {
                int lane1 = st.find(first.taskId()).orElseThrow().lane();
                int lane2 = st.find(second.taskId()).orElseThrow().lane();
                assertNotEquals(lane1, lane2, "two tasks open at once must not share a lane (" + store + ")");
                assertEquals(lane1, requester.chain().laneOf(first.taskId(), requester.chain().taskNodes(first.taskId())
                        .stream().filter(a -> st.get("agentId").map(Long::parseLong).orElseThrow().equals(a)).findFirst().orElseThrow()));
            }
        }
    }

    @Test
    void aTaskOverTheNodesLimitsIsDeclinedInsteadOfTimingOutAndTheNodeIsNotSlashed() throws Exception {
        // a model only this worker serves, so that the market must draw it (and has no one to replace it with)
        ModelIdentity limited = FakeHashRunner.identity("fake-limited-model");
        int limitedId = registerModel(limited);
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        FakeHashRunner fake = new FakeHashRunner(limited);
        dev.ledgermind.node.task.TaskRunner counting = new dev.ledgermind.node.task.TaskRunner() {
            @Override
            public List<ModelIdentity> models() {
                return fake.models();
            }

            @Override
            public dev.ledgermind.node.task.TaskResult run(TaskInput input) {
                runs.incrementAndGet();
                return fake.run(input);
            }
        };
        NodeConfig config = new NodeConfig("limited", devnet.rpcUrl(), deploymentFile, devnet.accounts().get(5).privateKey(),
                "ledgermind://limited", List.of(limited.name()), ETHER, dir.resolve("limited.db"), 0, 50, Dishonesty.HONEST,
                new WorkLimits(64, 0));
        Worker w = new Worker(config, web3, counting, NodeStore.open(config.store()), new NodeMetrics());
        w.join();
        Requester requester = new Requester(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        LedgermindContracts chain = requester.chain();
        BigInteger fee = ETHER.divide(BigInteger.valueOf(100));
        BigInteger stakeBefore = deployer.stakeOf(w.agentId()).bonded();
        BigInteger refundsBefore = chain.pendingWithdrawal(chain.address());

        SubmittedTask big = requester.submit(TaskInput.embed(limited.name(), List.of("x".repeat(200))), limitedId, 1, fee);
        for (int i = 0; i < 3; i++) w.pollOnce();
        assertEquals(0, runs.get(), "a task over the limits is not computed");
        try (NodeStore peek = NodeStore.open(dir.resolve("limited.db"))) {
            var rec = peek.find(big.taskId()).orElseThrow();
            assertEquals(TaskState.FAILED, rec.state());
        }
        assertEquals(dev.ledgermind.chain.TaskPhase.COMMITTING, chain.phase(big.taskId()), "declined, not committed");
        AnvilControl anvil = new AnvilControl(new HttpService(devnet.rpcUrl()));
        anvil.increaseTime(31);
        anvil.mine();
        chain.finalizeTask(big.taskId());
        assertEquals(dev.ledgermind.chain.TaskPhase.REFUNDED, chain.phase(big.taskId()));
        assertEquals(stakeBefore, deployer.stakeOf(w.agentId()).bonded(), "a declining node is not slashed");
        BigInteger share = fee.multiply(BigInteger.valueOf(DeployParams.defaults().declineShareBps())).divide(BigInteger.valueOf(10_000));
        assertEquals(refundsBefore.add(fee).subtract(share), chain.pendingWithdrawal(chain.address()),
                "the requester pays the decline share");

        // within the limits, the same node computes and answers
        SubmittedTask small = requester.submit(TaskInput.embed(limited.name(), List.of("short")), limitedId, 1, fee);
        assertTrue(drive(requester, small, List.of(w)).accepted());
        assertEquals(1, runs.get());
    }
}
