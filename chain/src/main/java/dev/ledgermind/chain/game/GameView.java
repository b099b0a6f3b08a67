package dev.ledgermind.chain.game;

import java.math.BigInteger;

/**
 * One game as DisputeGame.gameOf returns it. {@code claimerMoved} / {@code challengerMoved} say who has
 * moved in the current level; {@code level}/{@code index}/{@code size} locate the node of the tree being
 * walked (the states tree's T from {@link GamePhase#STATES} on); {@code op}, {@code element}, {@code leaf}
 * and the two values are set once the game found them. Hashes are 32-byte arrays.
 */
public record GameView(
        String claimer, long claimerSecondsLeft, int positions,
        String challenger, long challengerSecondsLeft, int layers,
        long levelStart, GamePhase phase, boolean claimerMoved, boolean challengerMoved,
        int level, long index, long size, int op, long element, long leaf, long opLength,
        int claimerValue, int challengerValue, boolean claimerWon,
        BigInteger taskId, byte[] specHash, byte[] weightsRoot, byte[] tokensHash,
        byte[] claimerTraceRoot, byte[] challengerTraceRoot,
        byte[] claimerNode, byte[] challengerNode, byte[] pending, byte[] claimerOpRootsHash,
        byte[] claimerStatesRoot, byte[] challengerStatesRoot) {

    /** The disputed leaf's position (meaningful from {@link GamePhase#VEC} on). */
    public long position() {
        return leaf / layers;
    }

    /** The disputed leaf's layer. */
    public long layer() {
        return leaf % layers;
    }

    /** Whether {@code claimer} (true) or the challenger has moved in the current level. */
    public boolean moved(boolean asClaimer) {
        return asClaimer ? claimerMoved : challengerMoved;
    }

    /** How many descendants a descent move posts now (DisputeGame.LEVELS_PER_MOVE levels down, fewer at the edge). */
    public int nodesDue() {
        int d = Math.min(level, DisputeGameClient.LEVELS_PER_MOVE);
        long first = index << d;
        long levelSize = ((size - 1) >> (level - d)) + 1;
        return (int) Math.min(levelSize - first, 1L << d);
    }
}
