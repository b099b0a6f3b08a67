package dev.ledgermind.chain.devnet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

class DevnetTest {

    @Test
    void startsAnswersRpcWithFundedAccountsAndStopsOnClose() throws Exception {
        long pid;
        String url;
        try (Devnet devnet = Devnet.builder().chainId(4242).accounts(3).start()) {
            pid = devnet.pid();
            url = devnet.rpcUrl();
            assertTrue(url.startsWith("http://127.0.0.1:"), url);
            assertEquals(4242, JsonRpc.hexResult(url, "eth_chainId"));
            assertEquals(3, devnet.accounts().size());
            for (DevAccount a : devnet.accounts()) {
                // the key anvil printed must really be the key of the address it printed beside it
                assertEquals(a.address().toLowerCase(), a.credentials().getAddress().toLowerCase());
                String balance = JsonRpc.call(url, "eth_getBalance", "[\"" + a.address() + "\",\"latest\"]");
                assertFalse(balance.contains("\"0x0\""), "account " + a + " is not funded: " + balance);
            }
            assertFalse(devnet.accounts().toString().contains(devnet.accounts().getFirst().privateKey().substring(2)),
                    "toString must not reveal private keys");
        }
        assertProcessGone(pid);
        String finalUrl = url;
        assertThrows(ConnectException.class, () -> JsonRpc.call(finalUrl, "eth_chainId", "[]"));
    }

    @Test
    void twoDevnetsRunAtOnceOnDifferentPorts() throws Exception {
        try (Devnet a = Devnet.builder().chainId(1001).start(); Devnet b = Devnet.builder().chainId(1002).start()) {
            assertNotEquals(a.rpcUrl(), b.rpcUrl());
            assertNotEquals(a.pid(), b.pid());
            assertEquals(1001, JsonRpc.hexResult(a.rpcUrl(), "eth_chainId"));
            assertEquals(1002, JsonRpc.hexResult(b.rpcUrl(), "eth_chainId"));
            JsonRpc.call(a.rpcUrl(), "evm_mine", "[]");
            assertEquals(1, JsonRpc.hexResult(a.rpcUrl(), "eth_blockNumber"));
            assertEquals(0, JsonRpc.hexResult(b.rpcUrl(), "eth_blockNumber"), "mining on one devnet must not touch the other");
        }
    }

    @Test
    void blockTimeMinesBlocksOnItsOwn() throws Exception {
        try (Devnet devnet = Devnet.builder().blockTimeSeconds(1).start()) {
            long first = JsonRpc.hexResult(devnet.rpcUrl(), "eth_blockNumber");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            long now = first;
            while (now < first + 2 && System.nanoTime() < deadline) {
                Thread.sleep(200);
                now = JsonRpc.hexResult(devnet.rpcUrl(), "eth_blockNumber");
            }
            assertTrue(now >= first + 2, "with 1 s blocks the chain should advance by itself; stayed at " + now);
        }
    }

    @Test
    void stateFileSavesTheChainAndResumesIt(@TempDir Path dir) throws Exception {
        Path state = dir.resolve("sub/devnet-state.json");
        try (Devnet devnet = Devnet.builder().stateFile(state).start()) {
            for (int i = 0; i < 5; i++) JsonRpc.call(devnet.rpcUrl(), "evm_mine", "[]");
            assertEquals(5, JsonRpc.hexResult(devnet.rpcUrl(), "eth_blockNumber"));
        }
        assertTrue(Files.size(state) > 0, "closing must dump the state to " + state);
        try (Devnet resumed = Devnet.builder().stateFile(state).start()) {
            assertEquals(5, JsonRpc.hexResult(resumed.rpcUrl(), "eth_blockNumber"),
                    "a devnet started from the saved state must resume at its block height");
        }
    }

    @Test
    void missingBinaryGivesAClearError(@TempDir Path dir) {
        Path missing = dir.resolve("no-such-anvil");
        DevnetException e = assertThrows(DevnetException.class, () -> Devnet.builder().anvil(missing).start());
        assertTrue(e.getMessage().contains("not found") && e.getMessage().contains(missing.toString()), e.getMessage());
    }

    @Test
    void nonExecutableOrBrokenBinaryGivesAClearError(@TempDir Path dir) throws Exception {
        Path garbage = dir.resolve("anvil");
        Files.write(garbage, new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 3, 4, 5, 6, 7, 8, 9});
        DevnetException notExecutable = assertThrows(DevnetException.class, () -> Devnet.builder().anvil(garbage).start());
        assertTrue(notExecutable.getMessage().contains("not executable"), notExecutable.getMessage());

        Files.setPosixFilePermissions(garbage, PosixFilePermissions.fromString("rwx------"));
        DevnetException broken = assertThrows(DevnetException.class, () -> Devnet.builder().anvil(garbage).start());
        assertTrue(broken.getMessage().contains(garbage.toString()), broken.getMessage());

        Path exitsAtOnce = dir.resolve("fake-anvil-that-fails.sh"); // a named fake: a binary that dies at start-up
        Files.writeString(exitsAtOnce, "#!/bin/sh\necho 'error: cannot bind' >&2\nexit 3\n");
        Files.setPosixFilePermissions(exitsAtOnce, PosixFilePermissions.fromString("rwx------"));
        DevnetException died = assertThrows(DevnetException.class, () -> Devnet.builder().anvil(exitsAtOnce).start());
        assertTrue(died.getMessage().contains("exited with code 3") && died.getMessage().contains("cannot bind"),
                died.getMessage());
    }

    @Test
    void anvilIsStoppedWhenTheJvmExitsWithoutClosing() throws Exception {
        for (String mode : List.of("exit", "return")) {
            Process child = new ProcessBuilder(javaCommand(DevnetChild.class.getName(), mode))
                    .redirectErrorStream(true).start();
            long anvilPid = -1;
            StringBuilder output = new StringBuilder();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    output.append(line).append('\n');
                    if (line.startsWith("ANVIL_PID=")) anvilPid = Long.parseLong(line.substring(10).trim());
                }
            }
            assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child JVM did not exit");
            assertTrue(anvilPid > 0, "child did not report anvil's pid:\n" + output);
            assertProcessGone(anvilPid);
        }
    }

    static List<String> javaCommand(String mainClass, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), mainClass));
        cmd.addAll(List.of(args));
        return cmd;
    }

    static void assertProcessGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            if (ProcessHandle.of(pid).map(ph -> !ph.isAlive()).orElse(true)) return;
            Thread.sleep(50);
        }
        fail("anvil pid " + pid + " is still running");
    }
}
