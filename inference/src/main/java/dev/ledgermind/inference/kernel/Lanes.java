package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

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

    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;
    private static final VectorShuffle<Float> SWAP1 = VectorShuffle.fromValues(F512, 1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14);
    private static final VectorShuffle<Float> SWAP2 = VectorShuffle.fromValues(F512, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13);
    private static final VectorShuffle<Float> SWAP4 = VectorShuffle.fromValues(F512, 4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11);
    private static final VectorShuffle<Float> SWAP8 = VectorShuffle.fromValues(F512, 8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7);

    /**
     * {@link #combine512} in four vector steps: lane 0 of {@code v + swap(v)} at distances 1, 2, 4, 8 is
     * {@code s0 + s1}, then {@code (s0 + s1) + (s2 + s3)}, then the tree's {@code a}, then {@code a + b}: the same
     * additions with the same operands in the same order as {@link #tree} (the other lanes are discarded), so the same
     * bits, in eight vector operations instead of sixteen lane extractions. Small enough that C2 inlines it into
     * kernels that are already large (an out-of-line call boxes its argument).
     */
    public static float tree512(FloatVector a) {
        a = a.add(a.rearrange(SWAP1));
        a = a.add(a.rearrange(SWAP2));
        a = a.add(a.rearrange(SWAP4));
        a = a.add(a.rearrange(SWAP8));
        return a.lane(0);
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
