package dev.ledgermind.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import picocli.CommandLine.Option;

import java.io.PrintStream;

/**
 * Options every subcommand shares: {@code --json} (one JSON document on stdout, lowerCamelCase keys)
 * and {@code -v} (more logging on stderr). Mixed into each subcommand.
 */
public final class CommonOptions {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    @Option(names = "--json", description = "Print one JSON document on stdout instead of text.")
    boolean json;

    @Option(names = {"-v", "--verbose"}, description = "More logging on stderr (-vv for debug).")
    void verbose(boolean[] flags) {
        Logging.verbosity(flags.length);
    }

    public boolean json() {
        return json;
    }

    /** Prints {@code value} as the command's single JSON document. */
    public void printJson(Object value) {
        try {
            PrintStream out = System.out;
            out.println(JSON.writeValueAsString(value));
            out.flush();
        } catch (Exception e) {
            throw new IllegalStateException("cannot encode the result as JSON: " + e.getMessage(), e);
        }
    }

    /**
     * A progress line on stderr, shown only on an interactive terminal and with --json off. (The JDK can
     * only tell whether the console is a terminal, not stderr alone; redirecting output turns it off.)
     */
    public void progress(String line) {
        if (!json && INTERACTIVE) System.err.println(line);
    }

    private static final boolean INTERACTIVE = System.console() != null && System.console().isTerminal();
}
