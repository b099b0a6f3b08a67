package dev.ledgermind.node.feed;

import java.math.BigInteger;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The tokens a node is generating, by task, for readers that want them before the task is final (the
 * gateway's streamed answers). A preview only: what counts is the result the chain accepts, so a reader
 * compares the preview with the final output. Readers may arrive before the node has started the task
 * (they wait) or after it finished (they get the whole list); the last {@code retain} tasks are kept.
 * Thread-safe: the worker writes, any number of HTTP threads read.
 */
public final class TokenFeed {
    /** What a reader gets: tokens from index {@code from}, and whether the generation ended after them. */
    public record Slice(int[] tokens, boolean ended, boolean failed) {}

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final Map<BigInteger, Progress> tasks;

    private static final class Progress {
        int[] tokens = new int[16];
        int size;
        boolean ended;
        boolean failed;
    }

    public TokenFeed(int retain) {
        if (retain < 1) throw new IllegalArgumentException("retain must be at least 1, got " + retain);
        this.tasks = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<BigInteger, Progress> eldest) {
                return size() > retain;
            }
        };
    }

    /** The node starts generating for {@code taskId} (a restart of the same task starts over). */
    public void begin(BigInteger taskId) {
        lock.lock();
        try {
            tasks.put(taskId, new Progress());
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** One more generated token of {@code taskId}; ignored when the task was not begun. */
    public void token(BigInteger taskId, int token) {
        lock.lock();
        try {
            Progress e = tasks.get(taskId);
            if (e == null || e.ended) return;
            if (e.size == e.tokens.length) e.tokens = Arrays.copyOf(e.tokens, e.size * 2);
            e.tokens[e.size++] = token;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The generation of {@code taskId} ended ({@code failed}: with an error output, not a token list). */
    public void end(BigInteger taskId, boolean failed) {
        lock.lock();
        try {
            Progress e = tasks.get(taskId);
            if (e == null) return;
            e.ended = true;
            e.failed = failed;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Whether the node has begun {@code taskId} (and still retains it). */
    public boolean knows(BigInteger taskId) {
        lock.lock();
        try {
            return tasks.containsKey(taskId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * The tokens of {@code taskId} from index {@code from}, waiting up to {@code wait} for at least one new
     * token or the end; {@code null} when the task was not begun within the wait.
     */
    public Slice read(BigInteger taskId, int from, Duration wait) throws InterruptedException {
        long nanos = wait.toNanos();
        lock.lock();
        try {
            while (true) {
                Progress e = tasks.get(taskId);
                if (e != null && (e.size > from || e.ended)) {
                    int start = Math.min(from, e.size);
                    return new Slice(Arrays.copyOfRange(e.tokens, start, e.size), e.ended, e.failed);
                }
                if (nanos <= 0) return e == null ? null : new Slice(new int[0], false, false);
                nanos = changed.awaitNanos(nanos);
            }
        } finally {
            lock.unlock();
        }
    }
}
