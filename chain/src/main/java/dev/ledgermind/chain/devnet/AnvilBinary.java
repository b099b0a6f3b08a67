package dev.ledgermind.chain.devnet;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Finds the anvil binary that contracts/package-lock.json pins. In order: the system property
 * {@code ledgermind.anvil}, the environment variable {@code LEDGERMIND_ANVIL}, then
 * {@code contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil} under {@code ledgermind.home}
 * and under the working directory and its parents.
 */
public final class AnvilBinary {
    static final String RELATIVE = "contracts/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil";

    private AnvilBinary() {}

    public static Path locate() {
        List<Path> looked = new ArrayList<>();
        String explicit = System.getProperty("ledgermind.anvil", System.getenv("LEDGERMIND_ANVIL"));
        if (explicit != null && !explicit.isBlank()) {
            Path p = Path.of(explicit);
            if (Files.isRegularFile(p)) return p;
            throw new DevnetException("anvil binary not found at " + p
                    + " (set by -Dledgermind.anvil or LEDGERMIND_ANVIL)");
        }
        List<Path> roots = new ArrayList<>();
        String home = System.getProperty("ledgermind.home");
        if (home != null) roots.add(Path.of(home));
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) roots.add(dir);
        for (Path root : roots) {
            Path candidate = root.resolve(RELATIVE);
            looked.add(candidate);
            if (Files.isRegularFile(candidate)) return candidate;
        }
        throw new DevnetException("anvil binary not found; looked in " + looked
                + ". Build once with ./mvnw verify (it runs `npm ci` in contracts/),"
                + " or point -Dledgermind.anvil / LEDGERMIND_ANVIL at an anvil 1.7.x binary.");
    }
}
