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
            NodeConfig c = new NodeConfig("gw-node" + i, devnet.rpcUrl(), deployment, devnet.accounts().get(2 + i).privateKey(),
                    "ledgermind://gw-node" + i, models, ETHER, dir.resolve("node" + i + ".db"), 0, 50, Dishonesty.HONEST);
            Worker w = new Worker(c, web3, i == 0 ? identities : TaskRunners.forModels(models), NodeStore.open(c.store()), new NodeMetrics());
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
