package dev.ledgermind.node.step;

import dev.ledgermind.chain.contracts.StepHarness;
import dev.ledgermind.chain.contracts.StepReferee;
import dev.ledgermind.chain.devnet.Devnet;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tuples.generated.Tuple2;
import org.web3j.tuples.generated.Tuple4;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.gas.StaticGasProvider;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/**
 * One anvil with a deployed {@code StepReferee} (and the {@code StepActivations} its constructor deploys) and the
 * test-only {@code StepHarness} driving it (contracts/src/step/testing): vectors are packed as the harness reads them
 * (little-endian floats and counts, operands then the expected bits) and sent in batches of about
 * {@link #BATCH_GAS} gas each, far below anvil's call gas limit. Closing stops anvil by its PID.
 */
final class StepRefereeChain implements AutoCloseable {
    /** Operation codes, as StepHarness numbers them; {@code gas} is a generous estimate per vector to size batches. */
    enum Op {
        DOT_ACTS(120_000), DOT_F32(120_000), DOT_Q8_0(90_000), SUM(90_000), MAX(30_000), WSUM(50_000),
        DOT_BIAS(120_000), SCORE(120_000), SOFTMAX(900_000), RMSNORM(400_000), RMS_INV(15_000), RMS_SCALE(10_000),
        ADD(8_000), ROPE(15_000), SOFTMAX_EXP(40_000), SOFTMAX_PROB(10_000), DIV(8_000), SILU_MUL(40_000),
        DEQ_F32(8_000), DEQ_Q8_0(10_000), DOT_Q4_0(90_000), DOT_Q4_K(1_300_000), DOT_Q6_K(1_300_000), DEQ_CHUNK(150_000);

        final int gas;

        Op(int gas) {
            this.gas = gas;
        }
    }

    static final long BATCH_GAS = 6_000_000;
    static final BigInteger NONE = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    /** Writes vector i (little-endian) into out. */
    interface VectorWriter {
        void write(int i, ByteBuffer out);
    }

    /** The first vector whose result differed: its index, bytes and the bits the contract computed. */
    record Mismatch(long index, byte[] vector, BigInteger got) {
        @Override
        public String toString() {
            return "vector " + index + " (" + HexFormat.of().formatHex(vector) + ") gave 0x" + got.toString(16);
        }
    }

    /** Gas of an op's vectors: sum, largest, count and mismatches. */
    record Gas(long total, long most, long count, long mismatches) {
        long mean() {
            return count == 0 ? 0 : total / count;
        }
    }

    final Devnet devnet;
    final Web3j web3j;
    final StepReferee referee;
    final StepHarness harness;

    StepRefereeChain() {
        devnet = Devnet.builder().accounts(1).start();
        try {
            web3j = Web3j.build(new HttpService(devnet.rpcUrl()));
            TransactionManager tm = new RawTransactionManager(web3j, devnet.accounts().getFirst().credentials(), devnet.chainId());
            StaticGasProvider gas = new StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(29_000_000L));
            referee = StepReferee.deploy(web3j, tm, gas).send();
            harness = StepHarness.deploy(web3j, tm, gas, referee.getContractAddress()).send();
        } catch (Exception e) {
            devnet.close();
            throw new IllegalStateException("could not deploy StepReferee and StepHarness on anvil", e);
        }
    }

    private record Batch(byte[] bytes, int first, int[] offsets) {
    }

    /** Packs n vectors into batches of about BATCH_GAS. */
    private static List<Batch> batches(Op op, int n, VectorWriter writer) {
        int perBatch = (int) Math.max(1, BATCH_GAS / op.gas);
        List<Batch> out = new ArrayList<>();
        ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
        for (int start = 0; start < n; start += perBatch) {
            int count = Math.min(perBatch, n - start);
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            int[] offsets = new int[count + 1];
            for (int i = 0; i < count; i++) {
                buf.clear();
                writer.write(start + i, buf);
                offsets[i] = bytes.size();
                bytes.write(buf.array(), 0, buf.position());
            }
            offsets[count] = bytes.size();
            out.add(new Batch(bytes.toByteArray(), start, offsets));
        }
        return out;
    }

    /** Checks n vectors of op; the first mismatch, or null when every result matched. */
    Mismatch check(Op op, int n, VectorWriter writer) {
        for (Batch b : batches(op, n, writer)) {
            Tuple2<BigInteger, BigInteger> r;
            try {
                r = harness.check(BigInteger.valueOf(op.ordinal()), b.bytes()).send();
            } catch (Exception e) {
                throw new IllegalStateException("eth_call StepHarness.check(" + op + ") failed", e);
            }
            if (!r.component1().equals(NONE)) {
                int at = r.component1().intValueExact();
                byte[] v = java.util.Arrays.copyOfRange(b.bytes(), b.offsets()[at], b.offsets()[at + 1]);
                return new Mismatch(b.first() + (long) at, v, r.component2());
            }
        }
        return null;
    }

    /** Gas of the referee calls for n vectors of op. */
    Gas gas(Op op, int n, VectorWriter writer) {
        long total = 0, most = 0, count = 0, bad = 0;
        for (Batch b : batches(op, n, writer)) {
            Tuple4<BigInteger, BigInteger, BigInteger, BigInteger> g;
            try {
                g = harness.gasOf(BigInteger.valueOf(op.ordinal()), b.bytes()).send();
            } catch (Exception e) {
                throw new IllegalStateException("eth_call StepHarness.gasOf(" + op + ") failed", e);
            }
            total += g.component1().longValueExact();
            most = Math.max(most, g.component2().longValueExact());
            count += g.component3().longValueExact();
            bad += g.component4().longValueExact();
        }
        return new Gas(total, most, count, bad);
    }

    @Override
    public void close() {
        web3j.shutdown();
        devnet.close();
    }
}
