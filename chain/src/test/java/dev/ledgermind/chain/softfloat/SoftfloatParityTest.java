package dev.ledgermind.chain.softfloat;

import dev.ledgermind.chain.softfloat.SoftfloatChain.Mismatch;
import dev.ledgermind.chain.softfloat.SoftfloatChain.Op;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * The Solidity softfloat (contracts/src/softfloat) against Java, bit for bit, through one real anvil:
 * binary32 add, sub, mul, fma, div and sqrt against Java's own {@code a + b}, {@code a - b}, {@code a * b},
 * {@code Math.fma}, {@code a / b} and {@code (float) Math.sqrt}; the binary64 operations softmax's exp is
 * built from against Java's double arithmetic; and the engine's exponential against chain's
 * transcription of it, which {@link ExpInputs}' digest ties to the engine itself; binary64 division and
 * fdlibm's exp against Java's {@code /} and {@code StrictMath.exp}; and the engine's SiLU and GELU (with
 * its erf) as the exp.
 *
 * <p>NaN results compare as Java's {@code floatToIntBits} / {@code doubleToLongBits} (the canonical quiet
 * NaN): the library always returns that pattern, and Java's own NaN bits depend on the CPU.
 *
 * <p>{@code -Dsoftfloat.vectors=N} sets the vectors per operation (default 25,000 in CI; the documented
 * parity run uses 1,000,000, see docs/gas.md). Each operation draws from its own seed.
 */
class SoftfloatParityTest {
    static final int N = Integer.getInteger("softfloat.vectors", 25_000);
    static SoftfloatChain chain;

    @BeforeAll
    static void start() {
        chain = new SoftfloatChain();
    }

    @AfterAll
    static void stop() {
        if (chain != null) chain.close();
    }

    // ------------------------------------------------------------------ binary32

    interface F2 {
        float apply(float a, float b);
    }

    private static void binary32(Op op, long seed, boolean product, F2 f) {
        FloatInputs in = new FloatInputs(seed);
        assertNull(chain.check(op, N, (i, out) -> {
            int a = in.float32();
            int b = in.partner32(a, product);
            out.putInt(a).putInt(b).putInt(bits(f.apply(Float.intBitsToFloat(a), Float.intBitsToFloat(b))));
        }), () -> op + " differs from Java");
    }

    @Test
    void addMatchesJavaBitForBit() {
        binary32(Op.ADD32, 1, false, (a, b) -> a + b);
    }

    @Test
    void subMatchesJavaBitForBit() {
        binary32(Op.SUB32, 2, false, (a, b) -> a - b);
    }

    @Test
    void mulMatchesJavaBitForBit() {
        binary32(Op.MUL32, 3, true, (a, b) -> a * b);
    }

    @Test
    void divMatchesJavaBitForBit() {
        binary32(Op.DIV32, 4, false, (a, b) -> a / b);
    }

    @Test
    void fmaMatchesJavaWithOneRounding() {
        FloatInputs in = new FloatInputs(5);
        Mismatch m = chain.check(Op.FMA32, N, (i, out) -> {
            int a = in.float32();
            int b = in.partner32(a, true);
            float fa = Float.intBitsToFloat(a), fb = Float.intBitsToFloat(b);
            int c = switch (in.nextInt(4)) {
                case 0 -> bits(-(fa * fb)) ^ (in.nextInt(2) == 0 ? 0 : 0x80000000); // cancellation
                case 1 -> in.partner32(bits(fa * fb), false);
                default -> in.float32();
            };
            out.putInt(a).putInt(b).putInt(c).putInt(bits(Math.fma(fa, fb, Float.intBitsToFloat(c))));
        });
        assertNull(m, () -> "fma differs from Math.fma: " + m);
    }

    @Test
    void sqrtMatchesJavaBitForBit() {
        FloatInputs in = new FloatInputs(6);
        Mismatch m = chain.check(Op.SQRT32, N, (i, out) -> {
            int a = in.float32();
            if (in.nextInt(4) == 0) a = bits(Float.intBitsToFloat(a) * Float.intBitsToFloat(a)); // squares
            if (in.nextInt(4) == 0) a &= 0x7fffffff;
            out.putInt(a).putInt(bits((float) Math.sqrt(Float.intBitsToFloat(a))));
        });
        assertNull(m, () -> "sqrt differs from (float) Math.sqrt: " + m);
    }

    // ------------------------------------------------------------------ binary64 and the engine's exp

    interface D2 {
        double apply(double a, double b);
    }

    private static void binary64(Op op, long seed, boolean product, D2 f) {
        FloatInputs in = new FloatInputs(seed);
        Mismatch m = chain.check(op, N, (i, out) -> {
            long a = in.float64();
            long b = in.partner64(a, product);
            out.putLong(a).putLong(b).putLong(bits(f.apply(Double.longBitsToDouble(a), Double.longBitsToDouble(b))));
        });
        assertNull(m, () -> op + " differs from Java: " + m);
    }

    @Test
    void binary64AddMatchesJavaBitForBit() {
        binary64(Op.ADD64, 7, false, (a, b) -> a + b);
    }

