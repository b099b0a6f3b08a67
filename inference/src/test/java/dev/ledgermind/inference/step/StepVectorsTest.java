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
        assertTrue(total < 700_000, "the vectors stay small: " + total + " bytes");
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
        for (String t : TYPES) {
            JsonNode m = read("model-" + t + ".json");
            JsonNode spec = m.get("spec");
            byte[] enc = hex(spec.get("encoding"));
            assertArrayEquals(hex(spec.get("hash")), Keccak256.hash(enc));
            assertEquals(32 * (17 + spec.get("tensorTypes").size()), enc.length);
            assertEquals(spec.get("dim").asInt(), (enc[32 * 3 - 2] & 255) << 8 | (enc[32 * 3 - 1] & 255)); // word 2, low bytes
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
                float value = t.equals("f32") ? Float.intBitsToFloat(le(bytes, 4 * j)) : dequantize(t, bytes)[j];
                assertEquals(d.get("value").asLong(), Integer.toUnsignedLong(Float.floatToIntBits(value)));
            }
        }
    }

    /** Every type with vectors: the two full step files, then the quantized addendum (docs/vectors/step-v1/README.md). */
    static final String[] TYPES = {"f32", "q8_0", "q4_0", "q6_k", "q4_k"};

    static String typeName(int ggmlId) {
        return switch (ggmlId) {
            case 0 -> "f32";
            case 2 -> "q4_0";
            case 8 -> "q8_0";
            case 12 -> "q4_k";
            case 14 -> "q6_k";
            default -> throw new AssertionError("type " + ggmlId);
        };
    }

    static float f16(byte[] b, int o) {
        return Float.float16ToFloat((short) ((b[o] & 255) | (b[o + 1] & 255) << 8));
    }

    /** The integer codes of a Q8_0 or Q4_0 block (Q4_0: element j < 16 the low nibble of qs[j], j + 16 its high, minus 8). */
    static float[] codes(String type, byte[] b) {
        float[] q = new float[32];
        for (int j = 0; j < 16; j++) {
            if (type.equals("q8_0")) {
                q[j] = b[2 + j];
                q[j + 16] = b[2 + j + 16];
            } else {
                q[j] = (b[2 + j] & 15) - 8;
                q[j + 16] = ((b[2 + j] & 255) >> 4) - 8;
            }
        }
        return q;
    }

    /**
     * A block's element values, written from ggml's dequantize_row_* (not through the engine's tensor classes):
     * Q8_0 / Q4_0 {@code q * d}; Q4_K (super-block: d, dmin, 12 bytes of 6-bit scales and mins as get_scale_min_k4,
     * 128 bytes of nibbles, 64 elements per 32 bytes, low nibbles first) {@code (d * sc) * q - dmin * m}; Q6_K
     * (ql[128], qh[64], int8 scales[16], d) {@code (d * sc) * q} with q the 6-bit value minus 32.
     */
    static float[] dequantize(String type, byte[] b) {
        switch (type) {
            case "q8_0", "q4_0" -> {
                float d = f16(b, 0);
                float[] q = codes(type, b), y = new float[32];
                for (int j = 0; j < 32; j++) y[j] = q[j] * d;
                return y;
            }
            case "q4_k" -> {
                float d = f16(b, 0), dmin = f16(b, 2);
                float[] y = new float[256];
                int is = 0, qs = 16, out = 0;
                for (int j = 0; j < 256; j += 64) {
                    int[] sm1 = scaleMinK4(is, b), sm2 = scaleMinK4(is + 1, b);
                    float d1 = d * sm1[0], m1 = dmin * sm1[1], d2 = d * sm2[0], m2 = dmin * sm2[1];
                    for (int l = 0; l < 32; l++) y[out++] = d1 * (b[qs + l] & 0xF) - m1;
                    for (int l = 0; l < 32; l++) y[out++] = d2 * ((b[qs + l] & 255) >> 4) - m2;
                    qs += 32;
                    is += 2;
                }
                return y;
            }
            case "q6_k" -> {
                float d = f16(b, 208);
                float[] y = new float[256];
                int ql = 0, qh = 128, sc = 192;
                for (int n = 0; n < 256; n += 128) {
                    for (int l = 0; l < 32; l++) {
                        int is = l / 16;
                        int q1 = ((b[ql + l] & 0xF) | (((b[qh + l] & 255) >> 0) & 3) << 4) - 32;
                        int q2 = ((b[ql + l + 32] & 0xF) | (((b[qh + l] & 255) >> 2) & 3) << 4) - 32;
                        int q3 = (((b[ql + l] & 255) >> 4) | (((b[qh + l] & 255) >> 4) & 3) << 4) - 32;
                        int q4 = (((b[ql + l + 32] & 255) >> 4) | (((b[qh + l] & 255) >> 6) & 3) << 4) - 32;
                        y[n + l] = d * b[sc + is] * q1;
                        y[n + l + 32] = d * b[sc + is + 2] * q2;
                        y[n + l + 64] = d * b[sc + is + 4] * q3;
                        y[n + l + 96] = d * b[sc + is + 6] * q4;
                    }
                    ql += 64;
                    qh += 32;
                    sc += 8;
                }
                return y;
            }
            default -> throw new AssertionError(type);
        }
    }

    /** ggml's get_scale_min_k4 on the 12 scale bytes at offset 4: {scale, min} of sub-block j. */
    static int[] scaleMinK4(int j, byte[] b) {
        int q = 4;
        if (j < 4) return new int[]{b[q + j] & 63, b[q + j + 4] & 63};
        return new int[]{(b[q + j + 4] & 0xF) | (((b[q + j - 4] & 255) >> 6) << 4), ((b[q + j + 4] & 255) >> 4) | (((b[q + j] & 255) >> 6) << 4)};
    }

    static int le(byte[] b, int o) {
        return (b[o] & 255) | (b[o + 1] & 255) << 8 | (b[o + 2] & 255) << 16 | (b[o + 3] & 255) << 24;
    }

    @Test
    void stepOpRootsGiveTheTraceLeafAndEveryOpeningProves() throws IOException {
        for (String t : TYPES) {
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
            assertTrue(checked > (t.equals("f32") || t.equals("q8_0") ? 100 : 40), t + ": openings checked: " + checked);
        }
    }

    /** Walks every opening below {@code n} to its root, and checks the root is the one it names. */
    static int checkOpenings(JsonNode n, JsonNode ops, JsonNode trace, JsonNode model) {
        int count = 0;
        if (n.isObject()) {
            if (n.has("rootOf") && n.get("rootOf").asText().equals("token_embd")) {
                // x_in at layer 0: the chunk is the dequantized sub-block of the block (whose proof the recursion checks)
                JsonNode b = n.get("block");
                String t = typeName(model.get("weights").get("tensors").get(b.get("tensor").asInt()).get("type").asInt());
                byte[] blk = hex(b.get("bytes")), chunk = hex(n.get("bytes"));
                float[] all = t.equals("f32") ? null : dequantize(t, blk);
                int sub = n.has("subBlock") ? n.get("subBlock").asInt() : 0;
                for (int j = 0; j < chunk.length / 4; j++) {
                    int want = t.equals("f32") ? le(blk, 4 * j) : Float.floatToIntBits(all[32 * sub + j]);
                    assertEquals(want, le(chunk, 4 * j), "embedding chunk " + n.get("chunk").asInt() + " element " + j);
                }
                count++;
            } else if (n.has("rootOf") && n.has("bytes")) {
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
                } else if (type.equals("q8_0") || type.equals("q4_0")) { // integer codes: the scale once per partial sum
                    float d = Float.float16ToFloat((short) ((blk[0] & 255) | (blk[1] & 255) << 8));
                    float[] q = codes(type, blk);
                    for (int m = 0; m < 16; m++) {
                        float pr = q[m] * a[m];
                        pr = Math.fma(q[m + 16], a[m + 16], pr);
                        st[m] = Math.fma(pr, d, st[m]);
                    }
                } else { // dequantized values of the chunk's sub-block, then Dot's layout
                    float[] w = dequantize(type, blk);
                    int sub = s.get("subBlock").asInt();
                    assertEquals(s.get("chunk").asInt() % 8, sub);
                    for (int j = 0; j < count; j++) st[(start + j) & 15] = Math.fma(w[32 * sub + j], a[j], st[(start + j) & 15]);
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
