package dev.ledgermind.inference.step;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.inference.llama.TinyModels;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

/** Small synthetic models for the step program's tests, written once per JVM into a temp directory. */
final class StepModels {
    /** The committed vectors' model shape: dim 64, 2 layers, 2 heads of 32 (GQA 2:1), FFN 96, vocab 320, context 16. */
    static final SyntheticModel.Shape VECTORS = new SyntheticModel.Shape(64, 2, 2, 1, 96, 320, 16, false);
    /**
     * The K-quant vectors' shape (rows of Q4_K / Q6_K super-blocks must be multiples of 256): dim 256, 2 layers, 2 heads of
     * 128 sharing 1 KV head, FFN 256, vocab 320, context 16.
     */
    static final SyntheticModel.Shape K_VECTORS = new SyntheticModel.Shape(256, 2, 2, 1, 256, 320, 16, false);

    /** The committed vectors' shape for {@code type}: {@link #K_VECTORS} for the 256-element super-block types. */
    static SyntheticModel.Shape vectorsShape(GgmlType type) {
        return type.blockSize == 256 ? K_VECTORS : VECTORS;
    }

    private StepModels() {
    }

    /** Written once per JVM by {@link TinyModels} (its temp directory, deleted on exit). */
    static Path path(String family, SyntheticModel.Shape s, GgmlType type, long seed) {
        return TinyModels.path(family, s, type, seed);
    }

    static LlamaModel load(String family, SyntheticModel.Shape s, GgmlType type, long seed) {
        try {
            return LlamaModel.load(path(family, s, type, seed));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A random shape: head dimension 16, 32 or 64 (F32 also 20 or 24, so that rows end in short chunks), 1 to 4 KV
     * heads with 1 to 3 query heads each (GQA), 1 to 3 layers, FFN a multiple of 32 (F32: of 8); Q4_K and Q6_K: dim 256,
     * heads of 32 to 128, FFN 256 or 512, 1 or 2 layers.
     */
    static SyntheticModel.Shape random(SplittableRandom r, GgmlType type) {
        if (type.blockSize == 256) { // super-block rows: dim and FFN multiples of 256; heads of 32, 64 or 128
            int hd = new int[]{32, 64, 128}[r.nextInt(3)];
            int heads = 256 / hd, kv = heads / (1 + r.nextInt(2));
            return new SyntheticModel.Shape(256, 1 + r.nextInt(2), heads, kv, 256 * (1 + r.nextInt(2)), 320, 40, r.nextBoolean());
        }
        int[] hds = type == GgmlType.F32 ? new int[]{16, 20, 24, 32, 64} : new int[]{32, 64};
        int hd = hds[r.nextInt(hds.length)];
        int kv = 1 + r.nextInt(2);
        int heads = kv * (1 + r.nextInt(3));
        int dim = heads * hd;
        if (type != GgmlType.F32 && dim % 32 != 0) dim = heads * 32;
        int ffnUnit = type == GgmlType.F32 ? 8 : 32;
        int ffn = ffnUnit * (2 + r.nextInt(96 / ffnUnit + 4));
        return new SyntheticModel.Shape(dim, 1 + r.nextInt(3), heads, kv, ffn, 320, 40, r.nextBoolean());
    }

    static int[] tokens(SplittableRandom r, int n, int vocab) {
        int[] t = new int[n];
        for (int i = 0; i < n; i++) t[i] = r.nextInt(vocab);
        return t;
    }
}
