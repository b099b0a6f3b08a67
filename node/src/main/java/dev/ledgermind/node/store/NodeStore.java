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
                // the optimistic mode: one row per (task, role) (OptimisticRecord)
                s.execute("""
                        CREATE TABLE IF NOT EXISTS optimistic (
                          task_id TEXT NOT NULL, role TEXT NOT NULL, state TEXT NOT NULL,
                          model_id INTEGER, input BLOB, result_hash BLOB, trace_root BLOB, output BLOB,
                          tokens_hash BLOB, positions INTEGER, leaf_count INTEGER, lane INTEGER,
                          tx TEXT, outcome TEXT, error TEXT, updated_at INTEGER NOT NULL,
                          PRIMARY KEY (task_id, role))""");
                // the dispute games this node plays (GameRecord)
                s.execute("""
                        CREATE TABLE IF NOT EXISTS game (
                          game_id INTEGER PRIMARY KEY, task_id TEXT NOT NULL, claimer INTEGER NOT NULL,
                          start_block INTEGER NOT NULL, claimer_won INTEGER, updated_at INTEGER NOT NULL)""");
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

    private static final String CURSOR_QUERY = "SELECT next_block FROM cursor WHERE id = 1";

    /**
     * The event cursor of a store that a running node holds open, read without opening it for writing (a read-only
     * connection: the store is in WAL mode, so the reader never blocks the node's writes). For harnesses watching
     * nodes (the chaos run). Empty when the file cannot be read or the node has never scanned.
     */
    public static java.util.OptionalLong peekNextBlock(Path file) {
        org.sqlite.SQLiteConfig config = new org.sqlite.SQLiteConfig();
        config.setReadOnly(true);
        config.setBusyTimeout(1_000);
        try (Connection c = config.createConnection("jdbc:sqlite:" + file.toAbsolutePath());
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery(CURSOR_QUERY)) {
            return rs.next() ? java.util.OptionalLong.of(rs.getLong(1)) : java.util.OptionalLong.empty();
        } catch (SQLException e) {
            return java.util.OptionalLong.empty();
        }
    }

    /** The next block to scan, or {@code defaultBlock} when the node has never scanned. */
    public synchronized long nextBlock(long defaultBlock) {
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(CURSOR_QUERY)) {
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

    /**
     * The lowest lane below {@code lanes} that no task between COMPUTED and REVEAL_SENT holds, nor an optimistic
     * claim or audit of a task without a chain verdict yet.
     */
    private int freeLane(int lanes) {
        java.util.BitSet held = new java.util.BitSet();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT lane FROM task WHERE lane IS NOT NULL AND state IN ('COMPUTED','COMMIT_SENT','COMMITTED','REVEAL_SENT')"
                        + " UNION SELECT lane FROM optimistic WHERE lane IS NOT NULL AND outcome IS NULL")) {
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

    // ------------------------------------------------------------------ the optimistic mode

    /** Records this node's part in an optimistic task, in its first state; nothing if known. True if it was new. */
    public synchronized boolean recordOptimistic(BigInteger taskId, String role, String state, int modelId, byte[] input) {
        try (PreparedStatement ps = db.prepareStatement(
                "INSERT INTO optimistic (task_id, role, state, model_id, input, updated_at) VALUES (?, ?, ?, ?, ?, ?)"
                        + " ON CONFLICT(task_id, role) DO NOTHING")) {
            ps.setString(1, taskId.toString());
            ps.setString(2, role);
            ps.setString(3, state);
            ps.setInt(4, modelId);
            ps.setBytes(5, input);
            ps.setLong(6, System.currentTimeMillis());
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw fail("record optimistic task " + taskId, e);
        }
    }

    /**
     * Stores a result (the worker's claim, or the validator's own) with its trace shape and a free commitment lane,
     * moving to {@code state}; once stored it is never replaced (a restart claims or audits with what is stored).
     */
    public synchronized OptimisticRecord saveOptimisticResult(BigInteger taskId, String role, String state, byte[] resultHash,
                                                              byte[] traceRoot, byte[] output, byte[] tokensHash, int positions,
                                                              int leafCount, int lanes) {
        OptimisticRecord current = findOptimistic(taskId, role).orElseThrow(() -> new StoreException(
                "optimistic task " + taskId + " (" + role + ") is not in the store"));
        if (current.lane() != null) return current;
        int lane = freeLane(lanes);
        try (PreparedStatement ps = db.prepareStatement("UPDATE optimistic SET state = ?, result_hash = ?, trace_root = ?,"
                + " output = ?, tokens_hash = ?, positions = ?, leaf_count = ?, lane = ?, updated_at = ?"
                + " WHERE task_id = ? AND role = ? AND lane IS NULL")) {
            ps.setString(1, state);
            ps.setBytes(2, resultHash);
            ps.setBytes(3, traceRoot);
            ps.setBytes(4, output);
            ps.setBytes(5, tokensHash);
            ps.setInt(6, positions);
            ps.setInt(7, leafCount);
            ps.setInt(8, lane);
            ps.setLong(9, System.currentTimeMillis());
            ps.setString(10, taskId.toString());
            ps.setString(11, role);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail("save the result of optimistic task " + taskId, e);
        }
        return findOptimistic(taskId, role).orElseThrow();
    }

    /** Moves a record to {@code state} (keeping {@code tx} when given: the signed transaction, before it is sent). */
    public synchronized void markOptimistic(BigInteger taskId, String role, String state, String tx) {
        try (PreparedStatement ps = db.prepareStatement("UPDATE optimistic SET state = ?, tx = COALESCE(?, tx), updated_at = ?"
                + " WHERE task_id = ? AND role = ? AND state NOT IN ('FINAL','FAILED')")) {
            ps.setString(1, state);
            ps.setString(2, tx);
            ps.setLong(3, System.currentTimeMillis());
            ps.setString(4, taskId.toString());
            ps.setString(5, role);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail("move optimistic task " + taskId + " to " + state, e);
        }
    }

    /** The chain's final verdict on this node's part (idempotent); a FAILED row stays FAILED and gets the outcome. */
    public synchronized boolean settleOptimistic(BigInteger taskId, String role, String outcome) {
        try (PreparedStatement ps = db.prepareStatement("UPDATE optimistic SET state = CASE state WHEN 'FAILED' THEN 'FAILED'"
                + " ELSE 'FINAL' END, outcome = ?, updated_at = ? WHERE task_id = ? AND role = ? AND outcome IS NULL")) {
            ps.setString(1, outcome);
            ps.setLong(2, System.currentTimeMillis());
            ps.setString(3, taskId.toString());
            ps.setString(4, role);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw fail("settle optimistic task " + taskId, e);
        }
    }

    /** Gives up on this node's part (a window closed), keeping the reason; the chain's verdict still comes. */
    public synchronized void failOptimistic(BigInteger taskId, String role, String reason) {
        try (PreparedStatement ps = db.prepareStatement("UPDATE optimistic SET state = 'FAILED', error = ?, updated_at = ?"
                + " WHERE task_id = ? AND role = ? AND state NOT IN ('FINAL','FAILED')")) {
            ps.setString(1, reason);
            ps.setLong(2, System.currentTimeMillis());
            ps.setString(3, taskId.toString());
            ps.setString(4, role);
            ps.executeUpdate();
        } catch (SQLException e) {
            throw fail("mark optimistic task " + taskId + " failed", e);
        }
    }

    public synchronized Optional<OptimisticRecord> findOptimistic(BigInteger taskId, String role) {
        try (PreparedStatement ps = db.prepareStatement("SELECT * FROM optimistic WHERE task_id = ? AND role = ?")) {
            ps.setString(1, taskId.toString());
            ps.setString(2, role);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(readOptimistic(rs)) : Optional.empty();
            }
        } catch (SQLException e) {
            throw fail("read optimistic task " + taskId, e);
        }
    }

    /** This node's optimistic rows without a chain verdict yet (FAILED ones too: the chain still settles them). */
    public synchronized List<OptimisticRecord> unsettledOptimistic() {
        List<OptimisticRecord> out = new ArrayList<>();
        try (Statement s = db.createStatement();
             ResultSet rs = s.executeQuery("SELECT * FROM optimistic WHERE outcome IS NULL ORDER BY CAST(task_id AS INTEGER), role")) {
            while (rs.next()) out.add(readOptimistic(rs));
        } catch (SQLException e) {
            throw fail("list optimistic tasks", e);
        }
        return out;
    }

    // ------------------------------------------------------------------ dispute games

    /** Records a game this node plays; nothing if known. True if it was new. */
    public synchronized boolean recordGame(long gameId, BigInteger taskId, boolean claimer, long startBlock) {
        try (PreparedStatement ps = db.prepareStatement("INSERT INTO game (game_id, task_id, claimer, start_block, updated_at)"
                + " VALUES (?, ?, ?, ?, ?) ON CONFLICT(game_id) DO NOTHING")) {
            ps.setLong(1, gameId);
            ps.setString(2, taskId.toString());
            ps.setInt(3, claimer ? 1 : 0);
            ps.setLong(4, startBlock);
            ps.setLong(5, System.currentTimeMillis());
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw fail("record game " + gameId + " of task " + taskId, e);
        }
    }

    /** Stores a game's verdict; true the first time. */
    public synchronized boolean resolveGame(long gameId, boolean claimerWon) {
        try (PreparedStatement ps = db.prepareStatement(
                "UPDATE game SET claimer_won = ?, updated_at = ? WHERE game_id = ? AND claimer_won IS NULL")) {
            ps.setInt(1, claimerWon ? 1 : 0);
            ps.setLong(2, System.currentTimeMillis());
            ps.setLong(3, gameId);
            return ps.executeUpdate() == 1;
        } catch (SQLException e) {
            throw fail("resolve game " + gameId, e);
        }
    }

    /** Every game this node plays, in game order (resolved ones too). */
    public synchronized List<GameRecord> games() {
        List<GameRecord> out = new ArrayList<>();
        try (Statement s = db.createStatement(); ResultSet rs = s.executeQuery("SELECT * FROM game ORDER BY game_id")) {
            while (rs.next()) {
                out.add(new GameRecord(rs.getLong("game_id"), new BigInteger(rs.getString("task_id")), rs.getInt("claimer") == 1,
                        rs.getLong("start_block"), rs.getObject("claimer_won") == null ? null : rs.getInt("claimer_won") == 1));
            }
        } catch (SQLException e) {
            throw fail("list games", e);
        }
        return out;
    }

    private static OptimisticRecord readOptimistic(ResultSet rs) throws SQLException {
        return new OptimisticRecord(new BigInteger(rs.getString("task_id")), rs.getString("role"), rs.getString("state"),
                rs.getInt("model_id"), rs.getBytes("input"), rs.getBytes("result_hash"), rs.getBytes("trace_root"),
                rs.getBytes("output"), rs.getBytes("tokens_hash"), rs.getInt("positions"), rs.getInt("leaf_count"),
                rs.getObject("lane") == null ? null : rs.getInt("lane"), rs.getString("tx"), rs.getString("outcome"),
                rs.getString("error"));
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
