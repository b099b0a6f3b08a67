package dev.ledgermind.inference.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every fast kernel equals its scalar reference bit for bit (raw IEEE bits), at every forced width and
 * thread count, over random inputs whose lengths are odd, shorter than one vector, or not multiples of 16.
 */
class KernelBitExactnessTest {
    private static final int[] WIDTHS = {0, 128, 256, 512};
    private static final int[] THREADS = {1, 2, 4};
    private static final int[] LENGTHS = {1, 3, 7, 15, 16, 17, 31, 33, 64, 101, 383, 384, 385, 1537};

    private static Parallel[] pools;

    @BeforeAll
    static void startPools() {
        pools = new Parallel[THREADS.length];
        for (int i = 0; i < THREADS.length; i++) pools[i] = new Parallel(THREADS[i]);
    }

    @AfterAll
    static void stopPools() {
        for (Parallel p : pools) p.close();
    }

    /** Values spanning several magnitudes and both signs, so that accumulation order shows in the bits. */
    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            double mag = Math.pow(10, rnd.nextInt(-3, 4));
            x[i] = (float) ((rnd.nextDouble() * 2 - 1) * mag);
        }
        return x;
    }

    private static MemorySegment segment(Arena arena, float[] w) {
        // 3 bytes of padding in front: weights inside ONNX/GGUF files need not be 4-byte aligned
        MemorySegment seg = arena.allocate(4L * w.length + 3, 1);
        for (int i = 0; i < w.length; i++) seg.set(Dot.F32_LE, 3 + 4L * i, w[i]);
        return seg;
    }

    private static void assertBits(float expected, float actual, String what) {
        if (Float.floatToRawIntBits(expected) != Float.floatToRawIntBits(actual)) {
            fail(what + ": expected " + expected + " (0x" + Integer.toHexString(Float.floatToRawIntBits(expected))
                    + ") but was " + actual + " (0x" + Integer.toHexString(Float.floatToRawIntBits(actual)) + ")");
        }
    }

    @Test
    void referenceDotFollowsTheDocumentedSixteenPartialLayout() {
        SplittableRandom rnd = new SplittableRandom(1);
        for (int n : LENGTHS) {
            float[] a = random(rnd, n), b = random(rnd, n);
            // written independently from the javadoc's definition
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
            float s8 = 0, s9 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0, s14 = 0, s15 = 0;
            for (int i = 0; i < n; i++) {
                float p = a[i], q = b[i];
                switch (i % 16) {
                    case 0 -> s0 = Math.fma(p, q, s0);
                    case 1 -> s1 = Math.fma(p, q, s1);
                    case 2 -> s2 = Math.fma(p, q, s2);
                    case 3 -> s3 = Math.fma(p, q, s3);
                    case 4 -> s4 = Math.fma(p, q, s4);
                    case 5 -> s5 = Math.fma(p, q, s5);
                    case 6 -> s6 = Math.fma(p, q, s6);
                    case 7 -> s7 = Math.fma(p, q, s7);
                    case 8 -> s8 = Math.fma(p, q, s8);
                    case 9 -> s9 = Math.fma(p, q, s9);
                    case 10 -> s10 = Math.fma(p, q, s10);
                    case 11 -> s11 = Math.fma(p, q, s11);
                    case 12 -> s12 = Math.fma(p, q, s12);
                    case 13 -> s13 = Math.fma(p, q, s13);
                    case 14 -> s14 = Math.fma(p, q, s14);
                    default -> s15 = Math.fma(p, q, s15);
                }
            }
            float expected = (((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)))
                    + (((s8 + s9) + (s10 + s11)) + ((s12 + s13) + (s14 + s15)));
            assertBits(expected, Dot.reference(a, 0, b, 0, n), "reference dot, n=" + n);
        }
    }

    @Test
    void dotAtEveryWidthEqualsReference() {
        SplittableRandom rnd = new SplittableRandom(2);
        try (Arena arena = Arena.ofShared()) {
            for (int n : LENGTHS) {
                float[] a = random(rnd, n + 5), b = random(rnd, n + 2);
                MemorySegment w = segment(arena, a);
                float ref = Dot.reference(a, 5, b, 2, n);
                float refSeg = Dot.reference(w, 3 + 20, b, 2, n);
                assertBits(ref, refSeg, "segment reference vs array reference, n=" + n);
                for (int bits : WIDTHS) {
                    KernelConfig cfg = KernelConfig.ofBits(bits);
                    assertBits(ref, Dot.dot(cfg, a, 5, b, 2, n), "dot float[] " + cfg + " n=" + n);
                    assertBits(ref, Dot.dot(cfg, w, 3 + 20, b, 2, n), "dot segment " + cfg + " n=" + n);
                }
            }
        }
    }

    @Test
    void fourDotsOfOneRowAtEveryWidthEqualTheReference() {
        SplittableRandom rnd = new SplittableRandom(21);
        for (int n : new int[]{16, 48, 256, 2048, 40, 7}) {
            int stride = n + 3;
            float[] w = random(rnd, n + 5), x = random(rnd, 2 + 4 * stride);
            float[] ref = new float[4];
            for (int t = 0; t < 4; t++) ref[t] = Dot.reference(w, 5, x, 2 + t * stride, n);
            for (int bits : WIDTHS) {
                float[] y = new float[1 + 4 * 3];
                Dot.dot4(KernelConfig.ofBits(bits), w, 5, x, 2, stride, n, y, 1, 3);
                for (int t = 0; t < 4; t++) assertBits(ref[t], y[1 + 3 * t], "dot4 input " + t + " " + bits + " bits, n=" + n);
            }
        }
    }

    @Test
    void packedMatMulAtEveryWidthThreadCountAndBatchEqualsReference() {
        SplittableRandom rnd = new SplittableRandom(5);
        // rows around the 16-row panel; batches around the 3/6/12-input tiles
        int[][] shapes = {{1, 1}, {16, 7}, {17, 33}, {15, 384}, {40, 385}, {48, 16}};
        int[] batches = {1, 2, 3, 6, 7, 12, 13, 37};
        try (Arena arena = Arena.ofShared()) {
            for (int[] shape : shapes) {
                int rows = shape[0], cols = shape[1];
                float[] wArr = random(rnd, rows * cols);
                MemorySegment w = segment(arena, wArr);
                PackedMatMul.Packed packed = PackedMatMul.pack(w, 3, rows, cols);
                for (int batch : batches) {
                    int xStride = cols + 2, yStride = rows + 1;
                    float[] x = random(rnd, 1 + batch * xStride);
                    float[] expected = new float[1 + batch * yStride];
                    for (int t = 0; t < batch; t++) {
                        PackedMatMul.reference(w, 3, rows, cols, x, 1 + t * xStride, expected, 1 + t * yStride);
                        // the definition, written out once more on the plain arrays: one fma chain per output
                        for (int r = 0; r < rows; r++) {
                            float chain = 0f;
                            for (int i = 0; i < cols; i++) chain = Math.fma(wArr[r * cols + i], x[1 + t * xStride + i], chain);
                            assertBits(chain, expected[1 + t * yStride + r], "packed reference vs plain chain, row " + r);
                        }
                    }
                    for (int bits : WIDTHS) {
                        for (Parallel par : pools) {
                            KernelConfig cfg = KernelConfig.ofBits(bits);
                            float[] y = new float[expected.length];
                            PackedMatMul.matMul(cfg, par, packed, x, 1, xStride, batch, y, 1, yStride);
                            for (int i = 0; i < y.length; i++) {
                                assertBits(expected[i], y[i], "packed matMul " + rows + "x" + cols + " batch " + batch
                                        + " " + cfg + " threads " + par.threads() + " at " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void packedLinearWithBiasAndGeluEqualsSeparatePasses() {
        // the fused epilogue (bias, then GELU, on each tile as it is stored) against the plain chain followed
        // by a separate scalar bias pass and the scalar GELU; also bias only, and untouched outputs stay zero
        SplittableRandom rnd = new SplittableRandom(15);
        int[][] shapes = {{17, 33}, {40, 385}, {48, 16}};
        int[] batches = {1, 5, 13, 37};
        for (int[] shape : shapes) {
            int rows = shape[0], cols = shape[1];
            float[] wArr = random(rnd, rows * cols), bias = random(rnd, rows);
            for (int i = 0; i < rows; i++) bias[i] *= 4; // pushes some outputs into GELU's far branches
            PackedMatMul.Packed packed = PackedMatMul.pack(wArr, rows, cols);
            for (int batch : batches) {
                int xStride = cols + 1, yStride = rows + 3;
                float[] x = random(rnd, 2 + batch * xStride);
                for (PackedMatMul.Activation act : PackedMatMul.Activation.values()) {
                    float[] expected = new float[2 + batch * yStride];
                    for (int t = 0; t < batch; t++) {
                        for (int r = 0; r < rows; r++) {
                            float chain = 0f;
                            for (int i = 0; i < cols; i++) chain = Math.fma(wArr[r * cols + i], x[2 + t * xStride + i], chain);
                            float v = chain + bias[r];
                            expected[2 + t * yStride + r] = act == PackedMatMul.Activation.GELU ? Gelu.apply(v) : v;
                        }
                    }
                    for (int bits : WIDTHS) {
                        for (Parallel par : pools) {
                            KernelConfig cfg = KernelConfig.ofBits(bits);
                            float[] y = new float[expected.length];
                            PackedMatMul.linear(cfg, par, packed, bias, act, x, 2, xStride, batch, y, 2, yStride);
                            for (int i = 0; i < y.length; i++) {
                                assertBits(expected[i], y[i], "packed linear " + act + " " + rows + "x" + cols + " batch " + batch
                                        + " " + cfg + " threads " + par.threads() + " at " + i);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void matMulAtEveryWidthThreadCountAndBatchEqualsReference() {
        SplittableRandom rnd = new SplittableRandom(3);
        int[][] shapes = {{1, 1}, {3, 17}, {5, 33}, {13, 384}, {9, 385}, {37, 31}};
        int[] batches = {1, 3, 37};
        try (Arena arena = Arena.ofShared()) {
            for (int[] shape : shapes) {
                int rows = shape[0], cols = shape[1];
                float[] wArr = random(rnd, rows * cols);
                MemorySegment w = segment(arena, wArr);
                for (int batch : batches) {
                    int xStride = cols + 2, yStride = rows + 1;
                    float[] x = random(rnd, 1 + batch * xStride);
                    float[] expected = new float[1 + batch * yStride];
                    for (int t = 0; t < batch; t++) {
                        MatMul.reference(w, 3, rows, cols, x, 1 + t * xStride, expected, 1 + t * yStride);
                    }
                    for (int bits : WIDTHS) {
                        for (Parallel par : pools) {
                            KernelConfig cfg = KernelConfig.ofBits(bits);
                            float[] y = new float[expected.length];
                            MatMul.matMul(cfg, par, w, 3, rows, cols, x, 1, xStride, batch, y, 1, yStride);
                            for (int i = 0; i < y.length; i++) {
                                assertBits(expected[i], y[i], "matMul " + rows + "x" + cols + " batch " + batch
                                        + " " + cfg + " threads " + par.threads() + " at " + i);
                            }
                            if (batch == 1) {
                                float[] v = new float[expected.length];
                                MatMul.matVec(cfg, par, w, 3, rows, cols, x, 1, v, 1);
                                for (int r = 0; r < rows; r++) {
                                    assertBits(expected[1 + r], v[1 + r], "matVec " + cfg + " row " + r);
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void sumAndNormsAtEveryWidthEqualReference() {
        SplittableRandom rnd = new SplittableRandom(4);
        for (int n : LENGTHS) {
            float[] x = random(rnd, n + 1);
            float[] g = random(rnd, n), b = random(rnd, n);
            float sumRef = Sum.reference(x, 1, n);
            float[] lnRef = new float[n + 2];
            LayerNorm.reference(x, 1, g, b, 1e-12f, lnRef, 2, n);
            float[] rmsRef = new float[n];
            RmsNorm.reference(x, 1, g, 1e-6f, rmsRef, 0, n);
            for (int bits : WIDTHS) {
                KernelConfig cfg = KernelConfig.ofBits(bits);
                assertBits(sumRef, Sum.sum(cfg, x, 1, n), "sum " + cfg + " n=" + n);
                float[] ln = new float[n + 2];
                LayerNorm.apply(cfg, x, 1, g, b, 1e-12f, ln, 2, n);
                for (int i = 0; i < ln.length; i++) assertBits(lnRef[i], ln[i], "layerNorm " + cfg + " n=" + n + " i=" + i);
                float[] rms = new float[n];
                RmsNorm.apply(cfg, x, 1, g, 1e-6f, rms, 0, n);
                for (int i = 0; i < n; i++) assertBits(rmsRef[i], rms[i], "rmsNorm " + cfg + " n=" + n + " i=" + i);
                // in place (y aliases x) gives the same bits
                float[] inPlace = x.clone();
                LayerNorm.apply(cfg, inPlace, 1, g, b, 1e-12f, inPlace, 1, n);
                for (int i = 0; i < n; i++) assertBits(lnRef[2 + i], inPlace[1 + i], "layerNorm in place " + cfg);
            }
        }
    }

    @Test
    void vectorGeluEqualsScalarGeluAtEveryWidth() {
        SplittableRandom rnd = new SplittableRandom(6);
        int n = 1001;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((rnd.nextDouble() * 2 - 1) * (i % 3 == 0 ? 10 : 3));
        x[0] = Float.NaN;
        x[1] = Float.POSITIVE_INFINITY;
        x[2] = Float.NEGATIVE_INFINITY;
        x[3] = -0.0f;
        x[4] = 3.5355339f; // |z| = 2.5 exactly at the series limit, both sides
        x[5] = -3.5355339f;
        float[] expected = x.clone();
        Gelu.apply(expected, 0, n);
        for (int bits : WIDTHS) {
            float[] y = x.clone();
            Gelu.apply(KernelConfig.ofBits(bits), y, 0, n);
            for (int i = 0; i < n; i++) assertBits(expected[i], y[i], "gelu " + bits + " at " + i + " x=" + x[i]);
        }
    }

    @Test
    void layerNormAndRmsNormMatchTheirMathematicalDefinitionsClosely() {
        SplittableRandom rnd = new SplittableRandom(5);
        int n = 385;
        float[] x = random(rnd, n), g = random(rnd, n), b = random(rnd, n);
        float[] y = new float[n];
        LayerNorm.reference(x, 0, g, b, 1e-12f, y, 0, n);
        double mean = 0, var = 0, ss = 0;
        for (float v : x) mean += v;
        mean /= n;
        for (float v : x) var += (v - mean) * (v - mean);
        var /= n;
        for (float v : x) ss += (double) v * v;
        for (int i = 0; i < n; i++) {
            double e = (x[i] - mean) / Math.sqrt(var + 1e-12) * g[i] + b[i];
            assertEquals(e, y[i], 1e-4 * Math.max(1, Math.abs(e)), "layerNorm i=" + i);
        }
        RmsNorm.reference(x, 0, g, 1e-6f, y, 0, n);
        for (int i = 0; i < n; i++) {
            double e = x[i] / Math.sqrt(ss / n + 1e-6) * g[i];
            assertEquals(e, y[i], 1e-4 * Math.max(1, Math.abs(e)), "rmsNorm i=" + i);
        }
    }

    @Test
    void erfsOwnExpIsAccurate() {
        SplittableRandom rnd = new SplittableRandom(8);
        for (int i = 0; i < 20_000; i++) {
            double x = -110 + 220 * rnd.nextDouble();
            assertEquals(StrictMath.exp(x), Erf.exp(x), 3e-13 * StrictMath.exp(x), "exp(" + x + ")");
        }
        assertEquals(1.0, Erf.exp(0.0), 0.0);
    }

    @Test
    void erfAgreesWithAnIndependentSeriesAndContinuedFraction() {
        // independent reference: the Maclaurin series (60 terms, double) below 2, Laplace's continued
        // fraction (depth 200) with StrictMath.exp from 2 on (the series loses digits to cancellation beyond)
        for (int i = 0; i <= 6000; i++) {
            double z = i * 0.001;
            double ref;
            if (z < 2) {
                double term = z, sum = z;
                for (int n = 1; n < 60; n++) {
                    term *= -z * z / n;
                    sum += term / (2 * n + 1);
                }
                ref = 2 / Math.sqrt(Math.PI) * sum;
            } else {
                double t = z;
                for (int k = 200; k >= 1; k--) t = z + (k * 0.5) / t;
                ref = 1 - StrictMath.exp(-z * z) / (Math.sqrt(Math.PI) * t);
            }
            assertEquals(ref, Erf.erf(z), 1e-14, "erf(" + z + ")");
            assertEquals(-ref, Erf.erf(-z), 1e-14, "erf(-" + z + ")");
        }
    }

    @Test
    void vectorSoftmaxEqualsTheScalarReferenceAtEveryWidth() {
        SplittableRandom rnd = new SplittableRandom(10);
        for (int n : LENGTHS) {
            float[] x = new float[n + 3];
            for (int i = 0; i < x.length; i++) x[i] = (float) ((rnd.nextDouble() * 2 - 1) * (i % 4 == 0 ? 200 : 8));
            if (n > 2) x[3] = Float.NEGATIVE_INFINITY; // a masked position
            float[] expected = x.clone();
            Softmax.apply(expected, 2, n);
            double sum = 0;
            for (int i = 2; i < n + 2; i++) sum += expected[i];
            assertEquals(1.0, sum, 1e-5, "softmax sums to one, n=" + n);
            for (int bits : WIDTHS) {
                float[] y = x.clone();
                Softmax.apply(KernelConfig.ofBits(bits), y, 2, n);
                for (int i = 0; i < y.length; i++) assertBits(expected[i], y[i], "softmax " + bits + " n=" + n + " at " + i);
            }
        }
    }

    @Test
    void vectorGeluCoversEveryErfBranchWithTheScalarBits() {
        // inputs chosen to land in the series (|z| < 2.5), the continued fraction (2.5 <= |z| < 6) and the
        // saturated branch (|z| >= 6), mixed within one vector, plus the special values
        SplittableRandom rnd = new SplittableRandom(9);
        int n = 4099;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = (float) ((rnd.nextDouble() * 2 - 1) * (i % 3 == 0 ? 3 : i % 3 == 1 ? 8 : 12));
        x[5] = Float.NaN;
        x[17] = Float.POSITIVE_INFINITY;
        x[18] = Float.NEGATIVE_INFINITY;
        x[19] = -0.0f;
        x[20] = (float) (2.5 / Math.sqrt(0.5));
        x[21] = (float) (-6 / Math.sqrt(0.5));
        float[] expected = x.clone();
        Gelu.apply(expected, 0, n);
        for (int bits : WIDTHS) {
            float[] y = x.clone();
            Gelu.apply(KernelConfig.ofBits(bits), y, 0, n);
            for (int i = 0; i < n; i++) assertBits(expected[i], y[i], "gelu " + bits + " at " + i + " x=" + x[i]);
        }
    }

    @Test
    void erfGeluSiluAndSoftmaxAgreeWithTabulatedValues() {
        // erf values from Abramowitz & Stegun / high-precision tables
        assertEquals(0.0, Erf.erf(0.0), 0.0);
        assertEquals(0.5204998778130465, Erf.erf(0.5), 1e-14);
        assertEquals(0.8427007929497149, Erf.erf(1.0), 1e-14);
        assertEquals(0.9953222650189527, Erf.erf(2.0), 1e-14);
        assertEquals(0.9999779095030014, Erf.erf(3.0), 1e-14);
        assertEquals(-0.9999999845827421, Erf.erf(-4.0), 1e-14);
        assertEquals(1.0, Erf.erf(7.0), 0.0);
        assertEquals(-1.0, Erf.erf(Double.NEGATIVE_INFINITY), 0.0);
        // gelu(x) = x * Phi(x): Phi(1) = 0.8413447460685429, Phi(-2) = 0.022750131948179195
        assertEquals(0.8413447460685429f, Gelu.apply(1.0f), 1e-7f);
        assertEquals(-2 * 0.022750131948179195, Gelu.apply(-2.0f), 1e-8);
        assertEquals(0.7310585786300049f, Silu.apply(1.0f), 1e-7f);
        float[] p = {1f, 2f, 3f, Float.NEGATIVE_INFINITY};
        Softmax.apply(p, 0, 4);
        assertEquals(0.09003057317038046, p[0], 1e-7);
        assertEquals(0.24472847105479767, p[1], 1e-7);
        assertEquals(0.6652409557748219, p[2], 1e-7);
        assertEquals(0f, p[3], 0f);
        float[] masked = {Float.NEGATIVE_INFINITY, Float.NEGATIVE_INFINITY};
        Softmax.apply(masked, 0, 2);
        assertEquals(0f, masked[0], 0f);
    }

    @Test
    void parallelSplitsEveryIndexExactlyOnceAndPropagatesFailures() {
        for (Parallel par : pools) {
            for (int n : new int[]{0, 1, 5, 64, 1001}) {
                int[] hits = new int[n];
                par.forRange(n, 4, (from, to) -> {
                    for (int i = from; i < to; i++) hits[i]++;
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits[i], "index " + i + " of " + n);
            }
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> par.forRange(100, (from, to) -> {
                        if (to == 100) throw new IllegalStateException("boom at " + from);
                    }));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("boom"));
        }
    }

    @Test
    void chunkedParallelLoopCoversEveryIndexExactlyOnceInGrainAlignedChunksAndPropagatesFailures() {
        for (Parallel par : pools) {
            for (int n : new int[]{0, 1, 5, 64, 1001, 40_000}) {
                int[] hits = new int[n];
                par.forChunks(n, 8, (from, to) -> {
                    org.junit.jupiter.api.Assertions.assertEquals(0, from % 8, "chunk start " + from);
                    for (int i = from; i < to; i++) hits[i]++;
                });
                for (int i = 0; i < n; i++) assertEquals(1, hits[i], "index " + i + " of " + n);
            }
            IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> par.forChunks(1000, 1, (from, to) -> {
                        if (to == 1000) throw new IllegalStateException("boom at " + from);
                    }));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().startsWith("boom"));
        }
    }

    @Test
    void configRejectsUnknownWidths() {
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> KernelConfig.ofBits(64));
        assertEquals(4, KernelConfig.threads(4));
        org.junit.jupiter.api.Assertions.assertTrue(KernelConfig.threads(0) >= 1);
    }
}
