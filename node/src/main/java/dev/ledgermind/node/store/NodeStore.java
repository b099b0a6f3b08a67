package dev.ledgermind.node.store;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A worker's durable local state: the next chain block to scan for events, and one row per assigned
 * task. SQLite in WAL mode with {@code synchronous=FULL}: every method is one transaction that is on disk
 * when it returns, so a {@code kill -9} at any instant leaves either the old or the new state.
 *
 * <p>Invariants enforced here, not only by callers:
 * <ul>
 *   <li>A task's salt is written once and never replaced ({@link #saveComputed} on a task that already
 *       has one keeps the stored salt and result, and returns them).</li>
 *   <li>A task's commitment lane (the TaskMarket lane that holds its commitment from commit to reveal)
 *       is chosen together with the salt and never changes; no two tasks that are between COMPUTED and
 *       REVEAL_SENT hold the same lane, so the node never commits over a commitment it has yet to
 *       reveal. A lane is free again once its task is revealed, finalized or failed.</li>
 *   <li>State only moves forward along {@link TaskState}'s order; a backwards move is refused.</li>
 *   <li>The event cursor only moves forward.</li>
 * </ul>
 * One store belongs to one node process; methods are synchronized so that the node's threads share it.
 */
public final class NodeStore implements AutoCloseable {
    private final Connection db;
    private final Path file;

    private NodeStore(Connection db, Path file) {
        this.db = db;
        this.file = file;
    }

