package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiChatResponseMetadata;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.node.client.NetworkConnection;
import dev.ledgermind.node.feed.FeedServer;
import dev.ledgermind.node.feed.TokenFeed;
import dev.ledgermind.node.metrics.NodeMetrics;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskRunner;
import dev.ledgermind.node.task.TaskRunners;
import dev.ledgermind.node.worker.Dishonesty;
import dev.ledgermind.node.worker.NodeConfig;
import dev.ledgermind.node.worker.Worker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The network backend on a real anvil devnet with the real contracts: two in-process worker nodes serve
 * all-MiniLM-L6-v2 and a tiny GGUF decoder; the gateway resolves the model names in the ModelRegistry on
 * chain, submits each request as a task, answers when it is final, and its receipts verify against the
 * chain and a local recomputation. Driven by LangChain4j's OpenAI client, unchanged.
 */
class NetworkBackendTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);
    @TempDir
    static Path dir;
    static Devnet devnet;
    static Web3j web3;
    static final List<Worker> workers = new ArrayList<>();
    static final List<Thread> threads = new ArrayList<>();
    static Gateway gateway;
    static final List<FeedServer> feeds = new ArrayList<>();
    /** How long each generated token takes on these nodes: long enough that a streamed token provably precedes finality. */
    static final java.time.Duration TOKEN_PACE = java.time.Duration.ofMillis(40);

    @BeforeAll
    static void start() throws Exception {
        Path gguf = TestGateway.tinyGguf(dir);
        List<String> models = List.of(TestGateway.ENCODER, gguf.toString());
        devnet = Devnet.builder().accounts(6).start();
        web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
        LedgermindContracts deployer = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(), DeployParams.defaults());
        Path deployment = dir.resolve("deployment.json");
        deployer.deployment().write(deployment);
        TaskRunner identities = TaskRunners.forModels(models);
        for (ModelIdentity m : identities.models()) {
            deployer.registerModel(new ModelSpec(m.weightsHash(), m.tokenizerHash(), m.architectureHash(), m.name(), ModelSpec.MODE_REPLICATED));
        }
        for (int i = 0; i < 3; i++) { // k=3: the market refuses k=2
            // no agentUri: each node registers its token feed's registration file
            NodeConfig c = new NodeConfig("gw-node" + i, devnet.rpcUrl(), deployment, devnet.accounts().get(2 + i).privateKey(),
                    null, models, ETHER, dir.resolve("node" + i + ".db"), 0, 50, Dishonesty.HONEST,
                    dev.ledgermind.node.worker.WorkLimits.NONE, 0, null);
            TokenFeed feed = new TokenFeed(64);
            Worker w = new Worker(c, web3, new PacedRunner(i == 0 ? identities : TaskRunners.forModels(models), TOKEN_PACE),
                    NodeStore.open(c.store()), new NodeMetrics(), feed);
            FeedServer server = new FeedServer(feed, new FeedServer.Context(c.name(), deployer.deployment().chainId(),
                    deployer.deployment().taskMarket(), deployer.deployment().agentRegistry(), w::agentId, w::requesterOf),
                    "127.0.0.1", 0, null, java.time.Duration.ofSeconds(30), java.time.Duration.ofSeconds(1), 8);
            feeds.add(server);
            w.advertise(server.cardUrl());
            w.join();
            workers.add(w);
            threads.add(Thread.ofPlatform().name("worker-" + i).start(() -> {
                try {
                    w.run();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        NetworkConnection network = NetworkConnection.connect(devnet.rpcUrl(), deployment, devnet.accounts().get(1).privateKey(), java.util.Map.of());
        gateway = Gateway.start(GatewayConfig.defaults().withBackend(GatewayConfig.Backend.NETWORK).withRedundancy(3),
                List.of(LocalModel.load(TestGateway.ENCODER), LocalModel.load(gguf.toString())), network);
    }

    @AfterAll
    static void stop() throws Exception {
        if (gateway != null) gateway.close();
        for (Worker w : workers) w.stop();
        for (Thread t : threads) t.join(10_000);
        for (Worker w : workers) w.close();
        for (FeedServer f : feeds) f.close();
        if (web3 != null) web3.shutdown();
        if (devnet != null) {
            long pid = devnet.pid();
            devnet.close();
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "anvil left running");
        }
    }

    @Test
    void aChatAnsweredByTheNetworkCarriesAReceiptThatVerifiesAgainstTheChain() throws Exception {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(gateway.url() + "/v1").apiKey("unused").modelName(TestGateway.DECODER)
                .temperature(0.0).seed(5).maxTokens(6).timeout(java.time.Duration.ofMinutes(3)).build();
        ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("Hello network")).build());
        OpenAiChatResponseMetadata meta = (OpenAiChatResponseMetadata) r.metadata();
        String id = meta.rawHttpResponse().headers().get("Ledgermind-Receipt").getFirst();
        assertTrue(id.startsWith("task-"), id);
        JsonNode receipt = TestGateway.JSON.readTree(meta.rawHttpResponse().body()).path("ledgermind").path("receipts").path(0);
        assertEquals("replicated", receipt.path("mode").asText());
        assertEquals(3, count(receipt.path("nodes"), "agreed"), receipt.toString()); // seats; one agent may hold several
        assertTrue(receipt.path("totalGas").asLong() > 0);
        // one commit and one reveal per distinct agent: seats are drawn with replacement, so an agent may hold several
        java.util.Set<Long> agents = new java.util.HashSet<>();
        receipt.path("nodes").forEach(n -> agents.add(n.path("agentId").asLong()));
        assertTrue(receipt.path("transactions").size() >= 1 + 2 * agents.size(),
                "submit, a commit and a reveal per agent " + agents + ": " + receipt.path("transactions"));

        // the same request on the local backend gives the same text and the same result hash
        HttpRequestsLocal local = new HttpRequestsLocal(gateway.url());
        JsonNode localAnswer = local.chat("{\"model\":\"tiny\",\"temperature\":0,\"seed\":5,\"max_tokens\":6,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello network\"}],\"ledgermind\":{\"backend\":\"local\"}}");
        assertEquals(r.aiMessage().text(), localAnswer.path("choices").path(0).path("message").path("content").asText());
        assertEquals(receipt.path("resultHash").asText(), localAnswer.path("ledgermind").path("receipts").path(0).path("resultHash").asText());
        assertEquals(receipt.path("modelHash").asText(), localAnswer.path("ledgermind").path("receipts").path(0).path("modelHash").asText(),
                "the local model is the one registered on chain");

        JsonNode v = local.verify(id);
        assertTrue(v.path("verified").asBoolean(), v.toString());
        assertTrue(v.path("checks").toString().contains("contract storage holds the receipt's result"), v.toString());
    }

    @Test
    void aStreamFromTheNetworkCarriesProgressAsHeartbeatsThenTheTokensAndTheReceipt() throws Exception {
        HttpRequestsLocal http = new HttpRequestsLocal(gateway.url());
        var r = http.post("/v1/chat/completions", "{\"model\":\"tiny\",\"stream\":true,\"stream_options\":{\"include_usage\":true},"
                + "\"temperature\":0,\"seed\":5,\"max_tokens\":6,\"messages\":[{\"role\":\"user\",\"content\":\"Hello network\"}]}");
        assertEquals(200, r.statusCode(), r.body());
        String id = r.headers().firstValue("Ledgermind-Receipt").orElseThrow();
        assertTrue(r.body().contains("\n: task " + id.substring(5) + ": "), "progress as SSE comments: " + r.body());
        StringBuilder text = new StringBuilder();
        String receiptInStream = null;
        for (String line : r.body().split("\n")) {
            if (!line.startsWith("data: {")) continue;
            JsonNode c = TestGateway.JSON.readTree(line.substring(6));
            if (!c.path("choices").isEmpty()) text.append(c.path("choices").path(0).path("delta").path("content").asText(""));
            if (c.has("ledgermind") && !c.path("choices").isEmpty()) receiptInStream = c.path("ledgermind").path("receipts").path(0).path("id").asText();
        }
        assertEquals(id, receiptInStream);
        JsonNode local = new HttpRequestsLocal(gateway.url()).chat("{\"model\":\"tiny\",\"temperature\":0,\"seed\":5,\"max_tokens\":6,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Hello network\"}],\"ledgermind\":{\"backend\":\"local\"}}");
        assertEquals(local.path("choices").path(0).path("message").path("content").asText(), text.toString());
        assertTrue(r.body().endsWith("data: [DONE]\n\n"));
    }

    @Test
    void topPIsComputedByTheNetworkAsLocally() throws Exception {
        String ask = "\"model\":\"tiny\",\"temperature\":1.2,\"top_p\":0.6,\"seed\":11,\"max_tokens\":8,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Nucleus\"}]";
        HttpRequestsLocal http = new HttpRequestsLocal(gateway.url());
        JsonNode net = http.chat("{" + ask + "}");
        JsonNode local = http.chat("{" + ask + ",\"ledgermind\":{\"backend\":\"local\"}}");
        JsonNode netReceipt = net.path("ledgermind").path("receipts").path(0);
        assertEquals(local.path("choices").path(0).path("message").path("content").asText(),
                net.path("choices").path(0).path("message").path("content").asText());
        assertEquals(local.path("ledgermind").path("receipts").path(0).path("resultHash").asText(), netReceipt.path("resultHash").asText());
        assertTrue(netReceipt.path("inputHash").asText().matches("0x[0-9a-f]{64}"), netReceipt.toString());
        assertEquals(local.path("ledgermind").path("receipts").path(0).path("inputHash").asText(), netReceipt.path("inputHash").asText(),
                "the same input bytes, top_p included, on both backends");
        assertTrue(http.verify(netReceipt.path("id").asText()).path("verified").asBoolean());
    }

    @Test
    void embeddingsAnsweredByTheNetworkVerify() throws Exception {
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().baseUrl(gateway.url() + "/v1").apiKey("unused")
                .modelName(TestGateway.ENCODER).timeout(java.time.Duration.ofMinutes(3)).build();
        var r = model.embedAll(List.of(TextSegment.from("A ledger records what happened"), TextSegment.from("Receipts prove it")));
        assertEquals(2, r.content().size());
        assertEquals(384, r.content().getFirst().vector().length);
        HttpRequestsLocal http = new HttpRequestsLocal(gateway.url());
        JsonNode newest = TestGateway.JSON.readTree(http.get("/v1/receipts?limit=1")).path("data").path(0);
        assertTrue(newest.path("id").asText().startsWith("task-"), newest.toString());
        assertTrue(http.verify(newest.path("id").asText()).path("verified").asBoolean());
        // the model list knows both backends for both models
        JsonNode models = TestGateway.JSON.readTree(http.get("/v1/models")).path("data");
        for (JsonNode m : models) assertEquals(2, m.path("ledgermind").path("backends").size(), m.toString());
    }

    @Test
    void aModelTheRegistryDoesNotKnowIsNotFoundOnTheNetwork() throws Exception {
        HttpRequestsLocal http = new HttpRequestsLocal(gateway.url());
        var r = http.post("/v1/embeddings", "{\"model\":\"bge-small-en-v1.5\",\"input\":\"x\"}");
        assertEquals(404, r.statusCode(), r.body());
        assertTrue(r.body().contains("not registered on this network"), r.body());
    }

    @Test
    void theExplorerShowsATaskLiveAndVerifiesItsReceiptInChromium() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isExecutable(Path.of("/usr/bin/chromium")),
                "Debian's chromium is not installed (apt-get install chromium; .ci/run installs it)");
        Path shot = Path.of("target", "explorer-screenshots").toAbsolutePath();
        java.nio.file.Files.createDirectories(shot);
        JsonNode out = NodeScript.run("explorer.mjs", gateway.url(), shot.resolve("explorer-receipt-verified.png").toString());
        assertFalse(out.path("newBefore").asBoolean(), "the task was not in the table before the ask");
        assertTrue(out.path("row").asText().contains("accepted"), out.toString());
        assertTrue(out.path("nodes").asInt() >= 2, out.toString());
        assertTrue(out.path("evidence").asText().contains("replicated"), out.toString());
        assertTrue(out.path("transactions").asInt() >= 5, out.toString());
        assertEquals("verified", out.path("verdict").asText(), out.toString());
        assertTrue(out.path("checks").asInt() >= 5, out.toString());
        assertEquals(0, out.path("errors").size(), "no script errors: " + out.path("errors"));
        assertEquals(0, out.path("external").size(), "no request left this gateway: " + out.path("external"));
        assertTrue(java.nio.file.Files.size(shot.resolve("explorer-receipt-verified.png")) > 10_000, "the screenshot is kept");
    }

    @Test
    void aStreamFromTheNetworkSendsTheTokensAsANodeComputesThemBeforeTheTaskIsFinal() throws Exception {
        LedgermindContracts reader = LedgermindContracts.at(web3, workers.getFirst().chain().deployment(), devnet.accounts().get(5).credentials());
        var client = java.net.http.HttpClient.newHttpClient();
        var r = client.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(gateway.url() + "/v1/chat/completions"))
                .header("Content-Type", "application/json").timeout(java.time.Duration.ofMinutes(3))
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\",\"stream\":true,\"temperature\":0,"
                        + "\"seed\":9,\"max_tokens\":12,\"messages\":[{\"role\":\"user\",\"content\":\"Stream it\"}]}")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofLines());
        assertEquals(200, r.statusCode());
        BigInteger taskId = new BigInteger(r.headers().firstValue("Ledgermind-Receipt").orElseThrow().substring(5));
        StringBuilder text = new StringBuilder();
        dev.ledgermind.chain.TaskPhase atFirstToken = null;
        boolean receipt = false;
        for (String line : (Iterable<String>) r.body()::iterator) {
            if (!line.startsWith("data: {")) continue;
            JsonNode c = TestGateway.JSON.readTree(line.substring(6));
            assertFalse(c.has("error"), "no error event: " + line);
            String delta = c.path("choices").path(0).path("delta").path("content").asText("");
            if (!delta.isEmpty() && atFirstToken == null) atFirstToken = reader.task(taskId).phase();
            text.append(delta);
            receipt |= c.has("ledgermind");
        }
        assertEquals(dev.ledgermind.chain.TaskPhase.COMMITTING, atFirstToken,
                "the first token reached the client while the nodes had not all committed (each token takes " + TOKEN_PACE.toMillis() + " ms)");
        assertTrue(receipt, "the last chunk carries the receipt");
        assertEquals(dev.ledgermind.chain.TaskPhase.ACCEPTED, reader.task(taskId).phase());
        JsonNode local = new HttpRequestsLocal(gateway.url()).chat("{\"model\":\"tiny\",\"temperature\":0,\"seed\":9,\"max_tokens\":12,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"Stream it\"}],\"ledgermind\":{\"backend\":\"local\"}}");
        assertEquals(local.path("choices").path(0).path("message").path("content").asText(), text.toString(),
                "the streamed preview is the verified answer");
        String metrics = new HttpRequestsLocal(gateway.url()).get("/metrics");
        assertTrue(metrics.lines().anyMatch(l -> l.startsWith("ledgermind_gateway_previewed_tokens_total") && !l.endsWith(" 0.0")), metrics);
    }

    @Test
    void aNodeWhoseFeedStreamsOtherTokensThanItsAnswerEndsTheStreamWithAnErrorNamingTheMismatch() throws Exception {
        try (HostileFeed hostile = new HostileFeed()) {
            List<String> before = new ArrayList<>();
            for (Worker w : workers) {
                before.add(w.chain().agentUri(w.agentId()));
                w.chain().setAgentUri(w.agentId(), hostile.cardUrl());
            }
            try {
                var r = new HttpRequestsLocal(gateway.url()).post("/v1/chat/completions", "{\"model\":\"tiny\",\"stream\":true,"
                        + "\"temperature\":0,\"seed\":3,\"max_tokens\":4,\"messages\":[{\"role\":\"user\",\"content\":\"Lie to me\"}]}");
                assertEquals(200, r.statusCode());
                assertTrue(hostile.served.get() > 0, "the gateway read the hostile feed");
                String error = r.body().lines().filter(l -> l.contains("\"error\"")).findFirst().orElseThrow(() -> new AssertionError(r.body()));
                JsonNode e = TestGateway.JSON.readTree(error.substring(6)).path("error");
                assertEquals("preview_mismatch", e.path("code").asText(), error);
                assertTrue(e.path("message").asText().contains("from token 0"), error);
                assertTrue(r.body().endsWith("data: [DONE]\n\n"), r.body());
            } finally {
                for (int i = 0; i < workers.size(); i++) workers.get(i).chain().setAgentUri(workers.get(i).agentId(), before.get(i));
            }
        }
    }

    /** A fake node feed (the boundary under test is the gateway's check): its registration file and a feed of wrong tokens. */
    static final class HostileFeed implements AutoCloseable {
        final com.sun.net.httpserver.HttpServer server;
        final java.util.concurrent.atomic.AtomicInteger served = new java.util.concurrent.atomic.AtomicInteger();

        HostileFeed() throws java.io.IOException {
            server = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
            String base = "http://127.0.0.1:" + server.getAddress().getPort();
            server.createContext("/agent.json", ex -> respond(ex, "application/json",
                    "{\"endpoints\":[{\"name\":\"ledgermind-token-feed\",\"endpoint\":\"" + base + "/tasks/{taskId}/tokens\"}]}"));
            server.createContext("/tasks/", ex -> {
                served.incrementAndGet();
                respond(ex, "text/event-stream", "data: {\"from\":0,\"tokens\":[7,7,7,7]}\n\nevent: end\ndata: {\"count\":4}\n\n");
            });
            server.start();
        }

        String cardUrl() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/agent.json";
        }

        private static void respond(com.sun.net.httpserver.HttpExchange ex, String type, String body) throws java.io.IOException {
            byte[] b = body.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", type);
            ex.sendResponseHeaders(200, b.length);
            try (var out = ex.getResponseBody()) {
                out.write(b);
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /** A real runner whose tokens each take {@code pace} (the nodes here are too fast to watch a stream arrive). */
    record PacedRunner(TaskRunner inner, java.time.Duration pace) implements TaskRunner {
        @Override
        public List<ModelIdentity> models() {
            return inner.models();
        }

        @Override
        public dev.ledgermind.node.task.TaskResult run(dev.ledgermind.node.task.TaskInput input) {
            return inner.run(input);
        }

        @Override
        public dev.ledgermind.node.task.TaskResult run(dev.ledgermind.node.task.TaskInput input, java.util.function.IntConsumer onToken) {
            return inner.run(input, t -> {
                try {
                    Thread.sleep(pace);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                onToken.accept(t);
            });
        }

        @Override
        public void warmUp() {
            inner.warmUp();
        }
    }

    static int count(JsonNode nodes, String verdict) {
        int n = 0;
        for (JsonNode x : nodes) if (verdict.equals(x.path("verdict").asText())) n++;
        return n;
    }

    /** Plain JDK HTTP for the checks beside the client. */
    record HttpRequestsLocal(String url) {
        java.net.http.HttpResponse<String> post(String path, String body) throws Exception {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + path))
                    .header("Content-Type", "application/json").timeout(java.time.Duration.ofMinutes(3))
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        }

        String get(String path) throws Exception {
            return java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url + path)).GET().build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        }

        JsonNode chat(String body) throws Exception {
            var r = post("/v1/chat/completions", body);
            assertEquals(200, r.statusCode(), r.body());
            return TestGateway.JSON.readTree(r.body());
        }

        JsonNode verify(String id) throws Exception {
            var r = post("/v1/receipts/" + id + "/verify", "");
            assertEquals(200, r.statusCode(), r.body());
            return TestGateway.JSON.readTree(r.body());
        }
    }
}
