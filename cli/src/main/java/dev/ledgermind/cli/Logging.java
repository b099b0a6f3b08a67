package dev.ledgermind.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.slf4j.LoggerFactory;

/** Sets the log level from the number of {@code -v} flags: none is WARN, one INFO, two or more DEBUG. */
final class Logging {
    private static volatile int level;

    private Logging() {}

    static void verbosity(int count) {
        level = count;
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(count <= 0 ? Level.WARN : count == 1 ? Level.INFO : Level.DEBUG);
    }

    static int level() {
        return level;
    }
}
