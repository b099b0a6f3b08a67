package dev.ledgermind.inference.tensor;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * The native Q5_K decode step builds its value tables with one fused multiply-subtract, {@code fmsub(q, d*sc,
 * dmin*mn)}, where the definition (Q5_KTensor, DESIGN section 3) rounds {@code (d*sc)*q} and then the subtraction.
 * The two agree bit for bit because {@code (d*sc)*q} is exact in binary32 for every f16 {@code d}, every 6-bit
 * scale and every 5-bit code (ledgermind_kquants.c states the proof). This test checks that claim exhaustively,
 * independently of the C code: all 2^16 f16 values of {@code d} x all 64 scales x all 32 codes, with Java's own
 * {@code Math.fma} as the fused reference, against several subtrahends (zeros of both signs, an ordinary value, a
 * tiny one, the largest possible {@code dmin*mn}, infinity and NaN). A wrong fusion (e.g. of {@code d*sc} itself,
 * or of {@code dmin*mn}) is not covered here but by KQuantNativeBitExactnessTest against the Java kernels.
 */
class KQuantFusedTableTest {

    private static final float[] SUBTRAHENDS = {
        0.0f, -0.0f, 0.3759f, -1.0e-7f, 1.4e-45f, 65504.0f * 63, Float.POSITIVE_INFINITY, Float.NaN};

    @Test
    void productOfScaleAndCodeIsExactSoFusingTheSubtractChangesNoBit() {
        long checked = 0;
        for (int h = 0; h < 1 << 16; h++) {
            final float d = Float.float16ToFloat((short) h);
            for (int sc = 0; sc < 64; sc++) {
                final float a = d * sc; // the kernel's scalar d * sc, one rounding (exact, as the product below)
                for (int q = 0; q < 32; q++) {
                    final float p = a * q;
                    // the lemma: the binary32 product is the exact one (the double product of a 24-bit and a 5-bit
                    // significand is exact); NaN counts as equal to NaN
                    if (Double.compare((double) a * q, p) != 0) {
                        assertEquals((double) a * q, (double) p, "inexact (d*sc)*q: d bits " + h + " sc " + sc + " q " + q);
                    }
                    for (float c : SUBTRAHENDS) {
                        final int fused = Float.floatToIntBits(Math.fma(a, (float) q, -c));
                        final int twice = Float.floatToIntBits(p - c);
                        if (fused != twice) {
                            assertEquals(twice, fused, "fmsub differs: d bits " + h + " sc " + sc + " q " + q + " c " + c);
                        }
                        checked++;
                    }
                }
            }
        }
        assertEquals((1L << 16) * 64 * 32 * SUBTRAHENDS.length, checked);
    }
}
