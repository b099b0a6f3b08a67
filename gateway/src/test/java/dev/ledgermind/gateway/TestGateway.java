package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.llama.SyntheticModel;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * A real gateway for tests on a free loopback port, with the real all-MiniLM-L6-v2 (from the Maven
 * Central jar) and a tiny llama3-family GGUF with random weights written by the project's GGUF writer,
 * named {@code tiny}. Plain JDK HTTP helpers for what the tests check beside the clients.
 */
final class TestGateway implements AutoCloseable {
    static final String ENCODER = "all-minilm-l6-v2";
    static final String DECODER = "tiny";
    static final ObjectMapper JSON = new ObjectMapper();

    final Gateway gateway;
    final HttpClient http = HttpClient.newHttpClient();

    private TestGateway(Gateway gateway) {
        this.gateway = gateway;
    }

    static Path tinyGguf(Path dir) throws Exception {
        Path gguf = dir.resolve(DECODER + ".gguf");
        if (!Files.exists(gguf)) SyntheticModel.write(gguf, "llama3", SyntheticModel.TINY, GgmlType.Q8_0, 7);
        return gguf;
    }

    static TestGateway start(Path dir, GatewayConfig config) throws Exception {
        List<LocalModel> models = List.of(LocalModel.load(ENCODER), LocalModel.load(tinyGguf(dir).toString()));
        return new TestGateway(Gateway.start(config, models, null));
    }

    String url() {
        return gateway.url();
    }

    HttpResponse<String> post(String path, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url() + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url() + path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** POST /v1/receipts/{id}/verify, parsed. */
    JsonNode verify(String receiptId) throws Exception {
        HttpResponse<String> r = post("/v1/receipts/" + receiptId + "/verify", "");
        if (r.statusCode() != 200) throw new AssertionError("verify " + receiptId + " answered " + r.statusCode() + ": " + r.body());
        return JSON.readTree(r.body());
    }

    /** The newest receipt the gateway issued. */
    JsonNode newestReceipt() throws Exception {
        return JSON.readTree(get("/v1/receipts?limit=1").body()).path("data").path(0);
    }

    @Override
    public void close() {
        gateway.close();
    }
}
