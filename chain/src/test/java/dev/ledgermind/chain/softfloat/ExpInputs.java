package dev.ledgermind.chain.softfloat;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.function.IntUnaryOperator;
import java.util.function.LongUnaryOperator;

/**
 * The inputs of the canonical-exp vectors and their digest. <b>Kept identical</b> (apart from the package)
 * with inference's {@code dev.ledgermind.inference.kernel.ExpInputs}: chain and inference never import
 * each other, so each side hashes (input, result) pairs over the same inputs and both compare the
 * hash with docs/vectors/canonical-exp.txt. Inference hashes the engine's own functions, chain its
 * transcription of them, which the contract is then checked against element by element. A change to
 * the inputs on one side only, or to the engine's exp, breaks one of the two hashes.
 *
 * <p>Input i of a stream is a function of splitmix64(seed + (i+1) * golden): {@link #softmaxInput} maps it
 * to a binary32 difference (mostly in softmax's range [-104, 0], also its edges, positives that
 * overflow, any bit pattern), {@link #expInput} to a binary64 argument of Erf.exp (mostly in
 * [-745, 710], also huge, tiny and special values), {@link #siluInput} to a binary32 SiLU argument
 * (mostly in [-20, 20], also large, tiny, any bit pattern), {@link #geluInput} to a binary32 GELU argument
 * (mostly in [-10, 10], which covers erf's series, continued-fraction and saturated ranges).
 */
final class ExpInputs {
    static final long SOFTMAX_SEED = 0x5EED0001L;
    static final long EXP64_SEED = 0x5EED0002L;
    static final long SILU_SEED = 0x5EED0003L;
    static final long GELU_SEED = 0x5EED0004L;
    static final int COUNT = 1_000_000;

    private ExpInputs() {
    }

    static long mix(long seed, int i) {
        long z = seed + (i + 1L) * 0x9E3779B97F4A7C15L;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Input i of the softmax-exp stream, as binary32 bits. */
    static int softmaxInput(int i) {
        long z = mix(SOFTMAX_SEED, i);
        float u = (z >>> 40) * 0x1p-24f; // [0, 1)
        switch ((int) (z & 7)) {
            case 0, 1, 2:
                return Float.floatToRawIntBits(-104f * u);
            case 3:
                return Float.floatToRawIntBits(-87f - 23f * u); // subnormal results and the cutoff
            case 4:
                return (int) (z >>> 63) << 31 | (90 + (int) ((z >>> 8) % 37)) << 23 | (int) (z >>> 16) & 0x7fffff;
            case 5:
                return (int) (z >>> 32);
            case 6:
                return Float.floatToRawIntBits(100f * u);
            default:
                return Float.floatToRawIntBits(-104f) + (int) ((z >>> 8) % 64) - 32;
        }
    }

    /** Input i of the binary64 exp stream, as binary64 bits. */
    static long expInput(int i) {
        long z = mix(EXP64_SEED, i);
        double u = (z >>> 11) * 0x1p-53; // [0, 1)
        switch ((int) (z & 7)) {
            case 0, 1, 2, 3:
                return Double.doubleToRawLongBits(-745.0 + 1455.0 * u);
            case 4:
                return mix(EXP64_SEED ^ 1, i);
            case 5:
                return (z & 0x8000000000000000L) | (long) (900 + (int) ((z >>> 8) % 124)) << 52 | (z >>> 12);
            case 6:
                return Double.doubleToRawLongBits((z & 1) == 0 ? 700 + 1e6 * u : -(700 + 1e300 * u));
            default:
                return (z & 0x8000000000000000L) | (long) (1023 + (int) ((z >>> 8) % 11)) << 52 | (z >>> 12) & 0xfffffffffffffL;
        }
    }

    /** Input i of the SiLU stream, as binary32 bits. */
    static int siluInput(int i) {
        long z = mix(SILU_SEED, i);
        float u = (z >>> 40) * 0x1p-24f; // [0, 1)
        switch ((int) (z & 7)) {
            case 0, 1, 2, 3:
                return Float.floatToRawIntBits(40f * u - 20f);
            case 4:
                return (int) (z >>> 32);
            case 5:
                return Float.floatToRawIntBits(200f * u - 100f);
            case 6:
                return (int) (z >>> 63) << 31 | (90 + (int) ((z >>> 8) % 37)) << 23 | (int) (z >>> 16) & 0x7fffff;
            default:
                return (int) (z >>> 63) << 31 | Float.floatToRawIntBits(80f + 20f * u);
        }
    }

    /** Input i of the GELU stream, as binary32 bits. */
    static int geluInput(int i) {
        long z = mix(GELU_SEED, i);
        float u = (z >>> 40) * 0x1p-24f; // [0, 1)
        switch ((int) (z & 7)) {
            case 0, 1, 2:
                return Float.floatToRawIntBits(20f * u - 10f);
            case 3:
                return (int) (z >>> 63) << 31 | Float.floatToRawIntBits(3.4f + 0.4f * u); // erf's branch edge 2.5
            case 4:
                return (int) (z >>> 32);
            case 5:
                return Float.floatToRawIntBits(200f * u - 100f);
            case 6:
                return (int) (z >>> 63) << 31 | (90 + (int) ((z >>> 8) % 37)) << 23 | (int) (z >>> 16) & 0x7fffff;
            default:
                return (int) (z >>> 63) << 31 | Float.floatToRawIntBits(8.2f + 0.8f * u); // erf's edge 6
        }
    }

    /** SHA-256 over (input, floatToIntBits(f(input))) for the first n inputs of the GELU stream, as hex. */
    static String geluDigest(IntUnaryOperator f, int n) {
        return digest32(ExpInputs::geluInput, f, n);
    }

    /** SHA-256 over (input, floatToIntBits(f(input))) for the first n inputs of the softmax stream, as hex. */
    static String softmaxDigest(IntUnaryOperator f, int n) {
        return digest32(ExpInputs::softmaxInput, f, n);
    }

    /** SHA-256 over (input, floatToIntBits(f(input))) for the first n inputs of the SiLU stream, as hex. */
    static String siluDigest(IntUnaryOperator f, int n) {
        return digest32(ExpInputs::siluInput, f, n);
    }

    private static String digest32(IntUnaryOperator input, IntUnaryOperator f, int n) {
        MessageDigest md = sha256();
        ByteBuffer b = ByteBuffer.allocate(8);
        for (int i = 0; i < n; i++) {
            int x = input.applyAsInt(i);
            b.clear();
            md.update(b.putInt(x).putInt(Float.floatToIntBits(Float.intBitsToFloat(f.applyAsInt(x)))).array());
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    /** SHA-256 over (input, doubleToLongBits(f(input))) for the first n inputs of the binary64 stream. */
    static String expDigest(LongUnaryOperator f, int n) {
        MessageDigest md = sha256();
        ByteBuffer b = ByteBuffer.allocate(16);
        for (int i = 0; i < n; i++) {
            long x = expInput(i);
            b.clear();
            md.update(b.putLong(x).putLong(Double.doubleToLongBits(Double.longBitsToDouble(f.applyAsLong(x)))).array());
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
