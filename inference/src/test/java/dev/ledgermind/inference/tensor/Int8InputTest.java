package dev.ledgermind.inference.tensor;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The int8-q8 profile's activation quantization against hand-computed blocks and a separately written twin. */
class Int8InputTest {
    private static float[] block(int len, float... head) {
        float[] x = new float[len];
        System.arraycopy(head, 0, x, 0, head.length);
        return x;
    }

    @Test
    void codesRoundHalfToEvenAtTheBlocksScale() {
        // amax 127: d = 1, id = 1, so the codes are the values rounded half to even
        float[] x = block(32, 127f, 0.5f, 1.5f, 2.5f, -2.5f, -0.5f, 3.49f, -126.6f);
        byte[] q = new byte[32];
        assertEquals(1f, Int8Input.quantizeBlock(x, 0, 32, q, 0));
        assertArrayEquals(new byte[]{127, 0, 2, 2, -2, 0, 3, -127}, java.util.Arrays.copyOf(q, 8));
        for (int i = 8; i < 32; i++) assertEquals(0, q[i]);
        // a negative maximum magnitude: amax = |-254| = 254, d = 2
        float[] y = block(32, -254f, 3f, 1f, -5f);
        assertEquals(2f, Int8Input.quantizeBlock(y, 0, 32, q, 0));
        assertArrayEquals(new byte[]{-127, 2, 0, -2}, java.util.Arrays.copyOf(q, 4)); // 1.5 -> 2, 0.5 -> 0, -2.5 -> -2
    }

    @Test
    void nonFiniteZeroAndSubnormalBlocks() {
        byte[] q = new byte[32];
        java.util.Arrays.fill(q, (byte) 9);
        assertTrue(Float.isNaN(Int8Input.quantizeBlock(block(32, 1f, Float.NaN, 3f), 0, 32, q, 0)), "a NaN gives a NaN scale");
        for (byte b : q) assertEquals(0, b, "and zero codes");
        java.util.Arrays.fill(q, (byte) 9);
        assertEquals(Float.POSITIVE_INFINITY, Int8Input.quantizeBlock(block(32, 1f, Float.NEGATIVE_INFINITY), 0, 32, q, 0));
        for (byte b : q) assertEquals(0, b);
        // a NaN after the maximum still wins (the maximum is taken on the bit patterns)
        assertTrue(Float.isNaN(Int8Input.quantizeBlock(block(32, Float.POSITIVE_INFINITY, 2f, Float.NaN), 0, 32, q, 0)));
        assertEquals(0f, Int8Input.quantizeBlock(new float[32], 0, 32, q, 0));
        // amax / 127 subnormal: scale 0, codes 0
        java.util.Arrays.fill(q, (byte) 9);
        float tiny = 100 * Float.MIN_NORMAL;
        assertEquals(0f, Int8Input.quantizeBlock(block(32, tiny, -tiny / 2), 0, 32, q, 0));
        for (byte b : q) assertEquals(0, b);
        // the smallest normal scale: amax = 127 * 2^-126
        float amax = 127 * Float.MIN_NORMAL;
        assertEquals(Float.MIN_NORMAL, Int8Input.quantizeBlock(block(32, amax, -Float.MIN_NORMAL), 0, 32, q, 0));
        assertEquals(127, q[0]);
        assertEquals(-1, q[1]);
    }

    /** A twin written separately: the scale and codes in double, rounded once to float where the definition rounds. */
    private static float twin(float[] x, int off, int len, int[] q) {
        double amax = 0;
        boolean nan = false;
        for (int i = 0; i < len; i++) {
            nan |= Float.isNaN(x[off + i]);
            amax = Math.max(amax, Math.abs((double) x[off + i]));
        }
        float d = nan ? Float.NaN : (float) (amax / 127.0); // a float quotient rounded via double: exact, 53 >= 2*24+2
        if (Float.isNaN(d) || Float.isInfinite(d) || d < Float.MIN_NORMAL) {
            java.util.Arrays.fill(q, 0);
            return Float.isNaN(d) || Float.isInfinite(d) ? d : 0f;
        }
        float id = (float) (1.0 / d);
        for (int i = 0; i < len; i++) {
            float p = (float) ((double) x[off + i] * id);
            long r = Math.round((double) p);
            if (Math.abs(p - Math.floor(p) - 0.5) == 0 && (r & 1) != 0) r--; // half to even
            q[i] = (int) r;
        }
        return d;
    }

