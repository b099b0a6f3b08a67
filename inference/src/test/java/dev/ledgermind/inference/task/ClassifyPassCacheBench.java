package dev.ledgermind.inference.task;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * CPU time of one classify task (the network bench's: a short text, 3 labels) without and with the encoder's
 * pass cache, paired in one JVM: rounds of A (no cache) and B (cache, labels warm) alternate, and which goes
 * first alternates too; every task's output and trace root are checked equal between A and B. One thread
 * ({@code Parallel(1)}), so the calling thread's CPU time is the task's whole cost.
 * <pre>
 *   ./mvnw -B -q -pl inference -am test -Dforge.skip=true -Dtest=ClassifyPassCacheBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 *   cat inference/target/surefire-reports/dev.ledgermind.inference.task.ClassifyPassCacheBench-output.txt
 * </pre>
 * ({@code -Dbench.rounds=N}, {@code -Dbench.tasks=N} per round.)
 */
class ClassifyPassCacheBench {
    private static final String[] TEXTS = {
            "My order arrived broken and nobody answers my emails.",
            "Thank you, the support team was quick and friendly!",
            "How do I change the delivery address of my order?",
            "The new update drains my battery in two hours.",
            "Great product, works exactly as described.",
            "Can I pay with a bank transfer?",
    };
    private static final List<String> LABELS = List.of("complaint", "praise", "question");

    @Test
    void classifyCpuTimeWithoutAndWithThePassCache() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        int rounds = Integer.getInteger("bench.rounds", 8), tasks = Integer.getInteger("bench.tasks", 24);
        EncoderModel plain = EncoderModel.load("all-minilm-l6-v2");
        EncoderModel cached = plain.withPassCache(4096);
        KernelConfig cfg = KernelConfig.defaults();
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        double[] a = new double[rounds], b = new double[rounds], aw = new double[rounds], bw = new double[rounds];
        int serial = 0;
        try (Parallel one = new Parallel(1)) {
            for (int w = 0; w < 20; w++) { // warm both paths (JIT) before measuring
                EncoderTasks.classify(plain, TEXTS[w % 6] + " (w" + w + ")", LABELS, cfg, one);
                EncoderTasks.classify(cached, TEXTS[w % 6] + " (w" + w + ")", LABELS, cfg, one);
            }
            for (int r = 0; r < rounds; r++) {
                String[] inputs = new String[tasks];
                for (int i = 0; i < tasks; i++, serial++) inputs[i] = TEXTS[serial % 6] + " (" + serial + ")";
                EncoderTasks.Commitment[] ca = new EncoderTasks.Commitment[tasks], cb = new EncoderTasks.Commitment[tasks];
                for (int half = 0; half < 2; half++) {
                    boolean doA = (half == 0) == (r % 2 == 0);
                    EncoderModel m = doA ? plain : cached;
                    EncoderTasks.Commitment[] out = doA ? ca : cb;
                    long c0 = mx.getCurrentThreadCpuTime(), t0 = System.nanoTime();
                    for (int i = 0; i < tasks; i++) out[i] = EncoderTasks.classify(m, inputs[i], LABELS, cfg, one).commitment();
                    double cpu = (mx.getCurrentThreadCpuTime() - c0) / 1e6 / tasks, wall = (System.nanoTime() - t0) / 1e6 / tasks;
                    if (doA) { a[r] = cpu; aw[r] = wall; } else { b[r] = cpu; bw[r] = wall; }
                }
                for (int i = 0; i < tasks; i++) {
                    assertArrayEquals(ca[i].output(), cb[i].output(), inputs[i]);
                    assertArrayEquals(ca[i].traceRoot().bytes(), cb[i].traceRoot().bytes(), inputs[i]);
                }
            }
        }
        double[] ratio = new double[rounds];
        for (int r = 0; r < rounds; r++) ratio[r] = a[r] / b[r];
        System.out.printf("classify (text + 3 labels), all-minilm-l6-v2, %d bits, 1 thread, %d rounds x %d tasks, JDK %s%n",
                cfg.vectorBits(), rounds, tasks, Runtime.version());
        System.out.println("| | A: no cache | B: pass cache | A / B, median round (min-max) |");
        System.out.println("|---|---:|---:|---:|");
        double[] s = ratio.clone();
        Arrays.sort(s);
        System.out.printf("| CPU ms per classify (median round) | %.2f | %.2f | %.2f (%.2f-%.2f) |%n", median(a), median(b), median(ratio),
                s[0], s[rounds - 1]);
        System.out.printf("| wall ms per classify (median round) | %.2f | %.2f | %.2f |%n", median(aw), median(bw), median(aw) / median(bw));
        System.out.println("cache: " + cached.passCounts());
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
