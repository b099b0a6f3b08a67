package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.LongVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * SiLU (swish): {@code silu(x) = x / (1 + (float) StrictMath.exp((double) -x))}, the exp rounded once to
 * binary32, then a binary32 addition and division. This is the definition at every width (and the dispute game's
 * {@code act} op).
 *
 * <p>{@link #gate(KernelConfig, float[], float[], int)}, the feed-forward gate {@code g[i] = silu(g[i]) * u[i]}, runs
 * the exponential lanewise from 256 bits on ({@link #strictExp}: fdlibm's {@code e_exp.c} algorithm, which is what
 * {@code StrictMath.exp} computes, operation for operation in binary64, no fma); lanes outside its primary range
 * (|x| below 2^-28 or at least 709.78, NaN, infinities, and results that need the subnormal scaling) take
 * {@code StrictMath.exp} itself. Same bits as the scalar definition for every input: {@code SiluTest} compares
 * {@link #strictExp} with {@code StrictMath.exp} on every 2^8-th binary32 input and the edges (and, with
 * {@code -Dsilu.exhaustive=true}, on all 2^32).
 */
public final class Silu {
    private Silu() {
    }

    public static float apply(float x) {
        return x / (1.0f + (float) StrictMath.exp(-(double) x));
    }

    /** In place over {@code x[off .. off+n)}. */
    public static void apply(float[] x, int off, int n) {
        for (int i = 0; i < n; i++) x[off + i] = apply(x[off + i]);
    }

    /** {@code g[i] = silu(g[i]) * u[i]} for {@code i < n} (binary32 product), at the configured width; same bits at every one. */
    public static void gate(KernelConfig cfg, float[] g, float[] u, int n) {
        int bits = cfg.vectorBits();
        int i = 0;
        if (bits >= 512) {
            i = gateVector(FloatVector.SPECIES_256, DoubleVector.SPECIES_512, g, u, n);
        } else if (bits >= 256) {
            i = gateVector(FloatVector.SPECIES_128, DoubleVector.SPECIES_256, g, u, n);
        }
        for (; i < n; i++) g[i] = apply(g[i]) * u[i];
    }

    private static int gateVector(VectorSpecies<Float> fs, VectorSpecies<Double> ds, float[] g, float[] u, int n) {
        int lanes = ds.length(), i = 0;
        double[] scratch = new double[lanes];
        for (; i + lanes <= n; i += lanes) {
            FloatVector x = FloatVector.fromArray(fs, g, i);
            DoubleVector arg = ((DoubleVector) x.convertShape(VectorOperators.F2D, ds, 0)).neg();
            DoubleVector e = strictExp(arg, scratch);
            FloatVector ef = (FloatVector) e.convertShape(VectorOperators.D2F, fs, 0);
            x.div(ef.add(1.0f)).mul(FloatVector.fromArray(fs, u, i)).intoArray(g, i);
        }
        return i;
    }

    // fdlibm e_exp.c's constants, as java.lang.FdLibm.Exp holds them
    private static final double O_THRESHOLD = 0x1.62e42fefa39efp9;
    private static final double LN2_HI = 0x1.62e42feep-1;
    private static final double LN2_LO = 0x1.a39ef35793c76p-33;
    private static final double INV_LN2 = 0x1.71547652b82fep0;
    private static final double P1 = 0x1.555555555553ep-3;
    private static final double P2 = -0x1.6c16c16bebd93p-9;
    private static final double P3 = 0x1.1566aaf25de2cp-14;
    private static final double P4 = -0x1.bbd41c5d26bf1p-20;
    private static final double P5 = 0x1.6376972bea4d0p-25;

    /**
     * {@code StrictMath.exp} lanewise, bit for bit. In fdlibm's primary range (2^-28 &lt;= |x| &lt; 709.78 and a result
     * that needs no subnormal scaling) the lanes run its operations: the reduction {@code x = hi - lo} by {@code k}
     * multiples of ln 2 (k = +-1 below 1.5 ln 2, else {@code (int) (x / ln 2 + 0.5 sign(x))}; none below 0.5 ln 2), the
     * polynomial {@code c = x - t (P1 + t (P2 + t (P3 + t (P4 + t P5))))} with {@code t = x x}, then
     * {@code 1 - ((x c) / (c - 2) - x)} (k = 0) or {@code 1 - ((lo - (x c) / (2 - c)) - hi)} with k added to the
     * exponent. Every other lane is computed by {@code StrictMath.exp} itself ({@code scratch}: one double per lane).
     */
    static DoubleVector strictExp(DoubleVector x, double[] scratch) {
        VectorSpecies<Double> ds = x.species();
        LongVector bits = (LongVector) x.convert(VectorOperators.REINTERPRET_D2L, 0);
        LongVector hx = bits.lanewise(VectorOperators.LSHR, 32).and(0x7fffffffL);
        VectorMask<Long> neg = bits.compare(VectorOperators.LT, 0L);
        VectorMask<Long> outside = hx.compare(VectorOperators.GE, 0x40862E42L).or(hx.compare(VectorOperators.LT, 0x3e300000L));
        VectorMask<Long> reduced = hx.compare(VectorOperators.GT, 0x3fd62e42L);
        VectorMask<Long> nearOne = reduced.and(hx.compare(VectorOperators.LT, 0x3FF0A2B2L));

        // k: +-1 near ln 2; (int) (invln2 * x + (+-0.5)) beyond; 0 below 0.5 ln 2
        DoubleVector half = DoubleVector.broadcast(ds, 0.5).blend(-0.5, neg.cast(ds));
        LongVector kFar = (LongVector) x.mul(INV_LN2).add(half).convert(VectorOperators.D2L, 0);
        LongVector kNear = LongVector.broadcast(bits.species(), 1L).blend(-1L, neg);
        LongVector k = kFar.blend(kNear, nearOne).blend(0L, reduced.not());

        // hi, lo: near ln 2 x -+ ln2HI and +-ln2LO; beyond x - t ln2HI and t ln2LO with t = k
        DoubleVector t = (DoubleVector) k.convert(VectorOperators.L2D, 0);
        DoubleVector hiFar = x.sub(t.mul(LN2_HI));
        DoubleVector loFar = t.mul(LN2_LO);
        DoubleVector hiNear = x.sub(DoubleVector.broadcast(ds, LN2_HI).blend(-LN2_HI, neg.cast(ds)));
        DoubleVector loNear = DoubleVector.broadcast(ds, LN2_LO).blend(-LN2_LO, neg.cast(ds));
        VectorMask<Double> nearD = nearOne.cast(ds), reducedD = reduced.cast(ds);
        DoubleVector hi = hiFar.blend(hiNear, nearD);
        DoubleVector lo = loFar.blend(loNear, nearD);
        DoubleVector r = x.blend(hi.sub(lo), reducedD);

        DoubleVector tt = r.mul(r);
        DoubleVector c = r.sub(tt.mul(tt.mul(tt.mul(tt.mul(tt.mul(P5).add(P4)).add(P3)).add(P2)).add(P1)));
        DoubleVector rc = r.mul(c);
        DoubleVector y0 = DoubleVector.broadcast(ds, 1.0).sub(rc.div(c.sub(2.0)).sub(r));
        DoubleVector y = DoubleVector.broadcast(ds, 1.0).sub(lo.sub(rc.div(DoubleVector.broadcast(ds, 2.0).sub(c))).sub(hi));
        LongVector scaled = ((LongVector) y.convert(VectorOperators.REINTERPRET_D2L, 0)).add(k.lanewise(VectorOperators.LSHL, 52));
        DoubleVector result = ((DoubleVector) scaled.convert(VectorOperators.REINTERPRET_L2D, 0)).blend(y0, reducedD.not());

        VectorMask<Long> scalar = outside.or(k.compare(VectorOperators.LT, -1021L));
        if (scalar.anyTrue()) {
            result.intoArray(scratch, 0);
            double[] in = x.toArray();
            for (int j = 0; j < in.length; j++) if (scalar.laneIsSet(j)) scratch[j] = StrictMath.exp(in[j]);
            result = DoubleVector.fromArray(ds, scratch, 0);
        }
        return result;
    }
}