    @Test
    void bothFormatsMatchTheTwinAndKeepExactCodeSums() {
        SplittableRandom rnd = new SplittableRandom(31);
        int cols = 512, n = 3, stride = 600;
        float[] x = new float[n * stride];
        for (int i = 0; i < x.length; i++) {
            double scale = Math.pow(10, rnd.nextInt(-6, 4));
            x[i] = (float) (rnd.nextGaussian() * scale);
        }
        x[stride + 40] = Float.NaN;            // input 1, block 1 of Q8_32, block 0 of Q8_256
        x[2 * stride + 300] = 1e-42f;          // a subnormal among normals
        for (int i = 2 * stride; i < 2 * stride + 32; i++) x[i] = 3e-40f; // a block of subnormals
        Int8Input in = new Int8Input().quantize(x, 0, stride, n, cols, Int8Input.Q8_32 | Int8Input.Q8_256);
        for (int block : new int[]{32, 256}) {
            byte[] codes = block == 32 ? in.codes32() : in.codes256();
            float[] scales = block == 32 ? in.scales32() : in.scales256();
            for (int t = 0; t < n; t++) {
                for (int b = 0; b < cols / block; b++) {
                    int[] q = new int[block];
                    float d = twin(x, t * stride + b * block, block, q);
                    assertEquals(Float.floatToIntBits(d), Float.floatToIntBits(scales[t * cols / block + b]), block + ": input " + t + " block " + b);
                    for (int i = 0; i < block; i++) {
                        assertEquals(q[i], codes[t * cols + b * block + i], block + ": input " + t + " element " + (b * block + i));
                    }
                }
                for (int b = 0; b < cols / 32; b++) {
                    int s = 0;
                    for (int i = 0; i < 32; i++) s += in.codes32()[t * cols + 32 * b + i];
                    assertEquals(s, in.sums32()[t * cols / 32 + b]);
                }
                for (int g = 0; g < cols / 16; g++) {
                    int s = 0;
                    for (int i = 0; i < 16; i++) s += in.codes256()[t * cols + 16 * g + i];
                    assertEquals(s, in.sums16()[t * cols / 16 + g]);
                }
            }
        }
        assertTrue(Float.isNaN(in.scales32()[cols / 32 + 1]));
        assertTrue(Float.isNaN(in.scales256()[cols / 256]));
        assertEquals(0f, in.scales32()[2 * cols / 32]);
    }

    @Test
    void misuseIsNamed() {
        Int8Input in = new Int8Input().quantize(new float[64], 0, 64, 1, 64, Int8Input.Q8_32);
        IllegalStateException e = assertThrows(IllegalStateException.class, in::codes256);
        assertTrue(e.getMessage().contains("Q8_256"), e.getMessage());
        IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
                () -> new Int8Input().quantize(new float[300], 0, 300, 1, 300, Int8Input.Q8_256));
        assertTrue(a.getMessage().contains("256"), a.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> new Int8Input().quantize(new float[100], 0, 64, 2, 64, Int8Input.Q8_32));
        IllegalArgumentException p = assertThrows(IllegalArgumentException.class, () -> ComputeProfile.parse("int4"));
        assertTrue(p.getMessage().contains("binary32") && p.getMessage().contains("int8-q8"), p.getMessage());
        assertEquals(ComputeProfile.INT8_Q8, ComputeProfile.parse(" INT8-Q8 "));
    }
}
