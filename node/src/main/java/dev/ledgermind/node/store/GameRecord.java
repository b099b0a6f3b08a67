package dev.ledgermind.node.store;

import java.math.BigInteger;

/**
 * A dispute game this node is a party to (docs/DESIGN.md section 5), one row per game: the optimistic task it
 * decides, the side this node plays ({@code claimer}: it defends its claim; else it attacks the claim as the
 * challenger or the disputing auditor), the block of the ClaimChallenged event that started it (the player reads the
 * game's events from there) and, once it is over, whether the claimer won. Nothing about the moves is stored: a
 * restarted node recomputes its due move from the game's on-chain view and its own recomputation of the task.
 */
public record GameRecord(long gameId, BigInteger taskId, boolean claimer, long startBlock, Boolean claimerWon) {
    public boolean resolved() {
        return claimerWon != null;
    }
}
