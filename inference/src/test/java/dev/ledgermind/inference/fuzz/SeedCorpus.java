package dev.ledgermind.inference.fuzz;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.gguf.GgufWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes the committed seed corpora of the inference fuzz targets under
 * {@code src/test/resources/fuzz/}: small valid inputs that reach every branch of the format, from
 * which the fuzzer mutates. Run from the module directory when a format gains a feature:
 * {@code java -cp target/classes:target/test-classes:... dev.ledgermind.inference.fuzz.SeedCorpus}.
 */
public final class SeedCorpus {
    private SeedCorpus() {
    }

    public static void main(String[] args) throws IOException {
        Path root = Path.of(args.length > 0 ? args[0] : "src/test/resources/fuzz");
        gguf(root.resolve("gguf"));
        onnx(root.resolve("onnx"));
        texts(root.resolve("bpe"), new int[]{0, 1, 2, 3, 4, 5, 8});
        texts(root.resolve("sentencepiece"), new int[]{0, 1, 2, 3, 4});
        texts(root.resolve("wordpiece"), new int[]{0, 2, 4});
        write(root.resolve("wordpiece/tokenizer-json"), cat(new byte[]{1}, """
                {"normalizer":{"type":"BertNormalizer","lowercase":true,"strip_accents":null,"clean_text":true,"handle_chinese_chars":true},
                 "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
                 "vocab":{"[PAD]":0,"[UNK]":1,"[CLS]":2,"[SEP]":3,"hello":4,"world":5,"##s":6}}}""".getBytes(StandardCharsets.UTF_8)));
    }

    static final String[] TEXTS = {"Hello, world!", "The quick brown fox jumps over the lazy dog. 12345 2026",
            "  two  spaces\nand\ttabs\r\n", "Ünïcödé – 世界 🌍 € ß", "don't you'll I'm",
            "<|eot_id|><|im_end|><s></s>[CLS] text [SEP]", "▁the▁quick"};

    private static void texts(Path dir, int[] flags) throws IOException {
        for (int f : flags) {
            for (int i = 0; i < TEXTS.length; i++) {
                byte[] body = (f & 8) != 0 && dir.endsWith("bpe") || (f & 4) != 0 && dir.endsWith("sentencepiece")
                        || (f & 2) != 0 && dir.endsWith("wordpiece")
                        ? TEXTS[i].getBytes(StandardCharsets.UTF_16LE) : TEXTS[i].getBytes(StandardCharsets.UTF_8);
                write(dir.resolve("text-" + f + "-" + i), cat(new byte[]{(byte) f}, body));
            }
        }
    }

    private static void gguf(Path dir) throws IOException {
        GgufWriter types = new GgufWriter(3, 32);
        types.putUInt8("u8", 250).putInt8("i8", -5).putUInt16("u16", 65000).putInt16("i16", -300)
                .putUInt32("u32", 4_000_000_000L).putInt32("i32", -7).putUInt64("u64", -2L).putInt64("i64", 9)
                .putFloat32("f32", 1.5f).putFloat64("f64", Math.PI).putBool("yes", true)
                .putString("s", "héllo ▁ 世界").putStringArray("sa", new String[]{"a", "", "ß"})
                .putFloatArray("fa", new float[]{1f, -0f}).putInt32Array("ia", new int[]{1, -2, 3})
                .putUInt8Array("ba", new byte[]{1, 2, (byte) 255});
        types.addTensor("a", GgmlType.F32, new long[]{4}, new byte[16]);
        types.addTensor("q", GgmlType.Q8_0, new long[]{32, 2}, new byte[68]);
        write(dir.resolve("every-type-v3"), image(types));

        GgufWriter v2 = new GgufWriter(2, 64);
        v2.putString("general.name", "v2").putUInt32("general.alignment", 64);
        v2.addTensor("b", GgmlType.F16, new long[]{8, 2}, new byte[32]);
        write(dir.resolve("aligned-v2"), image(v2));

        GgufWriter llama = new GgufWriter();
        llama.putString("general.architecture", "llama").putUInt32("llama.embedding_length", 8).putUInt32("llama.block_count", 1)
                .putUInt32("llama.feed_forward_length", 16).putUInt32("llama.attention.head_count", 2)
                .putUInt32("llama.attention.head_count_kv", 1).putUInt32("llama.context_length", 64)
                .putFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f).putFloat32("llama.rope.freq_base", 10000f)
                .putString("llama.rope.scaling.type", "linear").putFloat32("llama.rope.scaling.factor", 2f)
                .putString("tokenizer.ggml.model", "llama").putStringArray("tokenizer.ggml.tokens", new String[]{"<unk>", "<s>", "</s>", "a"})
                .putFloatArray("tokenizer.ggml.scores", new float[]{0, 0, 0, -1}).putInt32Array("tokenizer.ggml.token_type", new int[]{2, 3, 3, 1});
        llama.addTensor("token_embd.weight", GgmlType.F32, new long[]{8, 4}, new byte[128]);
        llama.addTensor("output_norm.weight", GgmlType.F32, new long[]{8}, new byte[32]);
        write(dir.resolve("llama-config"), image(llama));

