package dev.ledgermind.inference.task;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.Dot;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.onnx.OnnxFormatException;
import dev.ledgermind.inference.trace.Keccak256;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The encoder tasks' outputs and commitments, and every bad input the issue lists. */
class EncoderTasksTest {
    static EncoderModel model;
    static Parallel par;
    static final KernelConfig CFG = KernelConfig.defaults();

    @BeforeAll
    static void load() {
        model = EncoderModel.load("all-minilm-l6-v2");
        par = new Parallel(2);
    }

    @AfterAll
    static void close() {
        par.close();
    }

    @Test
    void embedOutputIsCountDimensionsAndLittleEndianFloatsAndHashIsKeccakOfIt() {
        var r = EncoderTasks.embed(model, List.of("a red apple", "tax law"), CFG, par);
        ByteBuffer b = ByteBuffer.wrap(r.commitment().output()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(2, b.getInt());
        assertEquals(384, b.getInt());
        for (float[] v : r.vectors()) for (float f : v) assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(b.getFloat()));
        assertFalse(b.hasRemaining());
        assertArrayEquals(Keccak256.hash(r.commitment().output()), r.commitment().resultHash());
        // the trace covers both texts: a different second text changes the root even if the first is equal
        var other = EncoderTasks.embed(model, List.of("a red apple", "tax laws"), CFG, par);
        assertNotEquals(r.commitment().traceRoot(), other.commitment().traceRoot());
    }

    @Test
    void similarityRanksParaphrasesAboveUnrelatedTexts() {
        var close = EncoderTasks.similarity(model, "A cat is sleeping on the sofa.", "A kitten naps on the couch.", CFG, par);
        var far = EncoderTasks.similarity(model, "A cat is sleeping on the sofa.", "Interest rates rose by half a point.", CFG, par);
        assertTrue(close.cosine() > far.cosine() + 0.3, close.cosine() + " vs " + far.cosine());
        assertEquals(4, close.commitment().output().length);
        assertEquals(Float.floatToRawIntBits(close.cosine()),
                ByteBuffer.wrap(close.commitment().output()).order(ByteOrder.LITTLE_ENDIAN).getInt(0));
    }

    @Test
    void classifyRanksTheFittingLabelFirstWithScoresInDescendingOrder() {
        var r = EncoderTasks.classify(model, "My package never arrived and the tracking number does not work.",
                List.of("a recipe for dinner", "a complaint about a delivery", "a football match report"), CFG, par);
        assertEquals(1, r.ranking().get(0).index());
        for (int i = 1; i < r.ranking().size(); i++) assertTrue(r.ranking().get(i - 1).score() >= r.ranking().get(i).score());
        ByteBuffer b = ByteBuffer.wrap(r.commitment().output()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, b.getInt());
        assertEquals(1, b.getInt());
        var text = model.embed(List.of("My package never arrived and the tracking number does not work.",
                "a complaint about a delivery"), CFG, par);
        assertEquals(Dot.reference(text.vectors()[0], 0, text.vectors()[1], 0, 384), b.getFloat());
    }

    @Test
    void resultsAndTraceRootsAreBitIdenticalAcrossThreadsAndWidths() {
        var base = EncoderTasks.classify(model, "Is this about sport?", List.of("sport", "cooking"), KernelConfig.scalar(), Parallel.serial());
        for (int bits : new int[] {128, 256, 512}) {
            try (Parallel p4 = new Parallel(4)) {
                var r = EncoderTasks.classify(model, "Is this about sport?", List.of("sport", "cooking"), KernelConfig.ofBits(bits), p4);
                assertArrayEquals(base.commitment().resultHash(), r.commitment().resultHash(), "result hash at " + bits + " bits");
                assertEquals(base.commitment().traceRoot(), r.commitment().traceRoot(), "trace root at " + bits + " bits");
            }
        }
    }

    // ------------------------------------------------------------------ bad input

