package dev.ledgermind.inference.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * The native Q5_1 kernels build a block's 32 values with one fma, {@code fma(q, d, m)}, where the definition
 * (Q5_1Tensor, DESIGN section 3) rounds {@code d * q} and then the addition of {@code m}. The two agree bit for bit
 * because {@code d * q} is exact in binary32 for every f16 {@code d} and every 5-bit code (ledgermind_kernels.c states
 * the proof). This test checks that claim exhaustively, independently of the C code: all 2^16 f16 values of {@code d}
 * x all 32 codes x every f16 value of {@code m} that matters for the sign and rounding cases (all 2^16 of them for a
 * sample of codes, a spread of them for the rest), with Java's own {@code Math.fma} as the fused reference. The
 * kernels' use of the values is covered by Q5NativeBitExactnessTest against the Java kernels.
 */
class Q5_1FusedTableTest {

    @Test
    void productOfScaleAndCodeIsExactSoFusingTheAddChangesNoBit() {
        long checked = 0;
        for (int h = 0; h < 1 << 16; h++) {
            final float d = Float.float16ToFloat((short) h);
            for (int q = 0; q < 32; q++) {
                final float p = d * q;
                // the lemma: the binary32 product is the exact one; NaN counts as equal to NaN
                if (Double.compare((double) d * q, p) != 0) {
                    assertEquals((double) d * q, (double) p, "inexact d*q: d bits " + h + " q " + q);
                }
                // every m for a few d values, a stride of m (with both zeros, infinities and NaN) for the others
                int step = (h & 0x3ff) == 0x155 ? 1 : 251;
                for (int g = 0; g < 1 << 16; g += step) {
                    checked += same(d, q, p, Float.float16ToFloat((short) g), h, g);
                }
                for (int g : new int[]{0x0000, 0x8000, 0x7c00, 0xfc00, 0x7e00, 0x0001, 0x8001}) {
                    checked += same(d, q, p, Float.float16ToFloat((short) g), h, g);
                }
            }
        }
        assertTrue(checked > (1L << 16) * 32 * 260, checked + " cases");
    }

    private static int same(float d, int q, float p, float m, int h, int g) {
        final int fused = Float.floatToIntBits(Math.fma((float) q, d, m));
        final int twice = Float.floatToIntBits(p + m);
        if (fused != twice) assertEquals(twice, fused, "fma differs: d bits " + h + " q " + q + " m bits " + g);
        return 1;
    }
}
