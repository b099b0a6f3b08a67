package dev.ledgermind.inference.kernel;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;

/**
 * A small fixed pool of threads that splits a range of independent outputs (rows, heads, positions) into
 * contiguous chunks. The calling thread always takes chunks itself; pool threads join in as they arrive.
 *
 * <p>Determinism: work is only ever split by output index, never inside a reduction, so each output
 * is computed by exactly the same operations whatever the thread count, chunk boundaries or which thread
 * ran a chunk (DESIGN.md section 3, rule 3). With one thread no pool threads exist and everything runs inline.
 *
 * <h2>Hand-off</h2>
 * A decode step of a 1B model makes about 80-130 parallel calls of 0.05-1 ms each, so the cost of waking a
 * thread matters: an executor hand-off (a queue, a futex wake of a parked thread, on a virtual machine an
 * inter-processor interrupt to a halted vCPU) took tens of microseconds to milliseconds, and a helper that
 * arrived after the caller had done the work alone added nothing. So, as llama.cpp's threads do, a pool thread
 * that has finished its part of one call <em>spins</em> (reading one volatile field, {@link Thread#onSpinWait}, and
 * after {@value #BUSY_SPIN_NANOS} ns yielding between reads) for up to {@value #DEFAULT_SPIN_MICROS} microseconds ({@value #SPIN_PROPERTY}) waiting for the next call, and
 * only then parks ({@link LockSupport#park}); a parked thread is woken by the next call. The calls of one decode
 * step follow each other within microseconds, so pool threads never park inside a step, and an idle engine
 * burns at most that spin time per thread before sleeping.
 *
 * <p>The caller never waits for a pool thread that has not joined a call: it takes chunks until none is left,
 * then waits only for the threads that are still running a chunk they took. So a thread the OS runs late simply
 * takes fewer chunks (or none), and the result is the same.
 */
public final class Parallel implements AutoCloseable {
    /** Body of a parallel loop: handles the outputs {@code [from, to)}. */
    @FunctionalInterface
    public interface RangeTask {
        void run(int from, int to);
    }

    /** System property: microseconds a pool thread spins for the next call before it parks (0: park at once). */
    public static final String SPIN_PROPERTY = "ledgermind.parallel.spinMicros";
    static final long DEFAULT_SPIN_MICROS = 100;
    /**
     * The first part of the spin that only spins (the gaps between the calls of one step, a norm or a RoPE, are a
     * few microseconds); after it the thread yields between checks, so on a machine with more runnable threads than
     * cores it hands its core to them instead of burning its share (and a thread that has used little CPU is less
     * likely to be preempted in the middle of a chunk, which the caller would then wait for).
     */
    static final long BUSY_SPIN_NANOS = 50_000;
    private static final long SPIN_NANOS = spinNanos();

    private static final AtomicInteger POOL_ID = new AtomicInteger();
    private static final Parallel SERIAL = new Parallel(1);

    private final int threads;
    private final Worker[] workers;
    /** The latest call; pool threads compare it with the last one they saw. */
    private volatile Job current;
    private volatile boolean closed;

    /** A pool of {@code threads} threads in all (the caller counts as one); {@code threads >= 1}. */
    public Parallel(int threads) {
        if (threads < 1) throw new IllegalArgumentException("threads must be at least 1, found " + threads);
        this.threads = threads;
        this.workers = new Worker[threads - 1];
        int id = threads == 1 ? 0 : POOL_ID.incrementAndGet();
        for (int i = 0; i < workers.length; i++) {
            Worker w = new Worker();
            Thread t = new Thread(w, "ledgermind-kernel-" + id + "-" + (i + 1));
            t.setDaemon(true);
            w.thread = t;
            workers[i] = w;
        }
        for (Worker w : workers) w.thread.start();
    }

    /** A shared one-thread instance: runs everything inline on the caller (for work already split by an outer loop). */
    public static Parallel serial() {
        return SERIAL;
    }

    public int threads() {
        return threads;
    }

