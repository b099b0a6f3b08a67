package dev.ledgermind.gateway;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * A server-sent-events response: {@code data: JSON} events, and an SSE comment ({@code : ...}) as a
 * heartbeat whenever nothing was written for the heartbeat interval — during a long CPU prefill, or while
 * the network settles a task — so that proxies and clients with read timeouts keep the stream open.
 *
 * <p>A write that fails means the client went away: the stream is then {@linkplain #gone() gone} and every
 * later write throws {@link ClientGone}, which the producer lets unwind (a generation aborts at its next
 * token). The heartbeat runs on its own virtual thread and ends with {@link #close()}.
 */
final class SseStream implements AutoCloseable {
    /** The client disconnected; the producer stops. */
    static final class ClientGone extends RuntimeException {
        ClientGone(Throwable cause) {
            super("the client closed the stream", cause);
        }
    }

    private final OutputStream out;
    private final Thread heartbeat;
    private volatile boolean gone;
    private volatile boolean closed;
    private volatile long lastWrite = System.nanoTime();

    SseStream(OutputStream out, Duration interval) {
        this.out = out;
        long nanos = interval.toNanos();
        this.heartbeat = Thread.ofVirtual().name("sse-heartbeat").start(() -> {
            try {
                while (!gone && !closed) {
                    Thread.sleep(Math.max(1, interval.toMillis() / 4));
                    if (System.nanoTime() - lastWrite >= nanos) comment("heartbeat");
                }
            } catch (InterruptedException | ClientGone e) {
                // closed, or the client went away
            }
        });
    }

    void event(String json) {
        write("data: " + json + "\n\n");
    }

    void comment(String text) {
        write(": " + text.replace('\n', ' ') + "\n\n");
    }

    void done() {
        write("data: [DONE]\n\n");
    }

    boolean gone() {
        return gone;
    }

    private synchronized void write(String s) {
        if (gone) throw new ClientGone(null);
        try {
            out.write(s.getBytes(StandardCharsets.UTF_8));
            out.flush();
            lastWrite = System.nanoTime();
        } catch (IOException e) {
            gone = true;
            throw new ClientGone(e);
        }
    }

    @Override
    public void close() {
        closed = true;
        heartbeat.interrupt();
        try {
            heartbeat.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
