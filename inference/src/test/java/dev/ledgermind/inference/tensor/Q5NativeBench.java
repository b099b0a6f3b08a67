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
 * Benchmark, not a test: the Q5_0 and Q5_1 products (the decode step, batch 1, and the batched product) two ways in one
 * JVM, rounds alternating which goes first: J = the Java 512-bit kernels ({@code KernelConfig.withNative(false)}: Q5_0's
 * dot512 per row and BlockQ8Batch; Q5_1's decoded rows and Dot.dot / Dot.dot4), N = the native kernels
 * ({@link NativeKernels#inPlaceMatVec}, {@link NativeKernels#inPlaceMatMul}; the same bits, checked here for every output).
 * Threads split rows as the engine does. Per Qwen2.5-0.5B shape (its 896-column matrices, the ones a K_M file holds in
 * Q5_0 / Q5_1), enough copies of the matrix to fill {@code bench.mb} MB of weights (default 400, beyond this machine's
 * L3), so every pass streams from memory. Figures: G multiply-adds a second (median round) and the median ratio N / J
 * with its range. Run with
 * <pre>
 *   ./mvnw -B -q -o verify -pl inference -Dforge.skip=true -Dtest=Q5NativeBench -Dbench=true -Dsurefire.failIfNoSpecifiedTests=false
 * </pre>
 * ({@code -Dbench.types=Q5_0,Q5_1}, {@code -Dbench.rounds=N}, {@code -Dbench.mb=N}, {@code -Dbench.threads=1,2},
 * {@code -Dbench.shapes=896x896,128x896,4864x896}, {@code -Dbench.batches=1,16}); the table goes to standard output
 * (target/surefire-reports/...-output.txt).
 */
class Q5NativeBench {

    @Test
    void nativeAgainstJava() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        for (String name : System.getProperty("bench.types", "Q5_0,Q5_1").split(",")) run(GgmlType.valueOf(name.trim()));
    }

    private static void run(GgmlType type) {
        assumeTrue(NativeKernels.hasInPlaceKernels(type), NativeKernels.status());
        int rounds = Integer.getInteger("bench.rounds", 7);
        long mb = Integer.getInteger("bench.mb", 400);
        int[] threads = Arrays.stream(System.getProperty("bench.threads", "1").split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        String[] shapes = System.getProperty("bench.shapes", "896x896,128x896,4864x896").split(",");
        int[] batches = Arrays.stream(System.getProperty("bench.batches", "1,16").split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
        System.out.printf("%s, %d MB of weights a shape, %d rounds, JDK %s, %s%n", type, mb, rounds, Runtime.version(), NativeKernels.status());
        System.out.println(JavaNativeRounds.HEADER);
        SplittableRandom r = new SplittableRandom(11);
        int poolCols = 896;
        long poolRows = mb * 1024 * 1024 / type.bytesFor(poolCols);
        MemorySegment pool = WeightTensorBitExactnessTest.randomWeights(type, (int) poolRows, poolCols, r);
        for (String shape : shapes) {
            String[] rc = shape.trim().split("x");
            int rows = Integer.parseInt(rc[0]), cols = Integer.parseInt(rc[1]);
            long bytes = type.bytesFor((long) rows * cols);
            int copies = (int) Math.max(1, pool.byteSize() / bytes);
            List<WeightTensor> ws = new ArrayList<>();
            for (int i = 0; i < copies; i++) ws.add(type == GgmlType.Q5_0
                    ? new Q5_0Tensor("w" + i, pool.asSlice(i * bytes, bytes), rows, cols)
                    : new Q5_1Tensor("w" + i, pool.asSlice(i * bytes, bytes), rows, cols));
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
