package dev.ledgermind.inference.gguf;

import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.llama.SyntheticModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The writer's files read back with every metadata value type, tensor shapes, offsets and data intact
 * (versions 2 and 3, default and custom alignment); bad files give errors that name the field and offset;
 * mutated files never crash or hang the reader.
 */
class GgufReadWriteTest {
    private static GgufWriter everyType(int version, int alignment) {
        GgufWriter w = new GgufWriter(version, alignment);
        w.putUInt8("u8", 250).putInt8("i8", -5).putUInt16("u16", 65000).putInt16("i16", -300)
                .putUInt32("u32", 4_000_000_000L).putInt32("i32", -7).putUInt64("u64", -2L).putInt64("i64", Long.MIN_VALUE)
                .putFloat32("f32", 1.5f).putFloat64("f64", Math.PI).putBool("yes", true).putBool("no", false)
                .putString("s", "héllo ▁ 世界").putStringArray("sa", new String[]{"a", "", "ß"})
                .putFloatArray("fa", new float[]{1f, -0f, Float.MIN_VALUE}).putInt32Array("ia", new int[]{1, -2, 3})
                .putUInt8Array("ba", new byte[]{1, 2, (byte) 255});
        byte[] a = new byte[4 * 32];
        for (int i = 0; i < a.length; i++) a[i] = (byte) i;
        byte[] q = new byte[34 * 2 * 3];
        new SplittableRandom(1).nextBytes(q);
        w.addTensor("a", GgmlType.F32, new long[]{32}, a);
        w.addTensor("b.weight", GgmlType.Q8_0, new long[]{64, 3}, q);
        return w;
    }

