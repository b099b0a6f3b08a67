package dev.ledgermind.inference.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pool's contract: every index exactly once (grain-aligned chunks, fixed parts), from concurrent callers too; failures propagate. */
class ParallelTest {
    private static final int[] SIZES = {0, 1, 2, 7, 8, 9, 64, 1001, 2048, 8192, 128_256};

    @Test
    void chunksCoverEveryIndexExactlyOnceInGrainAlignedChunks() {
        for (int threads : new int[]{1, 2, 3, 4}) {
            try (Parallel par = new Parallel(threads)) {
                for (int grain : new int[]{1, 8, 32}) {
                    for (int n : SIZES) {
                        int[] hits = new int[n];
                        par.forChunks(n, grain, (from, to) -> {
                            assertEquals(0, from % grain, "chunk start " + from);
                            assertTrue(from < to && to <= n, from + ".." + to + " of " + n);
                            assertTrue(to == n || to % grain == 0, "chunk end " + to);
                            for (int i = from; i < to; i++) hits[i]++;
                        });
                        for (int i = 0; i < n; i++) assertEquals(1, hits[i], "index " + i + " of " + n);
                    }
                }
            }
        }
    }

    @Test
    void rangesAreTheFixedPartsWhoeverRunsThem() {
        for (int threads : new int[]{1, 2, 3, 4}) {
            try (Parallel par = new Parallel(threads)) {
                for (int grain : new int[]{1, 8}) {
                    for (int n : SIZES) {
                        if (n == 0) continue;
                        List<int[]> parts = Collections.synchronizedList(new ArrayList<>());
                        par.forRange(n, grain, (from, to) -> parts.add(new int[]{from, to}));
                        parts.sort((a, b) -> Integer.compare(a[0], b[0]));
                        int blocks = (n + grain - 1) / grain, p = Math.min(threads, blocks);
                        assertEquals(p, parts.size(), "parts of " + n);
                        for (int i = 0; i < p; i++) {
                            assertEquals(Math.min(n, (int) ((long) blocks * i / p) * grain), parts.get(i)[0]);
                            assertEquals(Math.min(n, (int) ((long) blocks * (i + 1) / p) * grain), parts.get(i)[1]);
                        }
                    }
                }
            }
        }
    }

    @Test
    void noChunkIsLostOverManyCallsAndFromConcurrentCallers() throws Exception {
        try (Parallel par = new Parallel(3)) {
            AtomicReference<Throwable> bad = new AtomicReference<>();
            Runnable caller = () -> {
                try {
                    for (int call = 0; call < 5_000; call++) {
                        int n = 1 + call % 300;
                        int[] hits = new int[n];
                        if (call % 2 == 0) {
                            par.forChunks(n, 1 + call % 5, (from, to) -> {
                                for (int i = from; i < to; i++) hits[i]++;
                            });
                        } else {
                            par.forRange(n, 1 + call % 3, (from, to) -> {
                                for (int i = from; i < to; i++) hits[i]++;
                            });
                        }
                        for (int i = 0; i < n; i++) {
                            if (hits[i] != 1) throw new AssertionError("call " + call + ": index " + i + " hit " + hits[i]);
                        }
                    }
                } catch (Throwable t) {
                    bad.compareAndSet(null, t);
                }
            };
            Thread other = new Thread(caller);
            other.start();
            caller.run();
            other.join();
            if (bad.get() != null) throw new AssertionError(bad.get());
        }
    }

    @Test
    void poolThreadsDoShareTheWork() {
        try (Parallel par = new Parallel(2)) {
            Set<Thread> seen = ConcurrentHashMap.newKeySet();
            for (int call = 0; call < 2_000 && seen.size() < 2; call++) {
                par.forChunks(64, 1, (from, to) -> {
                    seen.add(Thread.currentThread());
                    long until = System.nanoTime() + 20_000;
                    while (System.nanoTime() < until) Thread.onSpinWait();
                });
            }
            assertEquals(2, seen.size(), "the pool thread never took a chunk");
        }
    }

    @Test
    void failuresPropagateFromWhicheverThreadRanTheChunk() {
        try (Parallel par = new Parallel(2)) {
            Thread caller = Thread.currentThread();
            for (int call = 0; call < 200; call++) {
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> par.forChunks(1000, 1, (from, to) -> {
                    if (to == 1000) throw new IllegalStateException("boom at " + from);
                }));
                assertTrue(e.getMessage().startsWith("boom"), e.getMessage());
                assertThrows(AssertionError.class, () -> par.forRange(100, 1, (from, to) -> {
                    if (from > 0) throw new AssertionError("part " + from);
                }));
            }
            // a failure on a pool thread (not the caller) reaches the caller too
            AtomicInteger onPool = new AtomicInteger();
            for (int call = 0; call < 2_000 && onPool.get() == 0; call++) {
                try {
                    par.forChunks(64, 1, (from, to) -> {
                        long until = System.nanoTime() + 20_000;
                        while (System.nanoTime() < until) Thread.onSpinWait();
                        if (Thread.currentThread() != caller) throw new IllegalArgumentException("pool " + from);
                    });
                } catch (IllegalArgumentException e) {
                    assertTrue(e.getMessage().startsWith("pool"));
                    onPool.incrementAndGet();
                }
            }
            assertEquals(1, onPool.get(), "no chunk failed on a pool thread");
            // and the pool still works after failures
            int[] hits = new int[5000];
            par.forChunks(5000, 8, (from, to) -> {
                for (int i = from; i < to; i++) hits[i]++;
            });
            for (int h : hits) assertEquals(1, h);
        }
    }

    @Test
    void nestedCallsFinish() {
        try (Parallel par = new Parallel(2)) {
            int[] hits = new int[64 * 100];
            par.forChunks(64, 1, (from, to) -> {
                for (int i = from; i < to; i++) {
                    int base = i * 100;
                    par.forChunks(100, 1, (a, b) -> {
                        for (int j = a; j < b; j++) hits[base + j]++;
                    });
                }
            });
            for (int h : hits) assertEquals(1, h);
        }
    }

    @Test
    void serialPoolHasNoThreads() {
        assertEquals(1, Parallel.serial().threads());
        assertThrows(IllegalArgumentException.class, () -> new Parallel(0));
    }
}