    /**
     * Runs {@code task} over {@code [0, n)} split into at most {@link #threads()} contiguous parts of nearly equal
     * size whose starts are multiples of {@code grain} (so that blocked kernels keep whole blocks), and waits for all.
     * The parts are fixed by {@code n}, {@code grain} and the thread count; which thread runs a part is not (the
     * caller runs every part no pool thread has taken).
     */
    public void forRange(int n, int grain, RangeTask task) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        int blocks = (n + grain - 1) / grain;
        int parts = Math.min(threads, blocks);
        if (parts <= 1 || closed) {
            task.run(0, n);
            return;
        }
        run(new Job(n, grain, blocks, parts, blocks, task), parts - 1);
    }

    /** {@link #forRange(int, int, RangeTask)} with a grain of 1. */
    public void forRange(int n, RangeTask task) {
        forRange(n, 1, task);
    }

    /**
     * Runs {@code task} over {@code [0, n)} in chunks whose starts are multiples of {@code grain}, and waits for all.
     * The range is cut in one contiguous region per thread; each thread takes chunks of about
     * {@code 1 / (}{@value #CHUNKS_PER_THREAD}{@code  x threads)} of the range from the front of its own region, in
     * order (one long stream of rows for the prefetchers, and the native kernel's prefetch of the next rows runs on
     * into the next chunk), and once its region is used up takes chunks from the back of the others' regions. So a
     * thread that the OS runs late simply takes fewer chunks (its region is taken by the others), the caller never
     * waits for one that has not started, and at the end no thread holds more than one short chunk. Which thread
     * computes a chunk changes no result: chunks are ranges of independent outputs.
     */
    public void forChunks(int n, int grain, RangeTask task) {
        if (n <= 0) return;
        if (grain < 1) grain = 1;
        int blocks = (n + grain - 1) / grain;
        if (threads == 1 || blocks == 1 || closed) {
            task.run(0, n);
            return;
        }
        int parts = Math.min(threads, blocks);
        int chunk = Math.max(1, blocks / (threads * CHUNKS_PER_THREAD));
        run(new Job(n, grain, blocks, parts, chunk, task), threads - 1);
    }

    /** Chunks per thread in {@link #forChunks}: enough to even out a late thread, few enough to cost nothing. */
    static final int CHUNKS_PER_THREAD = 16;

    private void run(Job job, int helpers) {
        current = job;
        for (int i = 0; i < helpers && i < workers.length; i++) {
            Worker w = workers[i];
            if (w.parked) LockSupport.unpark(w.thread);
        }
        job.work(0);
        job.closeAndAwaitHelpers();
        Throwable failure = job.failure.get();
        if (failure instanceof RuntimeException re) throw re;
        if (failure instanceof Error err) throw err;
        if (failure != null) throw new IllegalStateException("parallel kernel failed", failure);
    }

    /**
     * One call: per part (thread slot) a region of blocks still to take, {@code lo << 32 | hi}; its owner takes chunks
     * from the front, the others from the back. And the pool threads that have joined (or that the call is closed).
     */
    private static final class Job {
        private static final int CLOSED = 1 << 30;
        final int n, grain, parts, chunk;
        final AtomicLongArray regions;
        /** Pool threads inside {@link #help}, plus {@link #CLOSED} once the caller has finished its own share. */
        final AtomicInteger active = new AtomicInteger();
        /** Slots handed to pool threads as they join (the caller has slot 0). */
        final AtomicInteger slots = new AtomicInteger(1);
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        /** The body; cleared once the call is over (late pool threads never read it), so a pool keeps no buffers alive. */
        RangeTask task;

        Job(int n, int grain, int blocks, int parts, int chunk, RangeTask task) {
            this.n = n;
            this.grain = grain;
            this.parts = parts;
            this.chunk = chunk;
            this.task = task;
            this.regions = new AtomicLongArray(parts);
            for (int p = 0; p < parts; p++) {
                long lo = (long) blocks * p / parts, hi = (long) blocks * (p + 1) / parts;
                regions.set(p, lo << 32 | hi);
            }
        }

        /** Takes chunks, its own region's first (slot {@code slot}; none if {@code slot >= parts}), until none is left. */
        void work(int slot) {
            RangeTask t = task;
            try {
                if (slot < parts) {
                    for (;;) {
                        long v = regions.get(slot);
                        int lo = (int) (v >>> 32), hi = (int) v;
                        if (lo >= hi) break;
                        int to = Math.min(hi, lo + chunk);
                        if (regions.compareAndSet(slot, v, (long) to << 32 | hi)) run(t, lo, to);
                    }
                }
                for (int i = 1; i <= parts; i++) {
                    int q = (slot + i) % parts;
                    for (;;) {
                        long v = regions.get(q);
                        int lo = (int) (v >>> 32), hi = (int) v;
                        if (lo >= hi) break;
                        int from = Math.max(lo, hi - chunk);
                        if (regions.compareAndSet(q, v, (long) lo << 32 | from)) run(t, from, hi);
                    }
                }
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
                for (int p = 0; p < parts; p++) regions.set(p, 0); // the others stop taking chunks
            }
        }

        private void run(RangeTask t, int b0, int b1) {
            t.run(b0 * grain, Math.min(n, b1 * grain));
        }

        /** A pool thread's part: joins unless the caller has finished already, then takes chunks. */
        void help() {
            int a;
            do {
                a = active.get();
                if ((a & CLOSED) != 0) return; // arrived after the caller finished: nothing left to do
            } while (!active.compareAndSet(a, a + 1));
            try {
                work(slots.getAndIncrement());
            } finally {
                active.decrementAndGet();
            }
        }

        void closeAndAwaitHelpers() {
            active.getAndAdd(CLOSED);
            // Pool threads still inside are running their last chunk (none is left to take): wait for them, spinning
            // briefly, then yielding (a helper the OS has descheduled needs a core to finish).
            long deadline = 0;
            for (int spins = 0; active.get() != CLOSED; spins++) {
                if ((spins & 63) != 63) {
                    Thread.onSpinWait();
                } else if (deadline == 0) {
                    deadline = System.nanoTime() + 50_000;
                } else if (System.nanoTime() - deadline >= 0) {
                    Thread.yield();
                }
            }
            task = null;
        }
    }

    /** A pool thread: runs its part of each new call, spins a bounded time for the next, then parks. */
    private final class Worker implements Runnable {
        Thread thread;
        /** Set while parked (or about to park): a new call unparks it. */
        volatile boolean parked;

        @Override
        public void run() {
            Job seen = null;
            while (!closed) {
                Job j = current;
                if (j == seen) {
                    j = await(seen);
                    if (j == null) return;
                }
                seen = j;
                j.help();
            }
        }

        /** The next call after {@code seen}; null once the pool is closed. */
        private Job await(Job seen) {
            long deadline = 0, busyUntil = 0;
            Job j;
            for (int spins = 0; ; spins++) {
                if ((j = current) != seen) return j;
                if (closed) return null;
                if ((spins & 63) != 63) {
                    Thread.onSpinWait();
                    continue;
                }
                long now = System.nanoTime();
                if (deadline == 0) {
                    deadline = now + SPIN_NANOS;
                    busyUntil = now + BUSY_SPIN_NANOS;
                } else if (now - deadline >= 0) {
                    break;
                } else if (now - busyUntil >= 0) {
                    Thread.yield(); // past the short gaps inside a step: let a thread that needs this core run
                }
            }
            // Dekker with the caller: we publish parked, then read current; it publishes current, then reads parked.
            parked = true;
            try {
                while ((j = current) == seen) {
                    if (closed) return null;
                    LockSupport.park(this);
                }
                return j;
            } finally {
                parked = false;
            }
        }
    }

    /** Whether every pool thread is parked (tests: an idle pool sleeps). */
    boolean allParked() {
        for (Worker w : workers) {
            if (!w.parked || w.thread.getState() != Thread.State.WAITING) return false;
        }
        return true;
    }

    /** The pool threads (tests). */
    Thread[] poolThreads() {
        Thread[] t = new Thread[workers.length];
        for (int i = 0; i < t.length; i++) t[i] = workers[i].thread;
        return t;
    }

    /** Stops the pool threads (they finish the chunk they are running) and waits briefly for them; later calls run inline. */
    @Override
    public void close() {
        if (workers.length == 0 || closed) return;
        closed = true;
        for (Worker w : workers) LockSupport.unpark(w.thread);
        for (Worker w : workers) {
            if (w.thread == Thread.currentThread()) continue;
            try {
                w.thread.join(1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private static long spinNanos() {
        String s = System.getProperty(SPIN_PROPERTY);
        long micros = DEFAULT_SPIN_MICROS;
        if (s != null) {
            try {
                micros = Math.max(0, Long.parseLong(s.trim()));
            } catch (NumberFormatException e) {
                // keep the default
            }
        }
        return micros * 1000;
    }
}