    @Test
    void binary64SubMatchesJavaBitForBit() {
        binary64(Op.SUB64, 8, false, (a, b) -> a - b);
    }

    @Test
    void binary64MulMatchesJavaBitForBit() {
        binary64(Op.MUL64, 9, true, (a, b) -> a * b);
    }

    @Test
    void binary64DivMatchesJavaBitForBit() {
        binary64(Op.DIV64, 11, false, (a, b) -> a / b);
    }

    @Test
    void strictExpMatchesStrictMathExp() {
        FloatInputs in = new FloatInputs(12);
        Mismatch m = chain.check(Op.STRICT_EXP64, N, (i, out) -> {
            long x = switch (in.nextInt(4)) {
                case 0 -> in.float64();
                case 1 -> ExpInputs.expInput(i);
                default -> bits((in.nextLong() >>> 11) * 0x1p-53 * 1460.0 - 748.0); // the whole finite range and its edges
            };
            out.putLong(x).putLong(bits(StrictMath.exp(Double.longBitsToDouble(x))));
        });
        assertNull(m, () -> "StrictExp differs from StrictMath.exp: " + m);
    }

    @Test
    void siluMatchesTheEngine() throws IOException {
        assertEquals(committedDigest("silu32"),
                ExpInputs.siluDigest(x -> bits(CanonicalExpReference.silu(Float.intBitsToFloat(x))), ExpInputs.COUNT),
                "chain's transcription of Silu.apply no longer hashes to docs/vectors/canonical-exp.txt");
        Mismatch m = chain.check(Op.SILU32, Math.min(N, ExpInputs.COUNT), (i, out) -> {
            int x = ExpInputs.siluInput(i);
            out.putInt(x).putInt(bits(CanonicalExpReference.silu(Float.intBitsToFloat(x))));
        });
        assertNull(m, () -> "silu differs from the engine: " + m);
    }

    @Test
    void geluMatchesTheEngine() throws IOException {
        assertEquals(committedDigest("gelu32"),
                ExpInputs.geluDigest(x -> bits(CanonicalExpReference.gelu(Float.intBitsToFloat(x))), ExpInputs.COUNT),
                "chain's transcription of Gelu.apply no longer hashes to docs/vectors/canonical-exp.txt");
        Mismatch m = chain.check(Op.GELU32, Math.min(N, ExpInputs.COUNT), (i, out) -> {
            int x = ExpInputs.geluInput(i);
            out.putInt(x).putInt(bits(CanonicalExpReference.gelu(Float.intBitsToFloat(x))));
        });
        assertNull(m, () -> "gelu differs from the engine: " + m);
    }

    @Test
    void conversionsMatchJavaCasts() {
        FloatInputs in = new FloatInputs(10);
        Mismatch up = chain.check(Op.TO64, N, (i, out) -> {
            int a = in.float32();
            out.putInt(a).putLong(bits((double) Float.intBitsToFloat(a)));
        });
        assertNull(up, () -> "(double) float differs: " + up);
        Mismatch down = chain.check(Op.TO32, N, (i, out) -> {
            long a = in.nextInt(2) == 0 ? in.float64()
                    : bits((double) Float.intBitsToFloat(in.float32()) * (1.0 + in.nextInt(1 << 20) * 0x1p-29));
            out.putLong(a).putInt(bits((float) Double.longBitsToDouble(a)));
        });
        assertNull(down, () -> "(float) double differs: " + down);
    }

    @Test
    void softmaxExpMatchesTheEngine() throws IOException {
        assertEquals(committedDigest("softmaxExp32"),
                ExpInputs.softmaxDigest(x -> bits(CanonicalExpReference.softmaxExp(Float.intBitsToFloat(x))), ExpInputs.COUNT),
                "chain's transcription of Softmax.exp no longer hashes to docs/vectors/canonical-exp.txt");
        Mismatch m = chain.check(Op.SOFTMAX_EXP32, Math.min(N, ExpInputs.COUNT), (i, out) -> {
            int x = ExpInputs.softmaxInput(i);
            out.putInt(x).putInt(bits(CanonicalExpReference.softmaxExp(Float.intBitsToFloat(x))));
        });
        assertNull(m, () -> "softmaxExp differs from the engine: " + m);
    }

    @Test
    void binary64ExpMatchesTheEngine() throws IOException {
        assertEquals(committedDigest("exp64"),
                ExpInputs.expDigest(x -> bits(CanonicalExpReference.exp(Double.longBitsToDouble(x))), ExpInputs.COUNT),
                "chain's transcription of Erf.exp no longer hashes to docs/vectors/canonical-exp.txt");
        Mismatch m = chain.check(Op.EXP64, Math.min(N, ExpInputs.COUNT), (i, out) -> {
            long x = ExpInputs.expInput(i);
            out.putLong(x).putLong(bits(CanonicalExpReference.exp(Double.longBitsToDouble(x))));
        });
        assertNull(m, () -> "exp differs from the engine: " + m);
    }

    // ------------------------------------------------------------------ fixed cases and the harness itself

