package dev.ledgermind.node.worker;

/**
 * How a deliberately dishonest worker misbehaves, for tests and the demo. The network must catch
 * each one: a wrong result loses the vote and is slashed; a withheld reveal is slashed as a no-show.
 */
public enum Dishonesty {
    /** Computes and reports the true result. */
    HONEST,
    /** Reports a perturbed result: one flipped token, or one perturbed vector component. */
    WRONG_RESULT,
    /** Commits honestly but never reveals. */
    WITHHOLD_REVEAL,
    /** Optimistic mode: audits without replaying (posts the claim's result with made-up leaves): a copier. */
    COPY_AUDIT,
    /** Optimistic mode: challenges every claim it sees, honest ones too, with a made-up trace root. */
    FALSE_CHALLENGE;

    /** The runner a node with this conduct computes with: the honest one, or a {@link LyingRunner} around it. */
    public dev.ledgermind.node.task.TaskRunner decorate(dev.ledgermind.node.task.TaskRunner honest) {
        return this == WRONG_RESULT ? new LyingRunner(honest) : honest;
    }

    /** Whether a node with this conduct reveals what it committed to. */
    public boolean reveals() {
        return this != WITHHOLD_REVEAL;
    }

    public static Dishonesty parse(String s) {
        return switch (s.trim().toLowerCase().replace('_', '-')) {
            case "none", "honest" -> HONEST;
            case "wrong-result", "wrong" -> WRONG_RESULT;
            case "withhold-reveal", "withhold" -> WITHHOLD_REVEAL;
            case "copy-audit" -> COPY_AUDIT;
            case "false-challenge" -> FALSE_CHALLENGE;
            default -> throw new IllegalArgumentException(
                    "unknown dishonesty '" + s + "'; expected none, wrong-result, withhold-reveal, copy-audit or false-challenge");
        };
    }
}
