package dev.ledgermind.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ledgermind} command: the entry point to every subcommand. */
@Command(
        name = "ledgermind",
        mixinStandardHelpOptions = true,
        versionProvider = Version.class,
        description = "Verifiable off-chain AI: deterministic inference on independent nodes, settled on an EVM chain.",
        subcommands = {
                DemoCommand.class,
                AskCommand.class,
                ReceiptCommand.class,
                NodeCommand.class,
                BenchCommand.class,
                ChaosCommand.class,
                DevnetCommand.class,
                ServeCommand.class,
                EmbedCommand.class,
                SimilarityCommand.class,
                ClassifyCommand.class,
                GenerateCommand.class,
                ModelCommand.class,
                CommandLine.HelpCommand.class,
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
                "0:success",
                "1:the command failed (the error is on stderr)",
                "2:invalid usage (unknown option, missing argument)",
        })
public final class Ledgermind implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs the command line and returns its exit code (tests call this instead of main). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Ledgermind());
        cli.setExecutionExceptionHandler(new CliErrors());
        return cli.execute(args);
    }

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }
}
