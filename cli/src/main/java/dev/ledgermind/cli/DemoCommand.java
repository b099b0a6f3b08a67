package dev.ledgermind.cli;

import dev.ledgermind.chain.devnet.Devnet;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.math.BigInteger;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code ledgermind demo}: the README's main command. For now it brings a devnet up, checks that it
 * answers, and shuts it down; the node work fills in verified tasks end to end.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the Ledgermind demo end to end on a local devnet, then shut everything down.")
final class DemoCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Override
    public Integer call() throws Exception {
        Map<String, Object> doc = new LinkedHashMap<>();
        say("1. Starting a local EVM chain (anvil, pinned through npm)...");
        long started = System.nanoTime();
        try (Devnet devnet = Devnet.start()) {
            Web3j web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
            try {
                BigInteger chainId = web3.ethChainId().send().getChainId();
                BigInteger block = web3.ethBlockNumber().send().getBlockNumber();
                say("   chain " + chainId + " answers at " + devnet.rpcUrl() + ", block " + block
                        + ", " + devnet.accounts().size() + " funded accounts");
                doc.put("rpcUrl", devnet.rpcUrl());
                doc.put("chainId", chainId.longValue());
                doc.put("blockNumber", block.longValue());
            } finally {
                web3.shutdown();
            }
            say("2. Shutting the chain down (anvil pid " + devnet.pid() + ")...");
        }
        doc.put("seconds", (System.nanoTime() - started) / 1e9);
        if (common.json()) common.printJson(doc);
        else say("Done: everything is stopped.");
        return 0;
    }

    private void say(String line) {
        if (!common.json()) System.out.println(line);
    }
}