    private static byte[] image(GgufWriter w) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        w.write(out);
        return out.toByteArray();
    }

    private static GgufFile parse(byte[] b) {
        MemorySegment seg = Arena.ofAuto().allocate(Math.max(1, b.length), 64);
        MemorySegment.copy(b, 0, seg, ValueLayout.JAVA_BYTE, 0, b.length);
        return GgufFile.parse(seg.asSlice(0, b.length), "test.gguf");
    }

    @Test
    void everyValueTypeAndTensorRoundTripsInVersions2And3() throws Exception {
        for (int version : new int[]{2, 3}) {
            for (int alignment : new int[]{32, 64}) {
                byte[] img = image(everyType(version, alignment));
                GgufFile f = parse(img);
                GgufMetadata m = f.metadata();
                assertEquals(version, f.version());
                assertEquals(alignment, f.alignment());
                assertEquals(250, m.getLong("u8"));
                assertEquals(-5, m.getLong("i8"));
                assertEquals(65000, m.getLong("u16"));
                assertEquals(-300, m.getLong("i16"));
                assertEquals(4_000_000_000L, m.getLong("u32"));
                assertEquals(-7, m.getLong("i32"));
                assertEquals(-2L, m.getLong("u64"));
                assertEquals(Long.MIN_VALUE, m.getLong("i64"));
                assertEquals(1.5f, m.getFloat("f32"));
                assertEquals(Math.PI, (Double) m.entry("f64").value());
                assertTrue(m.getBool("yes", false));
                assertFalse(m.getBool("no", true));
                assertEquals("héllo ▁ 世界", m.getString("s"));
                assertArrayEquals(new String[]{"a", "", "ß"}, m.getStringArray("sa"));
                assertArrayEquals(new float[]{1f, -0f, Float.MIN_VALUE}, m.getFloatArray("fa"));
                assertArrayEquals(new int[]{1, -2, 3}, m.getIntArray("ia"));
                assertArrayEquals(new byte[]{1, 2, (byte) 255}, (byte[]) m.entry("ba").value());
                GgufTensorInfo b = f.tensor("b.weight");
                assertArrayEquals(new long[]{64, 3}, b.dims());
                assertEquals(GgmlType.Q8_0, b.type());
                assertEquals(0, (f.dataStart() + b.offset()) % alignment, "tensor data is aligned");
                assertEquals(3, b.rows());
                assertEquals(64, b.cols());
                assertEquals(31, f.tensor("a").data().get(ValueLayout.JAVA_BYTE, 31));
                assertEquals(34 * 6, b.byteSize());
            }
        }
    }

    @Test
    void wrongMagicIsNamedWithItsOffset() throws Exception {
        byte[] img = image(everyType(3, 32));
        img[0] = 'X';
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> parse(img));
        assertTrue(e.getMessage().contains("magic") && e.getMessage().contains("byte offset 0"), e.getMessage());
    }

    @Test
    void truncatedFileIsNamedWithFieldAndOffset() throws Exception {
        byte[] img = image(everyType(3, 32));
        // Cut inside the metadata: the error names a metadata field and where it stopped.
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> parse(Arrays.copyOf(img, 60)));
        assertTrue(e.getMessage().contains("truncated") && e.getMessage().contains("byte offset"), e.getMessage());
        // Cut inside the tensor data: the tensor is named.
        GgufTensorInfo last = parse(img).tensor("b.weight");
        int cut = (int) (parse(img).dataStart() + last.offset() + last.byteSize() - 5);
        GgufFormatException d = assertThrows(GgufFormatException.class, () -> parse(Arrays.copyOf(img, cut)));
        assertTrue(d.getMessage().contains("tensor 'b.weight'") && d.getMessage().contains("extends past the end"), d.getMessage());
    }

    @Test
    void unknownTensorTypeIsNamedWithTensorAndOffset() throws Exception {
        byte[] img = image(everyType(3, 32));
        // The type id of tensor "b.weight" follows its name and two u64 dims.
        byte[] name = "b.weight".getBytes();
        int at = indexOf(img, name) + name.length + 4 + 16;
        ByteBuffer.wrap(img).order(ByteOrder.LITTLE_ENDIAN).putInt(at, 99);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> parse(img));
        assertTrue(e.getMessage().contains("type of tensor 'b.weight'") && e.getMessage().contains("byte offset " + at)
                && e.getMessage().contains("99"), e.getMessage());
    }

    @Test
    void inconsistentShapesAndMissingTokenizerKeysAreNamed(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("good.gguf");
        SyntheticModel.write(good, "llama3", SyntheticModel.TINY, GgmlType.F32, 1);
        // Make the model claim a different FFN width than its tensors have.
        GgufWriter w = rewrite(good, "llama.feed_forward_length", 640L, null);
        Path bad = dir.resolve("bad-shape.gguf");
        w.write(bad);
        GgufFormatException e = assertThrows(GgufFormatException.class, () -> LlamaModel.load(bad).close());
        assertTrue(e.getMessage().contains("blk.0.ffn_gate.weight") && e.getMessage().contains("offset")
                && e.getMessage().contains("[256, 640]"), e.getMessage());
        Path noTok = dir.resolve("no-tokens.gguf");
        rewrite(good, null, null, "tokenizer.ggml.tokens").write(noTok);
        GgufFormatException t = assertThrows(GgufFormatException.class, () -> LlamaModel.load(noTok).close());
        assertTrue(t.getMessage().contains("'tokenizer.ggml.tokens'") && t.getMessage().contains("offset"), t.getMessage());
    }

    /** Copies a file's metadata (one key replaced or dropped) and tensors into a new writer. */
    private static GgufWriter rewrite(Path src, String key, Long value, String drop) throws Exception {
        GgufFile f = GgufFile.open(src);
        GgufWriter w = new GgufWriter();
        for (var e : f.metadata().entries().entrySet()) {
            if (e.getKey().equals(drop)) continue;
            if (e.getKey().equals(key)) w.putUInt32(key, value);
            else w.put(e.getKey(), e.getValue());
        }
        for (GgufTensorInfo t : f.tensors().values()) {
            w.addTensor(t.name(), t.type(), t.dims(), t.data().toArray(ValueLayout.JAVA_BYTE));
        }
        return w;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) if (hay[i + j] != needle[j]) continue outer;
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void mutatedFilesGiveOnlyTheReadersOwnErrors(@TempDir Path dir) throws Exception {
        Path good = dir.resolve("m.gguf");
        SyntheticModel.write(good, "qwen2", SyntheticModel.TINY, GgmlType.Q4_0, 2);
        byte[] img = Files.readAllBytes(good);
        // Most of the structure is in the header (metadata, vocabulary, tensor infos): mutate there mostly.
        int header = (int) GgufFile.open(good).dataStart();
        SplittableRandom r = new SplittableRandom(2026);
        int rejected = 0;
        for (int iter = 0; iter < 300; iter++) {
            byte[] m = img.clone();
            int kind = r.nextInt(4);
            switch (kind) {
                case 0 -> { for (int k = 0; k < 1 + r.nextInt(8); k++) m[r.nextInt(header)] = (byte) r.nextInt(256); }
                case 1 -> { // a length or count field set to something huge
                    int at = r.nextInt(header - 8);
                    ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putLong(at, r.nextLong());
                }
                case 2 -> m = Arrays.copyOf(m, r.nextInt(m.length));
                default -> m[r.nextInt(m.length)] ^= (byte) (1 << r.nextInt(8));
            }
            final byte[] mutated = m;
            try {
                GgufFile f = parse(mutated);
                // If the container parses, loading the model must still fail cleanly or succeed.
                Path p = dir.resolve("mut.gguf");
                Files.write(p, mutated);
                try (LlamaModel model = LlamaModel.load(p)) {
                    assertNotNull(model.config());
                }
                assertNotNull(f.metadata());
            } catch (GgufFormatException expected) {
                assertNotNull(expected.getMessage());
                rejected++;
            } catch (IllegalArgumentException ok) {
                // a tokenizer built from a damaged vocabulary may reject it with a message of its own
                assertNotNull(ok.getMessage());
                rejected++;
            }
        }
        assertTrue(rejected > 50, "most mutations are detected, got " + rejected);
    }
}
