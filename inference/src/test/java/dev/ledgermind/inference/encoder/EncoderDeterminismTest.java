package dev.ledgermind.inference.encoder;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The same texts give the same output bits and trace root under every configuration: 1, 2 and 4 threads;
 * the scalar path and vector widths 128, 256 and 512; and in a batch of 16 versus one at a time.
 */
class EncoderDeterminismTest {
    static EncoderModel model;
    static final List<String> TEXTS = List.of("A cat is sleeping on the sofa.", "Prices rose 3.5% in Q3 2024!",
            "日本語のテキスト", "The contract shall terminate upon written notice to the other party.");

    @BeforeAll
    static void load() {
        model = EncoderModel.load("all-minilm-l6-v2");
    }

    static int[] bits(EncoderModel.Embeddings e) {
        int dim = e.vectors()[0].length;
        int[] out = new int[e.vectors().length * dim];
        for (int t = 0; t < e.vectors().length; t++) for (int d = 0; d < dim; d++) out[t * dim + d] = Float.floatToRawIntBits(e.vectors()[t][d]);
        return out;
    }

    @Test
    void identicalBitsAcrossThreadsAndVectorWidths() {
        EncoderModel.Embeddings reference;
        try (Parallel one = new Parallel(1)) {
            reference = model.embed(TEXTS, KernelConfig.scalar(), one);
        }
        for (int threads : new int[] {1, 2, 4}) {
            for (int bits : new int[] {0, 128, 256, 512}) {
                try (Parallel p = new Parallel(threads)) {
                    EncoderModel.Embeddings e = model.embed(TEXTS, KernelConfig.ofBits(bits), p);
                    assertArrayEquals(bits(reference), bits(e), "vectors differ at threads=" + threads + " bits=" + bits);
                    assertEquals(reference.traceRoot(), e.traceRoot(), "trace root differs at threads=" + threads + " bits=" + bits);
                }
            }
        }
    }

    @Test
    void aLayerLeafV2IsTheDomainSeparatedRootOverItsRowsVectorRoots() {
        int[] ids = model.tokenize(TEXTS.get(1));
        dev.ledgermind.inference.trace.TraceBuilder trace = new dev.ledgermind.inference.trace.TraceBuilder();
        float[] x;
        try (Parallel p = new Parallel(2)) {
            x = model.encoder().forward(ids, KernelConfig.defaults(), p, trace);
        }
        int h = model.dimensions();
        List<byte[]> rows = new ArrayList<>();
        for (int i = 0; i < ids.length; i++) rows.add(dev.ledgermind.inference.trace.VectorRoot.of(x, i * h, h));
        byte[] expected = dev.ledgermind.inference.trace.Keccak256.hash(new byte[]{3},
                dev.ledgermind.inference.trace.MerkleTree.of(rows).rootBytes());
        List<byte[]> leaves = trace.leafHashes();
        assertEquals(6, leaves.size(), "one leaf per layer");
        assertArrayEquals(expected, leaves.get(5), "the last layer's leaf covers the final hidden states");
    }

    @Test
    void aTextInABatchOfSixteenHasTheBitsItHasAlone() {
        List<String> batch = new ArrayList<>();
        for (int i = 0; i < 16; i++) batch.add(Sentences.varied().get(i));
        try (Parallel p = new Parallel(2)) {
            EncoderModel.Embeddings all = model.embed(batch, KernelConfig.defaults(), p);
            for (int i : new int[] {0, 7, 15}) {
                EncoderModel.Embeddings alone = model.embed(List.of(batch.get(i)), KernelConfig.defaults(), p);
                assertArrayEquals(bits(alone), bits(new EncoderModel.Embeddings(new float[][] {all.vectors()[i]}, alone.traceRoot(),
                        alone.truncated(), alone.tokens())), "text " + i + " differs in a batch");
            }
            assertNotEquals(model.embed(List.of(batch.get(0)), KernelConfig.defaults(), p).traceRoot(),
                    model.embed(List.of(batch.get(1)), KernelConfig.defaults(), p).traceRoot(), "different texts, different traces");
        }
    }
}