    public static NodeStore open(Path file) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) Files.createDirectories(parent);
            Connection db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
            try (Statement s = db.createStatement()) {
                s.execute("PRAGMA journal_mode=WAL");
                s.execute("PRAGMA synchronous=FULL");
                s.execute("PRAGMA busy_timeout=5000");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS cursor (
                          id INTEGER PRIMARY KEY CHECK (id = 1),
                          next_block INTEGER NOT NULL)""");
                s.execute("""
                        CREATE TABLE IF NOT EXISTS task (
                          task_id TEXT PRIMARY KEY,
                          state TEXT NOT NULL,
                          model_id INTEGER, input BLOB,
                          result_hash BLOB, trace_root BLOB, output BLOB, salt BLOB,
                          commit_tx TEXT, reveal_tx TEXT, error TEXT,
                          updated_at INTEGER NOT NULL, lane INTEGER)""");
                boolean hasLane = false;
                try (ResultSet rs = s.executeQuery("PRAGMA table_info(task)")) {
                    while (rs.next()) hasLane |= "lane".equals(rs.getString("name"));
                }
                boolean hasOutcome = false;
                try (ResultSet rs = s.executeQuery("PRAGMA table_info(task)")) {
                    while (rs.next()) hasOutcome |= "outcome".equals(rs.getString("name"));
                }
                if (!hasLane) s.execute("ALTER TABLE task ADD COLUMN lane INTEGER"); // a store from before lanes
                if (!hasOutcome) s.execute("ALTER TABLE task ADD COLUMN outcome TEXT"); // a store from before outcomes
                s.execute("CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT NOT NULL)");
            }
            db.setAutoCommit(true);
            return new NodeStore(db, file);
        } catch (Exception e) {
            throw new StoreException("cannot open the node store at " + file + ": " + e.getMessage(), e);
        }
    }

    public Path file() {
        return file;
    }

    /** The next block to scan, or {@code defaultBlock} when the node has never scanned. */
    public synchronized long nextBlock(long defaultBlock) {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT next_block FROM cursor WHERE id = 1")) {
            return rs.next() ? rs.getLong(1) : defaultBlock;
        } catch (SQLException e) {
            throw fail("read the event cursor", e);
        }
    }

    /** Records that every block below {@code nextBlock} has been processed. Never moves backwards. */
    public synchronized void advanceCursor(long nextBlock) {
        assert nextBlock >= 0 : "a block number is never negative: " + nextBlock;
        try (PreparedStatement ps = db.prepareStatement("""
                INSERT INTO cursor (id, next_block) VALUES (1, ?)
                ON CONFLICT(id) DO UPDATE SET next_block = max(next_block, excluded.next_block)""")) {
            ps.setLong(1, nextBlock);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail("advance the event cursor to " + nextBlock, e);
        }
    }

    /**
     * Records an assignment with the task's model and inline input; does nothing if the task is already
     * known. Returns true if it was new.
     */
    public synchronized boolean recordAssigned(BigInteger taskId, int modelId, byte[] input) {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT INTO task (task_id, state, model_id, input, updated_at) VALUES (?, 'ASSIGNED', ?, ?, ?)"
                        + " ON CONFLICT(task_id) DO NOTHING")) {
            ps.setString(1, taskId.toString());
            ps.setInt(2, modelId);
            ps.setBytes(3, input);
            ps.setLong(4, System.currentTimeMillis());
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw fail("record task " + taskId, e);
        }
    }

    /**
     * Stores the computed result, the salt the node will commit with, and the commitment lane: the lowest
     * of {@code 0..lanes-1} that no task between COMPUTED and REVEAL_SENT holds. If the task already has a
     * salt (a restart after computing), nothing is replaced and the stored record is returned: the node
     * must commit with what is stored.
     *
     * @throws StoreException when all {@code lanes} lanes are held by unrevealed tasks
     */
    public synchronized TaskRecord saveComputed(BigInteger taskId, byte[] resultHash, byte[] traceRoot, byte[] output,
                                                byte[] salt, int lanes) {
        TaskRecord current = find(taskId).orElseThrow(() -> new StoreException("task " + taskId + " was never assigned"));
        if (current.salt() != null || current.state() != TaskState.ASSIGNED) return current;
        int lane = freeLane(lanes);
        try (PreparedStatement ps = db.prepareStatement("""
                UPDATE task SET state = 'COMPUTED', result_hash = ?, trace_root = ?, output = ?, salt = ?, lane = ?,
                updated_at = ? WHERE task_id = ? AND salt IS NULL AND state = 'ASSIGNED'""")) {
            ps.setBytes(1, resultHash);
            ps.setBytes(2, traceRoot);
            ps.setBytes(3, output);
            ps.setBytes(4, salt);
            ps.setInt(5, lane);
            ps.setLong(6, System.currentTimeMillis());
            ps.setString(7, taskId.toString());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail("save the result of task " + taskId, e);
        }
        TaskRecord saved = find(taskId).orElseThrow();
        assert saved.state() == TaskState.COMPUTED && java.util.Arrays.equals(saved.salt(), salt) && saved.lane() == lane
                : "task " + taskId + ": the salt and lane just stored must be the ones read back";
        return saved;
    }

    /** The lowest lane below {@code lanes} that no task between COMPUTED and REVEAL_SENT holds. */
    private int freeLane(int lanes) {
        java.util.BitSet held = new java.util.BitSet();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT lane FROM task WHERE lane IS NOT NULL AND state IN ('COMPUTED','COMMIT_SENT','COMMITTED','REVEAL_SENT')")) {
            while (rs.next()) held.set(rs.getInt(1));
        } catch (SQLException e) {
            throw fail("list the commitment lanes in use", e);
        }
        int lane = held.nextClearBit(0);
        if (lane >= lanes) {
            throw new StoreException("all " + lanes + " commitment lanes hold commitments this node has yet to reveal");
        }
        return lane;
    }

    /** Stores the hash of the signed commit transaction; called before that transaction is broadcast. */
    public synchronized void markCommitSent(BigInteger taskId, String txHash) {
        advance(taskId, TaskState.COMMIT_SENT, "commit_tx", txHash);
    }

    public synchronized void markCommitted(BigInteger taskId) {
        advance(taskId, TaskState.COMMITTED, null, null);
    }

    /** Stores the hash of the signed reveal transaction; called before that transaction is broadcast. */
    public synchronized void markRevealSent(BigInteger taskId, String txHash) {
        advance(taskId, TaskState.REVEAL_SENT, "reveal_tx", txHash);
    }

    public synchronized void markRevealed(BigInteger taskId) {
        advance(taskId, TaskState.REVEALED, null, null);
    }

    /**
     * Records the chain's settlement of a task: its verdict on this node ({@code outcome}, for example
     * "agreed" or "absent"). Total over every stored state, because the chain can settle a task whatever
     * this node did: a task in progress becomes FINALIZED; a FAILED task stays FAILED (with its reason)
     * and gets the outcome; a task already settled is left as it is. Returns true if anything changed.
     * Only an unknown task id is an error.
     */
    public synchronized boolean markSettled(BigInteger taskId, String outcome) {
        TaskRecord current = find(taskId).orElseThrow(() -> new StoreException("task " + taskId + " is not in the store"));
        if (current.outcome() != null) return false; // idempotent: the same TaskFinalized event read twice
        String state = current.state() == TaskState.FAILED ? "FAILED" : "FINALIZED";
        try (PreparedStatement ps = db.prepareStatement(
                "UPDATE task SET state = ?, outcome = ?, updated_at = ? WHERE task_id = ? AND outcome IS NULL")) {
            ps.setString(1, state);
            ps.setString(2, outcome);
            ps.setLong(3, System.currentTimeMillis());
            ps.setString(4, taskId.toString());
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw fail("record the settlement of task " + taskId, e);
        }
    }

    /** Gives up on a task (the window closed, or the chain refused it for good), keeping the reason. */
    public synchronized void markFailed(BigInteger taskId, String reason) {
        try (PreparedStatement ps = db.prepareStatement(
                "UPDATE task SET state = 'FAILED', error = ?, updated_at = ? WHERE task_id = ? AND state NOT IN ('FINALIZED','FAILED')")) {
            ps.setString(1, reason);
            ps.setLong(2, System.currentTimeMillis());
            ps.setString(3, taskId.toString());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail("mark task " + taskId + " failed", e);
        }
    }

    private void advance(BigInteger taskId, TaskState to, String column, String value) {
        TaskRecord current = find(taskId).orElseThrow(() -> new StoreException("task " + taskId + " is not in the store"));
        if (current.state() == to && column == null) return; // idempotent: a retry after a crash
        // the same state again with a transaction hash: a re-sent transaction (the first was dropped); keep the latest
        if (current.state().isTerminal()) return; // settled or given up meanwhile: nothing to move
        if (current.state() != to && !to.isAtLeast(current.state())) {
            throw new StoreException("task " + taskId + " cannot move from " + current.state() + " back to " + to);
        }
        String sql = "UPDATE task SET state = ?, updated_at = ?" + (column != null ? ", " + column + " = ?" : "") + " WHERE task_id = ?";
        try (PreparedStatement ps = db.prepareStatement(sql)) {
            int i = 1;
            ps.setString(i++, to.name());
            ps.setLong(i++, System.currentTimeMillis());
            if (column != null) ps.setString(i++, value);
            ps.setString(i, taskId.toString());
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail("move task " + taskId + " to " + to, e);
        }
    }

    public synchronized Optional<TaskRecord> find(BigInteger taskId) {
        try (PreparedStatement ps = db.prepareStatement("SELECT * FROM task WHERE task_id = ?")) {
            ps.setString(1, taskId.toString());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw fail("read task " + taskId, e);
        }
    }

    /** Tasks not yet finalized or failed, oldest first: what a restarted node must resume. */
    public synchronized List<TaskRecord> unfinished() {
        List<TaskRecord> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM task WHERE state NOT IN ('FINALIZED','FAILED') ORDER BY CAST(task_id AS INTEGER)")) {
            while (rs.next()) out.add(read(rs));
        } catch (SQLException e) {
            throw fail("list unfinished tasks", e);
        }
        return out;
    }

    public synchronized Optional<String> get(String key) {
        try (PreparedStatement ps = db.prepareStatement("SELECT v FROM kv WHERE k = ?")) {
            ps.setString(1, key);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw fail("read " + key, e);
        }
    }

    public synchronized void put(String key, String value) {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT INTO kv (k, v) VALUES (?, ?) ON CONFLICT(k) DO UPDATE SET v = excluded.v")) {
            ps.setString(1, key);
            ps.setString(2, value);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail("write " + key, e);
        }
    }

    private static TaskRecord read(ResultSet rs) throws SQLException {
        return new TaskRecord(new BigInteger(rs.getString("task_id")), TaskState.valueOf(rs.getString("state")),
                rs.getInt("model_id"), rs.getBytes("input"), rs.getBytes("result_hash"), rs.getBytes("trace_root"), rs.getBytes("output"), rs.getBytes("salt"),
                rs.getString("commit_tx"), rs.getString("reveal_tx"), rs.getString("error"), rs.getLong("updated_at"),
                rs.getObject("lane") == null ? null : rs.getInt("lane"), rs.getString("outcome"));
    }

    private StoreException fail(String what, SQLException e) {
        return new StoreException("node store " + file + ": cannot " + what + ": " + e.getMessage(), e);
    }

    @Override
    public synchronized void close() {
        try {
            db.close();
        } catch (SQLException e) {
            throw fail("close", e);
        }
    }
}
