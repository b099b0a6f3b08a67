package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledgermind.chain.events.RegisteredModel;
import dev.ledgermind.inference.chat.ChatMessage;
import dev.ledgermind.inference.chat.ChatTemplate;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.task.EncoderTasks;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.ReceiptDocument;
import dev.ledgermind.node.client.ReceiptVerification;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import io.javalin.http.Context;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The OpenAI-compatible endpoints. Every answer carries its receipts in an extension field that
 * clients ignore, {@code "ledgermind": {"receipts": [...]}}, and their ids in the {@code Ledgermind-Receipt}
 * response header (comma-separated, one per choice).
 */
final class OpenAiApi {
    static final String RECEIPT_HEADER = "Ledgermind-Receipt";
    static final String BACKEND_HEADER = "Ledgermind-Backend";
    private static final Logger log = LoggerFactory.getLogger(OpenAiApi.class);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final GatewayConfig config;
    private final Map<String, LocalModel> models;
    private final NetworkBackend network;
    private final ReceiptStore receipts;
    private final GatewayMetrics metrics;
    private final ObjectMapper json;
    /** Streams being written now; a test checks that a client's disconnect brings it back to 0. */
    final java.util.concurrent.atomic.AtomicInteger activeStreams = new java.util.concurrent.atomic.AtomicInteger();
    /** Streams ended early because the client went away. */
    final java.util.concurrent.atomic.AtomicInteger abandonedStreams = new java.util.concurrent.atomic.AtomicInteger();

    OpenAiApi(GatewayConfig config, Map<String, LocalModel> models, NetworkBackend network, ReceiptStore receipts,
              GatewayMetrics metrics, ObjectMapper json) {
        this.config = config;
        this.models = models;
        this.network = network;
        this.receipts = receipts;
        this.metrics = metrics;
        this.json = json;
    }

    Map<String, LocalModel> models() {
        return models;
    }

    // ------------------------------------------------------------------ models

    void listModels(Context ctx) {
        ObjectNode out = json.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        Map<String, RegisteredModel> onChain = new LinkedHashMap<>();
        if (network != null) {
            for (RegisteredModel m : network.models()) onChain.put(m.name().toLowerCase(), m);
        }
        for (LocalModel m : models.values()) {
            ObjectNode e = model(data, m.name());
            ObjectNode lm = e.putObject("ledgermind");
            lm.put("kind", m instanceof LocalModel.Decoder ? "decoder" : "encoder");
            lm.put("modelHash", m.contentHash());
            ArrayNode backends = lm.putArray("backends").add("local");
            RegisteredModel chain = onChain.remove(m.name().toLowerCase());
            if (chain != null) {
                backends.add("network");
                lm.put("modelId", chain.id());
            }
        }
        for (RegisteredModel m : onChain.values()) {
            ObjectNode lm = model(data, m.name()).putObject("ledgermind");
            lm.put("modelId", m.id());
            lm.put("modelHash", dev.ledgermind.node.client.ModelDirectory.contentHash(m));
            lm.putArray("backends").add("network");
        }
        ctx.json(out.toString());
    }

    private static ObjectNode model(ArrayNode data, String id) {
        return data.addObject().put("id", id).put("object", "model").put("created", 0).put("owned_by", "ledgermind");
    }

    // ------------------------------------------------------------------ embeddings

