package dev.ledgermind.node.client;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.ledgermind.chain.batch.BatchItem;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.web3j.utils.Numeric;

/**
 * A requester's side of an off-chain batch's data availability (issue 13; docs/DESIGN.md 6.4): serves each published
 * batch's items at {@code /batch-items/<request root>} (what {@code submitBatchRoot}'s locator names), as
 * {@code submitBatch} takes them, for the seats to fetch ({@code node/batch/OffchainItems}). The request root is
 * known before the batch is submitted, so the locator is too. Published items are kept until {@link #withdraw} or
 * until more than {@code maxBytes} are held (the oldest batches go first: serve a batch at least until its commit
 * deadline).
 */
public final class BatchItemServer implements AutoCloseable {
    public static final String PATH = "/batch-items/";

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final String publicUrl;
    private final long maxBytes;
    /** Request root (0x hex) -> the items' bytes, oldest first. */
    private final LinkedHashMap<String, byte[]> batches = new LinkedHashMap<>();
    private long held;

    /**
     * Binds {@code host:port} (port 0: any free one) and starts serving.
     *
     * @param publicUrl the base URL the nodes reach this server at (null: http://host:boundPort)
     */
    public BatchItemServer(String host, int port, String publicUrl, long maxBytes) throws IOException {
        this.maxBytes = maxBytes;
        this.server = HttpServer.create(new InetSocketAddress(host, port), 0);
        this.publicUrl = publicUrl != null ? publicUrl.replaceAll("/+$", "") : "http://" + host + ":" + server.getAddress().getPort();
        server.setExecutor(executor);
        server.createContext(PATH, this::serve);
        server.start();
    }

    /** On loopback, any free port, 256 MiB held at most. */
    public static BatchItemServer onLoopback() throws IOException {
        return new BatchItemServer("127.0.0.1", 0, null, 256L << 20);
    }

    /** Serves {@code items} from now on; returns their locator (the URL that names their request root). */
    public String publish(List<BatchItem> items) {
        for (BatchItem it : items) {
            if (!it.isInline()) throw new IllegalArgumentException("an off-chain batch is served with every input inline");
        }
        String root = Numeric.toHexString(BatchItem.requestRoot(items));
        byte[] bytes = BatchItem.encodeAll(items);
        if (bytes.length > maxBytes) throw new IllegalArgumentException("a batch of " + bytes.length + " bytes exceeds this server's " + maxBytes);
        synchronized (batches) {
            byte[] old = batches.put(root, bytes);
            held += bytes.length - (old == null ? 0 : old.length);
            var it = batches.entrySet().iterator();
            while (held > maxBytes && it.hasNext()) {
                Map.Entry<String, byte[]> e = it.next();
                if (e.getKey().equals(root)) continue;
                held -= e.getValue().length;
                it.remove();
            }
        }
        return publicUrl + PATH + root;
    }

    /** Stops serving the batch with this request root (its seats can no longer fetch it). */
    public void withdraw(byte[] requestRoot) {
        synchronized (batches) {
            byte[] old = batches.remove(Numeric.toHexString(requestRoot));
            if (old != null) held -= old.length;
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void serve(HttpExchange ex) throws IOException {
        try (ex) {
            if (!"GET".equals(ex.getRequestMethod())) {
                send(ex, 405, "text/plain", "only GET is served here".getBytes(StandardCharsets.UTF_8));
                return;
            }
            String root = ex.getRequestURI().getPath().substring(PATH.length()).toLowerCase();
            byte[] bytes;
            synchronized (batches) {
                bytes = batches.get(root);
            }
            if (bytes == null) {
                send(ex, 404, "text/plain", ("no batch with request root " + root + " is served here").getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(ex, 200, "application/octet-stream", bytes);
        }
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** Stops serving (idempotent: a requester may stop before the try-with-resources that opened it ends). */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) return;
        server.stop(0);
        executor.shutdownNow();
    }

    private final java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
}
