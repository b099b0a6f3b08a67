package dev.ledgermind.node.client;

import dev.ledgermind.chain.game.GameReport;
import dev.ledgermind.inference.step.StepOp;

import java.util.LinkedHashMap;
import java.util.Map;

/** A dispute game's record for people (one line) and for JSON receipts, with step program v1's op names. */
public final class GameWords {
    private GameWords() {}

    /** The name of op {@code op} of step program v1 (StepOp's order is the contract's op index). */
    public static String opName(int op) {
        StepOp[] ops = StepOp.values();
        return op >= 0 && op < ops.length ? ops[op].opName : "op " + op;
    }

    /**
     * For example: "11 moves over 9 levels; first difference at position 2, layer 1, op down, element 5
     * (claimer 0x3f800000, challenger 0x3f800001); one step on chain re-executed chunk 3: it reproduces the
     * challenger's value".
     */
    public static String summary(GameReport g) {
        StringBuilder s = new StringBuilder();
        s.append(g.moves()).append(g.moves() == 1 ? " move" : " moves").append(" over ").append(g.levels())
                .append(g.levels() == 1 ? " level" : " levels");
        if (g.found() != null) {
            s.append("; first difference at position ").append(g.found().position()).append(", layer ").append(g.found().layer())
                    .append(", op ").append(opName(g.found().op()));
        }
        if (g.element() != null) {
            s.append(", element ").append(g.element().element()).append(" (claimer ").append(bits(g.element().claimerBits()))
                    .append(", challenger ").append(bits(g.element().challengerBits())).append(')');
        }
        if (g.step() != null) {
            s.append("; one step on chain re-executed chunk ").append(g.step().chunk()).append(": it reproduces ")
                    .append(g.step().claimerMatches() ? g.step().challengerMatches() ? "both values" : "the claimer's value"
                            : g.step().challengerMatches() ? "the challenger's value" : "neither value");
        } else if (g.reason() != null) {
            s.append("; ended by ").append(g.reason());
        }
        return s.toString();
    }

    /** The record as a JSON-friendly map. */
    public static Map<String, Object> document(GameReport g) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("gameId", g.gameId());
        m.put("ended", g.ended());
        m.put("claimerWins", g.claimerWins());
        m.put("reason", g.reason());
        m.put("levels", g.levels());
        m.put("moves", g.moves());
        if (g.found() != null) {
            m.put("leaf", g.found().leaf());
            m.put("position", g.found().position());
            m.put("layer", g.found().layer());
            m.put("op", opName(g.found().op()));
            m.put("opIndex", g.found().op());
        }
        if (g.element() != null) {
            m.put("element", g.element().element());
            m.put("claimerValueBits", bits(g.element().claimerBits()));
            m.put("challengerValueBits", bits(g.element().challengerBits()));
        }
        if (g.step() != null) {
            m.put("oneStepChunk", g.step().chunk());
            m.put("oneStepClaimerMatches", g.step().claimerMatches());
            m.put("oneStepChallengerMatches", g.step().challengerMatches());
        }
        m.put("transactions", g.transactions());
        return m;
    }

    private static String bits(int v) {
        return String.format("0x%08x", v);
    }
}
