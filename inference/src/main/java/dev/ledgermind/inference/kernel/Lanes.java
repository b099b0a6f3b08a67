package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;

/**
 * The fixed 16-partial-sum tree of {@link Dot#combine} applied straight to
 * vector accumulators (lane k of accumulator j is partial sum {@code jL + k}), without spilling them to a
 * heap array, so the decode path does not allocate.
 */
public final class Lanes {
    private Lanes() {
    }

    public static float tree(float s0, float s1, float s2, float s3, float s4, float s5, float s6, float s7,
                      float s8, float s9, float s10, float s11, float s12, float s13, float s14, float s15) {
        float a = ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
        float b = ((s8 + s9) + (s10 + s11)) + ((s12 + s13) + (s14 + s15));
        return a + b;
    }

    public static float combine512(FloatVector a) {
        return tree(a.lane(0), a.lane(1), a.lane(2), a.lane(3), a.lane(4), a.lane(5), a.lane(6), a.lane(7),
                a.lane(8), a.lane(9), a.lane(10), a.lane(11), a.lane(12), a.lane(13), a.lane(14), a.lane(15));
    }

    public static float combine256(FloatVector a, FloatVector b) {
        return tree(a.lane(0), a.lane(1), a.lane(2), a.lane(3), a.lane(4), a.lane(5), a.lane(6), a.lane(7),
                b.lane(0), b.lane(1), b.lane(2), b.lane(3), b.lane(4), b.lane(5), b.lane(6), b.lane(7));
    }

    public static float combine128(FloatVector a, FloatVector b, FloatVector c, FloatVector d) {
        return tree(a.lane(0), a.lane(1), a.lane(2), a.lane(3), b.lane(0), b.lane(1), b.lane(2), b.lane(3),
                c.lane(0), c.lane(1), c.lane(2), c.lane(3), d.lane(0), d.lane(1), d.lane(2), d.lane(3));
    }
}
