package dev.ledgermind.node.store;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class NodeStoreTest {
    private static final BigInteger T1 = BigInteger.ONE;

    @Test
    void saltIsWrittenOnceAndNeverReplaced(@TempDir Path dir) {
        try (NodeStore store = NodeStore.open(dir.resolve("node.db"))) {
            byte[] salt = bytes(0x11), other = bytes(0x22);
            assertThrows(StoreException.class, () -> store.saveComputed(T1, bytes(1), bytes(2), new byte[0], salt, 256),
                    "a task that was never assigned cannot have a result");
            assertTrue(store.recordAssigned(T1, 1, new byte[] {7}));
            assertFalse(store.recordAssigned(T1, 1, new byte[] {7}), "a second assignment event is a no-op");
            TaskRecord first = store.saveComputed(T1, bytes(1), bytes(2), new byte[] {9}, salt, 256);
            assertArrayEquals(salt, first.salt());
            TaskRecord again = store.saveComputed(T1, bytes(3), bytes(4), new byte[] {8}, other, 256);
            assertArrayEquals(salt, again.salt(), "a second save must keep the first salt");
            assertArrayEquals(bytes(1), again.resultHash(), "and the first result");
            assertEquals(TaskState.COMPUTED, again.state());
        }
    }

    @Test
    void aWatcherReadsTheCursorOfAStoreANodeHoldsOpen(@TempDir Path dir) {
        Path file = dir.resolve("node.db");
        assertTrue(NodeStore.peekNextBlock(file).isEmpty(), "no store yet");
        try (NodeStore store = NodeStore.open(file)) {
            assertTrue(NodeStore.peekNextBlock(file).isEmpty(), "never scanned");
            store.advanceCursor(42);
            assertEquals(42, NodeStore.peekNextBlock(file).orElseThrow());
            store.advanceCursor(57);
            assertEquals(57, NodeStore.peekNextBlock(file).orElseThrow(), "the writer's later commit is seen");
        }
    }

    @Test
    void stateMovesOnlyForwardAndRetriesAreIdempotent(@TempDir Path dir) {
        try (NodeStore store = NodeStore.open(dir.resolve("node.db"))) {
            store.recordAssigned(T1, 1, new byte[0]);
            store.saveComputed(T1, bytes(1), bytes(2), new byte[0], bytes(3), 256);
            store.markCommitSent(T1, "0xabc");
            store.markCommitSent(T1, "0xabc");
            store.markCommitted(T1);
            StoreException back = assertThrows(StoreException.class, () -> store.markCommitSent(T1, "0xdef"));
            assertTrue(back.getMessage().contains("COMMITTED") && back.getMessage().contains("COMMIT_SENT"), back.getMessage());
            assertEquals("0xabc", store.find(T1).orElseThrow().commitTx());
            assertEquals(List.of(T1), store.unfinished().stream().map(TaskRecord::taskId).toList());
            store.markRevealSent(T1, "0x123");
            store.markRevealed(T1);
            store.markSettled(T1, "agreed");
            assertTrue(store.unfinished().isEmpty());
            assertEquals(TaskState.FINALIZED, store.find(T1).orElseThrow().state());
        }
    }

    /**
     * The chain can settle a task whatever this node did with it, so recording the settlement must work
     * from every stored state (it used to throw "cannot move from FAILED back to FINALIZED", which stopped
     * the event cursor for good), must keep a FAILED task's reason, and must be idempotent.
     */
    @Test
    void aSettlementIsRecordedFromEveryStoredStateAndOnlyOnce(@TempDir Path dir) {
        try (NodeStore store = NodeStore.open(dir.resolve("node.db"))) {
            int n = 0;
            for (TaskState state : TaskState.values()) {
                BigInteger t = BigInteger.valueOf(100 + n++);
                store.recordAssigned(t, 1, new byte[0]);
                if (state != TaskState.ASSIGNED && state != TaskState.FAILED) {
                    store.saveComputed(t, bytes(1), bytes(2), new byte[0], bytes(3), 256);
                }
                switch (state) {
                    case COMMIT_SENT -> store.markCommitSent(t, "0x1");
                    case COMMITTED -> store.markCommitted(t);
                    case REVEAL_SENT -> { store.markCommitted(t); store.markRevealSent(t, "0x2"); }
                    case REVEALED -> { store.markCommitted(t); store.markRevealed(t); }
                    case FINALIZED -> store.markSettled(t, "agreed");
                    case FAILED -> store.markFailed(t, "reveal window closed");
                    default -> { }
                }
                assertEquals(state, store.find(t).orElseThrow().state(), "set-up of " + state);
                boolean changed = store.markSettled(t, "absent");
                TaskRecord after = store.find(t).orElseThrow();
                assertEquals(state != TaskState.FINALIZED, changed, "first settlement from " + state);
                assertFalse(store.markSettled(t, "dissented"), "a second settlement from " + state + " changes nothing");
                assertEquals(state == TaskState.FAILED ? TaskState.FAILED : TaskState.FINALIZED, store.find(t).orElseThrow().state());
                assertEquals(state == TaskState.FINALIZED ? "agreed" : "absent", after.outcome());
                if (state == TaskState.FAILED) assertEquals("reveal window closed", after.error(), "the reason is kept");
                assertTrue(store.unfinished().stream().noneMatch(r -> r.taskId().equals(t)), state + " is finished once settled");
            }
        }
    }

    @Test
    void eachUnrevealedTaskHoldsItsOwnLaneAndARevealedTaskFreesIt(@TempDir Path dir) {
        BigInteger t2 = BigInteger.TWO, t3 = BigInteger.valueOf(3), t4 = BigInteger.valueOf(4);
        try (NodeStore store = NodeStore.open(dir.resolve("node.db"))) {
            for (BigInteger t : List.of(T1, t2, t3, t4)) store.recordAssigned(t, 1, new byte[0]);
            assertNull(store.find(T1).orElseThrow().lane(), "no lane before the result is saved");
            assertEquals(0, store.saveComputed(T1, bytes(1), bytes(2), new byte[0], bytes(3), 2).lane());
            assertEquals(0, store.saveComputed(T1, bytes(1), bytes(2), new byte[0], bytes(4), 2).lane(),
                    "a second save keeps the lane");
            store.markCommitSent(T1, "0x1");
            store.markCommitted(T1);
            assertEquals(1, store.saveComputed(t2, bytes(1), bytes(2), new byte[0], bytes(3), 2).lane(),
                    "lane 0 holds task 1's unrevealed commitment");
            StoreException full = assertThrows(StoreException.class,
                    () -> store.saveComputed(t3, bytes(1), bytes(2), new byte[0], bytes(3), 2));
            assertTrue(full.getMessage().contains("2 commitment lanes"), full.getMessage());
            assertEquals(TaskState.ASSIGNED, store.find(t3).orElseThrow().state(), "a refused save changes nothing");
            store.markRevealSent(T1, "0x2");
            assertThrows(StoreException.class, () -> store.saveComputed(t3, bytes(1), bytes(2), new byte[0], bytes(3), 2),
                    "a sent reveal may still fail: its lane stays held");
            store.markRevealed(T1);
            assertEquals(0, store.saveComputed(t3, bytes(1), bytes(2), new byte[0], bytes(3), 2).lane(),
                    "task 1 is revealed: its lane is free again");
            store.markFailed(t2, "window closed");
            assertEquals(1, store.saveComputed(t4, bytes(1), bytes(2), new byte[0], bytes(3), 2).lane(),
                    "a failed task frees its lane");
        }
        try (NodeStore reopened = NodeStore.open(dir.resolve("node.db"))) {
            assertEquals(1, reopened.find(t4).orElseThrow().lane(), "the lane is durable");
        }
    }

    @Test
    void aStoreFromBeforeLanesGainsTheLaneColumnAndKeepsItsTasks(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("old.db");
        try (var db = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
             var st = db.createStatement()) {
            st.execute("""
                    CREATE TABLE task (task_id TEXT PRIMARY KEY, state TEXT NOT NULL, model_id INTEGER, input BLOB,
                      result_hash BLOB, trace_root BLOB, output BLOB, salt BLOB, commit_tx TEXT, reveal_tx TEXT,
                      error TEXT, updated_at INTEGER NOT NULL)""");
            st.execute("INSERT INTO task (task_id, state, model_id, updated_at) VALUES ('1', 'ASSIGNED', 3, 0)");
        }
        try (NodeStore store = NodeStore.open(file)) {
            TaskRecord old = store.find(T1).orElseThrow();
            assertEquals(3, old.modelId());
            assertNull(old.lane());
            assertEquals(0, store.saveComputed(T1, bytes(1), bytes(2), new byte[0], bytes(3), 256).lane());
        }
        try (NodeStore again = NodeStore.open(file)) {
            assertEquals(0, again.find(T1).orElseThrow().lane(), "opening a migrated store again changes nothing");
        }
    }

    @Test
    void aGameIsRecordedOnceItsVerdictOnceAndBothSurviveAReopen(@TempDir Path dir) {
        Path file = dir.resolve("node.db");
        try (NodeStore store = NodeStore.open(file)) {
            assertTrue(store.recordGame(3, java.math.BigInteger.valueOf(17), true, 120));
            assertFalse(store.recordGame(3, java.math.BigInteger.valueOf(17), false, 999), "the ClaimChallenged event read again");
            assertTrue(store.recordGame(5, java.math.BigInteger.valueOf(21), false, 130));
        }
        try (NodeStore store = NodeStore.open(file)) { // a restarted node finds its games
            var games = store.games();
            assertEquals(2, games.size());
            GameRecord g = games.getFirst();
            assertEquals(3, g.gameId());
            assertEquals(java.math.BigInteger.valueOf(17), g.taskId());
            assertTrue(g.claimer(), "the first record's side is kept");
            assertEquals(120, g.startBlock());
            assertFalse(g.resolved());
            assertTrue(store.resolveGame(3, false));
            assertFalse(store.resolveGame(3, true), "a verdict is stored once");
        }
        try (NodeStore store = NodeStore.open(file)) {
            assertEquals(Boolean.FALSE, store.games().getFirst().claimerWon());
            assertNull(store.games().get(1).claimerWon());
        }
    }

    @Test
    void cursorNeverMovesBackwards(@TempDir Path dir) {
        try (NodeStore store = NodeStore.open(dir.resolve("node.db"))) {
            assertEquals(7, store.nextBlock(7));
            store.advanceCursor(50);
            store.advanceCursor(40);
            assertEquals(50, store.nextBlock(0));
        }
    }

    @Test
    void stateSurvivesKillMinus9(@TempDir Path dir) throws Exception {
        Path db = dir.resolve("node.db");
        Process child = new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), StoreWriterChild.class.getName(), db.toString())
                .redirectErrorStream(true).start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            String line;
            int cursorLines = 0;
            while ((line = out.readLine()) != null && cursorLines < 20) {
                if (line.startsWith("CURSOR")) cursorLines++;
            }
            assertEquals(20, cursorLines, "child stopped early");
        }
        child.toHandle().destroyForcibly(); // SIGKILL in the middle of its write loop
        assertTrue(child.waitFor(10, TimeUnit.SECONDS));

        try (NodeStore store = NodeStore.open(db)) {
            TaskRecord r = store.find(T1).orElseThrow();
            assertEquals(TaskState.COMMIT_SENT, r.state());
            assertArrayEquals(StoreWriterChild.SALT, r.salt());
            assertEquals("0xfeed", r.commitTx());
            assertTrue(store.nextBlock(0) >= 20, "every cursor write the child reported must be on disk");
        }
    }

    static byte[] bytes(int fill) {
        byte[] b = new byte[32];
        java.util.Arrays.fill(b, (byte) fill);
        return b;
    }

    /** Child process: saves a task, reports it, then writes the cursor until it is killed. */
    public static final class StoreWriterChild {
        static final byte[] SALT = HexFormat.of().parseHex("5a".repeat(32));

        public static void main(String[] args) {
            NodeStore store = NodeStore.open(Path.of(args[0]));
            store.recordAssigned(T1, 1, new byte[] {1});
            store.saveComputed(T1, bytes(1), bytes(2), new byte[] {1, 2, 3}, SALT, 256);
            store.markCommitSent(T1, "0xfeed");
            for (long block = 1; ; block++) {
                store.advanceCursor(block);
                System.out.println("CURSOR " + block);
                System.out.flush();
            }
        }
    }
}
