package dev.ledgermind.node.network;

import dev.ledgermind.chain.AnvilControl;
import dev.ledgermind.chain.OptimisticParams;
import dev.ledgermind.chain.OptimisticTasks;
import dev.ledgermind.chain.TaskRequest;
import dev.ledgermind.chain.game.DisputeGameClient;
import dev.ledgermind.chain.game.GamePhase;
import dev.ledgermind.chain.game.GameView;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.inference.step.StepFault;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.task.DecoderTaskRunner;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.worker.Dishonesty;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The optimistic mode and the dispute game end to end: a real anvil (1-second blocks) with the default deployment
 * (the real DisputeGame, OneStep and StepReferee), and three worker nodes as separate OS processes serving a tiny
 * synthetic llama (Q8_0, random weights) registered with its weights commitment and step spec. node-0 is an honest
 * worker, node-1 an honest validator (it watches every claim: replays it and challenges a wrong one), node-2 is
 * restarted with the conduct each test needs. The nodes play every game they are party to from their own loops; the
 * test only submits, waits and reads the chain:
 * <ol>
 *   <li>an honest task finalizes with the engine's result;</li>
 *   <li>a one-step-wrong worker (one element of layer 0's x_out changed at one position, everything after it computed
 *       honestly) is challenged by the watcher, loses the game at exactly that op and element by one step re-executed
 *       on chain, and is slashed its claim bond;</li>
 *   <li>a false challenger (an honest claim attacked with a trace whose down projection has one element changed)
 *       loses its game at that op and element (its states do not finish to its value);</li>
 *   <li>a claimer that stops answering (its process killed by PID mid-game) loses on time;</li>
 *   <li>a challenger killed mid-game and restarted resumes from its store (the game id) and still wins at the step.</li>
 * </ol>
 * The fifth case of issue 12, an audited validator that copies the claim, is OptimisticNodesTest's
 * {@code anAuditedValidatorThatCopiesTheClaimIsCaughtAndSlashed} (in-process nodes, same flag).
 *
 * <p>Behind {@code -Doptimistic.e2e=true} (several minutes on 2 busy cores: three node JVMs, restarts, real windows);
 * figures (moves, gas, chain time of each game) are printed as {@code GAME-FIGURES} lines and recorded in
 * docs/performance.md:
 * <pre>./mvnw -B -pl node -am verify -Dforge.skip=true -Dtest=OptimisticGameNetworkTest -Doptimistic.e2e=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "optimistic.e2e", matches = "true")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OptimisticGameNetworkTest {
    static final BigInteger FEE = BigInteger.TEN.pow(16);
    static final long WINDOW = 20, CLOCK = 120;
    static final int FLOOR_AUDIT = 100; // 1%: the watcher, not the audit, is what these tests exercise
    static final TaskInput INPUT = TaskInput.generate("tiny-game", "Once upon a time", 4, 0f, 7);

    @TempDir
    static Path dir;
    static LocalNetwork net;
    static Requester requester;
    static OptimisticTasks mode;
    static DecoderTaskRunner local;
    static DisputeGameClient games;
    static int modelId;

    @BeforeAll
    static void start() throws Exception {
        Path gguf = dir.resolve("tiny-game.gguf");
        SyntheticModel.write(gguf, "llama3", SyntheticModel.TINY, GgmlType.Q8_0, 13);
        local = new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1);
        assertTrue(local.models().getFirst().gamePlayable(), "a Q8_0 llama is registered with its weights commitment");
        net = LocalNetwork.start(LocalNetwork.Options.defaults(dir.resolve("net")).withNodes(3).withWindows(30, 30)
                        .withOptimistic(OptimisticParams.defaults().withWindow(WINDOW).withGameClock(CLOCK)).withValidators(Set.of(1)),
                List.of(gguf.toString()), local, System.out::println);
        // one facade for the requester's account: two would each count its nonces
        var asRequester = net.requester();
        requester = new Requester(asRequester);
        mode = new OptimisticTasks(asRequester);
        modelId = net.modelId("tiny-game");
        games = DisputeGameClient.at(net.web3(), mode.terms().disputeGame(), net.account(1), net.deployer().deployment().deployBlock());
    }

    @AfterAll
    static void stop() {
        if (net != null) {
            List<Long> pids = net.nodes().stream().map(n -> n.process().pid()).toList();
            net.close();
            for (long pid : pids) assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "node pid " + pid + " left running");
        }
        if (local != null) local.close();
    }

    /** Submits until {@code wanted} says yes to the drawn worker (the other draws run as ordinary honest tasks). */
    static OptimisticTasks.Submitted submitUntil(java.util.function.LongPredicate wanted) {
        byte[] bytes = INPUT.bytes();
        for (int attempt = 0; attempt < 40; attempt++) {
            var t = mode.submit(new TaskRequest(modelId, Hash.sha3(bytes), bytes, INPUT.seed(), 0, INPUT.maxTokens(), INPUT.kind().code,
                    1, FEE, false), 0, FLOOR_AUDIT);
            if (wanted.test(t.worker())) return t;
        }
        throw new AssertionError("40 draws in a row without the wanted worker");
    }

    static long agent(int node) {
        return net.nodes().get(node).agentId();
    }

    static Receipt await(BigInteger taskId) throws InterruptedException {
        return requester.awaitOptimistic(taskId, Duration.ofMinutes(5), line -> System.out.println("  " + line));
    }

    /** Moves, gas and chain time of game {@code gameId}, from its events and their receipts; printed for docs/performance.md. */
    static void figures(String label, long gameId) throws Exception {
        EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(net.deployer().deployment().deployBlock())),
                DefaultBlockParameterName.LATEST, games.address());
        f.addNullTopic();
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(gameId), 64));
        EthLog logs = net.web3().ethGetLogs(f).send();
        Set<String> txs = new LinkedHashSet<>();
        long first = Long.MAX_VALUE, last = 0;
        for (EthLog.LogResult<?> r : logs.getLogs()) {
            Log l = (Log) r.get();
            txs.add(l.getTransactionHash());
            first = Math.min(first, l.getBlockNumber().longValueExact());
            last = Math.max(last, l.getBlockNumber().longValueExact());
        }
        long gas = 0, claimerMoves = 0, challengerMoves = 0;
        GameView g = games.game(BigInteger.valueOf(gameId));
        for (String tx : txs) {
            var rc = net.web3().ethGetTransactionReceipt(tx).send().getTransactionReceipt().orElseThrow();
            if (rc.getTo() != null && rc.getTo().equalsIgnoreCase(games.address())) {
                gas += rc.getGasUsed().longValueExact();
                if (rc.getFrom().equalsIgnoreCase(g.claimer())) claimerMoves++;
                else if (rc.getFrom().equalsIgnoreCase(g.challenger())) challengerMoves++;
            }
        }
        long t0 = net.web3().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(first)), false).send().getBlock()
                .getTimestamp().longValueExact();
        long t1 = net.web3().ethGetBlockByNumber(DefaultBlockParameter.valueOf(BigInteger.valueOf(last)), false).send().getBlock()
                .getTimestamp().longValueExact();
        System.out.println("GAME-FIGURES " + label + ": game " + gameId + ", " + g.positions() + " positions x " + g.layers()
                + " layers, claimer moves " + claimerMoves + ", challenger moves " + challengerMoves + ", game gas (moves and timeout) "
                + gas + ", blocks " + first + ".." + last + ", chain time " + (t1 - t0) + " s, ended at " + g.phase()
                + " op " + g.op() + " element " + g.element() + " leaf " + g.leaf());
    }

    @Test
    @Order(1)
    void anHonestOptimisticTaskFinalizesWithTheEnginesResult() throws Exception {
        var t = submitUntil(w -> true);
        Receipt r = await(t.taskId());
        TaskResult expected = local.run(INPUT);
        assertTrue(r.accepted(), "accepted");
        assertEquals(Numeric.toHexString(expected.resultHash()), r.resultHash());
        assertEquals(Numeric.toHexString(expected.traceRoot()), r.traceRoot(), "the claimed trace is the engine's");
        assertEquals(OptimisticTasks.Stage.FINAL, mode.state(t.taskId()).stage());
        assertEquals(0, mode.state(t.taskId()).gameId(), "nobody challenged an honest claim");
    }

    @Test
    @Order(2)
    void aOneStepWrongWorkerIsChallengedLosesAtTheExactOpAndElementAndIsSlashed() throws Exception {
        LocalNetwork.Node liar = net.restartAs(2, Dishonesty.ONE_STEP_WRONG);
        var t = submitUntil(w -> w == liar.agentId());
        BigInteger before = net.deployer().stakeOf(liar.agentId()).bonded();
        Receipt r = await(t.taskId());
        assertFalse(r.accepted(), "the one-step-wrong claim is overturned");
        assertEquals(FEE, r.refundWei(), "the requester gets its fee back");
        var st = mode.state(t.taskId());
        assertEquals(OptimisticTasks.Stage.FINAL, st.stage());
        assertNotEquals(liar.agentId(), st.challenger());
        GameView g = games.game(BigInteger.valueOf(st.gameId()));
        assertEquals(GamePhase.RESOLVED, g.phase());
        assertFalse(g.claimerWon(), "the liar lost its game");
        StepFault fault = Dishonesty.workerFault(g.positions(), g.layers());
        assertEquals((long) fault.position() * g.layers() + fault.layer(), g.leaf(), "the game found the faulty (position, layer)");
        assertEquals(fault.op().ordinal(), g.op(), "the faulty op");
        assertEquals(fault.element(), g.element(), "the faulty element");
        assertEquals(fault.bits(), g.claimerValue(), "the liar's value is the one it injected");
        BigInteger claimBond = OptimisticParams.defaults().claimBond();
        assertTrue(net.deployer().stakeOf(liar.agentId()).bonded().compareTo(before.subtract(claimBond)) <= 0,
                "the liar lost (at least) its claim bond from its stake");
        // the receipt of the overturned claim shows the game as its events record it
        assertEquals(1, r.games().size(), r.games().toString());
        var rec = r.games().getFirst();
        // x_out is elementwise: the game ends in one step, re-executed on chain
        assertEquals("one step", rec.reason());
        assertTrue(rec.step().challengerMatches() && !rec.step().claimerMatches(), "the one step reproduces the challenger's value");
        assertEquals(fault.op().ordinal(), rec.found().op());
        assertEquals(fault.position(), rec.found().position());
        assertEquals(fault.element(), rec.element().element());
        assertEquals(fault.bits(), rec.element().claimerBits());
        System.out.println("receipt: " + dev.ledgermind.node.client.GameWords.summary(rec));
        figures("one-step-wrong worker (x_out, elementwise)", st.gameId());
    }

    @Test
    @Order(3)
    void aFalseChallengerLosesItsGameAgainstAnHonestWorker() throws Exception {
        LocalNetwork.Node challenger = net.restartAs(2, Dishonesty.FALSE_CHALLENGE);
        var t = submitUntil(w -> w != challenger.agentId());
        Receipt r = await(t.taskId());
        assertTrue(r.accepted(), "the honest claim stands");
        TaskResult expected = local.run(INPUT);
        assertEquals(Numeric.toHexString(expected.resultHash()), r.resultHash());
        var st = mode.state(t.taskId());
        assertEquals(challenger.agentId(), st.challenger(), "the false challenger challenged");
        GameView g = games.game(BigInteger.valueOf(st.gameId()));
        assertTrue(g.claimerWon(), "the honest worker won the game");
        StepFault fault = Dishonesty.challengerFault(g.positions(), g.layers());
        assertEquals((long) fault.position() * g.layers() + fault.layer(), g.leaf(), "the challenger's faulty leaf");
        assertEquals(fault.op().ordinal(), g.op());
        assertEquals(fault.element(), g.element());
        assertEquals(fault.bits(), g.challengerValue(), "the challenger's value is the one it injected");
        var rec = r.games().getFirst();
        assertTrue(rec.claimerWins());
        // down is a reduction: the challenger's accumulation states are the honest ones (only the element was changed),
        // so they do not finish to its value and it loses at the States level, before any chunk is re-executed
        assertEquals("finish mismatch", rec.reason());
        assertNull(rec.step(), "no one step was needed");
        assertEquals(fault.bits(), rec.element().challengerBits());
        System.out.println("receipt: " + dev.ledgermind.node.client.GameWords.summary(rec));
        figures("false challenger (down, a reduction)", st.gameId());
    }

    @Test
    @Order(4)
    void aClaimerThatStopsAnsweringMidGameLosesOnTime() throws Exception {
        LocalNetwork.Node liar = net.restartAs(2, Dishonesty.ONE_STEP_WRONG);
        var t = submitUntil(w -> w == liar.agentId());
        BigInteger before = net.deployer().stakeOf(liar.agentId()).bonded();
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (mode.state(t.taskId()).stage() != OptimisticTasks.Stage.CHALLENGED) {
            assertTrue(System.nanoTime() < deadline, "the one-step-wrong claim was never challenged");
            Thread.sleep(200);
        }
        BigInteger gameId = BigInteger.valueOf(mode.state(t.taskId()).gameId());
        liar.process().kill(); // SIGKILL to its PID: the claimer stops answering mid-game
        // wait until the honest challenger has made its move of the current level, then run the chain's clock past the
        // claimer's (real time would do the same after CLOCK seconds)
        GameView g = games.game(gameId);
        while (g.phase() != GamePhase.RESOLVED && !(g.challengerMoved() && !g.claimerMoved())) {
            assertTrue(System.nanoTime() < deadline, "the challenger never moved: " + g.phase());
            Thread.sleep(200);
            g = games.game(gameId);
        }
        assertNotEquals(GamePhase.RESOLVED, g.phase(), "the game cannot end while the claimer's clock runs");
        AnvilControl anvil = new AnvilControl(new HttpService(net.devnet().rpcUrl()));
        anvil.increaseTime(g.claimerSecondsLeft() + 2);
        anvil.mine();
        Receipt r = await(t.taskId());
        g = games.game(gameId);
        assertEquals(GamePhase.RESOLVED, g.phase());
        assertFalse(g.claimerWon(), "the silent claimer lost on time");
        assertFalse(r.accepted());
        assertEquals(FEE, r.refundWei());
        assertTrue(net.deployer().stakeOf(liar.agentId()).bonded().compareTo(before.subtract(OptimisticParams.defaults().claimBond())) <= 0,
                "the silent claimer lost its claim bond");
        assertEquals("timeout", r.games().getFirst().reason(), "the receipt says how the game ended");
        System.out.println("receipt: " + dev.ledgermind.node.client.GameWords.summary(r.games().getFirst()));
        figures("claimer killed mid-game (timeout)", gameId.longValueExact());
    }

    @Test
    @Order(5)
    void aChallengerKilledMidGameRestartsFromItsStoreAndStillWins() throws Exception {
        LocalNetwork.Node liar = net.restartAs(2, Dishonesty.ONE_STEP_WRONG);
        var t = submitUntil(w -> w == liar.agentId());
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while (mode.state(t.taskId()).stage() != OptimisticTasks.Stage.CHALLENGED) {
            assertTrue(System.nanoTime() < deadline, "the one-step-wrong claim was never challenged");
            Thread.sleep(200);
        }
        var st = mode.state(t.taskId());
        BigInteger gameId = BigInteger.valueOf(st.gameId());
        LocalNetwork.Node challenger = net.nodes().stream().filter(n -> n.agentId() == st.challenger()).findFirst().orElseThrow();
        // let the game get under way, then SIGKILL the challenger and start it again: it finds the game in its store
        while (games.game(gameId).phase() == GamePhase.TRACE && games.game(gameId).level() > 0
                && !games.game(gameId).challengerMoved()) {
            assertTrue(System.nanoTime() < deadline, "the challenger never made its first move");
            Thread.sleep(100);
        }
        challenger.process().kill();
        GameView mid = games.game(gameId);
        assertNotEquals(GamePhase.RESOLVED, mid.phase(), "the game is not over when the challenger dies");
        net.restart(challenger);
        Receipt r = await(t.taskId());
        GameView g = games.game(gameId);
        assertFalse(g.claimerWon(), "the restarted challenger still won");
        assertFalse(r.accepted());
        StepFault fault = Dishonesty.workerFault(g.positions(), g.layers());
        assertEquals(fault.op().ordinal(), g.op(), "it won at the faulty op, not on time");
        assertEquals(fault.element(), g.element());
        System.out.println("restart: the challenger was killed at " + mid.phase() + " level " + mid.level());
        figures("challenger killed and restarted mid-game", gameId.longValueExact());
    }
}
