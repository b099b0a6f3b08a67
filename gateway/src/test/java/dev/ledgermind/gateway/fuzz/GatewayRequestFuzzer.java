package dev.ledgermind.gateway.fuzz;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.gateway.Gateway;
import dev.ledgermind.gateway.GatewayConfig;
import dev.ledgermind.gateway.LocalModel;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.llama.SyntheticModel;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Fuzz target: arbitrary bytes as the JSON body of the gateway's POST endpoints, sent over real HTTP (loopback,
 * an ephemeral port) to a real {@link Gateway} in this JVM, so that each input goes through everything the
 * gateway does with a body: Jetty and Javalin, the size limit, Jackson, the request records' validation, the
 * backend choice, the model lookup, the chat template, tokenization, and for a valid request the generation and
 * its receipt. The model is a tiny llama3-family GGUF with random weights (the project's writer); the gateway
 * is configured for at most 2 new tokens, so that a valid request costs milliseconds. No encoder is loaded:
 * embedding requests are parsed and validated up to the model lookup ({@code tiny} is a decoder, any other name
 * is unknown), and the encoder's compute is not what this target is about.
 *
 * <p>The first byte picks the endpoint (bits 0-1: chat completions, completions, embeddings, MCP) and the
 * {@code Ledgermind-Backend} header (bits 2-3: none, {@code local}, {@code network}, a bad value); the rest is
 * the body. A finding is:
 * <ul>
 *   <li>any 5xx, or a connection the gateway broke;</li>
 *   <li>a 4xx whose body is not OpenAI's error shape ({@code {"error": {"message", "type", "param", "code"}}},
 *       message, type and code strings, param a string or null), or that does not say what was wrong: a
 *       {@code param} (the JSON path of the field), or for an error about the body as a whole the line and
 *       column of a syntax error, the size limit, or what the body was instead of an object;</li>
 *   <li>a 200 that is not a completion (a JSON object with {@code choices}, or an event stream whose events are
 *       JSON and whose errors are not server errors);</li>
 *   <li>on {@code /mcp}: a JSON-RPC internal error (-32603), an answer that is not JSON-RPC, or a tool error
 *       that is a server error.</li>
 * </ul>
 */
public final class GatewayRequestFuzzer {
    static final String[] PATHS = {"/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/mcp"};
    private static final String[] BACKENDS = {null, "local", "network", "satellite"};
    private static final ObjectMapper JSON = new ObjectMapper();
    /** An error about the body as a whole names where it broke, or what it was instead. */
    private static final Pattern WHOLE_BODY = Pattern.compile("line \\d+, column \\d+|request body is (empty|more than|\\d+ bytes)"
            + "|request body must be a JSON object, got|request body is not valid (JSON|UTF-8)");
    private static Gateway gateway;
    private static HttpClient http;
    private static String url;
    /** How long one answer may take: long while the warm-up loads (and Jazzer instruments) the engine, then less than libFuzzer's -timeout. */
    private static Duration answerTimeout = Duration.ofMinutes(5);

    private GatewayRequestFuzzer() {
    }

    public static synchronized void fuzzerInitialize() {
        if (gateway != null) return;
        try {
            Path dir = Files.createTempDirectory("gateway-fuzz");
            Path gguf = dir.resolve("tiny.gguf");
            SyntheticModel.write(gguf, "llama3", SyntheticModel.TINY, GgmlType.Q8_0, 7);
            LocalModel tiny = LocalModel.load(gguf.toString());
            Files.delete(gguf);
            Files.delete(dir);
            GatewayConfig config = GatewayConfig.defaults().withMaxTokens(2).withMaxBodyBytes(16 * 1024).withCorsOrigins(List.of())
                    .withRequestTimeout(Duration.ofSeconds(10));
            gateway = Gateway.start(config, List.of(tiny), null);
            Runtime.getRuntime().addShutdownHook(new Thread(gateway::close));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write the tiny model: " + e, e);
        }
        http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        url = gateway.url();
        // warm up every endpoint once (class loading, instrumentation) before inputs are timed
        fuzzerTestOneInput(bytes(0, "{\"model\":\"tiny\",\"messages\":[{\"role\":\"user\",\"content\":\"Hi\"}],\"max_tokens\":1}"));
        fuzzerTestOneInput(bytes(1, "{\"model\":\"tiny\",\"prompt\":\"Hi\",\"max_tokens\":1,\"stream\":true}"));
        fuzzerTestOneInput(bytes(2, "{\"model\":\"tiny\",\"input\":[\"a\"]}"));
        fuzzerTestOneInput(bytes(3, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"generate\",\"arguments\":{\"prompt\":\"Hi\",\"max_tokens\":1}}}"));
        answerTimeout = Duration.ofSeconds(15);
    }

