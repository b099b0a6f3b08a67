package dev.ledgermind.inference.fuzz;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Coverage-guided fuzzing of the inference module's parsers of outside input: GGUF, ONNX, and the three
 * tokenizers. Each target first replays its committed seed corpus (which holds every input a past run
 * found crashing: the regression half), then Jazzer fuzzes it in a child JVM for a short, bounded time
 * ({@link FuzzCampaign} for the properties that make it the long run of docs/reliability.md).
 *
 * <p>Inputs are capped in length per target: 4 KiB for the file formats, 256 bytes of text for the
 * GGUF tokenizers and 512 for WordPiece. Every branch of a tokenizer is reachable within that, and a
 * tokenizer's cost grows with the text (the BPE and SentencePiece merge loops are O(n log n) since
 * {@code PairMerge}; they were quadratic), so shorter inputs buy more of them per second.
 */
class ParserFuzzTest {
    static final Path MODULE = Path.of("").toAbsolutePath();

    static List<FuzzTarget> targets() {
        return List.of(
                new FuzzTarget("gguf", GgufFuzzer.class, 4096),
                new FuzzTarget("onnx", OnnxFuzzer.class, 4096),
                new FuzzTarget("bpe", BpeFuzzer.class, 256),
                new FuzzTarget("sentencepiece", SentencePieceFuzzer.class, 256),
                new FuzzTarget("wordpiece", WordPieceFuzzer.class, 512));
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
        record(r);
        assertTrue(r.clean(), () -> r + "\n" + tailOf(r));
        assertTrue(r.runs() > 0, () -> "the fuzzer ran no input: " + r + "\n" + tailOf(r));
    }

    @Test
    void theHarnessFindsAPlantedCrash() throws Exception {
        assumeTrue(System.getProperty("ledgermind.fuzz.targets", "").isBlank(), "only in the full short run");
        FuzzCampaign.Result r = FuzzCampaign.run(new FuzzTarget("planted", PlantedBugFuzzer.class, 64), MODULE);
        assertNotEquals(0, r.exitCode(), () -> "the planted out-of-bounds read went unnoticed: " + r);
        String log = Files.readString(r.log(), StandardCharsets.ISO_8859_1);
        assertTrue(log.contains("ArrayIndexOutOfBoundsException"), () -> tailOf(r));
    }

    /** Appends the run to target/fuzz/summary.txt (what docs/reliability.md quotes). */
    static void record(FuzzCampaign.Result r) throws Exception {
        Path summary = MODULE.resolve("target/fuzz/summary.txt");
        Files.createDirectories(summary.getParent());
        Files.writeString(summary, Instant.now() + " " + r + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.println(r);
    }

    static String tailOf(FuzzCampaign.Result r) {
        try {
            return FuzzCampaign.tail(r);
        } catch (Exception e) {
            return "(no log: " + e + ")";
        }
    }
}
