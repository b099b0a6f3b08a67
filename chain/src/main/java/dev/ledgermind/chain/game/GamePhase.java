package dev.ledgermind.chain.game;

/** The phases of a dispute game, in DisputeGame.Phase's order (docs/DESIGN.md section 5). */
public enum GamePhase {
    NONE, TRACE, LEAF, VEC, CHUNK, STATES, STATE_TREE, STEP, RESOLVED;

    /** Whether moves of this phase are descent moves ({@code bisect}). */
    public boolean isDescent() {
        return this == TRACE || this == VEC || this == STATE_TREE;
    }

    static GamePhase of(int ordinal) {
        GamePhase[] all = values();
        if (ordinal < 0 || ordinal >= all.length) {
            throw new IllegalArgumentException("DisputeGame phase " + ordinal + " is not one of 0.." + (all.length - 1));
        }
        return all[ordinal];
    }
}
