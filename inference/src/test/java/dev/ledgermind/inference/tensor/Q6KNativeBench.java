package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Benchmark, not a test: the Q6_K product (the decode step, batch 1, and the batched product) two ways in one JVM, rounds alternating which goes first:
 * J = the Java 512-bit kernel ({@code KernelConfig.withNative(false)}: Q6_KTensor's two rows side by side; batches: decoded rows and Dot.dot4),
 * N = the native kernel ({@link NativeKernels#inPlaceMatVec}; the same bits, checked here for every output). Threads split
 * rows as the engine does. Per Llama-3.2-1B shape, enough copies of the matrix to fill {@code bench.mb} MB of weights
 * (default 400, beyond this machine's L3), so every pass streams from memory. Figures: G multiply-adds a second
 * (median round) and the median ratio N / J with its range. Run with
 * <pre>
 *   ./mvnw -B -q -o verify -pl inference -Dforge.skip=true -Dtest=Q6KNativeBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dbench.rounds=N}, {@code -Dbench.mb=N}, {@code -Dbench.threads=1,2}, {@code -Dbench.shapes=512x2048,2048x8192,128256x2048}, {@code -Dbench.batches=1,16});
 * the table goes to standard output (target/surefire-reports/...-output.txt).
 */
class Q6KNativeBench {

    @Test
    void nativeAgainstJava() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        assumeTrue(NativeKernels.hasInPlaceKernels(GgmlType.Q6_K), NativeKernels.status());
        int rounds = Integer.getInteger("bench.rounds", 7);
        long mb = Integer.getInteger("bench.mb", 400);
        int[] threads = Arrays.stream(System.getProperty("bench.threads", "1").split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        String[] shapes = System.getProperty("bench.shapes", "512x2048,2048x8192,128256x2048").split(",");
        int[] batches = Arrays.stream(System.getProperty("bench.batches", "1,16").split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        System.out.printf("Q6_K decode, %d MB of weights a shape, %d rounds, JDK %s, %s%n", mb, rounds, Runtime.version(), NativeKernels.status());
        System.out.println(JavaNativeRounds.HEADER);
        SplittableRandom r = new SplittableRandom(11);
        long totalWeights = mb * 1024 * 1024 * 256 / 210 / 2048 * 2048;
        MemorySegment pool = WeightTensorBitExactnessTest.randomWeights(GgmlType.Q6_K, (int) (totalWeights / 2048), 2048, r);
        for (String shape : shapes) {
            String[] rc = shape.trim().split("x");
            int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
            long bytes = GgmlType.Q6_K.bytesFor((long) rows * cols);
            int copies = (int) Math.max(1, pool.byteSize() / bytes);
            List<Q6_KTensor> ws = new ArrayList<>();
            for (int i = 0; i < copies; i++) ws.add(new Q6_KTensor("w" + i, pool.asSlice(i * bytes, bytes), rows, cols));
            for (int th : threads) {
                try (Parallel par = new Parallel(th)) {
                  for (int batch : batches) {
                    System.out.println(JavaNativeRounds.measure(shape, ws, par, batch, rounds, r));
                  }
                }
            }
        }
    }
}
