package dev.ledgermind.node.network;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.chain.TaskRequest;
import dev.ledgermind.chain.devnet.DevAccount;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskKind;
import dev.ledgermind.node.task.TaskRunner;
import dev.ledgermind.node.task.TaskRunners;
import dev.ledgermind.node.worker.Dishonesty;
import dev.ledgermind.node.worker.NodeConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * No private key in any output. A devnet with three worker processes runs the demo's path (classify
 * and similarity tasks with a dishonest node, a malformed task input, receipts), with every logger of
 * this JVM and of the node processes at TRACE. Two nodes that cannot start are launched as well, one
 * with a config file whose key is not quoted (the JSON error path) and one whose chain is unreachable.
 * Then every node log, this JVM's log, every metrics page, every receipt and every error message is
 * searched for each account's private key, in hex with or without {@code 0x}, in any letter case.
 *
 * <p>The node config has no keystore (the key is in the file or {@code LEDGERMIND_NODE_KEY}), so there
 * is no keystore password to search for.
 */
class SecretsInOutputTest {
    static final String MODEL = TaskRunners.DEFAULT_MODEL;
    static final BigInteger FEE = BigInteger.TEN.pow(16);

    @TempDir
    Path dir;

    @Test
    void noPrivateKeyAppearsInAnyLogMetricReceiptOrErrorMessage() throws Exception {
        Map<String, String> outputs = new LinkedHashMap<>(); // what was printed, by where it came from
        Path trace = dir.resolve("logback-trace.xml");
        Files.writeString(trace, """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level %logger %msg%n%ex</pattern></encoder>
                  </appender>
                  <root level="TRACE"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        ByteArrayOutputStream thisJvm = new ByteArrayOutputStream();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        Level before = root.getLevel();
        OutputStreamAppender<ILoggingEvent> capture = capture(root, thisJvm);
        String property = System.setProperty("logback.configurationFile", trace.toString()); // NodeProcess passes it on
        List<String> said = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        try {
            root.setLevel(Level.TRACE);
            TaskRunner runner = TaskRunners.defaultModels();
            LocalNetwork.Options options = LocalNetwork.Options.defaults(dir.resolve("net")).withNodes(3)
                    .withDishonest(2, Dishonesty.WRONG_RESULT).withWindows(30, 60);
            try (LocalNetwork net = LocalNetwork.start(options, List.of(MODEL), runner, said::add)) {
                for (DevAccount a : net.devnet().accounts()) keys.add(a.privateKey());
                Requester requester = new Requester(net.requester());
                int model = net.modelId(MODEL);
                List<SubmittedTask> tasks = List.of(
                        requester.submit(TaskInput.classify(MODEL, "My order arrived broken.", List.of("complaint", "praise")), model, 3, FEE),
                        requester.submit(TaskInput.similarity(MODEL, "A cat sleeps.", "A kitten naps."), model, 3, FEE),
                        net.requester().submitTask(TaskRequest.inline(model, "{\"kind\":".getBytes(StandardCharsets.UTF_8),
                                TaskKind.CLASSIFY.code, 3, FEE)));
                for (SubmittedTask t : tasks) {
                    // a liar's split is held for one reveal window before it settles: the devnet's clock skips it
                    Receipt r = net.awaitSkippingHold(requester, t.taskId(), Duration.ofMinutes(4), said::add);
                    outputs.put("receipt of task " + t.taskId(), r.toString());
                }
                HttpClient http = HttpClient.newHttpClient();
                for (LocalNetwork.Node n : net.nodes()) {
                    HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.metricsPort() + "/metrics"))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    assertEquals(200, page.statusCode());
                    outputs.put("metrics of node-" + n.index(), page.body());
                    outputs.put("config of node-" + n.index(), NodeConfig.read(n.config()).toString());
                }
                // the error paths: a config file with the key unquoted, and a node whose chain is not there
                Path config0 = net.nodes().getFirst().config();
                String text = Files.readString(config0);
                String unquoted = text.replaceAll("\"privateKey\"\\s*:\\s*\"(0x[0-9a-fA-F]+)\"", "\"privateKey\": $1");
                assertNotEquals(text, unquoted, "the key was not found in " + config0);
                outputs.put("error of a broken config", failedStart(config0.resolveSibling("broken.json"), unquoted, dir.resolve("broken.log")));
                String spare = keys.getLast();
                String offline = text.replaceAll("\"rpcUrl\"\\s*:\\s*\"[^\"]*\"", "\"rpcUrl\": \"http://127.0.0.1:9\"")
                        .replaceAll("\"privateKey\"\\s*:\\s*\"[^\"]*\"", "\"privateKey\": \"" + spare + "\"")
                        .replace("node-0.db", "offline.db");
                outputs.put("error of a node without a chain", failedStart(config0.resolveSibling("offline.json"), offline, dir.resolve("offline.log")));
                try {
                    NodeConfig.parse(unquoted.getBytes(StandardCharsets.UTF_8), config0);
                    fail("the broken config parsed");
                } catch (IllegalArgumentException e) {
                    outputs.put("NodeConfig error message", e.getMessage());
                }
            }
        } finally {
            root.setLevel(before);
            root.detachAppender(capture);
            capture.stop();
            if (property == null) System.clearProperty("logback.configurationFile");
            else System.setProperty("logback.configurationFile", property);
        }
        outputs.put("this JVM's log (devnet, deployer, requester)", thisJvm.toString(StandardCharsets.UTF_8));
        outputs.put("network start-up lines", String.join("\n", said));
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path log : files.filter(p -> p.toString().endsWith(".log")).sorted().toList()) {
                outputs.put(dir.relativize(log).toString(), Files.readString(log, StandardCharsets.ISO_8859_1));
            }
        }
        assertTrue(outputs.keySet().stream().filter(k -> k.endsWith(".log")).count() >= 5, "node logs: " + outputs.keySet());
        assertTrue(outputs.get("net/node-0.log").contains(" DEBUG "), "the nodes did not log at their most verbose");
        assertTrue(outputs.get("error of a broken config").contains("not valid JSON"), outputs.get("error of a broken config"));
        long bytes = outputs.values().stream().mapToLong(String::length).sum();
        assertTrue(bytes > 100_000, "too little output to be a verbose run: " + bytes + " chars");

        assertEquals(List.of("planted"), leaks(Map.of("planted", "x=0X" + keys.getFirst().replaceFirst("^0x", "").toUpperCase(Locale.ROOT)), keys),
                "the scan must find a key in any letter case");
        outputs.forEach((name, text) -> System.out.println("scanned " + name + ": " + text.length() + " chars"));
        assertEquals(List.of(), leaks(outputs, keys), "private keys in the output (" + bytes + " chars in " + outputs.size() + " outputs scanned)");
    }

    /** The outputs (by name) in which any key appears, with or without 0x, in any case. */
    static List<String> leaks(Map<String, String> outputs, List<String> keys) {
        List<String> found = new ArrayList<>();
        for (Map.Entry<String, String> o : outputs.entrySet()) {
            String text = o.getValue().toLowerCase(Locale.ROOT);
            for (String key : keys) {
                String hex = key.toLowerCase(Locale.ROOT).replaceFirst("^0x", "");
                if (text.contains(hex)) {
                    found.add(o.getKey());
                    break;
                }
            }
        }
        return found;
    }

    /** Starts a worker on {@code config} (written with owner-only permissions), waits for it to exit, and returns its output. */
    static String failedStart(Path file, String config, Path log) throws Exception {
        Files.writeString(file, config);
        NodeProcess p = new NodeProcess(file.getFileName().toString(), file, log).start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (p.isAlive() && System.nanoTime() < deadline) Thread.sleep(200);
            assertFalse(p.isAlive(), "a node with config " + file + " should have exited");
        } finally {
            p.kill();
        }
        return Files.readString(log);
    }

    static OutputStreamAppender<ILoggingEvent> capture(Logger root, ByteArrayOutputStream into) {
        LoggerContext ctx = root.getLoggerContext();
        PatternLayoutEncoder enc = new PatternLayoutEncoder();
        enc.setContext(ctx);
        enc.setPattern("%d{HH:mm:ss.SSS} %-5level %logger %msg%n%ex");
        enc.start();
        OutputStreamAppender<ILoggingEvent> a = new OutputStreamAppender<>();
        a.setContext(ctx);
        a.setEncoder(enc);
        a.setOutputStream(into);
        a.start();
        root.addAppender(a);
        return a;
    }
}
