package dev.ledgermind.node.worker;

/**
 * What a node does besides the tasks it is drawn for (docs/DESIGN.md section 7). Every node computes the tasks
 * it is drawn for and audits the optimistic claims it is drawn to validate; a {@link #VALIDATOR} also replays
 * every optimistic claim of the models it serves and challenges the wrong ones.
 */
public enum NodeRole {
    WORKER,
    VALIDATOR;

    public static NodeRole parse(String s) {
        return switch (s.trim().toLowerCase()) {
            case "worker" -> WORKER;
            case "validator" -> VALIDATOR;
            default -> throw new IllegalArgumentException("unknown role '" + s + "'; expected worker or validator");
        };
    }
}
