package dev.ledgermind.node.chaos;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The short form of the chaos run ({@code ledgermind chaos}; the long form's figures are in
 * docs/reliability.md): real worker processes on a real anvil, killed, paused and cut off at random
 * moments. Every fault of the plan must actually have been injected, and every check must hold.
 */
class ChaosShortTest {
    @Test
    void nodesUnderKillsPausesOutagesAndDroppedTransactionsLoseNothingAndNeverStall() throws Exception {
        // kept under target/ (not a temp dir): the node logs are what explains a failure
        Path dir = java.nio.file.Files.createDirectories(Path.of("target", "chaos-short-" + System.currentTimeMillis()));
        ChaosRun.Plan plan = ChaosRun.Plan.shortForm(dir, Long.getLong("chaos.seed", 7));
        ChaosRun.Report report = new ChaosRun(plan, System.out::println).run();
        System.out.print(report.summary());
        assertEquals(plan.kills(), report.faults().get("kill"), "kills injected");
        assertEquals(plan.pauses(), report.faults().get("pause"), "pauses injected");
        assertEquals(plan.outages(), report.faults().get("outage"), "outages injected");
        assertTrue(report.faults().get("drop") > 0, "transactions dropped from the pool");
        assertTrue(report.tasks() >= plan.tasks(), "tasks run");
        assertTrue(report.accepted() > 0, "some tasks must be accepted under faults");
        assertTrue(report.ok(), report.summary());
    }
}
