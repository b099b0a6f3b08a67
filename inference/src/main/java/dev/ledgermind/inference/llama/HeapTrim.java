package dev.ledgermind.inference.llama;

/**
 * Keeps the heap from growing run after run. A sequence's big arrays (its KV cache, batch buffers, a replay's
 * logits) live for the whole run, so the young collections promote them, and they become garbage in the old
 * generation when the run ends. The serial collector (the launcher's choice, for its small footprint) expands the
 * old generation to take more promotions rather than collect it, and collects it only when the heap reaches its
 * maximum (a quarter of RAM by default): measured, 12 decoder runs in one process grew the heap to 429 MB with no
 * full collection, +552 MiB of resident memory over the file size (docs/performance.md, 2026-12-03).
 *
 * <p>So before a new sequence allocates, {@link #beforeNewSequence} asks for a full collection when the heap in use
 * has grown past twice what the last one left live (and past a floor, {@value #DEFAULT_FLOOR_MB} MB by default, so
 * that small runs never pay for one). A full collection of the live set (the vocabulary and the model's tables, some
 * tens of MB) takes tens of milliseconds, against seconds for a run; the serial collector then shrinks the heap and
 * returns the memory. {@code -Dledgermind.heap.trimMb=N} sets the floor; 0 turns this off.
 */
final class HeapTrim {
    static final int DEFAULT_FLOOR_MB = 96;
    private static final long FLOOR = Long.getLong("ledgermind.heap.trimMb", DEFAULT_FLOOR_MB) * 1024 * 1024;
    private static long liveAfterLast;

    private HeapTrim() {
    }

    /** Called before a sequence allocates its arrays; collects first if the heap has grown (see the class). */
    static synchronized void beforeNewSequence() {
        if (FLOOR <= 0) return;
        Runtime rt = Runtime.getRuntime();
        long used = rt.totalMemory() - rt.freeMemory();
        if (used < FLOOR || used < 2 * liveAfterLast) return;
        System.gc();
        liveAfterLast = rt.totalMemory() - rt.freeMemory();
    }
}
