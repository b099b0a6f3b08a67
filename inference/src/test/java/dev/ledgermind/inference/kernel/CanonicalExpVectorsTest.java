package dev.ledgermind.inference.kernel;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The engine's exponentials ({@link Softmax#exp(float)} and {@link Erf#exp(double)}) its SiLU
 * ({@link Silu#apply(float)}) and GELU ({@link Gelu#apply(float)}, with {@link Erf#erf}) hash, over {@link ExpInputs}' 1,000,000 inputs each, to the digests in docs/vectors/canonical-exp.txt. Chain's
 * softfloat parity test checks its transcription against the same digests and the Solidity exp
 * against that transcription, element by element: together they show the contract computes the
 * engine's exp (chain and inference never import each other).
 *
 * <p>If this fails, the engine's exp changed: the on-chain referee (contracts/src/softfloat/CanonicalExp.sol, Silu.sol, Erf.sol, Gelu.sol)
 * and chain's CanonicalExpReference must change with it, and the digests be rewritten. The test prints
 * the digests it computed.
 */
class CanonicalExpVectorsTest {
    @Test
    void softmaxExpHashesToTheCommittedDigest() throws IOException {
        String got = ExpInputs.softmaxDigest(x -> Float.floatToIntBits(Softmax.exp(Float.intBitsToFloat(x))), ExpInputs.COUNT);
        System.out.println("softmaxExp32 " + ExpInputs.COUNT + " " + got);
        assertEquals(committed("softmaxExp32"), got, "Softmax.exp over ExpInputs no longer matches docs/vectors/canonical-exp.txt");
    }

    @Test
    void erfExpHashesToTheCommittedDigest() throws IOException {
        String got = ExpInputs.expDigest(x -> Double.doubleToLongBits(Erf.exp(Double.longBitsToDouble(x))), ExpInputs.COUNT);
        System.out.println("exp64 " + ExpInputs.COUNT + " " + got);
        assertEquals(committed("exp64"), got, "Erf.exp over ExpInputs no longer matches docs/vectors/canonical-exp.txt");
    }

    @Test
    void siluHashesToTheCommittedDigest() throws IOException {
        String got = ExpInputs.siluDigest(x -> Float.floatToIntBits(Silu.apply(Float.intBitsToFloat(x))), ExpInputs.COUNT);
        System.out.println("silu32 " + ExpInputs.COUNT + " " + got);
        assertEquals(committed("silu32"), got, "Silu.apply over ExpInputs no longer matches docs/vectors/canonical-exp.txt");
    }

    @Test
    void geluHashesToTheCommittedDigest() throws IOException {
        String got = ExpInputs.geluDigest(x -> Float.floatToIntBits(Gelu.apply(Float.intBitsToFloat(x))), ExpInputs.COUNT);
        System.out.println("gelu32 " + ExpInputs.COUNT + " " + got);
        assertEquals(committed("gelu32"), got, "Gelu.apply over ExpInputs no longer matches docs/vectors/canonical-exp.txt");
    }

    @Test
    void theDigestSeesASingleChangedResult() {
        int flip = 123_456;
        String honest = ExpInputs.softmaxDigest(x -> Float.floatToIntBits(Softmax.exp(Float.intBitsToFloat(x))), 200_000);
        String off = ExpInputs.softmaxDigest(x -> {
            int r = Float.floatToIntBits(Softmax.exp(Float.intBitsToFloat(x)));
            return x == ExpInputs.softmaxInput(flip) ? r ^ 1 : r;
        }, 200_000);
        assertEquals(false, honest.equals(off), "one result off by an ulp left the digest unchanged");
    }

    static String committed(String name) throws IOException {
        Path file = Path.of(System.getProperty("softfloat.digests", "../docs/vectors/canonical-exp.txt"));
        for (String line : Files.readAllLines(file)) {
            String[] f = line.trim().split("\\s+");
            if (f.length == 3 && f[0].equals(name)) {
                assertEquals(String.valueOf(ExpInputs.COUNT), f[1], file + ": input count of " + name);
                return f[2];
            }
        }
        throw new IllegalStateException(file + " has no line '" + name + " COUNT SHA256'");
    }
}
