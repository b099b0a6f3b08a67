package dev.ledgermind.node.step;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Bool;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.abi.datatypes.generated.Uint32;
import org.web3j.abi.datatypes.generated.Uint8;
import org.web3j.tuples.generated.Tuple2;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Supplier;

import static dev.ledgermind.node.step.StepInputs.bits;
import static dev.ledgermind.node.step.StepInputs.f;

/**
 * Gas of the referee's one-step arithmetic per op kind of step program v1, at realistic sizes (full 32-element
 * chunks, one Q8_0 block, a 64-dim head's score chunk, 8 positions of att_out) and realistic operands (gaussian
 * activations, weights and states), measured on anvil by StepHarness.gasOfCalls: gasleft() around each
 * staticcall to the deployed StepReferee, so the figure holds the call, the referee's ABI work and its arithmetic.
 * Written into docs/gas.md between the step referee markers (the rest of the file is left as it is). Skipped unless
 * run with {@code -Dstep.gas.report=true}:
 *
 * <pre>./mvnw -B -pl node -am test -Dtest=StepGasReport -Dstep.gas.report=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "step.gas.report", matches = "true")
class StepGasReport {
    static final int SAMPLES = Integer.getInteger("step.gas.samples", 100);
    static final String BEGIN = "<!-- step referee gas: begin (written by StepGasReport) -->";
    static final String END = "<!-- step referee gas: end -->";

    private final StepInputs in = new StepInputs(777);

    private byte[] le(int[] v) {
        ByteBuffer b = ByteBuffer.allocate(4 * v.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int x : v) b.putInt(x);
        return b.array();
    }

    private byte[] realistic(int n) {
        return le(in.vector(n, 0));
    }

    private byte[] q8Block() {
        byte[] b = new byte[34];
        short h = Float.floatToFloat16(Math.abs(f(in.realistic())) / 127f + 1e-3f);
        b[0] = (byte) h;
        b[1] = (byte) (h >> 8);
        for (int j = 2; j < 34; j++) b[j] = (byte) in.nextInt(256);
        return b;
    }

    private void f16At(byte[] b, int at, float v) {
        short h = Float.floatToFloat16(v);
        b[at] = (byte) h;
        b[at + 1] = (byte) (h >> 8);
    }

    /** A Q4_0 block: the f16 scale of a Q4_0-quantized gaussian, random nibbles. */
    private byte[] q4Block() {
        byte[] b = new byte[18];
        f16At(b, 0, Math.abs(f(in.realistic())) / 8f + 1e-3f);
        for (int j = 2; j < 18; j++) b[j] = (byte) in.nextInt(256);
        return b;
    }

    /** A Q4_K super-block: realistic d and dmin, random 6-bit scales and mins, random nibbles. */
    private byte[] q4kBlock() {
        byte[] b = new byte[144];
        for (int j = 4; j < 144; j++) b[j] = (byte) in.nextInt(256);
        f16At(b, 0, Math.abs(f(in.realistic())) / 960f + 1e-4f);
        f16At(b, 2, Math.abs(f(in.realistic())) / 480f + 1e-4f);
        return b;
    }

    /** A Q6_K super-block: realistic d, random codes and int8 scales. */
    private byte[] q6kBlock() {
        byte[] b = new byte[210];
        for (int j = 0; j < 208; j++) b[j] = (byte) in.nextInt(256);
        f16At(b, 208, Math.abs(f(in.realistic())) / 4096f + 1e-5f);
        return b;
    }

    private static String call(String name, Type<?>... args) {
        return FunctionEncoder.encode(new Function(name, List.of(args), List.of()));
    }

    private static Uint32 u32(int bits) {
        return new Uint32(Integer.toUnsignedLong(bits));
    }

    private record Row(String op, String what, long mean, long max) {
    }

    private Row measure(StepRefereeChain chain, String op, String what, Supplier<List<String>> oneStep) throws Exception {
        List<byte[]> calls = new ArrayList<>();
        List<Integer> group = new ArrayList<>();
        // a warm-up call first: the referee's (and StepActivations') account is then warm, as for every call of a
        // transaction after its first
        calls.add(Numeric.hexStringToByteArray(call("add", u32(0), u32(0))));
        group.add(-1);
        for (int s = 0; s < SAMPLES; s++) {
            for (String c : oneStep.get()) {
                calls.add(Numeric.hexStringToByteArray(c));
                group.add(s);
            }
        }
        Tuple2<List<BigInteger>, List<byte[]>> r = chain.harness.gasOfCalls(calls).send();
        long[] perSample = new long[SAMPLES];
        for (int i = 0; i < calls.size(); i++) if (group.get(i) >= 0) perSample[group.get(i)] += r.component1().get(i).longValueExact();
        long total = 0, max = 0;
        for (long g : perSample) {
            total += g;
            max = Math.max(max, g);
        }
        return new Row(op, what, total / SAMPLES, max);
    }

    @Test
    void writeStepGasTable() throws Exception {
        List<Row> rows = new ArrayList<>();
        byte[] zero = new byte[64];
        try (StepRefereeChain chain = new StepRefereeChain()) {
            rows.add(measure(chain, "attn_ss, ffn_ss", "dotChunkActs: one 32-element chunk of x.x", () ->
                    List.of(call("dotChunkActs", new DynamicBytes(realistic(16)), new DynamicBytes(realistic(32)), new DynamicBytes(realistic(32)), new Uint256(32)))));
            rows.add(measure(chain, "q, k, v, wo, gate, up, down (F32)", "dotChunkF32: one 32-element chunk", () ->
                    List.of(call("dotChunkF32", new DynamicBytes(realistic(16)), new DynamicBytes(realistic(32)), new DynamicBytes(realistic(32)), new Uint256(32)))));
            rows.add(measure(chain, "q, k, v, wo, gate, up, down (Q8_0)", "dotChunkQ8_0: one block", () ->
                    List.of(call("dotChunkQ8_0", new DynamicBytes(realistic(16)), new DynamicBytes(realistic(32)), new DynamicBytes(q8Block())))));
            rows.add(measure(chain, "scores", "dotChunkActs: one 32-element chunk of a 64-dim head", () ->
                    List.of(call("dotChunkActs", new DynamicBytes(realistic(16)), new DynamicBytes(realistic(32)), new DynamicBytes(realistic(32)), new Uint256(32)))));
            rows.add(measure(chain, "att_max", "maxChunk: 32 positions", () ->
                    List.of(call("maxChunk", u32(in.realistic()), new DynamicBytes(realistic(32))))));
            rows.add(measure(chain, "att_sum", "sumChunk: 32 positions", () ->
                    List.of(call("sumChunk", new DynamicBytes(le(absolute(in.vector(16, 0)))), new DynamicBytes(le(absolute(in.vector(32, 0)))), new Uint256(32)))));
            rows.add(measure(chain, "att_out", "weightedSumChunk: 8 positions", () ->
                    List.of(call("weightedSumChunk", u32(in.realistic()), new DynamicBytes(le(absolute(in.vector(8, 0)))), new DynamicBytes(realistic(8))))));
            rows.add(measure(chain, "attn_norm, ffn_norm", "rmsInv + rmsScale (dim 2048)", () ->
                    List.of(call("rmsInv", u32(in.realistic() & 0x7fffffff), new Uint256(2048), u32(bits(1e-5f))),
                            call("rmsScale", u32(in.realistic()), u32(in.realistic()), u32(in.realistic())))));
            rows.add(measure(chain, "q_rope, k_rope", "ropePair", () ->
                    List.of(call("ropePair", u32(in.realistic()), u32(in.realistic()), u32(bits(0.6f)), u32(bits(0.8f))))));
            rows.add(measure(chain, "att_exp", "softmaxExp (s - m in [-20, 0])", () ->
                    List.of(call("softmaxExp", u32(bits(-Math.abs(f(in.realistic())) % 20)), u32(0)))));
            rows.add(measure(chain, "att_prob", "softmaxProb", () ->
                    List.of(call("softmaxProb", u32(in.realistic() & 0x7fffffff), u32(bits(3.5f)), u32(bits(1.25f))))));
            rows.add(measure(chain, "x_mid, x_out", "add", () -> List.of(call("add", u32(in.realistic()), u32(in.realistic())))));
            rows.add(measure(chain, "act", "siluMul", () -> List.of(call("siluMul", u32(in.realistic()), u32(in.realistic())))));
            rows.add(measure(chain, "finish of attn_ss, ffn_ss, wo, gate, up, down, att_sum", "combine16 (via finish)", () ->
                    List.of(call("finish", new Uint256(0), new DynamicBytes(realistic(16)), new Bool(false), u32(0), u32(0)))));
            rows.add(measure(chain, "finish of q, k, v", "finish: combine16 + bias", () ->
                    List.of(call("finish", new Uint256(2), new DynamicBytes(realistic(16)), new Bool(true), u32(in.realistic()), u32(0)))));
            rows.add(measure(chain, "finish of scores", "finish: combine16 * attnScale", () ->
                    List.of(call("finish", new Uint256(7), new DynamicBytes(realistic(16)), new Bool(false), u32(0), u32(bits(0.125f))))));
            rows.add(measure(chain, "x_in at layer 0 (F32 embedding)", "dequantF32", () ->
                    List.of(call("dequantF32", new DynamicBytes(realistic(32)), new Uint256(in.nextInt(32))))));
            rows.add(measure(chain, "x_in at layer 0 (Q8_0 embedding)", "dequantQ8_0", () ->
                    List.of(call("dequantQ8_0", new DynamicBytes(q8Block()), new Uint256(in.nextInt(32))))));
            rows.add(measure(chain, "(for scale) a chunk from S_0", "dotChunkF32 from 16 x +0", () ->
                    List.of(call("dotChunkF32", new DynamicBytes(zero), new DynamicBytes(realistic(32)), new DynamicBytes(realistic(32)), new Uint256(0)))));
            // the quantized types last, so that the rows above keep their samples
            rows.add(measure(chain, "q, k, v, wo, gate, up, down (Q4_0)", "dotChunkQ4_0: one block", () ->
                    List.of(call("dotChunkQ4_0", new DynamicBytes(realistic(16)), new DynamicBytes(realistic(32)), new DynamicBytes(q4Block())))));
            rows.add(measure(chain, "q, k, v, wo, gate, up, down (Q4_K)", "dotChunkQ4_K: one sub-block of a super-block", () ->
                    List.of(call("dotChunkQ4_K", new DynamicBytes(realistic(16)), new DynamicBytes(realistic(32)), new DynamicBytes(q4kBlock()), new Uint256(in.nextInt(8))))));
            rows.add(measure(chain, "q, k, v, wo, gate, up, down (Q6_K)", "dotChunkQ6_K: one sub-block of a super-block", () ->
                    List.of(call("dotChunkQ6_K", new DynamicBytes(realistic(16)), new DynamicBytes(realistic(32)), new DynamicBytes(q6kBlock()), new Uint256(in.nextInt(8))))));
            rows.add(measure(chain, "x_in at layer 0 (Q4_0 embedding)", "dequantChunk: 32 values", () ->
                    List.of(call("dequantChunk", new Uint8(2), new DynamicBytes(q4Block()), new Uint256(0)))));
            rows.add(measure(chain, "x_in at layer 0 (Q4_K embedding)", "dequantChunk: 32 values of a sub-block", () ->
                    List.of(call("dequantChunk", new Uint8(12), new DynamicBytes(q4kBlock()), new Uint256(in.nextInt(8))))));
            rows.add(measure(chain, "x_in at layer 0 (Q6_K embedding)", "dequantChunk: 32 values of a sub-block", () ->
                    List.of(call("dequantChunk", new Uint8(14), new DynamicBytes(q6kBlock()), new Uint256(in.nextInt(8))))));
        }
        StringBuilder md = new StringBuilder(BEGIN).append("\n\n## The dispute step's arithmetic (StepReferee)\n\n");
        md.append("Gas of the one step the dispute game ends in, per op kind of step program v1 (docs/DESIGN.md section 5):\n")
                .append("one staticcall to the deployed `StepReferee` from `StepHarness.gasOfCalls`, measured by gasleft() around\n")
                .append("the call (the CALL, the referee's ABI decoding and encoding, its arithmetic; not the game's own encoding or\n")
                .append("the Merkle openings). Warm account (the first referee call of a transaction costs about 2,500 more, and the\n")
                .append("first softmaxExp or siluMul another 2,500 for StepActivations). Realistic operands: gaussian activations,\n")
                .append("weights and states of magnitude 1e-3 to 1e2, f16 scales of Q8_0-quantized gaussians (Q4_0, Q4_K, Q6_K alike, random codes). ")
                .append(SAMPLES).append(" samples per row. Goal per step: at most 500,000.\n\n")
                .append("```\n./mvnw -B -pl node -am test -Dtest=StepGasReport -Dstep.gas.report=true -Dsurefire.failIfNoSpecifiedTests=false\n```\n\n")
                .append("| op of step program v1 | what the referee re-executes | gas (mean) | gas (max) |\n|---|---|---:|---:|\n");
        for (Row r : rows) md.append(String.format(Locale.ROOT, "| %s | %s | %,d | %,d |%n", r.op, r.what, r.mean, r.max));
        md.append("\n").append(END);
        System.out.println(md);
        Path out = Path.of(System.getProperty("step.gas.out", "../docs/gas.md"));
        String doc = Files.exists(out) ? Files.readString(out) : "";
        int b = doc.indexOf(BEGIN), e = doc.indexOf(END);
        doc = b >= 0 && e > b ? doc.substring(0, b) + md + doc.substring(e + END.length()) : doc + "\n" + md + "\n";
        Files.writeString(out, doc);
    }

    private static int[] absolute(int[] v) {
        for (int i = 0; i < v.length; i++) v[i] &= 0x7fffffff;
        return v;
    }
}
