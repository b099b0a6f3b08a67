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
        gate(cfg, g, 0, u, 0, n);
    }

    /**
     * {@code g[gOff + i] = silu(g[gOff + i]) * u[uOff + i]} for {@code i < n}: each element's operations are its own, so
     * any split of a range (threads, chunks) gives the same bits.
     */
    public static void gate(KernelConfig cfg, float[] g, int gOff, float[] u, int uOff, int n) {
        java.util.Objects.checkFromIndexSize(gOff, n, g.length);
        java.util.Objects.checkFromIndexSize(uOff, n, u.length);
        int i = 0;
        if (cfg.vectorBits() >= 256) {
            double[][] scratch = SCRATCH.get();
            double[] arg = scratch[0], e = scratch[1];
            while (i + LANES <= n) {
                int m = Math.min(GATE_CHUNK, (n - i) / LANES * LANES);
                negatedArguments(g, gOff + i, arg, m);
                strictExp(arg, e, m);
                finishGate(g, gOff + i, u, uOff + i, e, m);
                i += m;
            }
        }
        for (; i < n; i++) g[gOff + i] = apply(g[gOff + i]) * u[uOff + i];
    }

    /** Elements per pass of the gate's three loops (their binary64 scratch stays in L1). */
    private static final int GATE_CHUNK = 512;
    /** Per-thread binary64 scratch for the gate's passes (the decode step calls the gate once per chunk of rows: no garbage). */
    private static final ThreadLocal<double[][]> SCRATCH = ThreadLocal.withInitial(() -> new double[][] {new double[GATE_CHUNK], new double[GATE_CHUNK]});
    /**
     * The species, constants: the Vector API compiles to vector instructions only where C2 sees the species as a
     * constant (one passed as an argument left every operation to its boxed Java fallback, 2x slower than scalar).
     * Four binary64 lanes from 256 bits on, as {@link Softmax} and {@link Erf#exp(DoubleVector)}.
     */
    private static final VectorSpecies<Float> F128 = FloatVector.SPECIES_128;
    static final VectorSpecies<Double> D256 = DoubleVector.SPECIES_256;
    private static final int LANES = 4;

    private static void negatedArguments(float[] g, int off, double[] arg, int m) {
        for (int j = 0; j < m; j += LANES) {
            ((DoubleVector) FloatVector.fromArray(F128, g, off + j).convertShape(VectorOperators.F2D, D256, 0)).neg().intoArray(arg, j);
        }
    }

    private static void finishGate(float[] g, int gOff, float[] u, int uOff, double[] e, int m) {
        for (int j = 0; j < m; j += LANES) {
            FloatVector ef = (FloatVector) DoubleVector.fromArray(D256, e, j).convertShape(VectorOperators.D2F, F128, 0);
            FloatVector x = FloatVector.fromArray(F128, g, gOff + j);
            x.div(ef.add(1.0f)).mul(FloatVector.fromArray(F128, u, uOff + j)).intoArray(g, gOff + j);
        }
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
     * exponent. Every other lane is computed by {@code StrictMath.exp} itself. Over {@code out[0 .. m)} from
     * {@code in[0 .. m)}, {@code m} a multiple of 4. (One method with the loop inside: C2 then keeps
     * every vector in registers; a helper taking or returning a vector may be left out of line and box it.)
     */
    static void strictExp(double[] in, double[] out, int m) {
        VectorSpecies<Double> ds = D256;
        for (int i = 0; i < m; i += LANES) {
            DoubleVector x = DoubleVector.fromArray(ds, in, i);
            // fdlibm's tests on the high word hx of |x|, as comparisons of |x| with the doubles whose high word is the
            // bound and low word 0 (for non-negative doubles the bit order is the numeric order)
            DoubleVector ax = x.abs();
            VectorMask<Double> neg = x.compare(VectorOperators.LT, 0.0);
            VectorMask<Double> reduced = ax.compare(VectorOperators.GE, HX_ABOVE_HALF_LN2);
            VectorMask<Double> nearOne = reduced.and(ax.compare(VectorOperators.LT, HX_BELOW_1_5_LN2));

            // k: (int) (invln2 * x + (+-0.5)) beyond 1.5 ln 2; +-1 below it; 0 below 0.5 ln 2
            DoubleVector half = DoubleVector.broadcast(ds, 0.5).blend(-0.5, neg);
            DoubleVector kd = (DoubleVector) ((LongVector) x.mul(INV_LN2).add(half).convert(VectorOperators.D2L, 0))
                    .convert(VectorOperators.L2D, 0);
            kd = kd.blend(DoubleVector.broadcast(ds, 1.0).blend(-1.0, neg), nearOne).blend(0.0, reduced.not());

            // hi, lo: near ln 2 x -+ ln2HI and +-ln2LO; beyond x - t ln2HI and t ln2LO with t = k
            DoubleVector hiNear = x.sub(DoubleVector.broadcast(ds, LN2_HI).blend(-LN2_HI, neg));
            DoubleVector loNear = DoubleVector.broadcast(ds, LN2_LO).blend(-LN2_LO, neg);
            DoubleVector hi = x.sub(kd.mul(LN2_HI)).blend(hiNear, nearOne);
            DoubleVector lo = kd.mul(LN2_LO).blend(loNear, nearOne);
            DoubleVector r = x.blend(hi.sub(lo), reduced);

            DoubleVector tt = r.mul(r);
            DoubleVector c = r.sub(tt.mul(tt.mul(tt.mul(tt.mul(tt.mul(P5).add(P4)).add(P3)).add(P2)).add(P1)));
            DoubleVector rc = r.mul(c);
            DoubleVector y0 = DoubleVector.broadcast(ds, 1.0).sub(rc.div(c.sub(2.0)).sub(r));
            DoubleVector y = DoubleVector.broadcast(ds, 1.0).sub(lo.sub(rc.div(DoubleVector.broadcast(ds, 2.0).sub(c))).sub(hi));
            LongVector k = (LongVector) kd.convert(VectorOperators.D2L, 0);
            DoubleVector result = y.viewAsIntegralLanes().add(k.lanewise(VectorOperators.LSHL, 52)).viewAsFloatingLanes()
                    .blend(y0, reduced.not());

            VectorMask<Double> scalar = ax.compare(VectorOperators.GE, HX_OVERFLOW_OR_NAN_RANGE)
                    .or(ax.compare(VectorOperators.LT, HX_TINY)).or(x.compare(VectorOperators.NE, x))
                    .or(kd.compare(VectorOperators.LT, -1021.0));
            result.intoArray(out, i);
            if (scalar.anyTrue()) {
                for (int j = 0; j < LANES; j++) if (scalar.laneIsSet(j)) out[i + j] = StrictMath.exp(in[i + j]);
            }
        }
    }

    private static double highWord(long hx) {
        return Double.longBitsToDouble(hx << 32);
    }

    /** |x| &gt;= this: hx &gt;= 0x40862E42 (exp overflows, underflows, or x is infinite or NaN). */
    private static final double HX_OVERFLOW_OR_NAN_RANGE = highWord(0x40862E42L);
    /** |x| &lt; this: hx &lt; 0x3e300000 (|x| &lt; 2^-28, exp = 1 + x). */
    private static final double HX_TINY = highWord(0x3e300000L);
    /** |x| &gt;= this: hx &gt; 0x3fd62e42 (|x| &gt; 0.5 ln 2, reduced by k). */
    private static final double HX_ABOVE_HALF_LN2 = highWord(0x3fd62e43L);
    /** |x| &lt; this: hx &lt; 0x3FF0A2B2 (|x| &lt; 1.5 ln 2, k = +-1). */
    private static final double HX_BELOW_1_5_LN2 = highWord(0x3FF0A2B2L);
}
