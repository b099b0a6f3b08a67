package dev.ledgermind.cli;

import picocli.CommandLine;

/**
 * Turns an exception escaping a subcommand into one clear line on stderr and exit code 1.
 * The stack trace is printed only with {@code -vv}, for a developer.
 */
final class CliErrors implements CommandLine.IExecutionExceptionHandler {
    @Override
    public int handleExecutionException(Exception ex, CommandLine cli, CommandLine.ParseResult parsed) {
        String message = ex.getMessage() != null ? ex.getMessage() : ex.getClass().getSimpleName();
        cli.getErr().println("error: " + message);
        if (Logging.level() >= 2) ex.printStackTrace(cli.getErr());
        cli.getErr().flush();
        return 1;
    }
}
