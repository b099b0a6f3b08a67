package dev.ledgermind.chain.game;

import java.math.BigInteger;
import java.util.List;

/**
 * What one dispute game did, read back from its events (DisputeGame.sol): how far it went, where the parties'
 * computations first differ and how the contract decided. This is what a receipt of a challenged optimistic
 * task shows. Parts the game did not reach are null ({@code found} before the leaf reveal, {@code element}
 * before the chunk, {@code step} unless the game ended in a one step).
 *
 * @param levels       how many levels of the game both parties completed (one Advanced event each): the rounds
 * @param moves        the parties' move transactions (descents, reveals, states, the one step)
 * @param transactions every transaction hash that carried an event of this game, in chain order
 * @param reason       how it ended: "timeout", "finish mismatch" or "one step"; null while it runs
 */
public record GameReport(BigInteger gameId, boolean ended, boolean claimerWins, String reason, int levels, int moves,
                         List<String> transactions, Found found, Element element, Step step) {

    /** The first differing trace leaf, at (position, layer), and the first differing op of step program v1 in it. */
    public record Found(long leaf, long position, long layer, int op) {}

    /** The first differing element of that op's output, with both parties' values as binary32 bits. */
    public record Element(long element, int claimerBits, int challengerBits) {}

    /** The one step: the chunk of the element's reduction the contract re-executed, and whose value it reproduced. */
    public record Step(int op, long element, long chunk, boolean claimerMatches, boolean challengerMatches) {}

    /** DisputeGame.Reason in words. */
    static String reason(int code) {
        return switch (code) {
            case 0 -> "timeout";
            case 1 -> "finish mismatch";
            case 2 -> "one step";
            default -> "reason " + code;
        };
    }
}