    /** Cases whose answers are written down here, not computed by Java: ties, subnormals, zeros, NaN. */
    @Test
    void knownResultsOfEdgeCases() {
        // {op, operands..., expected}
        int[][] cases = {
                {0, 0x3f800000, 0x33800000, 0x3f800000}, // 1 + 2^-24: a tie, to even (down)
                {0, 0x3f800001, 0x33800000, 0x3f800002}, // (1 + 2^-23) + 2^-24: a tie, to even (up)
                {0, 0x3f800000, 0xbf800000, 0x00000000}, // x + -x = +0
                {0, 0x80000000, 0x80000000, 0x80000000}, // -0 + -0 = -0
                {0, 0x7f800000, 0xff800000, 0x7fc00000}, // inf - inf = NaN
                {0, 0x7f7fffff, 0x73000000, 0x7f800000}, // MAX + half an ulp: a tie, to even = inf
                {0, 0x00000001, 0x80000002, 0x80000001}, // subnormals subtract exactly
                {1, 0x00800000, 0x00000001, 0x007fffff}, // MIN_NORMAL - MIN_VALUE: subnormal
                {2, 0x00000001, 0x3f000000, 0x00000000}, // MIN_VALUE * 0.5: a tie, to even = 0
                {2, 0x00000001, 0xbf400000, 0x80000001}, // MIN_VALUE * -0.75 rounds to -MIN_VALUE
                {2, 0x7f800000, 0x00000000, 0x7fc00000}, // inf * 0 = NaN
                {2, 0x80000000, 0x3f800000, 0x80000000}, // -0 * 1 = -0
                {2, 0x5f800000, 0x5f800000, 0x7f800000}, // 2^64 * 2^64 overflows
                {4, 0x3f800000, 0x40400000, 0x3eaaaaab}, // 1 / 3
                {4, 0x3f800000, 0x80000000, 0xff800000}, // 1 / -0 = -inf
                {4, 0x00000000, 0x00000000, 0x7fc00000}, // 0 / 0 = NaN
                {5, 0x40000000, 0x3fb504f3}, // sqrt 2
                {5, 0x80000000, 0x80000000}, // sqrt(-0) = -0
                {5, 0xbf800000, 0x7fc00000}, // sqrt(-1) = NaN
                {5, 0x00000001, 0x1a3504f3}, // sqrt(MIN_VALUE)
                {5, 0x7fc01234, 0x7fc00000}, // a NaN's payload is not kept
                {3, 0x3f800001, 0x3f800001, 0xbf800002, 0x28800000}, // fma keeps the 2^-46 a*b loses
                {3, 0x00000000, 0x3f800000, 0x80000000, 0x00000000}, // +0*1 + -0 = +0
                {3, 0x80000000, 0x3f800000, 0x80000000, 0x80000000}, // -0*1 + -0 = -0
                {3, 0x7f800000, 0x3f800000, 0xff800000, 0x7fc00000}, // inf + -inf inside fma = NaN
                {6, 0x00000000, 0x3f800000}, // softmaxExp(0) = 1
                {6, 0xc2d00001, 0x00000000}, // below -104: 0
                {6, 0xff800000, 0x00000000}, // -inf (a masked position): 0
        };
        for (int[] c : cases) {
            Op op = Op.values()[c[0]];
            Mismatch m = chain.check(op, 1, (i, out) -> {
                for (int k = 1; k < c.length; k++) out.putInt(c[k]);
            });
            int[] shown = c;
            assertNull(m, () -> op + " " + java.util.Arrays.toString(java.util.Arrays.stream(shown).mapToObj(Integer::toHexString).toArray()) + ": " + m);
        }
    }

    @Test
    void aWrongExpectationIsReportedAtItsIndex() {
        Mismatch m = chain.check(Op.ADD32, 1000, (i, out) -> {
            float a = i, b = 0.5f;
            out.putFloat(a).putFloat(b).putInt(bits(a + b) + (i == 737 ? 1 : 0));
        });
        assertNotNull(m, "a wrong expected value went unnoticed");
        assertEquals(737, m.index());
        assertEquals(bits(737.5f), m.got().intValueExact());
    }

    // ------------------------------------------------------------------ helpers

    static int bits(float f) {
        return Float.floatToIntBits(f);
    }

    static long bits(double d) {
        return Double.doubleToLongBits(d);
    }

    /** The digest named {@code name} in docs/vectors/canonical-exp.txt (lines "name count sha256"). */
    static String committedDigest(String name) throws IOException {
        Path file = Path.of(System.getProperty("softfloat.digests", "../docs/vectors/canonical-exp.txt"));
        for (String line : Files.readAllLines(file)) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals(name)) {
                if (Integer.parseInt(f[1]) != ExpInputs.COUNT) {
                    throw new IllegalStateException(file + ": " + name + " covers " + f[1] + " inputs, the test " + ExpInputs.COUNT);
                }
                return f[2];
            }
        }
        throw new IllegalStateException(file + " has no line '" + name + " COUNT SHA256'");
    }
}
