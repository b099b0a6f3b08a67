package dev.ledgermind.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/** Runs the real `ledgermind` command in child JVMs, as a user's shell would. */
class LedgermindCliTest {

    @Test
    void helpSucceedsAndUnknownCommandsAreUsageErrors() throws Exception {
        Result help = run("--help");
        assertEquals(0, help.exit, help.output);
        assertTrue(help.output.contains("devnet") && help.output.contains("demo"), help.output);

        Result devnetHelp = run("devnet", "--help");
        assertEquals(0, devnetHelp.exit, devnetHelp.output);
        assertTrue(devnetHelp.output.contains("--block-time"), devnetHelp.output);

        Result unknown = run("no-such-command");
        assertEquals(2, unknown.exit, unknown.output);
        Result badOption = run("devnet", "--block-time", "soon");
        assertEquals(2, badOption.exit, badOption.output);
        assertTrue(badOption.output.contains("--block-time"), badOption.output);
    }

    @Test
    void aBadBatchFileIsRefusedNamingTheLineBeforeAnyNetworkIsContacted(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path bad = dir.resolve("pairs.txt");
        java.nio.file.Files.writeString(bad, "A cat sits\tA kitten rests\nno tab on this line\n");
        Result r = run("ask", "similarity", "--batch", bad.toString());
        assertEquals(1, r.exit, r.output);
        assertTrue(r.output.contains(bad + ":2: a similarity line is two texts separated by one tab, got 1 field(s)"), r.output);
        Path blank = dir.resolve("blank.txt");
        java.nio.file.Files.writeString(blank, "\n  \n");
        Result b = run("ask", "classify", "--labels", "a,b", "--batch", blank.toString());
        assertEquals(1, b.exit, b.output);
        assertTrue(b.output.contains("holds no task (every line is blank)"), b.output);
        Result both = run("ask", "classify", "some text", "--labels", "a,b", "--batch", bad.toString());
        assertTrue(both.output.contains("give TEXT arguments or --batch FILE, not both"), both.output);
        Result opt = run("ask", "classify", "--labels", "a,b", "--mode", "optimistic", "--batch", bad.toString());
        assertTrue(opt.output.contains("--batch runs in replicated mode only"), opt.output);
    }

    @Test
    void devnetPrintsJsonAnswersRpcAndCtrlCStopsAnvil() throws Exception {
        Process cli = new ProcessBuilder(javaCommand("devnet", "--chain-only", "--json", "--chain-id", "777"))
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        try {
            // --json prints one JSON document; read until it closes.
            StringBuilder json = new StringBuilder();
            BufferedReader out = new BufferedReader(new InputStreamReader(cli.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = out.readLine()) != null) {
                json.append(line).append('\n');
                if (line.equals("}")) break;
            }
            JsonNode doc = new ObjectMapper().readTree(json.toString());
            assertEquals(777, doc.get("chainId").asLong());
            String url = doc.get("rpcUrl").asText();
            long anvilPid = doc.get("pid").asLong();
            assertTrue(doc.get("accounts").size() >= 1);
            assertTrue(rpc(url).contains("\"0x309\""), "eth_chainId must answer 777 = 0x309");

            cli.toHandle().destroy(); // SIGTERM, what Ctrl-C's SIGINT also leads to: JVM shutdown hooks run
            assertTrue(cli.waitFor(20, TimeUnit.SECONDS), "ledgermind devnet did not exit after SIGTERM");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (ProcessHandle.of(anvilPid).map(ProcessHandle::isAlive).orElse(false) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertFalse(ProcessHandle.of(anvilPid).map(ProcessHandle::isAlive).orElse(false),
                    "anvil pid " + anvilPid + " outlived the devnet command");
        } finally {
            cli.destroyForcibly();
        }
    }

    private static String rpc(String url) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}"))
                .build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    record Result(int exit, String output) {}

    static Result run(String... args) throws Exception {
        Process p = new ProcessBuilder(javaCommand(args)).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        return new Result(p.exitValue(), output);
    }

    static List<String> javaCommand(String... args) {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", System.getProperty("java.class.path"), Ledgermind.class.getName()));
        cmd.addAll(List.of(args));
        return cmd;
    }
}
