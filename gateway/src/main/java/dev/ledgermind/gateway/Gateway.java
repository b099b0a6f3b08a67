package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.node.client.NetworkConnection;
import io.javalin.Javalin;
import io.javalin.http.Context;
import io.javalin.http.HandlerType;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.ServerConnector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Ledgermind gateway: an OpenAI-compatible HTTP API whose every answer carries a receipt, an MCP
 * server on {@code /mcp}, and Prometheus metrics on {@code /metrics}.
 *
 * <p>It runs on Javalin (Jetty 11) with one virtual thread per request: a request that waits for an
 * engine, or for the chain to settle a task, holds no platform thread, and a stream is a plain blocking
 * write loop. Around every route: CORS, the optional bearer key, and errors in OpenAI's shape.
 */
public final class Gateway implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Gateway.class);

    private final GatewayConfig config;
    private final Map<String, LocalModel> models = new LinkedHashMap<>();
    private final NetworkBackend network;
    private final GatewayMetrics metrics = new GatewayMetrics();
    private final Javalin app;
    private final OpenAiApi api;
    private final McpServer mcp;
    private final Explorer explorer;
    private final ObjectMapper json;

    private Gateway(GatewayConfig config, List<LocalModel> localModels, NetworkConnection connection) {
        this.config = config;
        for (LocalModel m : localModels) models.put(m.name().toLowerCase(), m);
        this.network = connection == null ? null
                : new NetworkBackend(connection, config.redundancy(), config.feeWei(), config.requestTimeout());
        this.json = new ObjectMapper();
        ReceiptStore receipts = new ReceiptStore(10_000);
        this.api = new OpenAiApi(config, models, network, receipts, metrics, json);
        this.mcp = new McpServer(api, json);
        this.explorer = new Explorer(network, json);
        this.app = Javalin.create(c -> {
            // -Dledgermind.gateway.virtualThreads=false serves requests on Jetty's platform thread pool instead (for comparison)
            c.useVirtualThreads = Boolean.parseBoolean(System.getProperty("ledgermind.gateway.virtualThreads", "true"));
            c.showJavalinBanner = false;
            c.http.maxRequestSize = config.maxBodyBytes();
            c.startupWatcherEnabled = false;
        });
        routes();
    }

    /** Starts a gateway over these local models and, when {@code network} is not null, that network. It owns both from now on. */
    public static Gateway start(GatewayConfig config, List<LocalModel> models, NetworkConnection network) {
        Gateway g = new Gateway(config, models, network);
        g.app.start(config.host(), config.port());
        for (Connector c : g.app.jettyServer().server().getConnectors()) {
            if (c instanceof ServerConnector sc) sc.setIdleTimeout(config.idleTimeout().toMillis());
        }
        log.info("gateway listening on {}", g.url());
        return g;
    }

    /** The HTTP handlers, for tests in this package. */
    OpenAiApi api() {
        return api;
    }

    public int port() {
        return app.port();
    }

    public String url() {
        return "http://" + (config.host().contains(":") ? "[" + config.host() + "]" : config.host()) + ":" + port();
    }

    private void routes() {
        app.before(ctx -> {
            ctx.attribute("t0", System.nanoTime());
            cors(ctx);
            if (ctx.method() == HandlerType.OPTIONS) return;
            String path = ctx.path();
            if (config.apiKey() != null && (path.startsWith("/v1/") || path.equals("/mcp") || path.equals("/metrics"))) authorize(ctx);
        });
        app.options("/*", ctx -> ctx.status(204));
        app.get("/health", ctx -> ctx.json("{\"status\":\"ok\"}"));
        app.get("/v1/models", api::listModels);
        app.post("/v1/embeddings", api::embeddings);
        app.post("/v1/chat/completions", api::chatCompletions);
        app.post("/v1/completions", api::textCompletions);
        app.get("/v1/receipts", api::listReceipts);
        app.get("/v1/receipts/{id}", api::getReceipt);
        app.post("/v1/receipts/{id}/verify", api::verifyReceipt);
        app.post("/mcp", mcp::post);
        app.get("/mcp", mcp::get);
        app.delete("/mcp", mcp::delete);
        app.get("/", ctx -> ctx.redirect("/explorer"));
        app.get("/explorer", explorer::page);
        app.get("/explorer/api/network", explorer::networkInfo);
        app.get("/explorer/api/nodes", explorer::nodes);
        app.get("/explorer/api/tasks", explorer::tasks);
        app.get("/metrics", ctx -> ctx.contentType("text/plain; version=0.0.4; charset=utf-8").result(metrics.scrape()));
        app.exception(ApiError.class, (e, ctx) -> error(ctx, e));
        app.exception(IllegalArgumentException.class, (e, ctx) -> error(ctx, ApiError.invalid(null, e.getMessage())));
        app.exception(Exception.class, (e, ctx) -> {
            log.warn("{} {} failed", ctx.method(), ctx.path(), e);
            error(ctx, new ApiError(500, "server_error", "internal_error", null, "internal error: " + e));
        });
        app.error(404, ctx -> {
            if (ctx.result() == null || !ctx.result().startsWith("{\"error\"")) {
                error(ctx, ApiError.notFound("no route " + ctx.method() + " " + ctx.path()));
            }
        });
        app.error(405, ctx -> error(ctx, new ApiError(405, "invalid_request_error", "method_not_allowed", null,
                ctx.method() + " is not allowed on " + ctx.path())));
        app.after(ctx -> {
            Long t0 = ctx.attribute("t0");
            String endpoint = ctx.endpointHandlerPath();
            if (t0 != null) metrics.request(endpoint.equals("*") ? "unmatched" : endpoint, ctx.statusCode(), Duration.ofNanos(System.nanoTime() - t0));
        });
    }

    private void cors(Context ctx) {
        if (config.corsOrigins().isEmpty()) return;
        String origin = ctx.header("Origin");
        if (origin == null) return;
        boolean any = config.corsOrigins().contains("*");
        if (!any && !config.corsOrigins().contains(origin)) return;
        ctx.header("Access-Control-Allow-Origin", any ? "*" : origin);
        if (!any) ctx.header("Vary", "Origin");
        ctx.header("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS");
        ctx.header("Access-Control-Allow-Headers", "Authorization, Content-Type, Ledgermind-Backend, Mcp-Session-Id, Mcp-Protocol-Version, Last-Event-ID");
        ctx.header("Access-Control-Expose-Headers", OpenAiApi.RECEIPT_HEADER + ", Mcp-Session-Id");
        ctx.header("Access-Control-Max-Age", "600");
    }

    private void authorize(Context ctx) {
        String h = ctx.header("Authorization");
        String given = h != null && h.regionMatches(true, 0, "Bearer ", 0, 7) ? h.substring(7).trim() : "";
        if (!MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), config.apiKey().getBytes(StandardCharsets.UTF_8))) {
            ctx.header("WWW-Authenticate", "Bearer");
            throw new ApiError(401, "invalid_request_error", "invalid_api_key", null,
                    h == null ? "no API key: send Authorization: Bearer KEY" : "incorrect API key");
        }
    }

    private void error(Context ctx, ApiError e) {
        ctx.status(e.status);
        ctx.contentType("application/json");
        try {
            ctx.result(json.writeValueAsString(e.body()));
        } catch (Exception x) {
            ctx.result("{\"error\":{\"message\":\"error\",\"type\":\"server_error\",\"param\":null,\"code\":null}}");
        }
    }

    @Override
    public void close() {
        app.stop();
        for (LocalModel m : models.values()) m.close();
        if (network != null) network.close();
    }
}