    void embeddings(Context ctx) {
        JsonNode body = Http.body(ctx, config.maxBodyBytes(), json);
        EmbeddingRequest req = EmbeddingRequest.parse(body);
        GatewayConfig.Backend backend = backend(ctx, body);
        TaskInput input;
        float[][] vectors;
        int promptTokens;
        Map<String, Object> receipt;
        if (backend == GatewayConfig.Backend.LOCAL) {
            LocalModel.Encoder enc = encoder(req.model());
            checkDimensions(req, enc.model().dimensions());
            input = TaskInput.embed(enc.name(), req.input());
            EncoderTasks.EmbedResult r = enc.exclusive(config.requestTimeout(), () -> {
                long t0 = System.nanoTime();
                EncoderTasks.EmbedResult e = EncoderTasks.embed(enc.model(), req.input(), KernelConfig.defaults(), enc.parallel());
                metrics.engine(enc.name(), System.nanoTime() - t0);
                return e;
            });
            vectors = r.vectors();
            promptTokens = java.util.Arrays.stream(r.tokens()).sum();
            LocalTask task = new LocalTask(input);
            String id = ReceiptDocs.localId(enc, task);
            receipt = ReceiptDocs.local(id, enc, task, r.commitment().resultHash(), r.commitment().traceRoot().bytes());
            receipts.put(new ReceiptStore.Local(id, enc.name(), task, receipt));
        } else {
            NetworkBackend net = requireNetwork();
            String name = net.resolve(req.model()).name();
            input = TaskInput.embed(name, req.input());
            BigInteger taskId = net.submit(input).taskId();
            Receipt r = net.await(taskId, line -> { });
            vectors = embeddingsOf(r);
            if (vectors.length != req.input().size()) {
                throw new ApiError(502, "server_error", "bad_output", null, "task " + taskId + " returned " + vectors.length
                        + " vectors for " + req.input().size() + " texts");
            }
            checkDimensions(req, vectors[0].length);
            LocalModel local = models.get(name.toLowerCase());
            promptTokens = local instanceof LocalModel.Encoder e
                    ? e.exclusive(config.requestTimeout(), () -> req.input().stream().mapToInt(t -> e.model().tokenize(t).length).sum()) : 0;
            receipt = net.document(r);
            receipts.noteNetwork((String) receipt.get("id"), receipt);
        }
        metrics.embedded(req.input().size(), backend.name().toLowerCase());
        metrics.receiptIssued(backend.name().toLowerCase());
        ObjectNode out = json.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        for (int i = 0; i < vectors.length; i++) {
            ObjectNode e = data.addObject().put("object", "embedding").put("index", i);
            if (req.base64()) {
                ByteBuffer b = ByteBuffer.allocate(4 * vectors[i].length).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : vectors[i]) b.putFloat(f);
                e.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode v = e.putArray("embedding");
                for (float f : vectors[i]) v.add(f);
            }
        }
        out.put("model", input.model());
        out.putObject("usage").put("prompt_tokens", promptTokens).put("total_tokens", promptTokens);
        out.set("ledgermind", json.createObjectNode().set("receipts", json.createArrayNode().add(json.valueToTree(receipt))));
        ctx.header(RECEIPT_HEADER, (String) receipt.get("id"));
        ctx.json(out.toString());
    }

    private static void checkDimensions(EmbeddingRequest req, int dims) {
        if (req.dimensions() != null && req.dimensions() != dims) {
            throw ApiError.unsupported("dimensions", "model " + req.model() + " gives " + dims + "-dimensional embeddings; 'dimensions' "
                    + req.dimensions() + " would need a truncation that the receipt does not cover");
        }
    }

    private static float[][] embeddingsOf(Receipt r) {
        ByteBuffer b = ByteBuffer.wrap(r.output()).order(ByteOrder.LITTLE_ENDIAN);
        if (r.output().length < 8) {
            throw new ApiError(502, "server_error", "bad_output", null, "task " + r.taskId() + " settled without embeddings: "
                    + new String(r.output(), java.nio.charset.StandardCharsets.UTF_8));
        }
        int n = b.getInt(), dim = b.getInt();
        if (8 + 4L * n * dim != r.output().length) {
            throw new ApiError(502, "server_error", "bad_output", null, "task " + r.taskId() + " output is not " + n + " x " + dim + " floats");
        }
        float[][] v = new float[n][dim];
        for (float[] row : v) for (int j = 0; j < dim; j++) row[j] = b.getFloat();
        return v;
    }

    // ------------------------------------------------------------------ completions

    void chatCompletions(Context ctx) {
        completions(ctx, true);
    }

    void textCompletions(Context ctx) {
        completions(ctx, false);
    }

    private void completions(Context ctx, boolean chat) {
        JsonNode body = Http.body(ctx, config.maxBodyBytes(), json);
        ChatRequest req = ChatRequest.parse(body, chat);
        GatewayConfig.Backend backend = backend(ctx, body);
        LocalModel.Decoder model = decoder(req.model(), backend);
        String promptText = chat ? ChatTemplate.forModel(model.model()).promptText(req.messages(), true) : req.prompt();
        // tokenize holding the model, like generation: the engine promises no thread safety beyond its runners
        int[] promptTokens = model.exclusive(config.requestTimeout(), () -> model.generator().promptTokens(promptText));
        int context = model.model().config().contextLength();
        if (promptTokens.length >= context) {
            throw new ApiError(400, "invalid_request_error", "context_length_exceeded", chat ? "messages" : "prompt",
                    "the prompt is " + promptTokens.length + " tokens; model " + model.name() + " has a context of " + context);
        }
        if (req.maxTokens() != null && req.maxTokens() > config.maxTokens()) {
            throw ApiError.invalid(body.has("max_completion_tokens") ? "max_completion_tokens" : "max_tokens",
                    "at most " + config.maxTokens() + " tokens may be asked for, got " + req.maxTokens());
        }
        int maxTokens = Math.min(req.maxTokens() == null ? config.maxTokens() : req.maxTokens(), context - promptTokens.length);
        List<GenerationJob> jobs = new ArrayList<>();
        for (int i = 0; i < req.n(); i++) {
            TaskInput in = TaskInput.generate(model.name(), promptText, maxTokens, req.temperature(), req.seed() + i, req.topP());
            if (backend == GatewayConfig.Backend.LOCAL) {
                jobs.add(new GenerationJob.Local(model, new LocalTask(in), promptTokens, req.stop(), config.requestTimeout(),
                        receipts, metrics));
            } else {
                NetworkBackend net = requireNetwork();
                net.resolve(model.name());
                jobs.add(new GenerationJob.Network(model, net, net.submit(in), req.stream(), promptTokens.length, req.stop(), receipts, metrics));
            }
        }
        ctx.header(RECEIPT_HEADER, String.join(",", jobs.stream().map(GenerationJob::receiptId).toList()));
        String id = (chat ? "chatcmpl-" : "cmpl-") + HexFormat.of().formatHex(RANDOM.generateSeed(12));
        long created = System.currentTimeMillis() / 1000;
        String b = backend.name().toLowerCase();
        if (req.stream()) stream(ctx, chat, req, jobs, id, created, model.name(), b);
        else answer(ctx, chat, jobs, id, created, model.name(), b);
    }

    private void answer(Context ctx, boolean chat, List<GenerationJob> jobs, String id, long created, String model, String backend) {
        ObjectNode out = header(id, chat ? "chat.completion" : "text_completion", created, model);
        ArrayNode choices = out.putArray("choices");
        ArrayNode receiptDocs = json.createArrayNode();
        int prompt = 0, completion = 0;
        for (int i = 0; i < jobs.size(); i++) {
            GenerationJob.Outcome o = jobs.get(i).run(s -> { }, s -> { });
            ObjectNode c = choices.addObject().put("index", i);
            if (chat) {
                c.putObject("message").put("role", "assistant").put("content", o.text()).putNull("refusal");
            } else {
                c.put("text", o.text());
            }
            c.putNull("logprobs");
            c.put("finish_reason", o.finishReason());
            prompt = o.promptTokens();
            completion += o.completionTokens();
            receiptDocs.add(json.valueToTree(o.receipt()));
            metrics.receiptIssued(backend);
        }
        out.set("usage", usage(prompt, completion));
        out.set("ledgermind", json.createObjectNode().set("receipts", receiptDocs));
        ctx.json(out.toString());
    }

    private void stream(Context ctx, boolean chat, ChatRequest req, List<GenerationJob> jobs, String id, long created, String model,
                        String backend) {
        ctx.status(200);
        ctx.contentType("text/event-stream; charset=utf-8");
        ctx.header("Cache-Control", "no-cache");
        ctx.header("X-Accel-Buffering", "no");
        String object = chat ? "chat.completion.chunk" : "text_completion";
        ArrayNode receiptDocs = json.createArrayNode();
        int prompt = 0, completion = 0;
        SseStream sse;
        try {
            sse = new SseStream(ctx.res().getOutputStream(), config.heartbeat());
        } catch (IOException e) {
            throw new SseStream.ClientGone(e);
        }
        activeStreams.incrementAndGet();
        try (sse) {
            try {
                for (int i = 0; i < jobs.size(); i++) {
                    final int index = i;
                    if (chat) sse.event(chunk(id, object, created, model, req, index, delta("role", "assistant").put("content", ""), null).toString());
                    GenerationJob.Outcome o = jobs.get(i).run(
                            text -> sse.event(chunk(id, object, created, model, req, index,
                                    chat ? delta("content", text) : json.createObjectNode().put("text", text), null).toString()),
                            sse::comment);
                    ObjectNode last = chunk(id, object, created, model, req, index, chat ? json.createObjectNode() : json.createObjectNode().put("text", ""),
                            o.finishReason());
                    last.set("ledgermind", json.createObjectNode().set("receipts", json.createArrayNode().add(json.valueToTree(o.receipt()))));
                    sse.event(last.toString());
                    receiptDocs.add(json.valueToTree(o.receipt()));
                    metrics.receiptIssued(backend);
                    prompt = o.promptTokens();
                    completion += o.completionTokens();
                }
                if (req.includeUsage()) {
                    // OpenAI's usage chunk: the only chunk with an empty choices array, sent only when asked for.
                    ObjectNode u = header(id, object, created, model);
                    u.putArray("choices");
                    u.set("usage", usage(prompt, completion));
                    u.set("ledgermind", json.createObjectNode().set("receipts", receiptDocs));
                    sse.event(u.toString());
                }
                sse.done();
            } catch (ApiError e) {
                if (!sse.gone()) {
                    sse.event(json.valueToTree(e.body()).toString());
                    sse.done();
                }
            }
        } catch (SseStream.ClientGone e) {
            log.info("client closed stream {} before the end; generation stopped", id);
            abandonedStreams.incrementAndGet();
            ctx.status(499);
        } finally {
            activeStreams.decrementAndGet();
        }
    }

    private ObjectNode delta(String field, String value) {
        return json.createObjectNode().put(field, value);
    }

    private ObjectNode header(String id, String object, long created, String model) {
        return json.createObjectNode().put("id", id).put("object", object).put("created", created).put("model", model)
                .put("system_fingerprint", "ledgermind");
    }

    /** One streamed chunk; its choices array always holds the one choice it is about. */
    private ObjectNode chunk(String id, String object, long created, String model, ChatRequest req, int index, ObjectNode delta,
                             String finish) {
        ObjectNode c = header(id, object, created, model);
        ObjectNode choice = c.putArray("choices").addObject().put("index", index);
        if (object.equals("chat.completion.chunk")) choice.set("delta", delta);
        else choice.put("text", delta.path("text").asText(""));
        choice.putNull("logprobs");
        if (finish == null) choice.putNull("finish_reason");
        else choice.put("finish_reason", finish);
        if (req.includeUsage()) c.putNull("usage");
        return c;
    }

    private ObjectNode usage(int prompt, int completion) {
        return json.createObjectNode().put("prompt_tokens", prompt).put("completion_tokens", completion)
                .put("total_tokens", prompt + completion);
    }

    // ------------------------------------------------------------------ receipts

    /** The newest receipts this gateway issued, newest first ({@code ?limit=N}, at most 100). */
    void listReceipts(Context ctx) {
        int limit;
        try {
            limit = ctx.queryParam("limit") == null ? 20 : Integer.parseInt(ctx.queryParam("limit"));
        } catch (NumberFormatException e) {
            throw ApiError.invalid("limit", "'limit' must be an integer, got '" + ctx.queryParam("limit") + "'");
        }
        if (limit < 1 || limit > 100) throw ApiError.invalid("limit", "'limit' must be between 1 and 100, got " + limit);
        ObjectNode out = json.createObjectNode().put("object", "list");
        ArrayNode data = out.putArray("data");
        for (ReceiptStore.Local r : receipts.recent(limit)) data.add(json.valueToTree(r.document()));
        ctx.json(out.toString());
    }

    void getReceipt(Context ctx) {
        String id = ctx.pathParam("id");
        ctx.json(json.valueToTree(receipt(id)).toString());
    }

    Map<String, Object> receipt(String id) {
        Optional<ReceiptStore.Local> local = receipts.local(id);
        if (local.isPresent()) return local.get().document();
        Optional<BigInteger> task = ReceiptStore.taskId(id);
        if (task.isPresent() && network != null) return network.document(network.receipt(task.get()));
        throw ApiError.notFound("no receipt '" + id + "' on this gateway" + (task.isPresent() ? " (it has no network)" : ""));
    }

    void verifyReceipt(Context ctx) {
        ctx.json(json.valueToTree(verify(ctx.pathParam("id"))).toString());
    }

    /** Verifies a receipt: a local one by recomputing it with the node's own task runner; a network one against the chain too. */
    Map<String, Object> verify(String id) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("id", id);
        Optional<ReceiptStore.Local> local = receipts.local(id);
        Optional<BigInteger> task = ReceiptStore.taskId(id);
        List<ReceiptVerification.Check> checks = new ArrayList<>();
        if (local.isPresent()) {
            ReceiptStore.Local r = local.get();
            LocalModel m = models.get(r.model().toLowerCase());
            TaskResult again = m.exclusive(config.requestTimeout(), () -> recompute(m, r.task()));
            String inputHash = dev.ledgermind.inference.trace.Keccak256.hex(dev.ledgermind.inference.trace.Keccak256.hash(r.task().bytes()));
            checks.add(new ReceiptVerification.Check("input hash matches the recorded task", inputHash.equals(r.document().get("inputHash")), inputHash));
            checks.add(new ReceiptVerification.Check("model hash matches the model loaded here", m.contentHash().equals(r.document().get("modelHash")), m.contentHash()));
            String rh = dev.ledgermind.inference.trace.Keccak256.hex(again.resultHash());
            String tr = dev.ledgermind.inference.trace.Keccak256.hex(again.traceRoot());
            checks.add(new ReceiptVerification.Check("local recomputation gives the same result hash", rh.equals(r.document().get("resultHash")), rh));
            checks.add(new ReceiptVerification.Check("local recomputation gives the same trace root", tr.equals(r.document().get("traceRoot")), tr));
            doc.put("backend", "local");
        } else if (task.isPresent() && network != null) {
            ReceiptVerification v = network.verify(task.get(), name -> {
                LocalModel m = models.get(name.toLowerCase());
                if (m == null) throw new ApiError(409, "invalid_request_error", "model_not_loaded", null,
                        "model " + name + " is not loaded on this gateway, so the answer cannot be recomputed here");
                return m;
            }, config.requestTimeout());
            checks.addAll(v.checks());
            doc.put("backend", "network");
            doc.put("taskId", task.get());
        } else {
            throw ApiError.notFound("no receipt '" + id + "' on this gateway");
        }
        boolean ok = new ReceiptVerification(task.orElse(null), checks).verified();
        doc.put("verified", ok);
        doc.put("checks", ReceiptDocument.of(new ReceiptVerification(task.orElse(null), checks)).get("checks"));
        metrics.receiptVerified(ok);
        return doc;
    }

    /** The node's task runner recomputes what the gateway answered (top-p included: it is part of the task input). */
    private static TaskResult recompute(LocalModel m, LocalTask task) {
        return m.runner().run(task.input());
    }

    // ------------------------------------------------------------------ node tasks (MCP tools)

    /** A task answered and its receipt: what an MCP tool returns. */
    record TaskAnswer(Map<String, Object> answer, Map<String, Object> receipt) {}

    /**
     * Runs a node task (embed, similarity, classify, generate) on the chosen backend with the node's own task
     * runner, so the local answer is bit for bit what a node would commit to.
     */
    TaskAnswer task(TaskInput input, GatewayConfig.Backend backend) {
        byte[] output;
        Map<String, Object> receipt;
        if (backend == GatewayConfig.Backend.LOCAL) {
            LocalModel m = models.get(input.model().toLowerCase());
            if (m == null) throw ApiError.unknownModel(input.model(), models.values().stream().map(LocalModel::name).toList());
            TaskResult r = m.exclusive(config.requestTimeout(), () -> m.runner().run(input));
            output = r.output();
            LocalTask task = new LocalTask(input);
            String id = ReceiptDocs.localId(m, task);
            receipt = ReceiptDocs.local(id, m, task, r.resultHash(), r.traceRoot());
            receipts.put(new ReceiptStore.Local(id, m.name(), task, receipt));
        } else {
            NetworkBackend net = requireNetwork();
            Receipt r = net.await(net.submit(input).taskId(), line -> { });
            output = r.output();
            receipt = net.document(r);
            receipts.noteNetwork((String) receipt.get("id"), receipt);
        }
        metrics.receiptIssued(backend.name().toLowerCase());
        Map<String, Object> answer = new LinkedHashMap<>(dev.ledgermind.node.task.TaskOutput.describe(input, output));
        if (answer.containsKey("error")) throw ApiError.invalid(null, "the engine refused the task: " + answer.get("error"));
        if (answer.get("tokens") instanceof List<?> list && models.get(input.model().toLowerCase()) instanceof LocalModel.Decoder d) {
            int[] tokens = list.stream().mapToInt(o -> (Integer) o).toArray();
            answer.put("text", d.model().tokenizer().decode(java.util.Arrays.stream(tokens)
                    .filter(t -> !d.model().tokenizer().isEndOfGeneration(t)).toArray()));
        }
        return new TaskAnswer(answer, receipt);
    }

    /** The first loaded model of a kind: the default for a tool call that names none. */
    String defaultModel(boolean decoder) {
        for (LocalModel m : models.values()) if ((m instanceof LocalModel.Decoder) == decoder) return m.name();
        throw ApiError.invalid("model", "no " + (decoder ? "GGUF decoder" : "encoder") + " is loaded on this gateway; name a model");
    }

    GatewayConfig.Backend defaultBackend() {
        return config.backend();
    }

    /** The largest request body this gateway reads (larger ones get 413). */
    long maxBodyBytes() {
        return config.maxBodyBytes();
    }

    /** The most tokens a completion, or an MCP generate call, may ask for. */
    int maxTokens() {
        return config.maxTokens();
    }

    // ------------------------------------------------------------------ helpers

    GatewayConfig.Backend backend(Context ctx, JsonNode body) {
        String h = ctx.header(BACKEND_HEADER);
        GatewayConfig.Backend b = config.backend();
        if (h != null && !h.isBlank()) b = GatewayConfig.Backend.parse(h.trim(), BACKEND_HEADER);
        JsonNode f = body.path("ledgermind").path("backend");
        if (f.isTextual()) b = GatewayConfig.Backend.parse(f.asText(), "ledgermind.backend");
        if (b == GatewayConfig.Backend.NETWORK) requireNetwork();
        return b;
    }

    NetworkBackend requireNetwork() {
        if (network == null) {
            throw ApiError.invalid("ledgermind.backend", "this gateway is not connected to a network; start it with --network (or `ledgermind devnet`)");
        }
        return network;
    }

    LocalModel.Encoder encoder(String name) {
        LocalModel m = models.get(name.toLowerCase());
        if (m == null) throw ApiError.unknownModel(name, models.values().stream().map(LocalModel::name).toList());
        if (!(m instanceof LocalModel.Encoder e)) throw ApiError.invalid("model", "model " + name + " is a decoder; /v1/embeddings needs an encoder");
        return e;
    }

    /** The decoder for a completion. The network backend needs it here too: its tokenizer renders the chat template and decodes the answer. */
    LocalModel.Decoder decoder(String name, GatewayConfig.Backend backend) {
        LocalModel m = models.get(name.toLowerCase());
        if (m == null) {
            if (backend == GatewayConfig.Backend.NETWORK) {
                requireNetwork().resolve(name);
                throw ApiError.invalid("model", "model " + name + " is registered on the network but not loaded on this gateway, whose copy of its "
                        + "tokenizer renders the chat template and decodes the tokens; start the gateway with --model FILE.gguf");
            }
            throw ApiError.unknownModel(name, models.values().stream().map(LocalModel::name).toList());
        }
        if (!(m instanceof LocalModel.Decoder d)) throw ApiError.invalid("model", "model " + name + " is an encoder; completions need a GGUF decoder");
        return d;
    }
}
