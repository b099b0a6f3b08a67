package dev.ledgermind.node.network;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.chain.OptimisticParams;
import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.batch.BatchTree;
import dev.ledgermind.chain.batch.OptimisticBatchMarket;
import dev.ledgermind.chain.contracts.OptimisticBatches;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.node.batch.OptimisticBatchRoles;
import dev.ledgermind.node.client.BatchItemServer;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.DecoderTaskRunner;
import dev.ledgermind.node.task.TaskInput;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
 * A real worker process killed with {@code kill -9} (by its PID) in the middle of an optimistic batch (issue 13), on
 * anvil with 1-second blocks, two worker processes over a tiny synthetic llama (node 1 a watcher): the victim has
 * computed the batch and its claim is on chain, the window has not ended; restarted from its node store, it claims
 * nothing again, serves its claim from its HTTP face (the same port), the watcher's checks pass, the batch is final,
 * the victim claims its pay, and every item is proven by {@code verifyResult} with the proof the restarted node serves.
 *
 * <p>About a minute (two node JVMs load the model, one loads it again, and a 30-second window runs on the chain's
 * clock): behind {@code -Doptimistic.e2e=true}.
 * <pre>./mvnw -B -pl node -am test -Dforge.skip=true -Dtest=OptimisticBatchKillTest -Doptimistic.e2e=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "optimistic.e2e", matches = "true")
class OptimisticBatchKillTest {
    static final long WINDOW = 30;
    static final int ITEMS = 3;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    static int claims(LocalNetwork net, BigInteger batchId) throws Exception {
        EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.ZERO), DefaultBlockParameterName.LATEST,
                net.deployer().deployment().taskMarket());
        f.addSingleTopic(EventEncoder.encode(OptimisticBatches.BATCHCLAIMED_EVENT));
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(batchId, 64));
        return net.web3().ethGetLogs(f).send().getLogs().size();
    }

    @Test
    void aWorkerKilledWithMinus9AfterItsClaimResumesWithoutClaimingTwiceAndFinishesTheBatch() throws Exception {
        Path gguf = dir.resolve("tiny-obatch.gguf");
        SyntheticModel.write(gguf, "llama3", SyntheticModel.TINY, GgmlType.Q8_0, 17);
        try (DecoderTaskRunner local = new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1);
             LocalNetwork net = LocalNetwork.start(LocalNetwork.Options.defaults(dir.resolve("net")).withNodes(2).withWindows(60, 60)
                     .withOptimistic(OptimisticParams.defaults().withWindow(WINDOW)).withValidators(Set.of(1)), List.of(gguf.toString()), local,
                     System.out::println);
             BatchItemServer server = BatchItemServer.onLoopback()) {
            LocalNetwork.Node victim = net.nodes().get(0);
            List<BatchItem> items = new ArrayList<>();
            for (int i = 0; i < ITEMS; i++) {
                TaskInput in = TaskInput.generate("tiny-obatch", "Batch item " + i + " says", 3, 0f, 5 + i);
                items.add(BatchItem.inline(in.kind().code, in.maxTokens(), 0, in.seed(), BigInteger.TEN.pow(15), in.bytes()));
            }
            String locator = server.publish(items);
            OptimisticBatchMarket market = new OptimisticBatchMarket(net.requester());
            BatchMarket.SubmittedBatch b = null;
            for (int attempt = 0; attempt < 40 && b == null; attempt++) {
                BatchMarket.SubmittedBatch s = market.submit(net.modelId("tiny-obatch"), false, items, locator, WINDOW, 100);
                if (s.seats().getFirst() == victim.agentId()) b = s;
            }
            assertTrue(b != null, "40 draws in a row without node 0");
            BigInteger id = b.batchId();
            long agent = victim.agentId();

            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (claims(net, id) == 0) {
                assertTrue(System.nanoTime() < deadline, "the victim did not claim in 120 s; see " + victim.process().logFile());
                Thread.sleep(50);
            }
            long pid = victim.process().pid();
            Process kill = new ProcessBuilder("kill", "-9", Long.toString(pid)).redirectErrorStream(true).start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -9 " + pid);
            for (int i = 0; i < 100 && victim.process().isAlive(); i++) Thread.sleep(50);
            assertFalse(victim.process().isAlive(), "the victim is gone");

            // where the victim stood: claim sent (or seen landed), the batch still in its window
            try (NodeStore store = NodeStore.open(dir.resolve("net").resolve("node-0.db"))) {
                var row = JSON.readValue(store.get("obatch.row." + id).orElseThrow(), OptimisticBatchRoles.Row.class);
                assertTrue(Set.of("CLAIM_SENT", "CLAIMED").contains(row.state()), "killed at " + row.state());
            }
            assertEquals(6, market.batches().state(id).status(), "still in its window");

            LocalNetwork.Node back = net.restart(victim);
            assertEquals(agent, back.agentId(), "the restarted node is the same agent");
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(150);
            while (market.batches().state(id).status() == 6 || net.deployer().claimable(agent).signum() > 0) {
                assertTrue(System.nanoTime() < deadline, "the batch did not finish in 150 s; see " + back.process().logFile());
                Thread.sleep(250);
            }
            assertEquals(BatchMarket.BatchState.ACCEPTED, market.batches().state(id).status());
            assertEquals(1, claims(net, id), "one claim from the victim, not two");
            for (int i = 0; i < ITEMS; i++) assertEquals(0, market.dispute(id, i).stage(), "the watcher challenged nothing: item " + i);

            // the restarted node serves its claim: every item proven with the live proof it gives
            String card = net.deployer().agentUri(agent);
            String base = card.replace("/agent.json", "");
            HttpClient http = HttpClient.newHttpClient();
            for (int i = 0; i < ITEMS; i++) {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/optimistic-batches/" + id + "/items/" + i)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                assertEquals(200, r.statusCode(), r.body());
                JsonNode item = JSON.readTree(r.body());
                List<byte[]> proof = new ArrayList<>();
                for (JsonNode s : item.get("liveProof")) proof.add(Numeric.hexStringToByteArray(s.asText()));
                TaskInput in = TaskInput.parse(items.get(i).input());
                assertArrayEqualsHex(local.run(in).resultHash(), item.get("resultHash").asText(), "item " + i + " is the engine's result");
                assertTrue(market.batches().verifyResult(id, i, ITEMS, Numeric.hexStringToByteArray(item.get("resultHash").asText()),
                        Numeric.hexStringToByteArray(item.get("traceRoot").asText()), new BatchTree.Proof(i, ITEMS, proof)), "item " + i + " proven");
            }
        }
    }

    static void assertArrayEqualsHex(byte[] expected, String actual, String what) {
        assertEquals(Numeric.toHexString(expected), actual, what);
    }
}
