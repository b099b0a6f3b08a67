package dev.ledgermind.inference.step;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.inference.trace.Keccak256;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The committed step-v1 vectors (docs/vectors/step-v1/) are exactly what the engine produces now, and they check out
 * the way a Solidity verifier reads them: every proof walks to its root by the documented rule (written out here,
 * not through MerkleProof), the step's op roots give the trace leaf, the spec hash is keccak256 of its encoding, and
 * each chunk's "after" state follows from "before" and the opened values. Rewrite them with
 * {@code -Dledgermind.step.vectors.write=true}.
 */
class StepVectorsTest {
    static final Path DIR = Path.of("..", "docs", "vectors", "step-v1");
    static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void committedVectorsAreWhatTheEngineProduces() throws IOException {
        Map<String, String> files = StepVectors.all();
        if (Boolean.getBoolean("ledgermind.step.vectors.write")) {
            Files.createDirectories(DIR);
            for (var e : files.entrySet()) Files.writeString(DIR.resolve(e.getKey()), e.getValue(), StandardCharsets.UTF_8);
        }
        long total = 0;
        for (var e : files.entrySet()) {
            Path f = DIR.resolve(e.getKey());
            assertTrue(Files.exists(f), f + " is missing: run this test with -Dledgermind.step.vectors.write=true");
            String committed = Files.readString(f, StandardCharsets.UTF_8);
            assertEquals(e.getValue(), committed, f + " differs from what the engine produces now (trace/step format changed?)");
            total += committed.length();
        }
        assertTrue(total < 400_000, "the vectors stay small: " + total + " bytes");
    }

    static byte[] hex(JsonNode n) {
        return HexFormat.of().parseHex(n.asText().substring(2));
    }

    /** The documented walk: level-0 node given, sibling right when the index is even, promoted nodes skipped. */
    static byte[] walk(byte[] node, JsonNode proof) {
        int i = proof.get("index").asInt(), size = proof.get("leafCount").asInt(), used = 0;
        JsonNode sib = proof.get("siblings");
        while (size > 1) {
            boolean promoted = i == size - 1 && size % 2 == 1;
            if (!promoted) {
                byte[] s = hex(sib.get(used++));
                node = (i & 1) == 0 ? Keccak256.hash(new byte[]{1}, node, s) : Keccak256.hash(new byte[]{1}, s, node);
            }
            i /= 2;
            size = (size + 1) / 2;
        }
        assertEquals(sib.size(), used, "every sibling is used");
        return node;
    }

    static byte[] chunkNode(byte[] bytes) {
        return Keccak256.hash(new byte[]{0}, bytes);
    }

    static JsonNode read(String name) throws IOException {
        return JSON.readTree(DIR.resolve(name).toFile());
    }

    @Test
    void vecRootChunksProveToTheirRoots() throws IOException {
        JsonNode v = read("vecroot.json");
        for (JsonNode c : v.get("cases")) {
            byte[] root = hex(c.get("root"));
            JsonNode bits = c.get("bits");
            for (JsonNode ch : c.get("chunks")) {
                byte[] bytes = hex(ch.get("bytes"));
                int k = ch.get("chunk").asInt();
                for (int j = 0; j < bytes.length / 4; j++) {
                    long b = bits.get(32 * k + j).asLong();
                    int got = (bytes[4 * j] & 255) | (bytes[4 * j + 1] & 255) << 8 | (bytes[4 * j + 2] & 255) << 16 | (bytes[4 * j + 3] & 255) << 24;
                    assertEquals(b, Integer.toUnsignedLong(got));
                    assertTrue(Float.isNaN(Float.intBitsToFloat(got)) ? got == 0x7fc00000 : true, "canonical NaN");
                }
                assertArrayEquals(root, walk(chunkNode(bytes), ch.get("proof")));
            }
        }
    }

    @Test
    void modelSpecAndWeightsProveToTheirRoots() throws IOException {
        for (String t : new String[]{"f32", "q8_0"}) {
            JsonNode m = read("model-" + t + ".json");
            JsonNode spec = m.get("spec");
            byte[] enc = hex(spec.get("encoding"));
            assertArrayEquals(hex(spec.get("hash")), Keccak256.hash(enc));
            assertEquals(32 * (17 + spec.get("tensorTypes").size()), enc.length);
            assertEquals(spec.get("dim").asInt(), enc[32 * 3 - 1] & 255); // word 2, low byte
            byte[] root = hex(m.get("weights").get("root"));
            assertEquals(spec.get("tensorTypes").size(), m.get("weights").get("tensors").size());
            for (JsonNode tensor : m.get("weights").get("tensors")) {
                byte[] tr = hex(tensor.get("root"));
                assertArrayEquals(root, walk(Keccak256.hash(new byte[]{0}, tr), tensor.get("proof")), tensor.get("name").asText());
                for (String k : new String[]{"block0", "lastBlock"}) {
                    JsonNode b = tensor.get(k);
                    if (b != null) assertArrayEquals(tr, walk(chunkNode(hex(b.get("bytes"))), b.get("proof")), tensor.get("name").asText());
                }
            }
            for (JsonNode d : m.get("embeddingDequant")) {
                JsonNode b = d.get("block");
                byte[] bytes = hex(b.get("bytes"));
                JsonNode tensor = m.get("weights").get("tensors").get(b.get("tensor").asInt());
                assertArrayEquals(hex(tensor.get("root")), walk(chunkNode(bytes), b.get("proof")));
                int j = d.get("offsetInBlock").asInt();
                float value = t.equals("f32") ? Float.intBitsToFloat(le(bytes, 4 * j))
                        : bytes[2 + j] * Float.float16ToFloat((short) ((bytes[0] & 255) | (bytes[1] & 255) << 8));
                assertEquals(d.get("value").asLong(), Integer.toUnsignedLong(Float.floatToIntBits(value)));
            }
        }
    }

