package dev.ledgermind.node.worker;

import dev.ledgermind.chain.AnvilControl;
import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.chain.TaskPhase;
import dev.ledgermind.chain.devnet.Devnet;
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

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Issue 15's two bugs, reproduced step by step on a real anvil with in-process workers and a FAKE model
 * ({@link FakeHashRunner}): one node of a k=3 task stops (as if SIGSTOPped) past the commit window, is
 * replaced, and then comes back.
 * <ol>
 *   <li>The two nodes that committed on time must still reveal after the replacement commits (they used
 *       to read the commit timeout as "reveal window closed", were slashed as absent, and the task was
 *       refunded).</li>
 *   <li>A task that ended FAILED in a node's store (the stopped node, which finds itself replaced) must
 *       not poison its event cursor when the task's TaskFinalized event arrives: the node keeps taking
 *       new tasks.</li>
 * </ol>
 */
class ReplacementTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);
    static final long WINDOW = 30;
    static Devnet devnet;
    static Web3j web3;
    static LedgermindContracts deployer;
    static Path deploymentFile;

    @TempDir
    static Path dir;

    @BeforeAll
    static void chain() throws Exception {
        devnet = Devnet.builder().accounts(10).start();
        web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
        deployer = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(),
                DeployParams.defaults().withWindows(WINDOW, WINDOW));
        deploymentFile = dir.resolve("deployment.json");
        deployer.deployment().write(deploymentFile);
    }

    @AfterAll
    static void stop() {
        web3.shutdown();
        devnet.close();
    }

    Worker worker(int account, ModelIdentity model) throws Exception {
        NodeConfig config = new NodeConfig("node" + account, devnet.rpcUrl(), deploymentFile,
                devnet.accounts().get(account).privateKey(), "ledgermind://node" + account, List.of(model.name()),
                ETHER, dir.resolve("n" + account + ".db"), 0, 50, Dishonesty.HONEST);
        Worker w = new Worker(config, web3, new FakeHashRunner(model), NodeStore.open(config.store()), new NodeMetrics());
        w.join();
        return w;
    }

    static TaskState stored(int account, BigInteger taskId) {
        try (NodeStore s = NodeStore.open(dir.resolve("n" + account + ".db"))) {
            return s.find(taskId).orElseThrow().state();
        }
    }

    /** A k=3 task on a fresh model with four servers, whose first drawn node stalls past the commit window. */
    record Scenario(int modelId, ModelIdentity model, BigInteger taskId, long stalled, Worker resumed, Worker spare,
                    List<Worker> onTime, List<Worker> running, Map<Long, Integer> accountOf, Requester requester) {}

    static int nextAccount = 2;

    Scenario stallOneNodeAndReplaceIt(String modelName) throws Exception {
        ModelIdentity model = FakeHashRunner.identity(modelName);
        int modelId = deployer.registerModel(new ModelSpec(model.weightsHash(), model.tokenizerHash(),
                model.architectureHash(), model.name(), ModelSpec.MODE_REPLICATED));
        Map<Long, Integer> accountOf = new HashMap<>();
        Map<Long, Worker> byAgent = new HashMap<>();
        for (int i = 0; i < 4; i++) { // four servers for k=3: one spare for the replacement
            int account = nextAccount++;
            Worker w = worker(account, model);
            accountOf.put(w.agentId(), account);
            byAgent.put(w.agentId(), w);
        }
        Requester requester = new Requester(LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials()));
        AnvilControl anvil = new AnvilControl(new HttpService(devnet.rpcUrl()));
        // seats are drawn with replacement: resubmit until three distinct agents hold them (earlier draws are
        // left to the workers)
        SubmittedTask task = WorkerProtocolTest.submitUntil(requester, TaskInput.embed(model.name(), List.of("a slow node")),
                modelId, 3, nodes -> nodes.stream().distinct().count() == 3);
        BigInteger id = task.taskId();

        long stalled = task.nodes().getFirst();
        List<Worker> onTime = task.nodes().subList(1, 3).stream().map(byAgent::get).toList();
        Worker spare = byAgent.values().stream().filter(w -> !task.nodes().contains(w.agentId())).findFirst().orElseThrow();
        List<Worker> running = new ArrayList<>(onTime);
        running.add(spare); // every worker but the stalled one: the replacement may be any of them

        // the two on-time nodes commit; the stalled one does nothing
        for (int i = 0; i < 20 && !onTime.stream().allMatch(w -> chainTask(id).hasCommitted(w.agentId())); i++) {
            for (Worker w : running) w.pollOnce();
        }
        for (Worker w : onTime) assertTrue(chainTask(id).hasCommitted(w.agentId()), "on-time node committed");

        // the commit window runs out; the on-time nodes see the commit timeout before anyone finalizes
        anvil.increaseTime(WINDOW + 1);
        anvil.mine();
        assertEquals(TaskPhase.FINALIZABLE, chainTask(id).phase());
        // only the on-time nodes look now (and have the stalled one replaced): a pipelined spare drawn for the new round
        // would compute and commit in its first pass, which draws the round's seats, and the stalled node, waking up
        // after that, would no longer find itself in the task's seats at all (nothing to record, nothing to fail)
        for (Worker w : onTime) w.pollOnce();
        return new Scenario(modelId, model, id, stalled, byAgent.get(stalled), spare, onTime, running, accountOf, requester);
    }

    @Test
    void nodesThatCommittedInTimeRevealAfterAnotherNodeIsReplacedAndAreNeverSlashed() throws Exception {
        Scenario sc = stallOneNodeAndReplaceIt("fake-replacement-model");
        BigInteger id = sc.taskId();
        for (Worker w : sc.onTime()) {
            assertEquals(TaskState.COMMITTED, stored(sc.accountOf().get(w.agentId()), id),
                    "a commit timeout of another node must not make node " + w.agentId() + " give up its reveal");
        }
        // the stalled node is replaced (the on-time nodes may have done it; the requester does it otherwise)
        if (chainTask(id).positionOf(sc.stalled()) >= 0) sc.requester().chain().finalizeTask(id);
        assertNotEquals(sc.stalled(), chainTask(id).nodes().getFirst(), "the stalled node is replaced");

        // the spare commits, everyone reveals, the task is accepted with all three current nodes agreeing
        for (int i = 0; i < 30 && !chainTask(id).phase().isFinal(); i++) {
            for (Worker w : sc.running()) w.pollOnce();
        }
        Receipt receipt = sc.requester().receipt(id);
        assertTrue(receipt.accepted(), "the task must be accepted once the replacement has committed");
        for (Worker w : sc.running()) {
            Receipt.NodeVerdict v = receipt.nodes().stream().filter(n -> n.agentId() == w.agentId()
                    && !n.verdict().equals("replaced")).findFirst().orElseThrow();
            assertEquals("agreed", v.verdict(), "agent " + w.agentId());
            assertEquals(BigInteger.ZERO, v.slashedWei(), "an honest node that committed in time is never slashed");
        }
    }

    @Test
    void aTaskThatFailedInTheStoreDoesNotStopTheNodeFollowingTheChain() throws Exception {
        Scenario sc = stallOneNodeAndReplaceIt("fake-cursor-model");
        BigInteger id = sc.taskId();
        if (chainTask(id).positionOf(sc.stalled()) >= 0) sc.requester().chain().finalizeTask(id);
        // the stalled node wakes up once, between the replacement and the settlement: it finds itself replaced
        sc.resumed().pollOnce();
        assertEquals(TaskState.FAILED, stored(sc.accountOf().get(sc.stalled()), id));
        // the task settles (whatever the others did), and the replaced node reads its TaskFinalized event
        AnvilControl anvil = new AnvilControl(new HttpService(devnet.rpcUrl()));
        for (int i = 0; i < 30 && !chainTask(id).phase().isFinal(); i++) {
            for (Worker w : sc.running()) {
                try {
                    w.pollOnce();
                } catch (Exception e) {
                    // not what this test is about: the other nodes may fail on their own (issue 15's first bug)
                }
            }
            if (i > 10) {
                anvil.increaseTime(WINDOW + 1);
                anvil.mine();
                if (chainTask(id).phase() == TaskPhase.FINALIZABLE) sc.requester().chain().finalizeTask(id);
            }
        }
        assertTrue(chainTask(id).phase().isFinal(), "task " + id + " settled");
        sc.resumed().pollOnce();
        try (NodeStore s = NodeStore.open(dir.resolve("n" + sc.accountOf().get(sc.stalled()) + ".db"))) {
            assertEquals("replaced", s.find(id).orElseThrow().outcome(), "the chain's settlement is recorded");
        }
        // new tasks on a model only the replaced node serves: it must take every one of them
        ModelIdentity solo = FakeHashRunner.identity("fake-cursor-solo");
        int soloId = deployer.registerModel(new ModelSpec(solo.weightsHash(), solo.tokenizerHash(),
                solo.architectureHash(), solo.name(), ModelSpec.MODE_REPLICATED));
        int account = sc.accountOf().get(sc.stalled());
        NodeConfig config = new NodeConfig("node" + account, devnet.rpcUrl(), deploymentFile,
                devnet.accounts().get(account).privateKey(), "ledgermind://node" + account, List.of(solo.name()),
                ETHER, dir.resolve("n" + account + ".db"), 0, 50, Dishonesty.HONEST);
        Worker restarted = new Worker(config, web3, new FakeHashRunner(solo), NodeStore.open(config.store()), new NodeMetrics());
        restarted.join(); // a restart, with the same store: the FAILED task is still in it
        for (int round = 0; round < 2; round++) {
            SubmittedTask next = sc.requester().submit(TaskInput.embed(solo.name(), List.of("after " + round)), soloId, 1,
                    ETHER.divide(BigInteger.valueOf(100)));
            for (int i = 0; i < 10 && !chainTask(next.taskId()).phase().isFinal(); i++) restarted.pollOnce();
            Receipt r = sc.requester().receipt(next.taskId());
            assertTrue(r.accepted(), "task " + next.taskId() + " after the failure");
            assertEquals("agreed", r.nodes().getFirst().verdict());
        }
    }

    static dev.ledgermind.chain.TaskState chainTask(BigInteger id) {
        return deployer.task(id);
    }
}
