package dev.ledgermind.node.task;

/** What a task asks for. The code is what the chain stores in the task's parameters. */
public enum TaskKind {
    EMBED(1), SIMILARITY(2), CLASSIFY(3), GENERATE(4);

    public final int code;

    TaskKind(int code) {
        this.code = code;
    }

    public static TaskKind ofCode(int code) {
        for (TaskKind k : values()) if (k.code == code) return k;
        throw new IllegalArgumentException("unknown task kind code " + code + " (expected 1..4)");
    }
}
