package dev.ledgermind.inference.encoder;

import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.task.EncoderTasks;
import dev.ledgermind.inference.trace.TraceBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The encoder's pass cache ({@link EncoderModel#withPassCache}) changes no bit: a classify task whose labels come
 * from the cache has the output, result hash and trace root of the same task computed without one, and of a
 * computation written here without {@code embed} (each text's forward pass into one trace, in task order); and it
 * really serves repeated texts without a pass (its counts), per vector width, within its bound.
 */
class EncoderPassCacheTest {
    static EncoderModel plain;
    static Parallel par;
    static final List<String> LABELS = List.of("complaint", "praise", "question");
    static final List<String> TEXTS = List.of("My order arrived broken and nobody answers my emails. (0)",
            "Thank you, the support team was quick and friendly! (1)", "How do I change the delivery address of my order? (2)",
            "The new update drains my battery in two hours. (3)");

    @BeforeAll
    static void load() {
        plain = EncoderModel.load("all-minilm-l6-v2");
        par = new Parallel(2);
    }

    @AfterAll
    static void close() {
        par.close();
    }

    /** The classify commitment from first principles: every text's own forward pass, leaves in task order, no embed. */
    static byte[] independentTraceRoot(String text, List<String> labels, KernelConfig cfg) {
        TraceBuilder trace = new TraceBuilder();
        List<String> all = new ArrayList<>();
        all.add(text);
        all.addAll(labels);
        for (String t : all) plain.encoder().forward(plain.tokenize(t), cfg, par, trace);
        return trace.root().bytes();
    }

    @Test
    void cachedLabelsGiveTheOutputAndTraceRootOfAnUncachedClassify() {
        EncoderModel cached = plain.withPassCache(64);
        KernelConfig cfg = KernelConfig.defaults();
        for (String text : TEXTS) {
            EncoderTasks.Commitment a = EncoderTasks.classify(plain, text, LABELS, cfg, par).commitment();
            EncoderTasks.Commitment b = EncoderTasks.classify(cached, text, LABELS, cfg, par).commitment();
            assertArrayEquals(a.output(), b.output(), "output bytes of '" + text + "'");
            assertArrayEquals(a.resultHash(), b.resultHash(), "result hash of '" + text + "'");
            assertEquals(a.traceRoot(), b.traceRoot(), "trace root of '" + text + "'");
            assertArrayEquals(independentTraceRoot(text, LABELS, cfg), b.traceRoot().bytes(), "trace root recomputed pass by pass");
        }
        // 4 texts and 3 labels computed once each; the labels of tasks 2..4 came from the cache
        assertEquals(new EncoderModel.PassCounts(9, 7), cached.passCounts());
        assertEquals(new EncoderModel.PassCounts(0, 0), plain.passCounts(), "the model from load has no cache");
    }

    @Test
    void aTextRepeatedInOneTaskAndTheVectorWidthAreHandled() {
        EncoderModel cached = plain.withPassCache(64);
        String s = "A cat sits on the mat";
        EncoderTasks.Commitment same = EncoderTasks.similarity(cached, s, s, KernelConfig.ofBits(256), par).commitment();
        assertEquals(new EncoderModel.PassCounts(1, 1), cached.passCounts(), "the second copy of the text is a hit");
        assertEquals(EncoderTasks.similarity(plain, s, s, KernelConfig.ofBits(256), par).commitment().traceRoot(), same.traceRoot());
        // another width is another key: computed again (and, by the canonical arithmetic, to the same bits)
        EncoderTasks.Commitment scalar = EncoderTasks.similarity(cached, s, s, KernelConfig.ofBits(128), par).commitment();
        assertEquals(new EncoderModel.PassCounts(2, 2), cached.passCounts());
        assertArrayEquals(same.output(), scalar.output());
        assertEquals(same.traceRoot(), scalar.traceRoot());
    }

    @Test
    void theCacheIsBoundedAndHandsOutCopies() {
        EncoderModel cached = plain.withPassCache(2);
        KernelConfig cfg = KernelConfig.defaults();
        EncoderModel.Embeddings first = cached.embed(List.of(TEXTS.get(0)), cfg, par);
        float keep = first.vectors()[0][0];
        first.vectors()[0][0] = 42f; // a caller scribbling on its vector does not reach the cache
        cached.embed(List.of(TEXTS.get(1)), cfg, par);
        EncoderModel.Embeddings again = cached.embed(List.of(TEXTS.get(0)), cfg, par);
        assertEquals(new EncoderModel.PassCounts(1, 2), cached.passCounts());
        assertEquals(Float.floatToRawIntBits(keep), Float.floatToRawIntBits(again.vectors()[0][0]));
        cached.embed(List.of(TEXTS.get(2)), cfg, par); // evicts text 1 (least recently used), keeps text 0
        cached.embed(List.of(TEXTS.get(0)), cfg, par);
        assertEquals(new EncoderModel.PassCounts(2, 3), cached.passCounts());
        cached.embed(List.of(TEXTS.get(1)), cfg, par);
        assertEquals(new EncoderModel.PassCounts(2, 4), cached.passCounts(), "text 1 was evicted: computed again");
        assertEquals(plain.embed(List.of(TEXTS.get(1)), cfg, par).traceRoot(), cached.embed(List.of(TEXTS.get(1)), cfg, par).traceRoot());
        assertThrows(IllegalArgumentException.class, () -> plain.withPassCache(-1));
    }
}
