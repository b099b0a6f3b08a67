package dev.ledgermind.chain;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

import java.util.function.Supplier;

/**
 * One {@link ChainFixture} per test class: started before its first test, reset to the fixture's snapshot
 * before each test, closed (anvil stopped by PID) after the last. Register it as a static field:
 * {@code @RegisterExtension static final SharedChain chain = new SharedChain(() -> f = new ChainFixture(3));}
 */
final class SharedChain implements BeforeAllCallback, BeforeEachCallback, AfterAllCallback {
    private final Supplier<ChainFixture> start;
    private ChainFixture fixture;

    SharedChain(Supplier<ChainFixture> start) {
        this.start = start;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        fixture = start.get();
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        fixture.reset();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        if (fixture != null) fixture.close();
    }
}