    @Test
    void emptyTextIsAClearError() {
        var e = assertThrows(IllegalArgumentException.class, () -> EncoderTasks.embed(model, List.of("ok", "  "), CFG, par));
        assertTrue(e.getMessage().contains("text 1 is empty"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> EncoderTasks.embed(model, List.of(), CFG, par));
        var l = assertThrows(IllegalArgumentException.class, () -> EncoderTasks.classify(model, "x", List.of("a", ""), CFG, par));
        assertTrue(l.getMessage().contains("label 1 is empty"), l.getMessage());
    }

    @Test
    void veryLongTextIsTruncatedAndReported() {
        String longText = "verification ".repeat(5000);
        var r = EncoderTasks.embed(model, List.of(longText, "short"), CFG, par);
        assertTrue(r.truncated()[0]);
        assertFalse(r.truncated()[1]);
        assertEquals(128, r.tokens()[0]);
        // truncation keeps the prefix: the same bits as the text cut to what fits
        var cut = EncoderTasks.embed(model, List.of("verification ".repeat(126)), CFG, par);
        assertArrayEquals(cut.vectors()[0], r.vectors()[0]);
    }

    @Test
    void invalidUtf8IsRejectedWithItsByteOffset() {
        byte[] bad = "caf\u00e9 ok".getBytes(StandardCharsets.UTF_8);
        byte[] corrupted = Arrays.copyOf(bad, bad.length);
        corrupted[4] = (byte) 0x41; // 0xC3 followed by 'A': an invalid continuation
        var e = assertThrows(IllegalArgumentException.class, () -> Utf8Text.decode(corrupted, "input.txt"));
        assertTrue(e.getMessage().contains("input.txt is not valid UTF-8") && e.getMessage().contains("byte offset 3"), e.getMessage());
        var t = assertThrows(IllegalArgumentException.class, () -> Utf8Text.decode(new byte[] {'a', (byte) 0xE2, (byte) 0x82}, "stdin"));
        assertTrue(t.getMessage().contains("stdin"), t.getMessage());
        assertEquals("caf\u00e9 ok", Utf8Text.decode(bad, "x"));
        assertEquals("bom", Utf8Text.decode(new byte[] {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, 'b', 'o', 'm'}, "x"));
    }

    @Test
    void missingOrCorruptModelFilesAreClearErrors(@TempDir Path dir) throws Exception {
        var missing = assertThrows(IllegalArgumentException.class, () -> EncoderModel.load(dir.resolve("nope.onnx").toString()));
        assertTrue(missing.getMessage().contains("nope.onnx"), missing.getMessage());
        var unknown = assertThrows(IllegalArgumentException.class, () -> EncoderModel.load("gpt-17"));
        assertTrue(unknown.getMessage().contains("gpt-17"), unknown.getMessage());

        byte[] onnx = resource("all-minilm-l6-v2.onnx");
        byte[] tokenizer = resource("all-minilm-l6-v2-tokenizer.json");
        Path corrupt = dir.resolve("corrupt.onnx");
        Files.write(corrupt, Arrays.copyOf(onnx, onnx.length / 3)); // cut in the middle of the weights
        Files.write(dir.resolve("tokenizer.json"), tokenizer);
        Files.writeString(dir.resolve("config.json"), "{\"num_attention_heads\": 12}");
        RuntimeException c = assertThrows(RuntimeException.class, () -> EncoderModel.load(corrupt.toString()));
        assertTrue(c instanceof OnnxFormatException || c instanceof IllegalArgumentException, c.toString());
        assertTrue(c.getMessage().contains("corrupt.onnx"), c.getMessage());

        Path garbage = dir.resolve("garbage.onnx");
        Files.write(garbage, "this is not a model".getBytes(StandardCharsets.UTF_8));
        RuntimeException g = assertThrows(RuntimeException.class, () -> EncoderModel.load(garbage.toString()));
        assertTrue(g.getMessage().contains("garbage.onnx"), g.getMessage());
    }

    @Test
    void aTokenizerThatDoesNotMatchTheModelIsAClearError(@TempDir Path dir) throws Exception {
        Files.write(dir.resolve("model.onnx"), resource("all-minilm-l6-v2.onnx"));
        Files.writeString(dir.resolve("config.json"), "{\"num_attention_heads\": 12}");
        String tiny = "{\"model\":{\"type\":\"WordPiece\",\"unk_token\":\"[UNK]\",\"continuing_subword_prefix\":\"##\","
                + "\"vocab\":{\"[PAD]\":0,\"[UNK]\":1,\"[CLS]\":2,\"[SEP]\":3,\"hello\":4}}}";
        Files.writeString(dir.resolve("tokenizer.json"), tiny);
        var e = assertThrows(IllegalArgumentException.class, () -> EncoderModel.load(dir.resolve("model.onnx").toString()));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
        Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": {\"type\": \"BPE\"");
        RuntimeException j = assertThrows(RuntimeException.class, () -> EncoderModel.load(dir.resolve("model.onnx").toString()));
        assertTrue(j.getMessage().contains("tokenizer.json"), j.getMessage());
    }

    @Test
    void aModelLoadedFromAPathTakesItsHeadCountFromConfigJson(@TempDir Path dir) throws Exception {
        Path sub = Files.createDirectories(dir.resolve("onnx"));
        Files.write(sub.resolve("model.onnx"), resource("all-minilm-l6-v2.onnx"));
        Files.write(sub.resolve("tokenizer.json"), resource("all-minilm-l6-v2-tokenizer.json"));
        String model = sub.resolve("model.onnx").toString();
        var none = assertThrows(IllegalArgumentException.class, () -> EncoderModel.load(model));
        assertTrue(none.getMessage().contains("config.json") && none.getMessage().contains("attention heads"), none.getMessage());

        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 384}"); // in the parent, as exports lay it out
        var noKey = assertThrows(IllegalArgumentException.class, () -> EncoderModel.load(model));
        assertTrue(noKey.getMessage().contains("num_attention_heads"), noKey.getMessage());
        Files.writeString(dir.resolve("config.json"), "{\"num_attention_heads\": 5}");
        var wrong = assertThrows(RuntimeException.class, () -> EncoderModel.load(model));
        assertTrue(wrong.getMessage().contains("not divisible by 5 heads"), wrong.getMessage());

        Files.writeString(dir.resolve("config.json"), "{\"num_attention_heads\": 12, \"hidden_size\": 384}");
        EncoderModel fromPath = EncoderModel.load(model);
        EncoderModel builtIn = EncoderModel.load("all-minilm-l6-v2");
        float[] a = fromPath.embed(List.of("a path-loaded copy computes the same bits"), KernelConfig.defaults(), Parallel.serial()).vectors()[0];
        float[] b = builtIn.embed(List.of("a path-loaded copy computes the same bits"), KernelConfig.defaults(), Parallel.serial()).vectors()[0];
        assertArrayEquals(b, a);
        assertEquals(fromPath.embed(List.of("x"), KernelConfig.defaults(), Parallel.serial()).traceRoot(),
                builtIn.embed(List.of("x"), KernelConfig.defaults(), Parallel.serial()).traceRoot());
    }

    private static byte[] resource(String name) throws Exception {
        try (InputStream in = EncoderTasksTest.class.getClassLoader().getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }
}
