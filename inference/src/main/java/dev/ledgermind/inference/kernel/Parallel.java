package dev.ledgermind.inference.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small fixed pool of threads that splits a range of independent outputs (rows, heads, positions)
 * into contiguous chunks, one per thread. The calling thread runs the first chunk itself.
 *
 * <p>Determinism: work is only ever split by output index, never inside a reduction, so each output
 * is computed by exactly the same operations whatever the thread count or chunk boundaries
 * (DESIGN.md section 3, rule 3). With one thread no pool threads exist and everything runs inline.
 */
public final class Parallel implements AutoCloseable {
    /** Body of a parallel loop: handles the outputs {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    private static final AtomicInteger POOL_ID = new AtomicInteger();
    private static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final ExecutorService pool;

    /** A pool of {@code threads} threads in all (the caller counts as one); {@code threads >= 1}. */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, found " + threads);
        this.threads = threads;
        if (threads == 1) {
            this.pool = null;
        } else {
            int id = POOL_ID.incrementAndGet();
            AtomicInteger n = new AtomicInteger();
            this.pool = Executors.newFixedThreadPool(threads - 1, r -> {
                Thread t = new Thread(r, "ledgermind-kernel-" + id + "-" + n.incrementAndGet());
                t.setDaemon(true);
                return t;
            });
        }
    }

    /** A shared one-thread instance: runs everything inline on the caller (for work already split by an outer loop). */
    public static Parallel serial() {
        return SERIAL;
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, n)} split into at most {@link #threads()} contiguous chunks whose
     * starts are multiples of {@code grain} (so that blocked kernels keep whole blocks), and waits for all.
     */
    public void forRange(int n, int grain, RangeTask task) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        int blocks = (n + grain - 1) / grain;
        int parts = Math.min(threads, blocks);
        if (parts <= 1 || pool == null) {
            task.run(0, n);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        int firstTo = 0;
        for (int p = 0; p < parts; p++) {
            int from = Math.min(n, (int) ((long) blocks * p / parts) * grain);
            int to = Math.min(n, (int) ((long) blocks * (p + 1) / parts) * grain);
            if (p == 0) {
                firstTo = to;
            } else if (from < to) {
                futures.add(pool.submit(() -> task.run(from, to)));
            }
        }
        Throwable failure = null;
        try {
            task.run(0, firstTo);
        } catch (Throwable t) {
            failure = t;
        }
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (ExecutionException e) {
                if (failure == null) failure = e.getCause();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                if (failure == null) failure = e;
            }
        }
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException("parallel kernel failed", failure);
    }

    /**
     * Runs {@code task} over {@code [0, n)} in chunks handed out on demand: chunk starts are multiples of
     * {@code grain}, there are about {@value #CHUNKS_PER_THREAD} per thread, and each thread (the caller
     * included) takes the next chunk until none is left, so a thread that the OS runs late simply takes fewer
     * chunks instead of holding up the others. A pool thread that starts after every chunk has been taken
     * does nothing, and the caller never waits for one that has not started. Which thread computes a chunk
     * changes no result: chunks are ranges of independent outputs.
     */
    public void forChunks(int n, int grain, RangeTask task) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        int blocks = (n + grain - 1) / grain;
        if (pool == null || blocks == 1) {
            task.run(0, n);
            return;
        }
        int chunkBlocks = Math.max(1, blocks / (threads * CHUNKS_PER_THREAD));
        ChunkJob job = new ChunkJob(n, grain * chunkBlocks, task);
        int helpers = Math.min(threads - 1, (blocks + chunkBlocks - 1) / chunkBlocks - 1);
        for (int i = 0; i < helpers; i++) pool.execute(job::help);
        job.work();
        job.closeAndAwaitHelpers();
        Throwable failure = job.failure.get();
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException("parallel kernel failed", failure);
    }

    /** Chunks per thread in {@link #forChunks}: enough to even out a late thread, few enough to cost nothing. */
    static final int CHUNKS_PER_THREAD = 8;

    /** One {@link #forChunks} call: the next chunk to take, and the helpers that have joined (or closed). */
    private static final class ChunkJob {
        private static final int CLOSED = 1 << 30;
        final int n, chunk;
        final RangeTask task;
        final AtomicInteger next = new AtomicInteger();
        /** Helpers inside {@link #help}, plus {@link #CLOSED} once the caller has finished its own share. */
        final AtomicInteger active = new AtomicInteger();
        final java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();

        ChunkJob(int n, int chunk, RangeTask task) {
            this.n = n;
            this.chunk = chunk;
            this.task = task;
        }

        void work() {
            try {
                for (int from = next.getAndAdd(chunk); from < n; from = next.getAndAdd(chunk)) {
                    task.run(from, Math.min(n, from + chunk));
                }
            } catch (Throwable t) {
                failure.compareAndSet(null, t);
                next.set(n); // the others stop taking chunks
            }
        }

        void help() {
            int a;
            do {
                a = active.get();
                if ((a & CLOSED) != 0) return; // started after the caller finished: nothing left to do
            } while (!active.compareAndSet(a, a + 1));
            try {
                work();
            } finally {
                active.decrementAndGet();
            }
        }

        void closeAndAwaitHelpers() {
            int a = active.getAndAdd(CLOSED);
            // Helpers still inside are running their last chunk (no chunk is left to take): wait for them.
            for (int spins = 0; (a = active.get()) != CLOSED; spins++) {
                if (spins < 1000) Thread.onSpinWait();
                else Thread.yield();
            }
        }
    }

    /** {@link #forRange(int, int, RangeTask)} with a grain of 1. */
    public void forRange(int n, RangeTask task) {
        forRange(n, 1, task);
    }

    @Override
    public void close() {
        if (pool != null) pool.shutdownNow();
    }
}
