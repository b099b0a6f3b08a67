package dev.ledgermind.cli;

import dev.ledgermind.chain.devnet.DevAccount;
import dev.ledgermind.chain.devnet.Devnet;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ledgermind devnet}: a local chain that runs until Ctrl-C. */
@Command(name = "devnet", mixinStandardHelpOptions = true,
        description = "Start a local EVM chain (anvil) and keep it running until Ctrl-C.")
final class DevnetCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--block-time", paramLabel = "SECONDS", defaultValue = "0",
            description = "Seconds between blocks; 0 mines every transaction at once (default: ${DEFAULT-VALUE}).")
    int blockTime;

    @Option(names = "--state", paramLabel = "FILE",
            description = "Load the chain from FILE if it exists, and save it there on exit.")
    Path stateFile;

    @Option(names = "--chain-id", defaultValue = "31337", description = "Chain id (default: ${DEFAULT-VALUE}).")
    long chainId;

    @Option(names = "--accounts", defaultValue = "10", description = "Funded dev accounts (default: ${DEFAULT-VALUE}).")
    int accounts;

    @Override
    public Integer call() throws Exception {
        common.progress("starting anvil...");
        try (Devnet devnet = Devnet.builder()
                .blockTimeSeconds(blockTime).stateFile(stateFile).chainId(chainId).accounts(accounts).start()) {
            // Ctrl-C runs the JVM's shutdown hooks; Devnet's own hook stops anvil by its PID.
            print(devnet);
            int exit = devnet.awaitExit();
            System.err.println("anvil exited on its own with code " + exit);
            return 1;
        }
    }

    private void print(Devnet devnet) {
        List<DevAccount> funded = devnet.accounts();
        if (common.json()) {
            Map<String, Object> doc = new LinkedHashMap<>();
            doc.put("rpcUrl", devnet.rpcUrl());
            doc.put("chainId", devnet.chainId());
            doc.put("pid", devnet.pid());
            doc.put("blockTimeSeconds", blockTime);
            doc.put("stateFile", stateFile == null ? null : stateFile.toAbsolutePath().toString());
            doc.put("accounts", funded.stream().map(a -> Map.of(
                    "index", a.index(), "address", a.address(), "privateKey", a.privateKey())).toList());
            common.printJson(doc);
            return;
        }
        System.out.println("Ledgermind devnet is running (anvil pid " + devnet.pid() + ")");
        System.out.println("  RPC URL    " + devnet.rpcUrl());
        System.out.println("  chain id   " + devnet.chainId());
        System.out.println("  blocks     " + (blockTime == 0 ? "mined on every transaction" : "every " + blockTime + " s"));
        if (stateFile != null) System.out.println("  state      " + stateFile.toAbsolutePath() + " (saved on exit)");
        System.out.println("Funded dev accounts (public test keys, never use them on a real network):");
        for (DevAccount a : funded) {
            System.out.println("  (" + a.index() + ") " + a.address() + "  key " + a.privateKey());
        }
        System.out.println("Try: curl -s -X POST -H 'Content-Type: application/json' --data "
                + "'{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}' " + devnet.rpcUrl());
        System.out.println("Press Ctrl-C to stop.");
        System.out.flush();
    }
}
