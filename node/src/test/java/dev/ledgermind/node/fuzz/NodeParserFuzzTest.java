package dev.ledgermind.node.fuzz;

import dev.ledgermind.inference.fuzz.FuzzCampaign;
import dev.ledgermind.inference.fuzz.FuzzTarget;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Coverage-guided fuzzing of the node's parsers of outside input: task input JSON from the chain and the
 * node config file. As the inference module's ParserFuzzTest: the seed corpus (with every past finding)
 * replays in-process, then Jazzer fuzzes each target for a bounded time in a child JVM.
 */
class NodeParserFuzzTest {
    static final Path MODULE = Path.of("").toAbsolutePath();

    static List<FuzzTarget> targets() {
        return List.of(
                new FuzzTarget("task-input", TaskInputFuzzer.class, 2048),
                new FuzzTarget("node-config", NodeConfigFuzzer.class, 2048));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void everySeedAndEveryPastFindingParsesOrFailsWithItsFormatError(FuzzTarget target) throws Throwable {
        List<Path> seeds = target.seedFiles(MODULE);
        assertFalse(seeds.isEmpty(), "no seeds for " + target.name());
        for (Path seed : seeds) {
            try {
                target.runOnce(Files.readAllBytes(seed));
            } catch (Throwable t) {
                throw new AssertionError(target.name() + " crashes on " + MODULE.relativize(seed) + ": " + t, t);
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targets")
    void coverageGuidedFuzzingFindsNoCrashHangOrOutOfMemory(FuzzTarget target) throws Exception {
        assumeTrue(FuzzCampaign.selected(target), "not selected by ledgermind.fuzz.targets");
        FuzzCampaign.Result r = FuzzCampaign.run(target, MODULE);
        Path summary = MODULE.resolve("target/fuzz/summary.txt");
        Files.createDirectories(summary.getParent());
        Files.writeString(summary, Instant.now() + " " + r + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.println(r);
        assertTrue(r.clean(), () -> r + "\n" + tail(r));
        assertTrue(r.runs() > 0, () -> "the fuzzer ran no input: " + r + "\n" + tail(r));
    }

    static String tail(FuzzCampaign.Result r) {
        try {
            return FuzzCampaign.tail(r);
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }
}
