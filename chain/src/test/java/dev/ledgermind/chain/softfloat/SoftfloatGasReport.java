package dev.ledgermind.chain.softfloat;

import dev.ledgermind.chain.softfloat.SoftfloatChain.Op;
import dev.ledgermind.chain.softfloat.SoftfloatChain.VectorWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Gas per softfloat operation, measured on anvil by the harness (gasleft() around each library call), and
 * written into docs/gas.md between the softfloat markers (the rest of the file is left as it is).
 * Skipped unless run with {@code -Dsoftfloat.gas.report=true}:
 *
 * <pre>./mvnw -B -pl chain -am test -Dtest=SoftfloatGasReport -Dsoftfloat.gas.report=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 *
 * Two input sets per operation: "typical", finite normal operands between 2^-20 and 2^20 (what a dot
 * product chunk feeds the referee), and the parity test's weighted mixture (specials, subnormals, ties).
 */
@EnabledIfSystemProperty(named = "softfloat.gas.report", matches = "true")
class SoftfloatGasReport {
    static final int VECTORS = Integer.getInteger("softfloat.gas.vectors", 20_000);
    static final String BEGIN = "<!-- softfloat gas: begin (written by SoftfloatGasReport) -->";
    static final String END = "<!-- softfloat gas: end -->";

    @Test
    void writeSoftfloatGasTable() throws IOException {
        StringBuilder rows = new StringBuilder();
        try (SoftfloatChain chain = new SoftfloatChain()) {
            for (Op op : Op.values()) {
                long[] typical = chain.gas(op, VECTORS, typical(op, new FloatInputs(100 + op.ordinal())));
                long[] mixed = chain.gas(op, VECTORS, mixed(op, new FloatInputs(200 + op.ordinal())));
                assertEquals(0, typical[2], op + ": results differ from Java on the typical inputs");
                assertEquals(0, mixed[2], op + ": results differ from Java on the weighted inputs");
                rows.append(String.format(Locale.ROOT, "| %s | %,d | %,d | %,d | %,d |%n", NAMES[op.ordinal()],
                        typical[0] / VECTORS, typical[1], mixed[0] / VECTORS, mixed[1]));
            }
        }
        String block = BEGIN + "\n\n| operation | gas, typical (mean) | typical (max) | weighted mixture (mean) | mixture (max) |\n"
                + "|---|---:|---:|---:|---:|\n" + rows + "\n" + VECTORS + " vectors per column; gas measured inside the call "
                + "around the library function (about 10 gas of it is the measurement).\n\n" + END;
        System.out.println(block);
        Path out = Path.of(System.getProperty("softfloat.gas.out", "../docs/gas.md"));
        String md = Files.exists(out) ? Files.readString(out) : "";
        int b = md.indexOf(BEGIN), e = md.indexOf(END);
        md = b >= 0 && e > b ? md.substring(0, b) + block + md.substring(e + END.length()) : md + "\n" + block + "\n";
        Files.writeString(out, md);
    }

    static final String[] NAMES = {
            "binary32 add", "binary32 sub", "binary32 mul", "binary32 fma", "binary32 div", "binary32 sqrt",
            "softmax exp (binary32 in and out, binary64 inside)", "binary64 add", "binary64 sub", "binary64 mul",
            "exp (Erf.exp, binary64)", "binary32 to binary64", "binary64 to binary32", "binary64 div",
            "StrictMath.exp (fdlibm, binary64)", "SiLU (binary32, StrictMath.exp inside)",
            "GELU (binary32, Erf.erf in binary64 inside)",
    };

    private static int normal32(FloatInputs in) {
        return in.nextInt(2) << 31 | (107 + in.nextInt(41)) << 23 | in.nextInt(1 << 23);
    }

    private static long normal64(FloatInputs in) {
        return (long) in.nextInt(2) << 63 | (long) (1003 + in.nextInt(41)) << 52 | in.nextLong() >>> 12;
    }

