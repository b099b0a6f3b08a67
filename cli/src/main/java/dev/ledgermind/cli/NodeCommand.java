package dev.ledgermind.cli;

import dev.ledgermind.node.worker.Dishonesty;
import dev.ledgermind.node.worker.NodeRole;
import dev.ledgermind.node.worker.NodeConfig;
import dev.ledgermind.node.worker.WorkerMain;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.math.BigInteger;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ledgermind node run}: a worker node. */
@Command(name = "node", mixinStandardHelpOptions = true, description = "Run a Ledgermind node.",
        subcommands = NodeCommand.Run.class)
final class NodeCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = {"Run a worker: register and stake once, serve models, compute, commit, reveal and claim.",
                    "The private key comes from the config file or LEDGERMIND_NODE_KEY, never from a flag."})
    static final class Run implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Option(names = "--config", required = true, paramLabel = "FILE", description = "Node config (JSON).")
        Path config;

        @Option(names = "--rpc-url", description = "Override the config's RPC URL.")
        String rpcUrl;

        @Option(names = "--models", split = ",", description = "Override the config's models (comma-separated).")
        List<String> models;

        @Option(names = "--store", paramLabel = "FILE", description = "Override the config's store file.")
        Path store;

        @Option(names = "--metrics-port", description = "Override the config's metrics port (0 = any free port).")
        Integer metricsPort;

        @Option(names = "--stake-wei", description = "Override the config's stake.")
        BigInteger stake;

        @Option(names = "--dishonest", paramLabel = "MODE",
                description = "Testing only: none, wrong-result, withhold-reveal, copy-audit, false-challenge, one-step-wrong or one-item-wrong (an optimistic batch wrong on item 1 only). The network must catch it.")
        String dishonest;

        @Option(names = "--role", paramLabel = "ROLE",
                description = "worker (default: the tasks it is drawn for, and the audits it is drawn for) or validator "
                        + "(also replays every optimistic claim of its models and challenges the wrong ones).")
        String role;

        @Override
        public Integer call() throws Exception {
            NodeConfig c = NodeConfig.read(config);
            c = new NodeConfig(c.name(), rpcUrl != null ? rpcUrl : c.rpcUrl(), c.deployment(), c.privateKey(), c.agentUri(),
                    models != null ? models : c.models(), stake != null ? stake : c.stakeWei(),
                    store != null ? store : c.store(), metricsPort != null ? metricsPort : c.metricsPort(), c.pollMillis(),
                    dishonest != null ? Dishonesty.parse(dishonest) : c.dishonesty(), c.limits(), c.feedPort(), c.feedUrl(),
                    role != null ? NodeRole.parse(role) : c.role());
            WorkerMain.run(c);
            return 0;
        }
    }
}
