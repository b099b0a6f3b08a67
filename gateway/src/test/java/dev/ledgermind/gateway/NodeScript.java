package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** Runs one of the JavaScript client scripts in src/test/js with node, bounded in time, and parses the JSON it prints. */
final class NodeScript {
    private NodeScript() {}

    static JsonNode run(String script, String... args) throws Exception {
        Path dir = Path.of("src", "test", "js").toAbsolutePath();
        var cmd = new java.util.ArrayList<String>(java.util.List.of("node", dir.resolve(script).toString()));
        cmd.addAll(java.util.List.of(args));
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(false).start();
        try {
            var err = new java.io.ByteArrayOutputStream();
            Thread drain = Thread.ofVirtual().start(() -> {
                try {
                    p.getErrorStream().transferTo(err);
                } catch (java.io.IOException ignored) {
                    // the process ended
                }
            });
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(180, TimeUnit.SECONDS)) throw new AssertionError(script + " did not finish in 180 s");
            drain.join();
            String stdout = new String(out, StandardCharsets.UTF_8).trim();
            if (p.exitValue() != 0) {
                throw new AssertionError(script + " exited " + p.exitValue() + ":\n" + err.toString(StandardCharsets.UTF_8) + "\n" + stdout);
            }
            return TestGateway.JSON.readTree(stdout.substring(stdout.lastIndexOf("\n") + 1));
        } finally {
            p.destroyForcibly();
        }
    }
}
