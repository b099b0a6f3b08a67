package dev.ledgermind.node.network;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A worker node running as its own OS process: the same JVM binary and classpath as this one, running
 * {@code dev.ledgermind.node.worker.WorkerMain CONFIG}. Its stdout and stderr go to a log file. It is
 * stopped by its own PID: {@link #stop()} sends SIGTERM and waits, {@link #kill()} sends SIGKILL (the
 * crash test). The node's private key reaches it through its config file, never through its arguments,
 * where {@code ps} would show it.
 */
public final class NodeProcess implements AutoCloseable {
    public static final String MAIN = "dev.ledgermind.node.worker.WorkerMain";

    private final String name;
    private final Path config;
    private final Path logFile;
    private Process process;

    public NodeProcess(String name, Path config, Path logFile) {
        this.name = name;
        this.config = config;
        this.logFile = logFile;
    }

    public synchronized NodeProcess start() throws IOException {
        if (process != null && process.isAlive()) throw new IllegalStateException("node " + name + " is already running");
        Files.createDirectories(logFile.toAbsolutePath().getParent());
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(List.of("--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-XX:+UseSerialGC", "-Xss4m"));
        String home = System.getProperty("ledgermind.home");
        if (home != null) cmd.add("-Dledgermind.home=" + home);
        // a logging configuration chosen for this JVM (e.g. the secrets test's TRACE everywhere) holds for its nodes too
        String logging = System.getProperty("logback.configurationFile");
        if (logging != null) cmd.add("-Dlogback.configurationFile=" + logging);
        // the encoder pass cache's size (0: off) likewise, so a bench can compare the nodes with and without it
        String passCache = System.getProperty("ledgermind.encoder.passCache");
        if (passCache != null) cmd.add("-Dledgermind.encoder.passCache=" + passCache);
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MAIN, config.toString()));
        process = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                .start();
        return this;
    }

    public String name() {
        return name;
    }

    public Path logFile() {
        return logFile;
    }

    public synchronized long pid() {
        return process == null ? -1 : process.pid();
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** SIGKILL, as a crash would: the node gets no chance to clean up. */
    public synchronized void kill() throws InterruptedException {
        if (process == null) return;
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /**
     * SIGSTOP by PID: the process is frozen (as by a long GC pause, a suspended VM or a stalled disk) and
     * keeps its sockets; {@link #resume()} continues it.
     */
    public synchronized void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    /** SIGCONT by PID, after {@link #pause()}. */
    public synchronized void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String name) throws IOException, InterruptedException {
        if (process == null || !process.isAlive()) return;
        Process kill = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).redirectErrorStream(true).start();
        if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
            throw new IOException("kill -" + name + " " + process.pid() + " failed: " + new String(kill.getInputStream().readAllBytes()));
        }
    }

    /** SIGTERM, then SIGKILL after 10 s. */
    public synchronized void stop() throws InterruptedException {
        if (process == null || !process.isAlive()) return;
        try {
            signal("CONT"); // a paused process cannot act on SIGTERM
        } catch (IOException ignored) {
            // it is killed below if it does not stop
        }
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            if (process != null) process.destroyForcibly();
        }
    }
}
