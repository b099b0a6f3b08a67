package dev.ledgermind.inference.fuzz;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Runs one {@link FuzzTarget} under Jazzer (coverage-guided, libFuzzer's engine) in a child JVM with a
 * bounded heap, and reads back what it did. The child is started from this JVM's own class path, so
 * it fuzzes exactly the classes the build just compiled.
 *
 * <p>Budget and scope come from system properties, so that CI's short run and the documented long run
 * are the same test ({@code docs/reliability.md}):
 * <ul>
 *   <li>{@code ledgermind.fuzz.seconds}: fuzzing time per target (libFuzzer {@code -max_total_time}),
 *       default 2; 0 for no time limit;</li>
 *   <li>{@code ledgermind.fuzz.runs}: inputs per target (libFuzzer {@code -runs}), default 0 (no limit);</li>
 *   <li>{@code ledgermind.fuzz.targets}: comma-separated target names to fuzz, default all;</li>
 *   <li>{@code ledgermind.fuzz.xmx}: the child's heap, default 512m (an input that needs more is an
 *       out-of-memory finding);</li>
 *   <li>{@code ledgermind.fuzz.timeout}: seconds one input may take before it counts as a hang, default 20
 *       (generous: the machine may be shared; targets load their classes in {@code fuzzerInitialize}).</li>
 * </ul>
 * The generated corpus and any finding (the crashing input, libFuzzer's log) stay under
 * {@code target/fuzz/NAME/}.
 */
public final class FuzzCampaign {
    /** What a run did: inputs executed, its exit status, the corpus it ended with, and where its log is. */
    public record Result(String target, int exitCode, long runs, long seconds, long peakRssMb, int corpusFiles, Path log) {
        public boolean clean() {
            return exitCode == 0;
        }

        @Override
        public String toString() {
            return target + ": " + runs + " inputs in " + seconds + " s, exit " + exitCode + ", corpus " + corpusFiles
                    + " files, peak RSS " + peakRssMb + " MiB (log " + log + ")";
        }
    }

    private static final List<String> DETECTORS = List.of("BigDecimal", "ClojureLangHooks", "Deserialization",
            "ExpressionLanguageInjection", "FilePathTraversal", "LdapInjection", "NamingContextLookup", "OsCommandInjection",
            "ReflectiveCall", "RegexInjection", "ScriptEngineInjection", "ServerSideRequestForgery", "SqlInjection",
            "TemplateInjection", "UnsafeSanitizer", "XPathInjection", "XmlParserSsrfGuidance");
    private static final Pattern DONE = Pattern.compile("Done (\\d+) runs in (\\d+) second");
    private static final Pattern UNITS = Pattern.compile("stat::number_of_executed_units:\\s+(\\d+)");
    private static final Pattern RSS = Pattern.compile("stat::peak_rss_mb:\\s+(\\d+)");

    private FuzzCampaign() {
    }

    public static long seconds() {
        return Long.getLong("ledgermind.fuzz.seconds", 2);
    }

    public static long runs() {
        return Long.getLong("ledgermind.fuzz.runs", 0);
    }

    /** Whether {@code target} is selected by {@code ledgermind.fuzz.targets}. */
    public static boolean selected(FuzzTarget target) {
        String only = System.getProperty("ledgermind.fuzz.targets", "").trim();
        return only.isEmpty() || Arrays.asList(only.split("\\s*,\\s*")).contains(target.name());
    }

    /** Fuzzes {@code target} of the module at {@code module} and returns what happened. */
    public static Result run(FuzzTarget target, Path module) throws IOException, InterruptedException {
        Path work = module.resolve("target/fuzz").resolve(target.name());
        Path corpus = work.resolve("corpus");
        Path findings = work.resolve("findings");
        Files.createDirectories(corpus);
        Files.createDirectories(findings);
        Path log = work.resolve("fuzz.log");
        // the test class path, less the jars no target loads (onnxruntime and the other encoders' 80 MB
        // model jars), which the fuzzer would otherwise scan at start
        String cp = Arrays.stream(System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"))
                        .split(File.pathSeparator))
                .filter(e -> !e.contains("onnxruntime") && !e.contains("embeddings-bge") && !e.contains("embeddings-e5"))
                .collect(Collectors.joining(File.pathSeparator));
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx" + System.getProperty("ledgermind.fuzz.xmx", "512m"), "-Xss4m",
                "-XX:+UseSerialGC", "-XX:CICompilerCount=2", "-XX:+EnableDynamicAgentLoading",
                "-XX:+IgnoreUnrecognizedVMOptions", "--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
                "-cp", cp,
                "com.code_intelligence.jazzer.Jazzer",
                "--target_class=" + target.targetClass().getName(),
                // our code, and Jackson's tokenizer (its data binding only builds trees, and instrumenting
                // all of it would take longer than the run)
                "--instrumentation_includes=dev.ledgermind.**:com.fasterxml.jackson.core.**",
                // comparison hooks in our code and Jackson only, and none of Jazzer's bug detectors for
                // injections (SQL, LDAP, OS commands...), which parsers of bytes cannot reach: both
                // make the child start seconds sooner
                "--custom_hook_includes=dev.ledgermind.**:com.fasterxml.jackson.core.**",
                // not in the tokenizers: Jazzer's Map.get hook walks the vocabulary's keys on every miss,
                // which made the BPE target 2.5 times slower (edge coverage there stays on)
                "--custom_hook_excludes=dev.ledgermind.inference.tokenizer.**",
                "--disabled_hooks=" + DETECTORS.stream().map(d -> "com.code_intelligence.jazzer.sanitizers." + d)
                        .collect(Collectors.joining(File.pathSeparator)),
                "--reproducer_path=" + findings,
                "-artifact_prefix=" + findings + File.separator,
                "-max_len=" + target.maxLen(),
                "-timeout=" + Long.getLong("ledgermind.fuzz.timeout", 20),
                "-rss_limit_mb=0",
                "-print_final_stats=1",
                "-max_total_time=" + seconds()));
        if (!target.uninstrumented().isEmpty()) cmd.add("--instrumentation_excludes=" + target.uninstrumented());
        if (runs() > 0) cmd.add("-runs=" + runs());
        String seed = System.getProperty("ledgermind.fuzz.seed");
        if (seed != null) cmd.add("-seed=" + seed);
        // libFuzzer writes new inputs into the first corpus folder and only reads the others
        cmd.add(corpus.toString());
        cmd.add(target.seeds(module).toString());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            long limit = seconds() > 0 ? seconds() + 300 : Long.MAX_VALUE / 2;
            if (!p.waitFor(limit, TimeUnit.SECONDS)) {
                throw new IllegalStateException("fuzzer for " + target.name() + " did not stop within " + limit + " s; see " + log);
            }
        } finally {
            if (p.isAlive()) {
                p.destroyForcibly();
                p.waitFor(30, TimeUnit.SECONDS);
            }
        }
        String out = Files.readString(log, StandardCharsets.ISO_8859_1);
        long runs = last(UNITS, out, 1);
        if (runs < 0) runs = last(DONE, out, 1);
        int files;
        try (var s = Files.list(corpus)) {
            files = (int) s.count();
        }
        return new Result(target.name(), p.exitValue(), runs, Math.max(0, last(DONE, out, 2)), last(RSS, out, 1), files, log);
    }

    /** The last 60 lines of a run's log: the finding, its input and its stack trace. */
    public static String tail(Result r) throws IOException {
        List<String> lines = Files.readAllLines(r.log(), StandardCharsets.ISO_8859_1).stream()
                .filter(l -> !l.startsWith("INFO: Loaded") && !l.startsWith("WARNING:")).toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    private static long last(Pattern p, String text, int group) {
        Matcher m = p.matcher(text);
        long v = -1;
        while (m.find()) v = Long.parseLong(m.group(group));
        return v;
    }
}
