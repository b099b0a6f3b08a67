package dev.ledgermind.node.chaos;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The chaos run's accounting of faulted time and its log excerpts, without a network. */
class ChaosRunChecksTest {
    @TempDir
    Path dir;

    private ChaosRun run() {
        return new ChaosRun(ChaosRun.Plan.shortForm(dir, 1), line -> { });
    }

    @Test
    void aNodeCountsAsFaultedUntilItHasReSyncedNotOnlyUntilTheHarnessLetGoOfIt() {
        ChaosRun run = run();
        // killed at 1000, READY at 1010, its event cursor at the chain's head at 1030
        run.record(new ChaosRun.Fault(1, 7, "kill", 1000, 1010, 1030));
        assertTrue(run.faulted(7, 1020, 1045), "a task submitted before the node re-synced");
        assertTrue(run.faulted(7, 1032, 1060), "within the margin after the re-sync");
        assertFalse(run.faulted(7, 1034, 1060), "a task submitted after the re-sync and the margin");
        assertFalse(run.faulted(8, 1000, 1030), "another agent");
        // a drop is not followed by a re-sync: its end is its own
        run.record(new ChaosRun.Fault(2, 9, "drop", 2000, 2001, 2001));
        assertTrue(run.faulted(9, 2004, 2030));
        assertFalse(run.faulted(9, 2005, 2030));
    }

    @Test
    void theLogExcerptKeepsTheWindowAndTheUntimedLinesThatFollowItsLines() throws Exception {
        LocalDate today = LocalDate.now();
        long base = today.atTime(LocalTime.of(12, 0, 0)).atZone(ZoneId.systemDefault()).toEpochSecond();
        Files.write(dir.resolve("node-1.log"), List.of(
                "11:59:40.000 INFO  Worker event=assigned node=node-1 task=1",
                "11:59:51.000 INFO  Worker event=assigned node=node-1 task=2",
                "12:00:10.500 INFO  WorkerMain event=started node=node-1 agent=2",
                "READY agent=2 metricsPort=1",
                "12:00:25.000 INFO  Worker event=computed node=node-1 task=2",
                "12:00:36.000 INFO  Worker event=assigned node=node-1 task=3"));
        String excerpt = run().logAround(1, base, base + 30);
        assertFalse(excerpt.contains("task=1"), excerpt);
        assertTrue(excerpt.contains("task=2"), excerpt);
        assertTrue(excerpt.contains("READY agent=2"), excerpt);
        assertTrue(excerpt.contains("event=computed"), excerpt);
        assertFalse(excerpt.contains("task=3"), excerpt);
        assertTrue(excerpt.contains("4 lines"), excerpt);
    }
}
