package dev.ledgermind.node.game;

import dev.ledgermind.chain.ContractRevertedException;
import dev.ledgermind.chain.game.DisputeGameClient;
import dev.ledgermind.chain.game.GamePhase;
import dev.ledgermind.chain.game.GameView;
import dev.ledgermind.inference.step.Openings;
import dev.ledgermind.inference.step.ReductionStates;
import dev.ledgermind.inference.step.Step;
import dev.ledgermind.inference.step.StepOp;
import dev.ledgermind.inference.trace.MerkleTree;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.math.BigInteger;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * One party of one dispute game (docs/DESIGN.md section 5): reads where the game stands, computes its move
 * from its {@link GameWitness} and sends it, until the game is resolved. It keeps no state of its own: every
 * move follows from the game's on-chain view and the party's recomputation, so a player that restarts (a node
 * killed mid-game) picks up at the move that is due. The same code plays the claimer and the challenger, and
 * an honest or a faulty party (the witness decides what it believes).
 */
public final class GamePlayer {
    private static final Logger log = LoggerFactory.getLogger(GamePlayer.class);

    private final DisputeGameClient game;
    private final BigInteger gameId;
    private final boolean claimer;
    private final GameWitness w;
    private final OneStepOpenings openings;

    /** @param game the facade signing as this party */
    public GamePlayer(DisputeGameClient game, BigInteger gameId, boolean claimer, GameWitness w) {
        this.game = game;
        this.gameId = gameId;
        this.claimer = claimer;
        this.w = w;
        this.openings = new OneStepOpenings(w);
    }

    /** Whether the game is over and, if so, whether the claimer won. */
    public Optional<Boolean> outcome() {
        GameView g = game.game(gameId);
        return g.phase() == GamePhase.RESOLVED ? Optional.of(g.claimerWon()) : Optional.empty();
    }

    /**
     * Makes this party's move if one is due. Returns true when it sent one. A move the game refuses because the
     * other party's move changed the level in between is harmless: the next call reads the new state.
     */
    public boolean move() {
        GameView g = game.game(gameId);
        if (g.phase() == GamePhase.RESOLVED || g.phase() == GamePhase.NONE) return false;
        if (g.phase() != GamePhase.STEP && g.moved(claimer)) return false;
        try {
            switch (g.phase()) {
                case TRACE -> descend(g, w.trace().tree());
                case LEAF -> revealLeaf(g);
                case VEC -> descend(g, step(g).opTree(op(g)));
                case CHUNK -> revealChunk(g);
                case STATES -> postStates(g);
                case STATE_TREE -> descend(g, Openings.statesTree(states(g)));
                case STEP -> oneStep(g);
                default -> {
                    return false;
                }
            }
            refusedInARow = 0;
            return true;
        } catch (ContractRevertedException e) {
            // Both parties may move at once: a move sent as the level's first that lands second carries no copy of
            // the other's post (WrongOtherPost, ChunkLength), or the level ended meanwhile (AlreadyMoved, WrongPhase).
            // When the game's view changed since this move was computed, the next call recomputes it; otherwise the
            // refusal is this party's own error and is thrown.
            // The view can also lag the state a move is checked against (eth_call/estimate may see a pending move
            // that the view's read did not), so such a refusal is retried a few times even with an unchanged view.
            GameView now = game.game(gameId);
            boolean changed = now.phase() != g.phase() || now.level() != g.level() || now.index() != g.index()
                    || now.moved(!claimer) != g.moved(!claimer) || now.moved(claimer) != g.moved(claimer);
            if (changed || (RACES.contains(e.errorName()) && ++refusedInARow <= MAX_RACE_RETRIES)) {
                log.debug("game {}: {} (the other party moved meanwhile; retrying)", gameId, e.errorName());
                return false;
            }
            throw e;
        }
    }

    /** The refusals a move can meet only because the other party's move landed first (or is landing). */
    private static final java.util.Set<String> RACES = java.util.Set.of("WrongOtherPost", "ChunkLength", "AlreadyMoved", "WrongPhase");
    private static final int MAX_RACE_RETRIES = 20;
    /** Race refusals in a row with an unchanged view; a landed move resets it. */
    private int refusedInARow;

    /**
     * One turn of a node's loop: this party's move if one is due, else the other party's timeout once its clock ran
     * out (on the chain's clock: block timestamps). Returns the game's outcome once it is resolved.
     */
    public Optional<Boolean> advance() {
        Optional<Boolean> done = outcome();
        if (done.isPresent()) return done;
        if (!move()) claimTimeoutIfDue();
        return outcome();
    }

