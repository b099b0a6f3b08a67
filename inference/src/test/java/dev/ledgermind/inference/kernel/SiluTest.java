package dev.ledgermind.inference.kernel;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The vectorised SiLU gate gives {@code StrictMath.exp}'s and the scalar definition's bits. The reference is the JDK's
 * own {@code StrictMath.exp} (fdlibm), independent of {@link Silu#strictExp}.
 */
class SiluTest {
    /** Compares the vector exp with StrictMath.exp for the binary64 arguments in {@code args[0 .. n)}, n a multiple of 4. */
    private static void checkExp(double[] args, int n) {
        double[] out = new double[n];
        Silu.strictExp(args, out, n);
        for (int i = 0; i < n; i++) {
            double want = StrictMath.exp(args[i]);
            if (Double.doubleToRawLongBits(out[i]) != Double.doubleToRawLongBits(want)) {
                fail("exp(" + args[i] + " = 0x" + Long.toHexString(Double.doubleToRawLongBits(args[i]))
                        + "): StrictMath " + want + ", vector " + out[i]);
            }
        }
    }

    /** -(double) x for every float x whose bits are a multiple of {@code step} (SiLU's argument), in batches. */
    private static void sweep(long step) {
        double[] args = new double[8 * 1024];
        int n = 0;
        for (long b = 0; b < (1L << 32); b += step) {
            args[n++] = -(double) Float.intBitsToFloat((int) b);
            if (n == args.length) {
                checkExp(args, n);
                n = 0;
            }
        }
        while (n % 8 != 0) args[n++] = 0.0;
        checkExp(args, n);
    }

    @Test
    void strictExpEqualsStrictMathOnEvery256thFloatAndTheEdges() {
        sweep(256);
        sweep(256 * 1021 + 1); // other low bits too
        double[] edges = {
                0.0, -0.0, 0x1p-28, -0x1p-28, Math.nextDown(0x1p-28), Math.nextUp(-0x1p-28),
                0.5 * Math.log(2), -0.5 * Math.log(2), Math.nextUp(0.5 * Math.log(2)), 1.5 * Math.log(2),
                Math.nextDown(1.5 * Math.log(2)), -1.5 * Math.log(2), 1.0, -1.0, 2.0, -2.0, 10.0, -10.0,
                0x1.62e42fefa39efp9, Math.nextDown(0x1.62e42fefa39efp9), 709.0, 709.7, -707.0, -707.7, -708.0,
                -708.4, -708.5, -709.0, -709.7, -720.0, -745.0, -745.2, -746.0, 800.0, -800.0,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, Double.MIN_VALUE, -Double.MIN_VALUE,
                Double.MAX_VALUE, -Double.MAX_VALUE, 0x1.0A2B2p0, -0x1.0A2B2p0, Math.nextUp(0x1.62e42fefa39efp-2),
        };
        double[] padded = new double[(edges.length + 7) / 8 * 8];
        System.arraycopy(edges, 0, padded, 0, edges.length);
        checkExp(padded, padded.length);
        // every 8-lane mix of a special lane with ordinary ones
        Random r = new Random(7);
        double[] mixed = new double[8 * 4096];
        for (int i = 0; i < mixed.length; i++) mixed[i] = r.nextInt(4) == 0 ? edges[r.nextInt(edges.length)] : (r.nextDouble() - 0.5) * 60;
        checkExp(mixed, mixed.length);
    }

    @Test
    void strictExpEqualsStrictMathOnEveryFloatArgument() {
        if (!Boolean.getBoolean("silu.exhaustive")) return; // 2^32 arguments: about a minute; run with -Dsilu.exhaustive=true
        sweep(1);
    }

    @Test
    void theGateGivesTheScalarDefinitionsBitsAtEveryWidth() {
        Random r = new Random(11);
        for (int n : new int[] {0, 1, 3, 4, 7, 8, 9, 15, 16, 17, 31, 8192, 8192 * 3 + 5}) {
            float[] g = new float[n], u = new float[n];
            for (int i = 0; i < n; i++) {
                g[i] = switch (r.nextInt(10)) {
                    case 0 -> Float.intBitsToFloat(r.nextInt()); // any pattern: NaN, infinities, subnormals
                    case 1 -> (r.nextFloat() - 0.5f) * 2000f; // exp's overflow and subnormal ranges
                    case 2 -> (r.nextFloat() - 0.5f) * 1e-8f; // |x| below 2^-28
                    default -> (float) r.nextGaussian() * 6f;
                };
                u[i] = (float) r.nextGaussian();
            }
            float[] want = new float[n];
            for (int i = 0; i < n; i++) want[i] = (float) (g[i] / (1.0f + (float) StrictMath.exp(-(double) g[i]))) * u[i];
            for (int bits : new int[] {0, 128, 256, 512}) {
                float[] got = g.clone();
                Silu.gate(KernelConfig.ofBits(bits), got, u, n);
                for (int i = 0; i < n; i++) {
                    assertEquals(Float.floatToRawIntBits(want[i]), Float.floatToRawIntBits(got[i]),
                            () -> "n " + n + ", " + bits + " bits: silu gate differs");
                }
                if (n > 2) { // a range at odd offsets, as threads split it
                    float[] part = g.clone();
                    int from = 1 + n / 3, len = n - from - 1;
                    Silu.gate(KernelConfig.ofBits(bits), part, from, u, from, len);
                    for (int i = 0; i < n; i++) {
                        float expect = i >= from && i < from + len ? want[i] : g[i];
                        assertEquals(Float.floatToRawIntBits(expect), Float.floatToRawIntBits(part[i]),
                                () -> "n " + n + ", " + bits + " bits: silu gate on a range differs");
                    }
                }
            }
        }
    }
}
