package dev.ledgermind.gateway.fuzz;

import dev.ledgermind.inference.fuzz.FuzzCampaign;
import dev.ledgermind.inference.fuzz.FuzzTarget;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Coverage-guided fuzzing of the gateway's request bodies ({@link GatewayRequestFuzzer}): as the inference
 * module's ParserFuzzTest, the seed corpus (with every past finding) replays in this JVM, then Jazzer fuzzes
 * the target for a bounded time in a child JVM ({@code ledgermind.fuzz.*} properties; docs/reliability.md).
 */
class GatewayFuzzTest {
    static final Path MODULE = Path.of("").toAbsolutePath();
    /** The engine runs uninstrumented: what is fuzzed is the gateway's handling of a body, not the kernels. */
    static final FuzzTarget TARGET = new FuzzTarget("gateway-request", GatewayRequestFuzzer.class, 2048,
            String.join(":", "dev.ledgermind.inference.kernel.**", "dev.ledgermind.inference.llama.**", "dev.ledgermind.inference.tensor.**",
                    "dev.ledgermind.inference.trace.**", "dev.ledgermind.inference.gguf.**", "dev.ledgermind.inference.encoder.**",
                    "dev.ledgermind.inference.onnx.**", "dev.ledgermind.chain.**"));

    @Test
    void everySeedAndEveryPastFindingIsAnsweredWithoutAServerErrorAndWithANamedClientError() throws Throwable {
        List<Path> seeds = TARGET.seedFiles(MODULE);
        assertTrue(seeds.size() >= 10, "seeds for " + TARGET.name() + ": " + seeds.size());
        for (Path seed : seeds) {
            try {
                TARGET.runOnce(Files.readAllBytes(seed));
            } catch (Throwable t) {
                throw new AssertionError(TARGET.name() + " fails on " + MODULE.relativize(seed) + ": " + t, t);
            }
        }
    }

    @Test
    void coverageGuidedFuzzingFindsNoServerErrorHangOrOutOfMemory() throws Exception {
        assumeTrue(FuzzCampaign.selected(TARGET), "not selected by ledgermind.fuzz.targets");
        FuzzCampaign.Result r = FuzzCampaign.run(TARGET, MODULE);
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
