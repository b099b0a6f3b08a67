package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Bad input gets an OpenAI-shaped error naming what was wrong, and a client that goes away mid-stream
 * stops the generation and leaks nothing: no open stream, no held engine, and the next request is served.
 */
class BadInputTest {
    @TempDir
    static Path dir;
    static TestGateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw = TestGateway.start(dir, GatewayConfig.defaults().withMaxBodyBytes(64 * 1024).withApiKey(null)
                .withHeartbeat(Duration.ofMillis(200)));
    }

    @AfterAll
    static void stop() {
        if (gw != null) gw.close();
    }

    static JsonNode error(HttpResponse<String> r, int status) throws Exception {
        assertEquals(status, r.statusCode(), r.body());
        JsonNode e = TestGateway.JSON.readTree(r.body()).path("error");
        assertTrue(e.isObject(), "OpenAI error shape: " + r.body());
        assertTrue(e.has("message") && e.has("type") && e.has("param") && e.has("code"), r.body());
        return e;
    }

    @Test
    void malformedJsonSaysWhereItBroke() throws Exception {
        JsonNode e = error(gw.post("/v1/chat/completions", "{\"model\": \"tiny\", \"messages\": [}"), 400);
        assertEquals("invalid_json", e.path("code").asText());
        assertTrue(e.path("message").asText().contains("line 1, column"), e.toString());
        assertEquals("invalid_json", error(gw.post("/v1/embeddings", "not json"), 400).path("code").asText());
        assertEquals(400, gw.post("/v1/embeddings", "[1,2]").statusCode());
    }

    @Test
    void unknownModelIsModelNotFound() throws Exception {
        JsonNode e = error(gw.post("/v1/embeddings", "{\"model\":\"gpt-4o\",\"input\":\"hi\"}"), 404);
        assertEquals("model_not_found", e.path("code").asText());
        assertEquals("model", e.path("param").asText());
        assertTrue(e.path("message").asText().contains("all-minilm-l6-v2"), "names what it serves: " + e);
        assertEquals("model_not_found", error(gw.post("/v1/chat/completions",
                "{\"model\":\"nope\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 404).path("code").asText());
        // an encoder asked to chat, a decoder asked to embed
        assertEquals("model", error(gw.post("/v1/chat/completions",
                "{\"model\":\"all-minilm-l6-v2\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}"), 400).path("param").asText());
        assertEquals("model", error(gw.post("/v1/embeddings", "{\"model\":\"tiny\",\"input\":\"hi\"}"), 400).path("param").asText());
    }

    @Test
    void oversizedBodyIs413WithOrWithoutAContentLength() throws Exception {
        String big = "{\"model\":\"all-minilm-l6-v2\",\"input\":\"" + "a".repeat(100_000) + "\"}";
        assertEquals("request_too_large", error(gw.post("/v1/embeddings", big), 413).path("code").asText());
        // chunked: no Content-Length, so the limit is enforced while reading
        HttpResponse<String> r = gw.http.send(HttpRequest.newBuilder(URI.create(gw.url() + "/v1/embeddings"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big.getBytes(StandardCharsets.UTF_8))))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertEquals("request_too_large", error(r, 413).path("code").asText());
    }

    @Test
    void mcpBodiesOverTheLimitAre413AndGenerateIsBoundedByTheGatewaysMaxTokens() throws Exception {
        String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}";
        // 100 kB of arguments against this gateway's 64 KiB limit: it was read only up to 1 MiB and parsed
        String big = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"embed\",\"arguments\":{\"texts\":[\""
                + "a".repeat(100_000) + "\"]}," + meta + "}}";
        HttpResponse<String> r = gw.post("/mcp", big);
        assertEquals(413, r.statusCode(), r.body());
        JsonNode e = TestGateway.JSON.readTree(r.body()).path("error");
        assertEquals(-32600, e.path("code").asInt(), r.body());
        assertTrue(e.path("message").asText().contains("at most " + 64 * 1024 + " bytes"), r.body());
        // generate's max_tokens is bounded by the gateway's own maximum (512 here), as /v1/completions is;
        // it was bounded by 4096 whatever the gateway allowed
        HttpResponse<String> g = gw.post("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"generate\","
                + "\"arguments\":{\"prompt\":\"hi\",\"max_tokens\":4000}," + meta + "}}");
        JsonNode result = TestGateway.JSON.readTree(g.body()).path("result");
        assertTrue(result.path("isError").asBoolean(), g.body());
        assertTrue(g.body().contains("'max_tokens' must be between 1 and 512, got 4000"), g.body());
    }

    @Test
    void invalidParametersNameTheField() throws Exception {
        String msgs = "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]";
        assertEquals("temperature", error(gw.post("/v1/chat/completions", "{\"model\":\"tiny\"," + msgs + ",\"temperature\":3}"), 400).path("param").asText());
        assertEquals("top_p", error(gw.post("/v1/chat/completions", "{\"model\":\"tiny\"," + msgs + ",\"top_p\":0}"), 400).path("param").asText());
        assertEquals("n", error(gw.post("/v1/chat/completions", "{\"model\":\"tiny\"," + msgs + ",\"n\":0}"), 400).path("param").asText());
        assertEquals("max_tokens", error(gw.post("/v1/chat/completions", "{\"model\":\"tiny\"," + msgs + ",\"max_tokens\":\"ten\"}"), 400).path("param").asText());
        assertEquals("max_tokens", error(gw.post("/v1/chat/completions", "{\"model\":\"tiny\"," + msgs + ",\"max_tokens\":100000}"), 400).path("param").asText());
        assertEquals("stop", error(gw.post("/v1/chat/completions", "{\"model\":\"tiny\"," + msgs + ",\"stop\":[\"a\",\"b\",\"c\",\"d\",\"e\"]}"), 400).path("param").asText());
        assertEquals("messages[0].role", error(gw.post("/v1/chat/completions",
                "{\"model\":\"tiny\",\"messages\":[{\"role\":\"wizard\",\"content\":\"hi\"}]}"), 400).path("param").asText());
        assertEquals("messages", error(gw.post("/v1/chat/completions", "{\"model\":\"tiny\",\"messages\":[]}"), 400).path("param").asText());
        assertEquals("frequency_penalty", error(gw.post("/v1/chat/completions", "{\"model\":\"tiny\"," + msgs + ",\"frequency_penalty\":1}"), 400).path("param").asText());
        assertEquals("stream_options", error(gw.post("/v1/chat/completions", "{\"model\":\"tiny\"," + msgs + ",\"stream_options\":{\"include_usage\":true}}"), 400).path("param").asText());
        assertEquals("input[1]", error(gw.post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":[\"ok\",42]}"), 400).path("param").asText());
        assertEquals("encoding_format", error(gw.post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"x\",\"encoding_format\":\"int8\"}"), 400).path("param").asText());
        assertEquals("dimensions", error(gw.post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"x\",\"dimensions\":128}"), 400).path("param").asText());
        assertEquals("ledgermind.backend", error(gw.post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":\"x\",\"ledgermind\":{\"backend\":\"network\"}}"), 400).path("param").asText());
        error(gw.get("/v1/receipts/local-doesnotexist"), 404);
        error(gw.get("/v1/nothing-here"), 404);
    }

    @Test
    void aClientThatDisconnectsMidStreamStopsTheGenerationAndLeaksNothing() throws Exception {
        int abandonedBefore = gw.gateway.api().abandonedStreams.get();
        String body = "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":400,\"temperature\":0,\"messages\":[{\"role\":\"user\",\"content\":\"go on\"}]}";
        URI u = URI.create(gw.url());
        try (Socket s = new Socket(u.getHost(), u.getPort())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: "
                    + body.getBytes(StandardCharsets.UTF_8).length + "\r\n\r\n" + body).getBytes(StandardCharsets.UTF_8));
            out.flush();
            InputStream in = s.getInputStream();
            String seen = "";
            byte[] buf = new byte[4096];
            while (!seen.contains("\"content\":\"") || seen.split("data: ").length < 4) {
                int n = in.read(buf);
                assertTrue(n > 0, "the stream ended before it was cut: " + seen);
                seen += new String(buf, 0, n, StandardCharsets.UTF_8);
            }
            assertTrue(seen.contains("text/event-stream"), seen);
        } // the client goes away after a few chunks
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while ((gw.gateway.api().activeStreams.get() != 0 || gw.gateway.api().abandonedStreams.get() == abandonedBefore)
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertEquals(0, gw.gateway.api().activeStreams.get(), "no stream left open");
        assertEquals(abandonedBefore + 1, gw.gateway.api().abandonedStreams.get(), "the stream was abandoned, not finished");
        LocalModel tiny = gw.gateway.api().models().get("tiny");
        assertFalse(tiny.lock().isLocked(), "the engine was released");
        assertEquals(0, Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith("sse-heartbeat")).count());
        // and the next request is served at once
        HttpResponse<String> r = gw.post("/v1/chat/completions", "{\"model\":\"tiny\",\"max_tokens\":2,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void aWrongApiKeyIs401() throws Exception {
        try (TestGateway locked = TestGateway.start(dir, GatewayConfig.defaults().withApiKey("s3cret"))) {
            JsonNode e = error(locked.get("/v1/models"), 401);
            assertEquals("invalid_api_key", e.path("code").asText());
            HttpResponse<String> ok = locked.http.send(HttpRequest.newBuilder(URI.create(locked.url() + "/v1/models"))
                    .header("Authorization", "Bearer s3cret").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode());
            HttpResponse<String> wrong = locked.http.send(HttpRequest.newBuilder(URI.create(locked.url() + "/v1/models"))
                    .header("Authorization", "Bearer s3cret2").GET().build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(401, wrong.statusCode());
            // a CORS preflight needs no key and names the allowed headers
            HttpResponse<String> pre = locked.http.send(HttpRequest.newBuilder(URI.create(locked.url() + "/v1/chat/completions"))
                    .header("Origin", "http://example.test").header("Access-Control-Request-Method", "POST")
                    .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(204, pre.statusCode());
            assertEquals("*", pre.headers().firstValue("Access-Control-Allow-Origin").orElse(null));
            assertTrue(pre.headers().firstValue("Access-Control-Allow-Headers").orElse("").contains("Authorization"));
        }
    }
}