        GgufWriter nested = new GgufWriter();
        nested.putString("general.architecture", "qwen2");
        nested.addTensor("token_embd.weight", GgmlType.Q4_0, new long[]{32, 1}, new byte[18]);
        write(dir.resolve("qwen2-no-config"), image(nested));
    }

    private static byte[] image(GgufWriter w) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        w.write(out);
        return out.toByteArray();
    }

    /** A small ModelProto: a graph with two nodes and float initializers as packed, unpacked and raw data. */
    private static void onnx(Path dir) throws IOException {
        byte[] node1 = cat(str(1, "x"), str(1, "w"), str(2, "y"), str(4, "MatMul"));
        byte[] node2 = cat(str(1, "y"), str(2, "z"), str(4, "Gelu"), str(3, "gelu_1"));
        byte[] packedFloats = new byte[4 * 6];
        for (int i = 0; i < 6; i++) putFloat(packedFloats, i * 4, i * 0.5f);
        byte[] w = cat(lenField(1, cat(varint(2), varint(3))), tagVarint(2, 1), lenField(4, packedFloats), str(8, "w"));
        byte[] b = cat(tagVarint(1, 2), tagVarint(2, 1), fixed32(4, 1f), fixed32(4, 2f), str(8, "b"));
        byte[] raw = new byte[16];
        for (int i = 0; i < 4; i++) putFloat(raw, i * 4, -i);
        byte[] r = cat(tagVarint(1, 4), tagVarint(2, 1), lenField(9, raw), str(8, "r"));
        byte[] ids = cat(tagVarint(1, 2), tagVarint(2, 7), lenField(7, cat(varint(0), varint(1))), str(8, "position_ids"));
        byte[] graph = cat(lenField(1, node1), lenField(1, node2), str(2, "g"), lenField(5, w), lenField(5, b), lenField(5, r), lenField(5, ids));
        byte[] model = cat(tagVarint(1, 8), str(2, "ledgermind-seed"), lenField(7, graph));
        write(dir.resolve("small-model"), model);
        write(dir.resolve("graph-only-nodes"), cat(tagVarint(1, 7), lenField(7, cat(lenField(1, node1)))));
    }

    private static byte[] varint(long v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
        return o.toByteArray();
    }

    private static byte[] tagVarint(int field, long v) {
        return cat(varint((long) field << 3), varint(v));
    }

    private static byte[] lenField(int field, byte[] body) {
        return cat(varint((long) field << 3 | 2), varint(body.length), body);
    }

    private static byte[] str(int field, String s) {
        return lenField(field, s.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] fixed32(int field, float f) {
        byte[] v = new byte[4];
        putFloat(v, 0, f);
        return cat(varint((long) field << 3 | 5), v);
    }

    private static void putFloat(byte[] b, int at, float f) {
        int bits = Float.floatToIntBits(f);
        for (int i = 0; i < 4; i++) b[at + i] = (byte) (bits >>> (8 * i));
    }

    private static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    private static void write(Path file, byte[] bytes) throws IOException {
        Files.createDirectories(file.getParent());
        Files.write(file, bytes);
    }
}
