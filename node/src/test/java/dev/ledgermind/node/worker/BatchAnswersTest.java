package dev.ledgermind.node.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.node.batch.BatchWorker;
import dev.ledgermind.node.feed.FeedServer;
import dev.ledgermind.node.feed.TokenFeed;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.client.BatchAnswers;
import dev.ledgermind.node.client.BatchItemReceipt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A requester's batch end to end on a real anvil with the real contracts, three real batch workers, each behind its
 * own real {@link FeedServer} (its agent's on-chain URI is that server's registration file), and a FAKE model
 * ({@link FakeHashRunner}: the model is a boundary these tests are not about). The requester submits a batch with
 * {@link BatchAnswers}, which waits until the chain accepts it and fetches every item's receipt from a seat. A seat
 * serves nothing before it has revealed; a seat that serves forged results (a fourth, hostile server standing in for
 * one seat's node) is passed over for an honest one, and each forgery is refused with what was wrong.
 */
@org.junit.jupiter.api.TestMethodOrder(org.junit.jupiter.api.MethodOrderer.OrderAnnotation.class)
class BatchAnswersTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);
    static final ObjectMapper JSON = new ObjectMapper();
    static Devnet devnet;
    static Web3j web3;
    static LedgermindContracts deployer;
    static LedgermindContracts requester;
    static int modelId;
    static final List<LedgermindContracts> nodes = new ArrayList<>();
    static final List<Long> agents = new ArrayList<>();
    static final List<NodeStore> stores = new ArrayList<>();
    static final List<FeedServer> servers = new ArrayList<>();
    /** The hostile stand-in: serves agent 0's card and a forged copy of agent 0's real results while {@link #hostile} is set. */
    static HttpServer forger;
    static final AtomicBoolean hostile = new AtomicBoolean();
    static final AtomicReference<String> forgery = new AtomicReference<>("");
    static final java.util.concurrent.atomic.AtomicInteger forged = new java.util.concurrent.atomic.AtomicInteger();

    @TempDir
    static Path dir;

    @BeforeAll
    static void network() throws Exception {
        devnet = Devnet.builder().accounts(6).start();
        web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
        // a short reveal window: a held batch's hold lasts one of them
        deployer = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(), DeployParams.defaults().withWindows(30, 8));
        requester = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials());
        var m = FakeHashRunner.MODEL;
        modelId = deployer.registerModel(new ModelSpec(m.weightsHash(), m.tokenizerHash(), m.architectureHash(), m.name(),
                ModelSpec.MODE_REPLICATED));
        forger = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        for (int i = 0; i < 3; i++) {
            NodeStore store = NodeStore.open(dir.resolve("node-" + i + ".db"));
            stores.add(store);
            AtomicLong agent = new AtomicLong();
            FeedServer server = new FeedServer(new TokenFeed(4), new FeedServer.Context("node-" + i, deployer.deployment().chainId(),
                    deployer.deployment().taskMarket(), deployer.deployment().agentRegistry(), agent::get, id -> Optional.empty(),
                    id -> BatchWorker.publishedReceipts(store, id)), "127.0.0.1", 0, null, Duration.ofSeconds(2), Duration.ofSeconds(1), 4);
            servers.add(server);
            LedgermindContracts n = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(2 + i).credentials());
            // agent 0's URI is the forger's, which forwards to node 0's real server unless it is being hostile
            String uri = i == 0 ? "http://127.0.0.1:" + forger.getAddress().getPort() + "/agent.json" : server.cardUrl();
            long id = n.registerAndStake(uri, ETHER.multiply(BigInteger.TWO));
            agent.set(id);
            n.declareServes(id, modelId);
            nodes.add(n);
            agents.add(id);
        }
        FeedServer real0 = servers.getFirst();
        HttpClient http = HttpClient.newHttpClient();
        forger.createContext("/", ex -> {
            try (ex) {
                String path = ex.getRequestURI().getPath();
                byte[] body;
                if (path.equals("/agent.json")) {
                    body = ("{\"endpoints\":[{\"name\":\"" + FeedServer.BATCH_RESULTS_ENDPOINT + "\",\"endpoint\":\"http://127.0.0.1:"
                            + forger.getAddress().getPort() + "/batches/{batchId}/results\"}]}").getBytes(StandardCharsets.UTF_8);
                } else if (hostile.get()) {
                    forged.incrementAndGet();
                    body = forgery.get().getBytes(StandardCharsets.UTF_8);
                } else {
                    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + real0.port() + path)).build(),
                            HttpResponse.BodyHandlers.ofByteArray());
                    ex.sendResponseHeaders(r.statusCode(), r.body().length);
                    ex.getResponseBody().write(r.body());
                    return;
                }
                ex.sendResponseHeaders(200, body.length);
                ex.getResponseBody().write(body);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        forger.start();
    }

    @AfterAll
    static void stop() {
        if (forger != null) forger.stop(0);
        for (FeedServer s : servers) s.close();
        for (NodeStore s : stores) s.close();
        if (web3 != null) web3.shutdown();
        if (devnet != null) devnet.close();
    }

    static List<TaskInput> inputs(int n, String tag) {
        List<TaskInput> out = new ArrayList<>();
        for (int i = 0; i < n; i++) out.add(TaskInput.embed(FakeHashRunner.MODEL.name(), List.of(tag + " text " + i)));
        return out;
    }

    /**
     * A FAKE dishonest model: {@link FakeHashRunner}'s answers, except for an input whose text contains "lie-me", whose
     * output (and so result hash) it changes.
     */
    static final class OneItemLiar implements dev.ledgermind.node.task.TaskRunner {
        final FakeHashRunner honest = new FakeHashRunner();

        @Override
        public List<dev.ledgermind.node.task.ModelIdentity> models() {
            return honest.models();
        }

        @Override
        public dev.ledgermind.node.task.TaskResult run(TaskInput input) {
            dev.ledgermind.node.task.TaskResult r = honest.run(input);
            if (input.texts().stream().noneMatch(t -> t.contains("lie-me"))) return r;
            byte[] out = "a confident wrong answer".getBytes(StandardCharsets.UTF_8);
            return new dev.ledgermind.node.task.TaskResult(out, Hash.sha3(out), r.traceRoot());
        }
    }

    static final java.util.Set<Integer> liars = java.util.concurrent.ConcurrentHashMap.newKeySet();

    /** Runs the three workers in the background until {@code body} returns (the ones in {@link #liars} lie about "lie-me"). */
    static <T> T withWorkers(java.util.concurrent.Callable<T> body) throws Exception {
        List<BatchWorker> workers = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            workers.add(new BatchWorker(nodes.get(i), agents.get(i), liars.contains(i) ? new OneItemLiar() : new FakeHashRunner(), stores.get(i),
                    new dev.ledgermind.node.batch.OffchainItems(dev.ledgermind.node.batch.OffchainItems.Limits.defaults(true))));
        }
        AtomicBoolean done = new AtomicBoolean();
        Thread t = Thread.ofPlatform().daemon().start(() -> {
            while (!done.get()) {
                for (BatchWorker w : workers) w.step();
                try {
                    Thread.sleep(100);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        try {
            return body.call();
        } finally {
            done.set(true);
            t.join(30_000);
        }
    }

    /**
     * A batch whose three seats are the three agents: submitted until a draw gives three distinct seats (the others,
     * left to the workers, settle in the background), then awaited and its results fetched as {@link BatchAnswers#ask} does.
     */
    static BatchAnswers.Answer askDistinct(BatchAnswers client, List<TaskInput> in) throws Exception {
        BigInteger fee = BigInteger.TEN.pow(12);
        BatchMarket market = new BatchMarket(requester);
        for (int attempt = 0; attempt < 40; attempt++) {
            BatchMarket.SubmittedBatch b = market.submit(modelId, 3, false, in.stream().map(i -> BatchAnswers.item(i, fee)).toList());
            if (b.seats().stream().distinct().count() < 3) continue;
            BatchMarket.BatchState s = client.await(b.batchId(), Duration.ofSeconds(90), line -> { });
            BatchAnswers.Fetched f = client.fetchPatiently(b.batchId(), b.seats(), s);
            return new BatchAnswers.Answer(b, s, f.receipts(), f.agent());
        }
        throw new AssertionError("40 draws in a row gave an agent two seats");
    }

    @Test
    void aBatchIsAnsweredItemByItemFromASeatAndEachReceiptIsProvenByTheChain() throws Exception {
        BatchAnswers client = new BatchAnswers(requester, Duration.ofSeconds(2), true);
        List<TaskInput> in = inputs(6, "answers");
        // BatchAnswers.ask itself: one submission, whatever the draw (an agent may hold two seats)
        BatchAnswers.Answer a = withWorkers(() -> client.ask(modelId, 3, in, Collections.nCopies(6, BigInteger.TEN.pow(12)),
                Duration.ofSeconds(90), line -> { }));
        assertTrue(a.accepted(), "the batch is accepted");
        assertEquals(6, a.receipts().size());
        assertTrue(a.batch().seats().contains(a.servedBy()), "a seat served the results");
        BatchMarket market = new BatchMarket(requester);
        FakeHashRunner model = new FakeHashRunner();
        for (int i = 0; i < 6; i++) {
            BatchItemReceipt r = a.receipts().get(i);
            assertEquals(i, r.item().index());
            // the output is what the model gives for item i's input (computed here, not by the code under test)
            assertArrayEquals(model.run(in.get(i)).output(), r.output(), "item " + i + "'s output");
            assertTrue(market.verify(r.item()), "the chain proves item " + i);
        }
        // fetching again by batch id alone (a later reader) gives the same receipts
        BatchAnswers.Fetched again = client.fetch(a.batch().batchId());
        assertEquals(a.receipts().get(5).toJson(), again.receipts().get(5).toJson());
    }

    @Test
    void aSeatServesNothingBeforeItHasRevealedItsRoot() throws Exception {
        BatchMarket market = new BatchMarket(requester);
        BatchMarket.SubmittedBatch b = market.submit(modelId, 3, false,
                List.of(BatchAnswers.item(inputs(1, "early").getFirst(), BigInteger.TEN.pow(12))));
        int seat = agents.indexOf(b.seats().getFirst());
        BatchWorker w = new BatchWorker(nodes.get(seat), agents.get(seat), new FakeHashRunner(), stores.get(seat));
        w.step(); // computes and sends its commit: nothing revealed yet
        assertTrue(w.record(b.batchId()).isPresent(), "the seat computed the batch");
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + servers.get(seat).port() + "/batches/" + b.batchId() + "/results")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(404, r.statusCode(), r.body());
        assertTrue(r.body().contains("no results of batch " + b.batchId()), r.body());
        HttpResponse<String> bad = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + servers.get(seat).port() + "/batches/-3/results")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(400, bad.statusCode(), bad.body());
    }

    @Test
    void forgedResultsAreRefusedWithWhatWasWrongAndAnHonestSeatIsAskedInstead() throws Exception {
        BatchAnswers client = new BatchAnswers(requester, Duration.ofSeconds(2), true);
        BatchAnswers.Answer a = withWorkers(() -> askDistinct(client, inputs(4, "forged")));
        assertTrue(a.accepted());
        BigInteger id = a.batch().batchId();
        String honest = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                + servers.getFirst().port() + "/batches/" + id + "/results")).build(), HttpResponse.BodyHandlers.ofString()).body();
        BatchMarket.BatchState s = new BatchMarket(requester).state(id);
        byte[] root = BatchAnswers.quorumRoot(s);
        assertEquals(4, BatchAnswers.check(JSON.readTree(honest), id, 4, root).size(), "the honest results check out");

        // each forgery, refused with its reason
        List<String[]> cases = new ArrayList<>();
        ArrayNode t = (ArrayNode) JSON.readTree(honest);
        ((ObjectNode) t.get(2)).put("output", Numeric.toHexString("another answer".getBytes(StandardCharsets.UTF_8)));
        cases.add(new String[] {t.toString(), "$[2]'s output does not hash to its result hash"});
        t = (ArrayNode) JSON.readTree(honest);
        byte[] other = "another answer".getBytes(StandardCharsets.UTF_8);
        ((ObjectNode) t.get(2)).put("output", Numeric.toHexString(other)).put("resultHash", Numeric.toHexString(Hash.sha3(other)));
        cases.add(new String[] {t.toString(), "$[2]'s proof leads to"});
        t = (ArrayNode) JSON.readTree(honest);
        t.remove(3);
        cases.add(new String[] {t.toString(), "the results hold 3 receipts for a batch of 4"});
        t = (ArrayNode) JSON.readTree(honest);
        JsonNode first = t.get(0);
        t.set(0, t.get(1));
        t.set(1, first);
        cases.add(new String[] {t.toString(), "$[0] is item 1 of 4"});
        cases.add(new String[] {"{\"not\":\"an array\"}", "not a JSON array"});
        for (String[] c : cases) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> BatchAnswers.check(JSON.readTree(c[0]), id, 4, root));
            assertTrue(e.getMessage().contains(c[1]), e.getMessage() + " (expected: " + c[1] + ")");
        }

        // agent 0's node turns hostile and is asked first: the requester is served by another seat, with the honest receipts
        forgery.set(cases.getFirst()[0]);
        hostile.set(true);
        try {
            int before = forged.get();
            BatchAnswers.Fetched f = client.fetch(id, List.of(agents.get(0), agents.get(1), agents.get(2)), s);
            assertEquals(before + 1, forged.get(), "the hostile seat was asked first and served its forgery");
            assertNotEquals(agents.getFirst(), f.agent(), "the forging seat's results were refused");
            assertEquals(JSON.readTree(honest).get(2).get("output").asText(), Numeric.toHexString(f.receipts().get(2).output()));
        } finally {
            hostile.set(false);
        }
        // only the hostile seat asked: nothing checks out, and the error says which seat served what
        hostile.set(true);
        try {
            BatchAnswers.Unavailable u = assertThrows(BatchAnswers.Unavailable.class, () -> client.fetch(id, List.of(agents.get(0)), s));
            assertTrue(u.getMessage().contains("agent " + agents.get(0) + ": $[2]'s output does not hash"), u.getMessage());
        } finally {
            hostile.set(false);
        }
    }

    @Test
    void aSeatThatLiesAboutOneItemSettlesThatItemAloneAndIsSlashedForItOnce() throws Exception {
        BatchAnswers client = new BatchAnswers(requester, Duration.ofSeconds(2), true);
        List<TaskInput> in = new ArrayList<>(inputs(5, "dissent"));
        in.set(2, TaskInput.embed(FakeHashRunner.MODEL.name(), List.of("lie-me: item two")));
        long liar = agents.get(1);
        BigInteger[] before = new BigInteger[3];
        for (int i = 0; i < 3; i++) before[i] = deployer.stakeOf(agents.get(i)).bonded();
        liars.add(1);
        BatchAnswers.Answer a;
        try {
            a = withWorkers(() -> askDistinct(client, in));
        } finally {
            liars.clear();
        }
        assertTrue(a.accepted(), "the batch is accepted once the dissent is settled");
        // the answers are the honest ones (computed here with the honest fake), served by an honest seat
        assertNotEquals(liar, a.servedBy());
        assertArrayEquals(new FakeHashRunner().run(in.get(2)).output(), a.receipts().get(2).output());
        // only item 2 was disputed, against the liar only: one ItemDisputed event
        org.web3j.protocol.core.methods.request.EthFilter f = new org.web3j.protocol.core.methods.request.EthFilter(
                org.web3j.protocol.core.DefaultBlockParameter.valueOf(BigInteger.ZERO),
                org.web3j.protocol.core.DefaultBlockParameterName.LATEST, deployer.deployment().taskMarket());
        f.addSingleTopic(org.web3j.abi.EventEncoder.encode(dev.ledgermind.chain.contracts.BatchSettlement.ITEMDISPUTED_EVENT));
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(a.batch().batchId(), 64));
        var logs = web3.ethGetLogs(f).send().getLogs();
        assertEquals(1, logs.size(), "one item disputed");
        var l = (org.web3j.protocol.core.methods.response.Log) logs.getFirst().get();
        assertEquals(BigInteger.TWO, Numeric.toBigInt(l.getTopics().get(2)), "the disputed item is item 2");
        assertEquals(BigInteger.valueOf(liar), Numeric.toBigInt(l.getTopics().get(3)), "against the liar");
        // the liar lost dissentSlash for that item (DeployParams.defaults: 0.1 ETH), and this batch slashed no one else:
        // no batch-level slash (a root left unconverged would be slashed per item at the release)
        String data = Numeric.cleanHexPrefix(l.getData());
        assertEquals(ETHER.divide(BigInteger.TEN), new BigInteger(data.substring(128, 192), 16), "slashed dissentSlash for the item");
        f = new org.web3j.protocol.core.methods.request.EthFilter(org.web3j.protocol.core.DefaultBlockParameter.valueOf(BigInteger.ZERO),
                org.web3j.protocol.core.DefaultBlockParameterName.LATEST, deployer.deployment().taskMarket());
        f.addSingleTopic(org.web3j.abi.EventEncoder.encode(dev.ledgermind.chain.contracts.BatchSettlement.BATCHSLASHED_EVENT));
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(a.batch().batchId(), 64));
        assertEquals(0, web3.ethGetLogs(f).send().getLogs().size(), "no batch-level slash");
        // (earlier draws that gave an agent two seats were batches too, settled by the same rules: stakes are not compared)
        assertTrue(deployer.stakeOf(liar).bonded().compareTo(before[1]) < 0, "the liar's stake went down");
        // and every item, the disputed one included, is proven by the chain with the accepted result
        BatchMarket market = new BatchMarket(requester);
        for (BatchItemReceipt r : a.receipts()) assertTrue(market.verify(r.item()), "item " + r.item().index());
    }

    @Test
    @org.junit.jupiter.api.Order(Integer.MAX_VALUE)
    void aBatchWhoseSeatsNeverComeIsRefundedInFullByItsRequester() throws Exception {
        BatchAnswers client = new BatchAnswers(requester, Duration.ofSeconds(2), true);
        BigInteger fee = BigInteger.TEN.pow(12);
        BatchMarket.SubmittedBatch b = new BatchMarket(requester).submit(modelId, 3, false,
                inputs(3, "vanished").stream().map(i -> BatchAnswers.item(i, fee)).toList());
        // no worker runs: past the commit deadline (30 s) and the requester's grace, nobody has advanced the batch
        // (this test runs last: it moves the chain's clock ahead of this machine's)
        dev.ledgermind.chain.AnvilControl anvil = new dev.ledgermind.chain.AnvilControl(new HttpService(devnet.rpcUrl()));
        anvil.increaseTime(45);
        anvil.mine();
        List<String> said = new ArrayList<>();
        BatchMarket.BatchState s = client.await(b.batchId(), Duration.ofSeconds(30), said::add);
        assertEquals(BatchMarket.BatchState.REFUNDED, s.status());
        assertTrue(said.stream().anyMatch(l -> l.contains("finalized by the requester")), said.toString());
        org.web3j.protocol.core.methods.request.EthFilter f = new org.web3j.protocol.core.methods.request.EthFilter(
                org.web3j.protocol.core.DefaultBlockParameter.valueOf(BigInteger.ZERO),
                org.web3j.protocol.core.DefaultBlockParameterName.LATEST, deployer.deployment().taskMarket());
        f.addSingleTopic(org.web3j.abi.EventEncoder.encode(dev.ledgermind.chain.contracts.BatchSettlement.BATCHFINALIZED_EVENT));
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(b.batchId(), 64));
        var logs = web3.ethGetLogs(f).send().getLogs();
        assertEquals(1, logs.size());
        var e = dev.ledgermind.chain.contracts.BatchSettlement.getBatchFinalizedEventFromLog((org.web3j.protocol.core.methods.response.Log) logs.getFirst().get());
        assertFalse(e.accepted);
        assertEquals(fee.multiply(BigInteger.valueOf(3)), e.refund, "every item's fee share back");
    }
}
