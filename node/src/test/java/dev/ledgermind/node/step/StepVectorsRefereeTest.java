package dev.ledgermind.node.step;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.chain.contracts.StepReferee;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.web3j.tuples.generated.Tuple2;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The referee against the engine's one-step vectors (docs/vectors/step-v1, written by inference's StepVectors from a
 * real synthetic model, F32/qwen2 with q/k/v bias and NEOX RoPE, and Q8_0/llama3 with NORM RoPE; and the quantized
 * addendum's layer-0 weight-reading elements of Q4_0/llama3, Q6_K/qwen2 and Q4_K/llama3): for every element
 * case of every op of the step, the deployed StepReferee recomputes what the game would ask it on a real anvil:
 * the re-executed chunk (S_c and the chunk's inputs give S_{c+1}), the finish (S_T, bias or attnScale give the
 * element), every elementwise formula from its operands, and the layer-0 embedding dequantisation. Each must give
 * exactly the engine's bits.
 */
class StepVectorsRefereeTest {
    static final Path VECTORS = Path.of("..", "docs", "vectors", "step-v1");
    static final ObjectMapper JSON = new ObjectMapper();
    static StepRefereeChain chain;
    static StepReferee referee;

    @BeforeAll
    static void start() {
        chain = new StepRefereeChain();
        referee = chain.referee;
    }

    @AfterAll
    static void stop() {
        if (chain != null) chain.close();
    }

    private static JsonNode read(String name) throws IOException {
        Path p = VECTORS.resolve(name);
        assertTrue(Files.isRegularFile(p), () -> "missing vector file " + p.toAbsolutePath());
        return JSON.readTree(p.toFile());
    }

