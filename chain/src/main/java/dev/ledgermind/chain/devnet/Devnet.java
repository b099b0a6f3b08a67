package dev.ledgermind.chain.devnet;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A local EVM chain: an anvil child process on a free loopback port.
 *
 * <p>Life cycle: {@link #start()} launches anvil with {@code --port 0}, keeps draining its output on
 * a daemon thread (anvil blocks if nobody reads it), parses the funded accounts, private keys and the
 * {@code Listening on} line from that output, then waits until {@code eth_chainId} answers. {@link #close()}
 * (and a JVM shutdown hook, for a JVM that exits without closing) stops anvil by its own PID: SIGTERM,
 * then SIGKILL if it has not exited within five seconds. Nothing is ever killed by name.
 */
public final class Devnet implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Devnet.class);
    private static final Pattern LISTENING = Pattern.compile("Listening on ([0-9.]+):(\\d+)");
    private static final Pattern ACCOUNT = Pattern.compile("^\\((\\d+)\\) (0x[0-9a-fA-F]{40})\\b");
    private static final Pattern KEY = Pattern.compile("^\\((\\d+)\\) (0x[0-9a-fA-F]{64})\\s*$");
    private static final int OUTPUT_TAIL_LINES = 60;

    private final Process process;
    private final String rpcUrl;
    private final long chainId;
    private final List<DevAccount> accounts;
    private final Thread shutdownHook;
    private final Path stateFile;

    private Devnet(Process process, String rpcUrl, long chainId, List<DevAccount> accounts, Path stateFile) {
        this.process = process;
        this.rpcUrl = rpcUrl;
        this.chainId = chainId;
        this.accounts = accounts;
        this.stateFile = stateFile;
        this.shutdownHook = new Thread(this::stopProcess, "devnet-shutdown-" + process.pid());
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts a devnet with the defaults: instant mining, chain id 31337, ten funded accounts. */
    public static Devnet start() {
        return builder().start();
    }

    public String rpcUrl() {
        return rpcUrl;
    }

    public long chainId() {
        return chainId;
    }

    /** The funded dev accounts, in anvil's order. */
    public List<DevAccount> accounts() {
        return accounts;
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** The state file this devnet loads from and dumps to on close, if one was given. */
    public Path stateFile() {
        return stateFile;
    }

    /** Blocks until anvil exits on its own (or the thread is interrupted). */
    public int awaitExit() throws InterruptedException {
        return process.waitFor();
    }

    @Override
    public void close() {
        stopProcess();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the JVM is already exiting; the hook runs stopProcess, which is idempotent
        }
    }

    private void stopProcess() {
        if (!process.isAlive()) return;
        ProcessHandle handle = process.toHandle();
        handle.destroy(); // SIGTERM: anvil exits cleanly and dumps --state if asked
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                log.warn("anvil pid {} ignored SIGTERM for 5 s; sending SIGKILL", handle.pid());
                handle.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            handle.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        log.debug("anvil pid {} stopped", handle.pid());
    }

    /** Options for a devnet. */
    public static final class Builder {
        private Path anvil;
        private long chainId = 31337;
        private int accounts = 10;
        private int blockTimeSeconds = 0;
        private Path stateFile;
        private Duration startTimeout = Duration.ofSeconds(20);

        private Builder() {}

        /** The anvil binary to run; by default {@link AnvilBinary#locate()} finds the pinned one. */
        public Builder anvil(Path binary) {
            this.anvil = binary;
            return this;
        }

        public Builder chainId(long chainId) {
            this.chainId = chainId;
            return this;
        }

        public Builder accounts(int accounts) {
            if (accounts < 1) throw new IllegalArgumentException("accounts must be at least 1, got " + accounts);
            this.accounts = accounts;
            return this;
        }

        /** 0 mines each transaction at once (the default); N mines a block every N seconds. */
        public Builder blockTimeSeconds(int seconds) {
            if (seconds < 0) throw new IllegalArgumentException("block time must be >= 0 seconds, got " + seconds);
            this.blockTimeSeconds = seconds;
            return this;
        }

        /** Loads the chain from this file when it exists, and saves it there on close. */
        public Builder stateFile(Path file) {
            this.stateFile = file;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public Devnet start() {
            Path binary = anvil != null ? anvil : AnvilBinary.locate();
            if (!Files.isRegularFile(binary)) {
                throw new DevnetException("anvil binary not found at " + binary);
            }
            if (!Files.isExecutable(binary)) {
                throw new DevnetException("anvil binary at " + binary + " is not executable");
            }
            List<String> command = new ArrayList<>(List.of(binary.toString(),
                    "--host", "127.0.0.1", "--port", "0",
                    "--chain-id", Long.toString(chainId),
                    "--accounts", Integer.toString(accounts)));
            if (blockTimeSeconds > 0) command.addAll(List.of("--block-time", Integer.toString(blockTimeSeconds)));
            if (stateFile != null) {
                Path parent = stateFile.toAbsolutePath().getParent();
                try {
                    if (parent != null) Files.createDirectories(parent);
                } catch (IOException e) {
                    throw new DevnetException("cannot create the directory for state file " + stateFile, e);
                }
                command.addAll(List.of("--state", stateFile.toAbsolutePath().toString()));
            }
            Process process;
            try {
                process = new ProcessBuilder(command).redirectErrorStream(true).start();
            } catch (IOException e) {
                throw new DevnetException("cannot run anvil binary " + binary + ": " + e.getMessage()
                        + " (is it a linux-amd64 anvil 1.7.x executable?)", e);
            }
            OutputWatcher watcher = new OutputWatcher(process);
            watcher.start();
            try {
                boolean released = watcher.listening.await(startTimeout.toMillis(), TimeUnit.MILLISECONDS);
                if (!released || watcher.port < 0) {
                    // released without a port means anvil's output closed: give the exit a moment to register
                    if (released) process.waitFor(2, TimeUnit.SECONDS);
                    String reason = process.isAlive()
                            ? "did not report a listening port within " + startTimeout.toSeconds() + " s"
                            : "exited with code " + process.exitValue() + " before listening";
                    destroy(process);
                    throw new DevnetException("anvil (" + binary + ") " + reason + "; its output:\n" + watcher.tail());
                }
            } catch (InterruptedException e) {
                destroy(process);
                Thread.currentThread().interrupt();
                throw new DevnetException("interrupted while starting anvil", e);
            }
            String url = "http://" + watcher.host + ":" + watcher.port;
            List<DevAccount> funded = watcher.accounts();
            if (funded.isEmpty()) {
                destroy(process);
                throw new DevnetException("anvil printed no funded accounts; its output:\n" + watcher.tail());
            }
            long answeredChainId;
            try {
                answeredChainId = awaitRpc(url, process, startTimeout);
            } catch (RuntimeException e) {
                destroy(process);
                throw e;
            }
            if (answeredChainId != chainId) {
                destroy(process);
                throw new DevnetException("anvil answered chain id " + answeredChainId + ", expected " + chainId
                        + (stateFile != null ? " (state file " + stateFile + " belongs to another chain?)" : ""));
            }
            Devnet devnet = new Devnet(process, url, chainId, funded, stateFile);
            log.info("devnet up: pid {} at {} (chain id {}, {} funded accounts)", process.pid(), url, chainId, funded.size());
            return devnet;
        }

        private static void destroy(Process process) {
            process.destroy();
            try {
                if (!process.waitFor(5, TimeUnit.SECONDS)) process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }

        /** Polls eth_chainId until it answers; returns the chain id. */
        private static long awaitRpc(String url, Process process, Duration timeout) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
            HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                    .header("Content-Type", "application/json")
                    .timeout(Duration.ofSeconds(2))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"eth_chainId\",\"params\":[]}"))
                    .build();
            long deadline = System.nanoTime() + timeout.toNanos();
            Exception last = null;
            Pattern result = Pattern.compile("\"result\"\\s*:\\s*\"0x([0-9a-fA-F]+)\"");
            while (System.nanoTime() < deadline && process.isAlive()) {
                try {
                    HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
                    Matcher m = result.matcher(response.body());
                    if (response.statusCode() == 200 && m.find()) return Long.parseLong(m.group(1), 16);
                    last = new IOException("HTTP " + response.statusCode() + ": " + response.body());
                } catch (IOException e) {
                    last = e;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DevnetException("interrupted while waiting for anvil's RPC at " + url, e);
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new DevnetException("interrupted while waiting for anvil's RPC at " + url, e);
                }
            }
            throw new DevnetException("anvil's JSON-RPC at " + url + " did not answer eth_chainId within "
                    + timeout.toSeconds() + " s" + (last != null ? ": " + last.getMessage() : ""));
        }
    }

    /** Drains anvil's output for as long as it runs, and parses what start-up needs from it. */
    private static final class OutputWatcher extends Thread {
        private final Process process;
        private final CountDownLatch listening = new CountDownLatch(1);
        private final List<String> tail = Collections.synchronizedList(new ArrayList<>());
        private final List<String[]> addresses = Collections.synchronizedList(new ArrayList<>());
        private final List<String> keys = Collections.synchronizedList(new ArrayList<>());
        private volatile String host;
        private volatile int port = -1;
        private boolean inKeys;

        OutputWatcher(Process process) {
            super("anvil-output-" + process.pid());
            this.process = process;
            setDaemon(true);
        }

        @Override
        public void run() {
            try (BufferedReader reader = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    remember(line);
                    if (port < 0) parse(line);
                    else log.trace("anvil: {}", line);
                }
            } catch (IOException e) {
                log.debug("anvil output closed: {}", e.getMessage());
            } finally {
                listening.countDown(); // wake start() if anvil died before listening
            }
        }

        private void parse(String line) {
            String trimmed = line.trim();
            if (trimmed.startsWith("Private Keys")) inKeys = true;
            if (trimmed.startsWith("Wallet")) inKeys = false;
            Matcher key = KEY.matcher(trimmed);
            Matcher account = ACCOUNT.matcher(trimmed);
            if (inKeys && key.find()) {
                keys.add(key.group(2));
            } else if (!inKeys && account.find()) {
                addresses.add(new String[] {account.group(1), account.group(2)});
            }
            Matcher m = LISTENING.matcher(trimmed);
            if (m.find()) {
                host = m.group(1);
                port = Integer.parseInt(m.group(2));
                listening.countDown();
            }
        }

        private void remember(String line) {
            if (KEY.matcher(line.trim()).find()) line = line.replaceAll("0x[0-9a-fA-F]{64}", "0x<key hidden>");
            synchronized (tail) {
                tail.add(line);
                if (tail.size() > OUTPUT_TAIL_LINES) tail.removeFirst();
            }
        }

        String tail() {
            synchronized (tail) {
                return String.join("\n", tail);
            }
        }

        List<DevAccount> accounts() {
            List<DevAccount> out = new ArrayList<>();
            synchronized (addresses) {
                for (int i = 0; i < addresses.size() && i < keys.size(); i++) {
                    out.add(new DevAccount(Integer.parseInt(addresses.get(i)[0]), addresses.get(i)[1], keys.get(i)));
                }
            }
            return List.copyOf(out);
        }
    }
}