    static int le(byte[] b, int o) {
        return (b[o] & 255) | (b[o + 1] & 255) << 8 | (b[o + 2] & 255) << 16 | (b[o + 3] & 255) << 24;
    }

    @Test
    void stepOpRootsGiveTheTraceLeafAndEveryOpeningProves() throws IOException {
        for (String t : new String[]{"f32", "q8_0"}) {
            JsonNode st = read("step-" + t + ".json"), tr = read("trace-" + t + ".json"), model = read("model-" + t + ".json");
            JsonNode ops = st.get("ops");
            byte[] leaf = Keccak256.hash(new byte[]{2}, hex(ops.get(21).get("root")), hex(ops.get(6).get("root")), hex(ops.get(4).get("root")));
            assertArrayEquals(hex(st.get("leafHash")), leaf);
            JsonNode tl = tr.get("leaves").get(st.get("leafIndex").asInt());
            assertArrayEquals(hex(tl.get("hash")), leaf);
            byte[] traceRoot = hex(tr.get("root"));
            for (JsonNode l : tr.get("leaves")) {
                byte[] h = Keccak256.hash(new byte[]{2}, hex(l.get("xRoot")), hex(l.get("kRoot")), hex(l.get("vRoot")));
                assertArrayEquals(hex(l.get("hash")), h);
                assertArrayEquals(traceRoot, walk(Keccak256.hash(new byte[]{0}, h), l.get("proof")));
            }
            int checked = 0;
            for (JsonNode c : st.get("elements")) {
                checked += checkOpenings(c, ops, tr, model);
                if (c.has("step")) reExecute(t, c);
            }
            assertTrue(checked > 100, "openings checked: " + checked);
        }
    }

    /** Walks every opening below {@code n} to its root, and checks the root is the one it names. */
    static int checkOpenings(JsonNode n, JsonNode ops, JsonNode trace, JsonNode model) {
        int count = 0;
        if (n.isObject()) {
            if (n.has("rootOf") && n.has("bytes")) {
                String[] of = n.get("rootOf").asText().split(" ");
                byte[] named = of[0].equals("op") ? hex(ops.get(StepOp.named(of[1]).ordinal()).get("root"))
                        : hex(trace.get("leaves").get(Integer.parseInt(of[1])).get(of[2]));
                assertArrayEquals(named, walk(chunkNode(hex(n.get("bytes"))), n.get("proof")), n.toString());
                count++;
            } else if (n.has("tensor") && n.has("bytes")) {
                JsonNode tensor = model.get("weights").get("tensors").get(n.get("tensor").asInt());
                assertEquals(tensor.get("name").asText(), n.get("name").asText());
                assertArrayEquals(hex(tensor.get("root")), walk(chunkNode(hex(n.get("bytes"))), n.get("proof")));
                count++;
            }
            for (var it = n.fields(); it.hasNext(); ) count += checkOpenings(it.next().getValue(), ops, trace, model);
        } else if (n.isArray()) {
            for (JsonNode x : n) count += checkOpenings(x, ops, trace, model);
        }
        return count;
    }

    static float f(JsonNode n) {
        return Float.intBitsToFloat((int) n.asLong());
    }

    static float[] fs(JsonNode n) {
        float[] v = new float[n.size()];
        for (int i = 0; i < v.length; i++) v[i] = f(n.get(i));
        return v;
    }

    /** The referee's chunk arithmetic, written from the spec, on the JSON alone. */
    static void reExecute(String type, JsonNode c) {
        JsonNode s = c.get("step");
        float[] st = fs(s.get("before"));
        int start = s.get("start").asInt(), count = s.get("count").asInt();
        switch (c.get("kind").asText()) {
            case "dot" -> {
                float[] a = fs(s.get("a").get("values"));
                float[] b = s.has("b") ? fs(s.get("b").get("values")) : a;
                for (int j = 0; j < count; j++) st[(start + j) & 15] = Math.fma(a[j], b[j], st[(start + j) & 15]);
            }
            case "matmul" -> {
                float[] a = fs(s.get("a").get("values"));
                byte[] blk = hex(s.get("weightBlock").get("bytes"));
                if (type.equals("f32")) {
                    for (int j = 0; j < count; j++) st[(start + j) & 15] = Math.fma(Float.intBitsToFloat(le(blk, 4 * j)), a[j], st[(start + j) & 15]);
                } else {
                    float d = Float.float16ToFloat((short) ((blk[0] & 255) | (blk[1] & 255) << 8));
                    for (int m = 0; m < 16; m++) {
                        float pr = (float) blk[2 + m] * a[m];
                        pr = Math.fma((float) blk[2 + m + 16], a[m + 16], pr);
                        st[m] = Math.fma(pr, d, st[m]);
                    }
                }
            }
            case "sum" -> {
                float[] a = fs(s.get("a").get("values"));
                for (int j = 0; j < count; j++) st[(start + j) & 15] = st[(start + j) & 15] + a[j];
            }
            case "max" -> {
                for (float v : fs(s.get("a").get("values"))) if (v > st[0]) st[0] = v;
            }
            case "weightedSum" -> {
                float[] prob = fs(s.get("prob").get("values"));
                for (int j = 0; j < count; j++) st[0] = Math.fma(prob[j], f(s.get("v").get(j).get("values").get(0)), st[0]);
            }
            default -> throw new AssertionError(c.get("kind").asText());
        }
        assertArrayEquals(fs(s.get("after")), st, c.get("name").asText() + " element " + c.get("element").asInt());
    }
}
