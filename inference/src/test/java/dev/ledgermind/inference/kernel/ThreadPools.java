package dev.ledgermind.inference.kernel;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The thread pools a bit-exactness test class runs its products on (1, 2 and 4 threads by default), started before
 * the class's tests and closed after them, so no test leaves threads behind:
 * <pre>
 *   &#64;RegisterExtension
 *   static final ThreadPools POOLS = new ThreadPools(1, 2, 4);
 *   ... POOLS.pools() ...
 * </pre>
 */
public final class ThreadPools implements BeforeAllCallback, AfterAllCallback {
    private final int[] threads;
    private Parallel[] pools;

    public ThreadPools(int... threads) {
        this.threads = threads.clone();
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        pools = new Parallel[threads.length];
        for (int i = 0; i < threads.length; i++) pools[i] = new Parallel(threads[i]);
    }

    @Override
    public void afterAll(ExtensionContext context) {
        for (Parallel p : pools) p.close();
        pools = null;
    }

    /** The pools, in the order of the thread counts given. */
    public Parallel[] pools() {
        if (pools == null) throw new IllegalStateException("the pools exist only while the test class runs");
        return pools;
    }
}