    private static VectorWriter typical(Op op, FloatInputs in) {
        return switch (op) {
            case STRICT_EXP64 -> (i, out) -> {
                double d = -20.0 * in.nextInt(1 << 30) * 0x1p-30;
                out.putDouble(d).putLong(bits(StrictMath.exp(d)));
            };
            case SILU32 -> (i, out) -> {
                float x = 16f * in.nextInt(1 << 24) * 0x1p-24f - 8f;
                out.putFloat(x).putInt(bits(CanonicalExpReference.silu(x)));
            };
            case GELU32 -> (i, out) -> {
                float x = 6f * in.nextInt(1 << 24) * 0x1p-24f - 3f; // the series range of erf
                out.putFloat(x).putInt(bits(CanonicalExpReference.gelu(x)));
            };
            case SOFTMAX_EXP32 -> (i, out) -> {
                float d = -20f * in.nextInt(1 << 24) * 0x1p-24f;
                out.putFloat(d).putInt(bits(CanonicalExpReference.softmaxExp(d)));
            };
            case EXP64 -> (i, out) -> {
                double d = -20.0 * in.nextInt(1 << 30) * 0x1p-30;
                out.putDouble(d).putLong(bits(CanonicalExpReference.exp(d)));
            };
            case TO32 -> (i, out) -> {
                long a = normal64(in);
                out.putLong(a).putInt(bits((float) Double.longBitsToDouble(a)));
            };
            case SQRT32 -> (i, out) -> {
                int a = normal32(in) & 0x7fffffff;
                out.putInt(a).putInt(bits((float) Math.sqrt(Float.intBitsToFloat(a))));
            };
            case TO64 -> (i, out) -> {
                int a = normal32(in);
                out.putInt(a).putLong(bits((double) Float.intBitsToFloat(a)));
            };
            default -> vectors(op, in, SoftfloatGasReport::normal32, SoftfloatGasReport::normal64);
        };
    }

    private static VectorWriter mixed(Op op, FloatInputs in) {
        return switch (op) {
            case STRICT_EXP64 -> (i, out) -> {
                long x = ExpInputs.expInput(i);
                out.putLong(x).putLong(bits(StrictMath.exp(Double.longBitsToDouble(x))));
            };
            case SILU32 -> (i, out) -> {
                int x = ExpInputs.siluInput(i);
                out.putInt(x).putInt(bits(CanonicalExpReference.silu(Float.intBitsToFloat(x))));
            };
            case GELU32 -> (i, out) -> {
                int x = ExpInputs.geluInput(i);
                out.putInt(x).putInt(bits(CanonicalExpReference.gelu(Float.intBitsToFloat(x))));
            };
            case SOFTMAX_EXP32 -> (i, out) -> {
                int x = ExpInputs.softmaxInput(i);
                out.putInt(x).putInt(bits(CanonicalExpReference.softmaxExp(Float.intBitsToFloat(x))));
            };
            case EXP64 -> (i, out) -> {
                long x = ExpInputs.expInput(i);
                out.putLong(x).putLong(bits(CanonicalExpReference.exp(Double.longBitsToDouble(x))));
            };
            case TO32 -> (i, out) -> {
                long a = in.float64();
                out.putLong(a).putInt(bits((float) Double.longBitsToDouble(a)));
            };
            case SQRT32 -> (i, out) -> {
                int a = in.float32();
                out.putInt(a).putInt(bits((float) Math.sqrt(Float.intBitsToFloat(a))));
            };
            case TO64 -> (i, out) -> {
                int a = in.float32();
                out.putInt(a).putLong(bits((double) Float.intBitsToFloat(a)));
            };
            default -> vectors(op, in, FloatInputs::float32, FloatInputs::float64);
        };
    }

    private static VectorWriter vectors(Op op, FloatInputs in, java.util.function.ToIntFunction<FloatInputs> f32,
                                        java.util.function.ToLongFunction<FloatInputs> f64) {
        return (i, out) -> {
            switch (op) {
                case FMA32 -> {
                    int a = f32.applyAsInt(in), b = f32.applyAsInt(in), c = f32.applyAsInt(in);
                    out.putInt(a).putInt(b).putInt(c).putInt(bits(Math.fma(Float.intBitsToFloat(a), Float.intBitsToFloat(b), Float.intBitsToFloat(c))));
                }
                case ADD32, SUB32, MUL32, DIV32 -> {
                    int a = f32.applyAsInt(in), b = f32.applyAsInt(in);
                    float x = Float.intBitsToFloat(a), y = Float.intBitsToFloat(b);
                    float r = switch (op) {
                        case ADD32 -> x + y;
                        case SUB32 -> x - y;
                        case MUL32 -> x * y;
                        default -> x / y;
                    };
                    out.putInt(a).putInt(b).putInt(bits(r));
                }
                default -> {
                    long a = f64.applyAsLong(in), b = f64.applyAsLong(in);
                    double x = Double.longBitsToDouble(a), y = Double.longBitsToDouble(b);
                    double r = switch (op) {
                        case ADD64 -> x + y;
                        case SUB64 -> x - y;
                        case DIV64 -> x / y;
                        default -> x * y;
                    };
                    out.putLong(a).putLong(b).putLong(bits(r));
                }
            }
        };
    }

    private static int bits(float f) {
        return Float.floatToIntBits(f);
    }

    private static long bits(double d) {
        return Double.doubleToLongBits(d);
    }
}
