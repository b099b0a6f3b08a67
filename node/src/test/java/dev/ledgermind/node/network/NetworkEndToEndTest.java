package dev.ledgermind.node.network;

import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.chain.TaskState;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import dev.ledgermind.node.task.TaskRunners;
import dev.ledgermind.node.worker.Dishonesty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The whole system on this machine: a real anvil chain with 1-second blocks, the contracts, and four
 * worker nodes as separate OS processes running the real all-MiniLM-L6-v2 on the deterministic engine.
 * The tests run in order on one network: honest consensus, a node killed with -9 mid-task and restarted,
 * (windows are generous, 20 s to commit and 90 s to reveal, because a restarted node reloads the model
 * on a busy 2-core machine)
 * a dishonest node slashed, and finally every node gone, so the task is refunded.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NetworkEndToEndTest {
    static final String MODEL = TaskRunners.DEFAULT_MODEL;
    static final BigInteger FEE = BigInteger.TEN.pow(16);
    static final List<String> LABELS = List.of("complaint", "praise", "question");
    static LocalNetwork net;
    static Requester requester;
    static TaskRunner local;

    @TempDir
    static Path dir;

    @BeforeAll
    static void start() throws Exception {
        local = TaskRunners.defaultModels();
        net = LocalNetwork.start(LocalNetwork.Options.defaults(dir).withWindows(20, 90), List.of(MODEL), local, System.out::println);
        requester = new Requester(net.requester());
    }

    @AfterAll
    static void stop() {
        if (net != null) {
            List<Long> pids = net.nodes().stream().map(n -> n.process().pid()).toList();
            long anvil = net.devnet().pid();
            net.close();
            for (long pid : pids) assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "node pid " + pid + " left running");
            assertFalse(ProcessHandle.of(anvil).map(ProcessHandle::isAlive).orElse(false), "anvil left running");
        }
    }

    Receipt ask(TaskInput input, int k) throws Exception {
        SubmittedTask task = requester.submit(input, net.modelId(MODEL), k, FEE);
        return requester.await(task.taskId(), Duration.ofMinutes(2), System.out::println);
    }

    @Test
    @Order(1)
    void honestNodesAgreeUnanimouslyOnTheLocallyRecomputedAnswer() throws Exception {
        TaskInput input = TaskInput.classify(MODEL, "My order arrived broken and nobody answers my emails.", LABELS);
        Receipt r = ask(input, 3);
        assertTrue(r.accepted());
        assertEquals(3, r.nodes().stream().filter(n -> n.verdict().equals("agreed")).count(), r.nodes().toString());
        TaskResult expected = local.run(input);
        assertEquals(Numeric.toHexString(expected.resultHash()), r.resultHash());
        assertEquals(Numeric.toHexString(expected.traceRoot()), r.traceRoot());
        assertArrayEquals(expected.output(), r.output());
    }

    @Test
    @Order(2)
    void aNodeKilledWithSigkillAfterCommittingRestartsAndReveals() throws Exception {
        LocalNetwork.Node victim = net.nodes().getFirst();
        TaskInput input = TaskInput.similarity(MODEL, "A cat is sleeping on the sofa.", "A kitten naps on the couch.");
        SubmittedTask task = requester.submit(input, net.modelId(MODEL), 4, FEE);
        // seats are drawn with replacement: resubmit until the victim holds one (earlier draws run as usual)
        for (int attempt = 0; !task.nodes().contains(victim.agentId()); attempt++) {
            assertTrue(attempt < 40, "40 draws without node " + victim.agentId());
            task = requester.submit(input, net.modelId(MODEL), 4, FEE);
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        BigInteger victimTask = task.taskId();
        while (!requester.chain().task(victimTask).hasCommitted(victim.agentId())) {
            assertTrue(System.nanoTime() < deadline, "node " + victim.agentId() + " never committed");
            Thread.sleep(100);
        }
        victim.process().kill(); // kill -9 between commit and reveal
        TaskState mid = requester.chain().task(task.taskId());
        assertFalse(mid.hasRevealed(victim.agentId()));
        net.restart(victim);
        Receipt r = requester.await(task.taskId(), Duration.ofMinutes(2), System.out::println);
        assertTrue(r.accepted());
        Receipt.NodeVerdict v = r.nodes().stream().filter(n -> n.agentId() == victim.agentId()).findFirst().orElseThrow();
        assertEquals("agreed", v.verdict(), "the restarted node must reveal with its stored salt: " + r.nodes());
        assertEquals(4, r.nodes().stream().filter(n -> n.verdict().equals("agreed")).count());
    }

    @Test
    @Order(3)
    void aDishonestNodeIsOutvotedAndSlashed() throws Exception {
        LocalNetwork.Node liar = net.restartAs(3, Dishonesty.WRONG_RESULT);
        BigInteger stakeBefore = net.deployer().stakeOf(liar.agentId()).bonded();
        TaskInput input = TaskInput.classify(MODEL, "What time does the store open on Sunday?", LABELS);
        // seats are drawn with replacement: resubmit until the liar holds exactly one of the 4 (with two it
        // would block the quorum of 3; earlier draws run as usual and may slash it too)
        SubmittedTask task = requester.submit(input, net.modelId(MODEL), 4, FEE);
        for (int attempt = 0; task.nodes().stream().filter(a -> a == liar.agentId()).count() != 1; attempt++) {
            assertTrue(attempt < 40, "40 draws without exactly one seat for node " + liar.agentId());
            task = requester.submit(input, net.modelId(MODEL), 4, FEE);
        }
        // a split result: held for its challenge window (one reveal window) before it is paid and slashed;
        // nobody challenges here, so the devnet's clock skips the window
        Receipt r = net.awaitSkippingHold(requester, task.taskId(), Duration.ofMinutes(4), System.out::println);
        assertTrue(r.accepted());
        assertEquals(Numeric.toHexString(local.run(input).resultHash()), r.resultHash(), "the honest majority's answer wins");
        Receipt.NodeVerdict v = r.nodes().stream().filter(n -> n.agentId() == liar.agentId()).findFirst().orElseThrow();
        assertEquals("dissented", v.verdict());
        assertTrue(v.slashedWei().signum() > 0);
        BigInteger stakeAfter = net.deployer().stakeOf(liar.agentId()).bonded();
        assertTrue(stakeAfter.compareTo(stakeBefore.subtract(v.slashedWei())) <= 0,
                "the slash is taken from the liar's bonded stake (earlier draws may have slashed it too)");
    }

    @Test
    @Order(4)
    void aTaskWhoseNodesAllVanishIsRefunded() throws Exception {
        for (LocalNetwork.Node n : net.nodes()) n.process().kill();
        BigInteger pendingBefore = requester.chain().pendingWithdrawal(requester.chain().sender().address());
        Receipt r = ask(TaskInput.classify(MODEL, "Is anybody there?", LABELS), 3); // k = 2 is refused
        assertFalse(r.accepted(), "no node answered, so no result can be accepted");
        assertEquals(FEE, r.refundWei(), "the whole fee comes back");
        assertTrue(r.nodes().stream().allMatch(n -> n.verdict().equals("absent") || n.verdict().equals("replaced")), r.nodes().toString());
        BigInteger pendingAfter = requester.chain().pendingWithdrawal(requester.chain().sender().address());
        assertEquals(pendingBefore.add(FEE), pendingAfter, "the refund waits for the requester to withdraw it");
    }
}
