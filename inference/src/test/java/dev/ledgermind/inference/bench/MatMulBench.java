package dev.ledgermind.inference.bench;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.MatMul;
import dev.ledgermind.inference.kernel.PackedMatMul;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Benchmark, not a test: GFLOP/s of the canonical F32 matmuls at encoder shapes (row-major 16-partial
 * {@link MatMul}, and the panel-packed {@link PackedMatMul} the encoder's linear layers use), one thread.
 * Run with -Dbench=true.
 */
class MatMulBench {
    @Test
    void gflops() {
        assumeTrue(Boolean.getBoolean("bench"), "benchmark: run with -Dbench=true");
        int rows = 1536, cols = 384;
        MemorySegment w = Arena.ofAuto().allocate(4L * rows * cols, 64);
        for (long i = 0; i < (long) rows * cols; i++) w.setAtIndex(java.lang.foreign.ValueLayout.JAVA_FLOAT, i, (i % 7) * 0.01f);
        PackedMatMul.Packed packed = PackedMatMul.pack(w, 0, rows, cols);
        for (int batch : new int[] {1, 16, 128}) {
            float[] x = new float[batch * cols], y = new float[batch * rows];
            // widths this CPU has (a forced wider species is emulated, and orders of magnitude slower)
            for (int bits : java.util.stream.IntStream.of(256, 512)
                    .filter(b -> b <= jdk.incubator.vector.FloatVector.SPECIES_PREFERRED.vectorBitSize()).toArray()) {
                KernelConfig cfg = KernelConfig.ofBits(bits);
                try (Parallel par = new Parallel(1)) {
                    for (int i = 0; i < 200; i++) MatMul.matMul(cfg, par, w, 0, rows, cols, x, 0, cols, batch, y, 0, rows);
                    long t0 = System.nanoTime();
                    int reps = 0;
                    while (System.nanoTime() - t0 < 1_000_000_000L) {
                        MatMul.matMul(cfg, par, w, 0, rows, cols, x, 0, cols, batch, y, 0, rows);
                        reps++;
                    }
                    double s = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("batch %d, %d bits: %.1f GFLOP/s%n", batch, bits, 2.0 * rows * cols * batch * reps / s / 1e9);
                    for (int i = 0; i < 200; i++) PackedMatMul.matMul(cfg, par, packed, x, 0, cols, batch, y, 0, rows);
                    t0 = System.nanoTime();
                    reps = 0;
                    while (System.nanoTime() - t0 < 1_000_000_000L) {
                        PackedMatMul.matMul(cfg, par, packed, x, 0, cols, batch, y, 0, rows);
                        reps++;
                    }
                    s = (System.nanoTime() - t0) / 1e9;
                    System.out.printf("batch %d, %d bits, packed: %.1f GFLOP/s%n", batch, bits, 2.0 * rows * cols * batch * reps / s / 1e9);
                }
            }
        }
    }
}
