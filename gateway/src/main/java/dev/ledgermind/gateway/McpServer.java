package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledgermind.node.task.TaskInput;
import io.javalin.http.Context;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The gateway as an MCP server over streamable HTTP ({@code POST /mcp}), stateless: it never mints a
 * session, every POST is answered on its own with a JSON response, and there is no server-to-client
 * stream ({@code GET /mcp} is 405). Its tools are Ledgermind's verified operations, and every result
 * carries its receipt: embed, similarity, classify, generate, verify_receipt.
 *
 * <p>Two protocol generations are served on the same endpoint. Clients of the 2025 revisions send
 * {@code initialize} first; the answer echoes their version when it is one of {@link #LEGACY}. The
 * stateless 2026-07-28 revision has no handshake: each request names its version in
 * {@code params._meta["io.modelcontextprotocol/protocolVersion"]}, {@code server/discover} describes the
 * server, and results carry {@code resultType: "complete"}.
 *
 * <p>Written by hand rather than on the MCP Java SDK's server: the SDK's servlet transports need a
 * servlet container wiring of their own beside Javalin's, and its 2.1.0 server has no
 * {@code server/discover} and no per-request {@code _meta} versioning, which is the revision that
 * OpenAI's hosted client speaks. The SDK's client is what the tests drive it with.
 */
final class McpServer {
    static final String STATELESS = "2026-07-28";
    static final List<String> LEGACY = List.of("2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05");
    private static final String META_VERSION = "io.modelcontextprotocol/protocolVersion";

    private final OpenAiApi api;
    private final ObjectMapper json;

    McpServer(OpenAiApi api, ObjectMapper json) {
        this.api = api;
        this.json = json;
    }

    void get(Context ctx) {
        ctx.status(405).header("Allow", "POST").result("");
    }

    void delete(Context ctx) {
        ctx.status(405).header("Allow", "POST").result("");
    }

    void post(Context ctx) {
        JsonNode msg;
        long max = api.maxBodyBytes();
        try {
            long declared = ctx.req().getContentLengthLong();
            byte[] bytes = declared > max ? null : ctx.req().getInputStream().readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
            if (bytes == null || bytes.length > max) {
                // an HTTP 413 as for the OpenAI routes; the body says the same in JSON-RPC terms
                ctx.status(413);
                reply(ctx, error(null, -32600, "invalid request: the body is " + (bytes == null ? declared + " bytes" : "more than " + max + " bytes")
                        + "; this gateway accepts at most " + max + " bytes", null));
                return;
            }
            msg = json.readTree(bytes);
        } catch (Exception e) {
            reply(ctx, error(null, -32700, "parse error: " + e.getMessage(), null));
            return;
        }
        if (msg == null || !msg.isObject()) {
            reply(ctx, error(null, -32600, "invalid request: expected one JSON-RPC object (batches are not supported)", null));
            return;
        }
        JsonNode id = msg.get("id");
        String method = msg.path("method").asText(null);
        if (method == null) {
            ctx.status(202).result(""); // a response or notification from the client: nothing to answer
            return;
        }
        if (id == null || id.isNull()) {
            ctx.status(202).result(""); // notifications/initialized, notifications/cancelled, ...
            return;
        }
        JsonNode params = msg.path("params");
        String version = params.path("_meta").path(META_VERSION).asText(null);
        if (version == null) {
            String header = ctx.header("MCP-Protocol-Version");
            if (STATELESS.equals(header)) version = header;
        }
        if (version != null && !version.equals(STATELESS) && !LEGACY.contains(version)) {
            ObjectNode data = json.createObjectNode();
            data.putArray("supported").add(STATELESS);
            LEGACY.forEach(data.withArray("supported")::add);
            data.put("requested", version);
            ctx.status(400);
            reply(ctx, error(id, -32602, "unsupported protocol version " + version, data));
            return;
        }
        boolean stateless = STATELESS.equals(version);
        ObjectNode result;
        try {
            result = switch (method) {
                case "initialize" -> initialize(params);
                case "server/discover" -> discover();
                case "ping" -> json.createObjectNode();
                case "tools/list" -> toolsList();
                case "tools/call" -> toolsCall(params);
                case "resources/list" -> json.createObjectNode().set("resources", json.createArrayNode());
                case "prompts/list" -> json.createObjectNode().set("prompts", json.createArrayNode());
                default -> null;
            };
        } catch (ApiError | IllegalArgumentException e) {
            reply(ctx, error(id, -32602, e.getMessage(), null));
            return;
        } catch (RuntimeException e) {
            reply(ctx, error(id, -32603, "internal error: " + e, null));
            return;
        }
        if (result == null) {
            reply(ctx, error(id, -32601, "method not found: " + method, null));
            return;
        }
        if (stateless) result.put("resultType", "complete");
        ObjectNode response = json.createObjectNode().put("jsonrpc", "2.0");
        response.set("id", id);
        response.set("result", result);
        reply(ctx, response);
    }

    private void reply(Context ctx, ObjectNode body) {
        ctx.contentType("application/json").result(body.toString());
    }

    private ObjectNode error(JsonNode id, int code, String message, JsonNode data) {
        ObjectNode r = json.createObjectNode().put("jsonrpc", "2.0");
        r.set("id", id);
        ObjectNode e = r.putObject("error").put("code", code).put("message", message);
        if (data != null) e.set("data", data);
        return r;
    }

    private ObjectNode serverInfo() {
        return json.createObjectNode().put("name", "ledgermind-gateway").put("version", "0.1.0");
    }

    private ObjectNode capabilities() {
        ObjectNode c = json.createObjectNode();
        c.putObject("tools").put("listChanged", false);
        return c;
    }

    private static final String INSTRUCTIONS = "Ledgermind's verified AI operations. Every result carries a receipt "
            + "(result hash, trace root, and for the network backend the task id, the nodes' verdicts and the transactions); "
            + "pass a receipt's id to verify_receipt to check it.";

    private ObjectNode initialize(JsonNode params) {
        String asked = params.path("protocolVersion").asText("");
        ObjectNode r = json.createObjectNode().put("protocolVersion", LEGACY.contains(asked) ? asked : LEGACY.getFirst());
        r.set("capabilities", capabilities());
        r.set("serverInfo", serverInfo());
        r.put("instructions", INSTRUCTIONS);
        return r;
    }

    private ObjectNode discover() {
        ObjectNode r = json.createObjectNode();
        ArrayNode versions = r.putArray("supportedVersions").add(STATELESS);
        LEGACY.forEach(versions::add);
        r.set("capabilities", capabilities());
        r.set("serverInfo", serverInfo());
        r.put("instructions", INSTRUCTIONS);
        return r;
    }

    private ObjectNode toolsList() {
        ObjectNode r = json.createObjectNode();
        ArrayNode tools = r.putArray("tools");
        tool(tools, "embed", "Embed texts with an encoder on the deterministic engine; returns unit vectors and a receipt.",
                props(prop("texts", "array", "the texts to embed").set("items", json.createObjectNode().put("type", "string"))), "texts");
        tool(tools, "similarity", "Cosine similarity of two texts' embeddings, with a receipt.",
                props(prop("a", "string", "the first text"), prop("b", "string", "the second text")), "a", "b");
        tool(tools, "classify", "Zero-shot classification of a text among candidate labels by embedding similarity, with a receipt.",
                props(prop("text", "string", "the text to classify"),
                        prop("labels", "array", "two or more candidate labels").set("items", json.createObjectNode().put("type", "string"))),
                "text", "labels");
        tool(tools, "generate", "Generate text from a prompt with a GGUF decoder (seeded, deterministic), with a receipt.",
                props(prop("prompt", "string", "the prompt"), prop("max_tokens", "integer", "most tokens to generate (default 32)"),
                        prop("temperature", "number", "0 is greedy (default 0)"), prop("seed", "integer", "sampling seed (default 42)")),
                "prompt");
        tool(tools, "verify_receipt", "Verify a receipt: recompute the answer locally, and for a network receipt check it against the chain.",
                props(prop("id", "string", "the receipt id, e.g. task-7 or local-...")), "id");
        return r;
    }

    private void tool(ArrayNode tools, String name, String description, ObjectNode properties, String... required) {
        ObjectNode t = tools.addObject().put("name", name).put("description", description);
        ObjectNode schema = t.putObject("inputSchema").put("type", "object");
        if (!name.equals("verify_receipt")) {
            properties.set("model", prop("model", "string", "the model name (default: the first loaded model of the right kind)").get("model"));
            properties.set("backend", prop("backend", "string", "local or network (default: the gateway's)").get("backend"));
        }
        schema.set("properties", properties);
        ArrayNode req = schema.putArray("required");
        for (String r : required) req.add(r);
    }

    private ObjectNode props(ObjectNode... ps) {
        ObjectNode o = json.createObjectNode();
        for (ObjectNode p : ps) o.setAll(p);
        return o;
    }

    private ObjectNode prop(String name, String type, String description) {
        ObjectNode o = json.createObjectNode();
        o.putObject(name).put("type", type).put("description", description);
        return o;
    }

    private ObjectNode toolsCall(JsonNode params) {
        String name = params.path("name").asText("");
        JsonNode args = params.path("arguments");
        if (args.isMissingNode() || args.isNull()) args = json.createObjectNode();
        try {
            Map<String, Object> structured = switch (name) {
                case "embed", "similarity", "classify", "generate" -> {
                    OpenAiApi.TaskAnswer a = api.task(input(name, args), backend(args));
                    Map<String, Object> m = new java.util.LinkedHashMap<>(a.answer());
                    m.put("receipt", a.receipt());
                    yield m;
                }
                case "verify_receipt" -> api.verify(text(args, "id"));
                default -> throw ApiError.invalid("name", "unknown tool '" + name + "'; the tools are embed, similarity, classify, generate, verify_receipt");
            };
            return toolResult(json.valueToTree(structured), false);
        } catch (ApiError e) {
            if ("name".equals(e.param)) throw e; // an unknown tool is a protocol error
            return toolResult(json.createObjectNode().put("error", e.getMessage()), true); // tool errors go back to the model
        } catch (IllegalArgumentException e) {
            return toolResult(json.createObjectNode().put("error", e.getMessage()), true);
        }
    }

    private ObjectNode toolResult(JsonNode structured, boolean isError) {
        ObjectNode r = json.createObjectNode();
        r.putArray("content").addObject().put("type", "text").put("text", structured.toString());
        r.set("structuredContent", structured);
        r.put("isError", isError);
        return r;
    }

    private GatewayConfig.Backend backend(JsonNode args) {
        return args.hasNonNull("backend") ? GatewayConfig.Backend.parse(args.get("backend").asText(), "backend") : api.defaultBackend();
    }

    private TaskInput input(String tool, JsonNode a) {
        boolean decoder = tool.equals("generate");
        String model = a.hasNonNull("model") ? a.get("model").asText() : api.defaultModel(decoder);
        return switch (tool) {
            case "embed" -> TaskInput.embed(model, strings(a, "texts"));
            case "similarity" -> TaskInput.similarity(model, text(a, "a"), text(a, "b"));
            case "classify" -> TaskInput.classify(model, text(a, "text"), strings(a, "labels"));
            case "generate" -> TaskInput.generate(model, text(a, "prompt"), (int) JsonFields.integer(a, "max_tokens", Math.min(32, api.maxTokens()), 1, api.maxTokens()),
                    (float) JsonFields.number(a, "temperature", 0, 0, 2), JsonFields.integer(a, "seed", 42, Long.MIN_VALUE, Long.MAX_VALUE));
            default -> throw new IllegalStateException(tool);
        };
    }

    private static String text(JsonNode a, String field) {
        return JsonFields.string(a, field, field);
    }

    private static List<String> strings(JsonNode a, String field) {
        JsonNode n = a.get(field);
        if (n == null || !n.isArray()) throw ApiError.invalid(field, "'" + field + "' must be an array of strings");
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n.size(); i++) {
            if (!n.get(i).isTextual()) throw ApiError.invalid(field + "[" + i + "]", "'" + field + "[" + i + "]' must be a string");
            out.add(n.get(i).asText());
        }
        return out;
    }
}
