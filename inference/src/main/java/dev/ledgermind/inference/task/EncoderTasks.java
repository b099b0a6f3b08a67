package dev.ledgermind.inference.task;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.TraceRoot;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The encoder tasks (embed, similarity, classify) with their canonical output bytes. The result hash is
 * keccak256 of those bytes; the trace root is the Merkle root over the per-layer leaves of every text the
 * task embeds, in the order listed below (DESIGN.md section 4).
 *
 * <h2>Canonical output bytes (all integers uint32 little-endian, all floats binary32 little-endian)</h2>
 * <ul>
 *   <li>embed: {@code count, dimensions, then count x dimensions floats} (vectors in input order). Trace
 *       texts: the inputs in order.</li>
 *   <li>similarity: {@code cosine} (4 bytes): {@link Dot#reference} of the two unit vectors. Trace texts:
 *       a, then b.</li>
 *   <li>classify: {@code count, then per label in rank order: label index, score}. Score = cosine of the
 *       text's and the label's unit vectors; rank = score descending, ties by lower label index. Trace
 *       texts: the text, then the labels in input order.</li>
 * </ul>
 * Empty (or white-space-only) texts and labels are rejected with an error naming which one: an encoder
 * would otherwise embed the bare {@code [CLS] [SEP]} pair, which is never what a requester meant. Texts
 * longer than the model's limit are truncated and reported ({@code truncated}).
 */
public final class EncoderTasks {
    private EncoderTasks() {
    }

    /** The outcome shared by every task: canonical bytes, their hash, and the trace root. */
    public record Commitment(byte[] output, byte[] resultHash, TraceRoot traceRoot) {
        public String resultHashHex() {
            return Keccak256.hex(resultHash);
        }
    }

    public record EmbedResult(float[][] vectors, boolean[] truncated, int[] tokens, Commitment commitment) {
    }

    public record SimilarityResult(float cosine, boolean[] truncated, Commitment commitment) {
    }

    public record Label(int index, String label, float score) {
    }

    public record ClassifyResult(List<Label> ranking, boolean[] truncated, Commitment commitment) {
    }

    public static EmbedResult embed(EncoderModel model, List<String> texts, KernelConfig cfg, Parallel par) {
        if (texts.isEmpty()) throw new IllegalArgumentException("nothing to embed: no texts given");
        requireText(texts, "text");
        EncoderModel.Embeddings e = model.embed(texts, cfg, par);
        int dim = model.dimensions();
        ByteBuffer out = le(8 + 4L * texts.size() * dim);
        out.putInt(texts.size()).putInt(dim);
        for (float[] v : e.vectors()) for (float f : v) out.putFloat(f);
        return new EmbedResult(e.vectors(), e.truncated(), e.tokens(), commit(out, e.traceRoot()));
    }

    public static SimilarityResult similarity(EncoderModel model, String a, String b, KernelConfig cfg, Parallel par) {
        requireText(List.of(a, b), "text");
        EncoderModel.Embeddings e = model.embed(List.of(a, b), cfg, par);
        float cos = Dot.reference(e.vectors()[0], 0, e.vectors()[1], 0, model.dimensions());
        return new SimilarityResult(cos, e.truncated(), commit(le(4).putFloat(cos), e.traceRoot()));
    }

    public static ClassifyResult classify(EncoderModel model, String text, List<String> labels, KernelConfig cfg,
                                          Parallel par) {
        if (labels.isEmpty()) throw new IllegalArgumentException("classify needs at least one label");
        requireText(List.of(text), "text");
        requireText(labels, "label");
        List<String> all = new ArrayList<>(labels.size() + 1);
        all.add(text);
        all.addAll(labels);
        EncoderModel.Embeddings e = model.embed(all, cfg, par);
        List<Label> ranking = new ArrayList<>(labels.size());
        for (int i = 0; i < labels.size(); i++) {
            float s = Dot.reference(e.vectors()[0], 0, e.vectors()[i + 1], 0, model.dimensions());
            ranking.add(new Label(i, labels.get(i), s));
        }
        ranking.sort(Comparator.comparing((Label l) -> l.score(), (x, y) -> Float.compare(y, x))
                .thenComparingInt(Label::index));
        ByteBuffer out = le(4 + 8L * labels.size());
        out.putInt(labels.size());
        for (Label l : ranking) out.putInt(l.index()).putFloat(l.score());
        return new ClassifyResult(List.copyOf(ranking), e.truncated(), commit(out, e.traceRoot()));
    }

    private static void requireText(List<String> texts, String what) {
        for (int i = 0; i < texts.size(); i++) {
            String t = texts.get(i);
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException(what + " " + i + " is empty: there is nothing to embed");
            }
        }
    }

    private static ByteBuffer le(long size) {
        if (size > Integer.MAX_VALUE) throw new IllegalArgumentException("output of " + size + " bytes is too large");
        return ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    }

    private static Commitment commit(ByteBuffer out, TraceRoot root) {
        byte[] bytes = out.array();
        return new Commitment(bytes, Keccak256.hash(bytes), root);
    }
}
