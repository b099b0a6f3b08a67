package dev.ledgermind.node.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.contracts.BatchSettlement;
import dev.ledgermind.node.batch.BatchWorker;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskKind;
import dev.ledgermind.node.task.TaskRunners;
import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.utils.Numeric;

/**
 * A real worker process killed with {@code kill -9} (by its PID) in the middle of a batch, on anvil with
 * 1-second blocks, three worker processes running all-MiniLM-L6-v2: the victim has computed the batch and its
 * commit is on chain, the other seats have not committed (they are held with SIGSTOP, so the reveal phase cannot
 * open before the kill); restarted from its node store, it resumes at the reveal without committing a second
 * time, the batch is accepted with all three roots equal, and the victim claims its share.
 *
 * <p>About a minute (three JVMs load the model, and one loads it again): behind {@code -Dbatch.e2e=true}.
 */
@EnabledIfSystemProperty(named = "batch.e2e", matches = "true")
class BatchWorkerKillTest {
    static final String MODEL = TaskRunners.DEFAULT_MODEL;

    @TempDir
    Path dir;

    static int logs(LocalNetwork net, org.web3j.abi.datatypes.Event event, BigInteger batchId, long agentId) throws Exception {
        EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.ZERO), DefaultBlockParameterName.LATEST,
                net.deployer().deployment().taskMarket());
        f.addSingleTopic(EventEncoder.encode(event));
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(batchId, 64));
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(agentId), 64));
        return net.web3().ethGetLogs(f).send().getLogs().size();
    }

    @Test
    void aWorkerKilledWithMinus9AfterItsCommitResumesTheBatchWithoutCommittingTwice() throws Exception {
        try (LocalNetwork net = LocalNetwork.start(LocalNetwork.Options.defaults(dir).withNodes(3).withWindows(90, 90), List.of(MODEL),
                TaskRunners.defaultModels(), System.out::println)) {
            List<LocalNetwork.Node> nodes = net.nodes();
            LocalNetwork.Node victim = nodes.get(0);
            // with 3 nodes and 3 distinct seats every node holds one; hold the other two before they see the batch
            nodes.get(1).process().pause();
            nodes.get(2).process().pause();
            BatchMarket market = new BatchMarket(net.requester());
            List<BatchItem> items = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                byte[] input = TaskInput.classify(MODEL, "Batch item " + i + ": where is my parcel?", List.of("complaint", "praise", "question")).bytes();
                items.add(BatchItem.inline(TaskKind.CLASSIFY.code, 0, 0, i, BigInteger.TEN.pow(16), input));
            }
            BatchMarket.SubmittedBatch b = null;
            for (int attempt = 0; attempt < 50 && b == null; attempt++) {
                BatchMarket.SubmittedBatch s = market.submit(net.modelId(MODEL), 3, false, items);
                if (s.seats().stream().distinct().count() == 3) b = s;
            }
            assertTrue(b != null, "50 draws in a row gave an agent two seats");
            BigInteger id = b.batchId();
            long agent = victim.agentId();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (logs(net, BatchSettlement.BATCHCOMMITTED_EVENT, id, agent) == 0) {
                assertTrue(System.nanoTime() < deadline, "the victim did not commit in 120 s; see " + victim.process().logFile());
                Thread.sleep(50);
            }
            long pid = victim.process().pid();
            Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).redirectErrorStream(true).start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -9 " + pid);
            for (int i = 0; i < 100 && victim.process().isAlive(); i++) Thread.sleep(50);
            assertFalse(victim.process().isAlive(), "the victim is gone");

            // where the victim stood: in the middle of the batch, committed and not revealed
            try (NodeStore store = NodeStore.open(dir.resolve("node-0.db"))) {
                String json = store.get("batch." + id).orElseThrow();
                BatchWorker.State state = new com.fasterxml.jackson.databind.ObjectMapper().readValue(json, BatchWorker.BatchRecord.class).state();
                assertTrue(state == BatchWorker.State.COMMIT_SENT || state == BatchWorker.State.COMMITTED, "killed at " + state);
            }
            assertEquals(0, logs(net, BatchSettlement.BATCHREVEALED_EVENT, id, agent), "killed before its reveal");
            assertEquals(BatchMarket.BatchState.ACTIVE, market.state(id).status());

            nodes.get(1).process().resume();
            nodes.get(2).process().resume();
            LocalNetwork.Node back = net.restart(victim);
            assertEquals(agent, back.agentId(), "the restarted node is the same agent");

            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (market.state(id).status() == BatchMarket.BatchState.ACTIVE) {
                assertTrue(System.nanoTime() < deadline, "the batch did not settle in 150 s; see " + back.process().logFile());
                Thread.sleep(200);
            }
            BatchMarket.BatchState s = market.state(id);
            assertEquals(BatchMarket.BatchState.ACCEPTED, s.status(), "every seat revealed the same root");
            assertEquals(1, logs(net, BatchSettlement.BATCHCOMMITTED_EVENT, id, agent), "one commit from the victim, not two");
            assertEquals(1, logs(net, BatchSettlement.BATCHREVEALED_EVENT, id, agent), "its reveal came from the restarted process");
            for (int i = 0; i < 3; i++) {
                assertTrue(java.util.Arrays.equals(s.roots().get(0), s.roots().get(i)), "root of seat " + i);
            }
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (net.deployer().claimable(agent).signum() > 0) {
                assertTrue(System.nanoTime() < deadline, "the restarted victim did not claim its share");
                Thread.sleep(200);
            }
        }
    }
}