    /** Moves until the game is resolved; returns whether the claimer won. Also claims a timeout the other party let run out. */
    public boolean playToEnd(Duration timeout, Duration poll) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Optional<Boolean> done = outcome();
            if (done.isPresent()) return done.get();
            if (!move()) {
                claimTimeoutIfDue();
                Thread.sleep(poll.toMillis());
            }
            if (System.nanoTime() > deadline) {
                GameView g = game.game(gameId);
                throw new IllegalStateException("game " + gameId + " did not end within " + timeout + ": it stands at " + g.phase()
                        + " level " + g.level() + " index " + g.index() + ", claimer moved " + g.claimerMoved()
                        + ", challenger moved " + g.challengerMoved());
            }
        }
    }

    /** Ends the game by the other party's timeout when its deadline has passed on the chain's clock. */
    private void claimTimeoutIfDue() {
        GameView g = game.game(gameId);
        if (g.phase() == GamePhase.RESOLVED || g.phase() == GamePhase.NONE) return;
        long[] d = game.deadlines(gameId);
        long theirs = claimer ? d[1] : d[0];
        if (theirs != 0 && game.chainTime() > theirs) {
            try {
                game.timeout(gameId);
                log.info("event=game-timeout-claimed game={} against={}", gameId, claimer ? "challenger" : "claimer");
            } catch (ContractRevertedException e) {
                log.debug("game {}: timeout refused: {}", gameId, e.getMessage());
            }
        }
    }

    // ------------------------------------------------------------------ the moves

    private void descend(GameView g, MerkleTree tree) {
        int level = g.level();
        int d = Math.min(level, DisputeGameClient.LEVELS_PER_MOVE);
        long first = g.index() << d;
        int n = g.nodesDue();
        List<byte[]> nodes = new ArrayList<>(n);
        for (int i = 0; i < n; i++) nodes.add(tree.node(level - d, (int) (first + i)));
        List<byte[]> other = g.moved(!claimer)
                ? game.bisected(gameId, !claimer, level, g.index()).orElseThrow(() -> new IllegalStateException(
                        "game " + gameId + ": the other party moved at level " + level + " but its Bisected event is not found")).nodes()
                : List.of();
        game.bisect(gameId, nodes, other);
    }

    private void revealLeaf(GameView g) {
        Step s = w.step(g.index());
        List<byte[]> mine = Arrays.asList(s.opRoots());
        List<byte[]> other = g.moved(!claimer) ? game.revealedOpRoots(gameId, !claimer).orElseThrow() : zeros(22);
        game.revealLeaf(gameId, mine, other, w.spec());
    }

    private void revealChunk(GameView g) {
        float[] v = step(g).output(op(g));
        byte[] chunk = Openings.element(v, (int) (g.index() * 32)).bytes();
        byte[] other = g.moved(!claimer) ? game.revealedChunk(gameId, !claimer).orElseThrow() : new byte[0];
        game.revealChunk(gameId, chunk, other);
    }

    private void postStates(GameView g) {
        ReductionStates rs = states(g);
        MerkleTree tree = Openings.statesTree(rs);
        int t = rs.chunks();
        game.postStates(gameId, tree.rootBytes(), Openings.stateBytes(rs.state(t)), tree.proof(t - 1).siblings(),
                w.spec(), openings.finish(step(g), op(g), (int) g.element()));
    }

    private void oneStep(GameView g) {
        Step s = step(g);
        StepOp op = op(g);
        int e = (int) g.element();
        List<byte[]> claimerOps = claimer ? Arrays.asList(s.opRoots()) : game.revealedOpRoots(gameId, true).orElseThrow();
        byte[] prev = new byte[0];
        List<byte[]> prevProof = List.of();
        int c = 0;
        if (op.kind.reduction()) {
            c = (int) g.index();
            if (c > 0) {
                ReductionStates rs = states(g);
                prev = Openings.stateBytes(rs.state(c));
                prevProof = Openings.statesTree(rs).proof(c - 1).siblings();
            }
        }
        game.step(gameId, w.spec(), claimerOps, prev, prevProof, openings.step(s, op, e, c));
    }

    private Step step(GameView g) {
        return w.step(g.leaf());
    }

    private static StepOp op(GameView g) {
        return StepOp.values()[g.op()];
    }

    private ReductionStates states(GameView g) {
        return step(g).states(op(g), (int) g.element());
    }

    private static List<byte[]> zeros(int n) {
        List<byte[]> z = new ArrayList<>(n);
        for (int i = 0; i < n; i++) z.add(new byte[32]);
        return z;
    }
}