    static byte[] bytes(int selector, String body) {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[b.length + 1];
        out[0] = (byte) selector;
        System.arraycopy(b, 0, out, 1, b.length);
        return out;
    }

    public static void fuzzerTestOneInput(byte[] input) {
        if (input.length == 0) return;
        String path = PATHS[input[0] & 3];
        String backend = BACKENDS[(input[0] >> 2) & 3];
        byte[] body = Arrays.copyOfRange(input, 1, input.length);
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url + path)).timeout(answerTimeout)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (path.equals("/mcp")) req.header("Accept", "application/json, text/event-stream");
        if (backend != null) req.header("Ledgermind-Backend", backend);
        HttpResponse<String> r;
        try {
            r = http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("POST " + path + ": the gateway broke the connection: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        check(path, r.statusCode(), r.headers().firstValue("Content-Type").orElse(""), r.body());
    }

    /** The checks of the class comment, on one answer. */
    static void check(String path, int status, String contentType, String body) {
        String where = "POST " + path + " answered " + status + ": " + abbreviate(body);
        if (status >= 500) throw new AssertionError("server error: " + where);
        if (path.equals("/mcp")) {
            checkMcp(status, body, where);
            return;
        }
        if (status >= 400) {
            checkError(json(body, where), where);
            return;
        }
        if (status != 200) throw new AssertionError("unexpected status: " + where);
        if (contentType.startsWith("text/event-stream")) {
            for (String line : body.split("\n")) {
                if (!line.startsWith("data: ") || line.equals("data: [DONE]")) continue;
                JsonNode event = json(line.substring(6), where);
                if (event.has("error")) {
                    if (event.path("error").path("type").asText().equals("server_error")) throw new AssertionError("server error in a stream: " + where);
                    checkError(event, where);
                } else if (!event.path("choices").isArray()) {
                    throw new AssertionError("stream event without choices: " + where);
                }
            }
        } else if (!json(body, where).path("choices").isArray()) {
            throw new AssertionError("200 without choices: " + where);
        }
    }

    private static void checkError(JsonNode doc, String where) {
        JsonNode e = doc.path("error");
        if (!e.isObject() || !e.path("message").isTextual() || !e.path("type").isTextual() || !e.path("code").isTextual()
                || !e.has("param") || !(e.get("param").isNull() || e.get("param").isTextual())) {
            throw new AssertionError("not OpenAI's error shape: " + where);
        }
        String message = e.path("message").asText();
        if (message.isBlank()) throw new AssertionError("empty error message: " + where);
        boolean named = e.get("param").isTextual() && !e.get("param").asText().isBlank();
        if (!named && !WHOLE_BODY.matcher(message).find()) throw new AssertionError("error names no field (param is null): " + where);
    }

    private static void checkMcp(int status, String body, String where) {
        if (status == 202) {
            if (!body.isEmpty()) throw new AssertionError("202 with a body: " + where);
            return;
        }
        if (status != 200 && status != 400) throw new AssertionError("unexpected status: " + where);
        JsonNode r = json(body, where);
        if (!"2.0".equals(r.path("jsonrpc").asText()) || !r.has("id")) throw new AssertionError("not a JSON-RPC response: " + where);
        if (r.has("error")) {
            JsonNode e = r.get("error");
            if (!e.path("code").isInt() || !e.path("message").isTextual() || e.path("message").asText().isBlank()) {
                throw new AssertionError("not a JSON-RPC error: " + where);
            }
            if (e.path("code").asInt() == -32603) throw new AssertionError("JSON-RPC internal error: " + where);
            return;
        }
        if (!r.path("result").isObject()) throw new AssertionError("JSON-RPC response without result or error: " + where);
        JsonNode structured = r.path("result").path("structuredContent");
        if (r.path("result").path("isError").asBoolean(false) && structured.path("error").asText().startsWith("internal error")) {
            throw new AssertionError("tool failed with an internal error: " + where);
        }
    }

    private static JsonNode json(String text, String where) {
        try {
            JsonNode n = JSON.readTree(text);
            if (n == null || !n.isObject()) throw new AssertionError("answer is not a JSON object: " + where);
            return n;
        } catch (IOException e) {
            throw new AssertionError("answer is not JSON (" + e.getMessage() + "): " + where, e);
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 600 ? s : s.substring(0, 600) + "... (" + s.length() + " chars)";
    }
}
