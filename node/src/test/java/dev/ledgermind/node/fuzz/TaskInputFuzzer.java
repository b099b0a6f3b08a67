package dev.ledgermind.node.fuzz;

import dev.ledgermind.inference.fuzz.FormatErrors;
import dev.ledgermind.node.task.TaskInput;

import java.util.Arrays;
import java.util.regex.Pattern;

/**
 * Fuzz target: a task's input bytes as they arrive from the chain ({@link TaskInput#parse}), which every
 * worker parses before it computes. The documented error is {@link IllegalArgumentException} (the worker
 * turns it into the canonical error output); anything else would stop the worker's event loop. Its
 * message must name the JSON path, the byte or character offset, or the line and column.
 * A parse that succeeds must be canonical: the input re-encodes to exactly its bytes.
 */
public final class TaskInputFuzzer {
    static final Pattern WHERE = Pattern.compile("^task input( is not valid UTF-8)?:? .*(\\$[.a-zA-Z]*|byte offset \\d+|character offset \\d+|line \\d+, column \\d+)");

    private TaskInputFuzzer() {
    }

    /** Loads (and has Jazzer instrument) the JSON classes once, before inputs are timed. */
    public static void fuzzerInitialize() {
        TaskInput.parse(TaskInput.classify("m", "t", java.util.List.of("a", "b")).bytes());
        fuzzerTestOneInput("{\"kind\":\"generate\",\"model\":\"m\",\"prompt\":\"p\",\"maxTokens\":1,\"temperature\":0.5,\"seed\":1}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        fuzzerTestOneInput("{\"kind\":[1,{}, null, true, 1e5, \"\\u00e9\"]".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    public static void fuzzerTestOneInput(byte[] input) {
        try {
            TaskInput t = TaskInput.parse(input);
            if (!Arrays.equals(t.bytes(), input)) throw new AssertionError("parsed input is not canonical");
        } catch (IllegalArgumentException e) {
            FormatErrors.requireWhere(e, WHERE);
        }
    }
}