    private static byte[] le(JsonNode bitsArray) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (JsonNode b : bitsArray) {
            long v = b.asLong();
            out.write((int) v);
            out.write((int) (v >> 8));
            out.write((int) (v >> 16));
            out.write((int) (v >> 24));
        }
        return out.toByteArray();
    }

    private static byte[] hex(String s) {
        return HexFormat.of().parseHex(s.startsWith("0x") ? s.substring(2) : s);
    }

    private static BigInteger u(JsonNode n) {
        return BigInteger.valueOf(n.asLong());
    }

    private static BigInteger u(long v) {
        return BigInteger.valueOf(v);
    }

    private static JsonNode operand(JsonNode element, String role) {
        for (JsonNode o : element.get("operands")) if (o.get("role").asText().equals(role)) return o.get("value");
        return null;
    }

    @ParameterizedTest(name = "step-{0}.json")
    @ValueSource(strings = {"f32", "q8_0", "q4_0", "q6_k", "q4_k"})
    void everyElementCaseOfTheStepGivesTheEnginesBits(String type) throws Exception {
        JsonNode model = read("model-" + type + ".json");
        JsonNode step = read("step-" + type + ".json");
        JsonNode spec = model.get("spec");
        boolean q8 = type.equals("q8_0");
        boolean full = type.equals("f32") || q8; // the quantized addendum holds the weight-reading ops only
        int headDim = spec.get("headDim").asInt(), rotDim = spec.get("rotDim").asInt();
        boolean neox = spec.get("ropePairing").asInt() == 1;
        List<String> checked = new ArrayList<>();
        for (JsonNode e : step.get("elements")) {
            int op = e.get("op").asInt();
            String where = type + " op " + op + " " + e.get("name").asText() + " element " + e.get("element").asInt();
            long want = e.get("output").asLong();
            String kind = e.get("kind").asText();
            if (kind.equals("elementwise")) {
                long got = elementwise(e, op, spec, headDim, rotDim, neox);
                assertEquals(want, got, () -> where + ": elementwise result");
            } else {
                JsonNode s = e.get("step");
                byte[] before = le(s.get("before"));
                byte[] after = le(s.get("after"));
                BigInteger start = u(s.get("start"));
                byte[] a = s.has("a") ? le(s.get("a").get("values")) : null;
                byte[] got = switch (kind) {
                    case "dot" -> referee.dotChunkActs(before, a, s.has("b") ? le(s.get("b").get("values")) : a, start).send();
                    case "matmul" -> {
                        byte[] blk = hex(s.get("weightBlock").get("bytes").asText());
                        BigInteger sub = s.has("subBlock") ? u(s.get("subBlock")) : BigInteger.ZERO;
                        yield switch (type) {
                            case "q8_0" -> referee.dotChunkQ8_0(before, a, blk).send();
                            case "q4_0" -> referee.dotChunkQ4_0(before, a, blk).send();
                            case "q4_k" -> referee.dotChunkQ4_K(before, a, blk, sub).send();
                            case "q6_k" -> referee.dotChunkQ6_K(before, a, blk, sub).send();
                            default -> referee.dotChunkF32(before, a, blk, start).send();
                        };
                    }
                    case "sum" -> referee.sumChunk(before, a, start).send();
                    case "max" -> le4(referee.maxChunk(u(s.get("before").get(0)), a).send());
                    case "weightedSum" -> {
                        ByteArrayOutputStream v = new ByteArrayOutputStream();
                        for (JsonNode vi : s.get("v")) v.write(le(vi.get("values")));
                        yield le4(referee.weightedSumChunk(u(s.get("before").get(0)), le(s.get("prob").get("values")), v.toByteArray()).send());
                    }
                    default -> throw new AssertionError(where + ": unknown kind " + kind);
                };
                assertArrayEquals(after, got, () -> where + ": chunk " + s.get("chunk").asInt() + " state after");
                JsonNode f = e.get("finish");
                JsonNode states = e.get("states");
                assertArrayEquals(le(states.get(states.size() - 1)), le(f.get("state")), () -> where + ": S_T");
                boolean hasBias = f.has("bias");
                long fin = referee.finish(u(op), le(f.get("state")), hasBias, hasBias ? u(f.get("bias").get("value")) : BigInteger.ZERO,
                        f.has("scale") ? u(f.get("scale")) : BigInteger.ZERO).send().longValueExact();
                assertEquals(want, fin, () -> where + ": finish(S_T)");
                assertEquals(want, f.get("output").asLong(), () -> where + ": the file's finish output is the element");
            }
            checked.add(e.get("name").asText());
        }
        List<String> ops = full ? List.of("attn_ss", "attn_norm", "q", "k", "v", "q_rope", "k_rope", "scores", "att_max", "att_exp",
                "att_sum", "att_prob", "att_out", "wo", "x_mid", "ffn_ss", "ffn_norm", "gate", "up", "act", "down", "x_out")
                : List.of("attn_ss", "attn_norm", "q", "k", "v", "wo", "x_mid", "gate", "up", "down");
        for (String name : ops) {
            assertTrue(checked.contains(name), () -> type + ": no case of op " + name + " in the vectors");
        }
        int ggml = spec.get("tensorTypes").get(spec.get("layers").asInt() * (spec.get("hasQkvBias").asBoolean() ? 12 : 9)).asInt();
        for (JsonNode d : model.get("embeddingDequant")) {
            byte[] block = hex(d.get("block").get("bytes").asText());
            int j = d.get("offsetInBlock").asInt();
            long got = switch (type) {
                case "f32" -> referee.dequantF32(block, u(j)).send().longValueExact();
                case "q8_0" -> referee.dequantQ8_0(block, u(j)).send().longValueExact();
                default -> { // a sub-block of 32 values: element j % 32 of sub-block j / 32
                    byte[] chunk = referee.dequantChunk(BigInteger.valueOf(ggml), block, u(j / 32)).send();
                    int o = 4 * (j % 32);
                    yield (chunk[o] & 255L) | (chunk[o + 1] & 255L) << 8 | (chunk[o + 2] & 255L) << 16 | (chunk[o + 3] & 255L) << 24;
                }
            };
            assertEquals(d.get("value").asLong(), got, () -> type + ": embedding row " + d.get("row") + " col " + d.get("col"));
        }
    }

    private static byte[] le4(BigInteger bits) {
        long v = bits.longValueExact();
        return new byte[] {(byte) v, (byte) (v >> 8), (byte) (v >> 16), (byte) (v >> 24)};
    }

    private static long elementwise(JsonNode e, int op, JsonNode spec, int headDim, int rotDim, boolean neox) throws Exception {
        return switch (op) {
            case 1, 16 -> {
                BigInteger inv = referee.rmsInv(u(operand(e, "ss")), u(spec.get("dim").asLong()), u(spec.get("rmsEpsBits"))).send();
                yield referee.rmsScale(u(operand(e, "x")), inv, u(operand(e, "w"))).send().longValueExact();
            }
            case 5, 6 -> {
                int i = e.get("element").asInt() % headDim;
                if (i >= rotDim) yield operand(e, "x").asLong();
                boolean first = neox ? i < rotDim / 2 : i % 2 == 0;
                BigInteger x = u(operand(e, "x")), partner = u(operand(e, "partner"));
                BigInteger c = u(operand(e, "cos")), s = u(operand(e, "sin"));
                Tuple2<BigInteger, BigInteger> r = first ? referee.ropePair(x, partner, c, s).send() : referee.ropePair(partner, x, c, s).send();
                yield (first ? r.component1() : r.component2()).longValueExact();
            }
            case 9 -> referee.softmaxExp(u(operand(e, "score")), u(operand(e, "max"))).send().longValueExact();
            case 11 -> referee.softmaxProb(u(operand(e, "e")), u(operand(e, "sum")), u(operand(e, "max"))).send().longValueExact();
            case 14, 21 -> referee.add(u(operand(e, "a")), u(operand(e, "b"))).send().longValueExact();
            case 19 -> referee.siluMul(u(operand(e, "g")), u(operand(e, "u"))).send().longValueExact();
            default -> throw new AssertionError("op " + op + " is not elementwise");
        };
    }
}
