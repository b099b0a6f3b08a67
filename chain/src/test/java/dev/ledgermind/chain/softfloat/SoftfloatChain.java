package dev.ledgermind.chain.softfloat;

import dev.ledgermind.chain.contracts.ActivationHarness;
import dev.ledgermind.chain.contracts.Binary32Harness;
import dev.ledgermind.chain.contracts.Binary64Harness;
import dev.ledgermind.chain.contracts.ExpHarness;
import dev.ledgermind.chain.devnet.Devnet;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;
import org.web3j.tuples.generated.Tuple2;
import org.web3j.tuples.generated.Tuple3;
import org.web3j.tx.RawTransactionManager;
import org.web3j.tx.TransactionManager;
import org.web3j.tx.gas.ContractGasProvider;
import org.web3j.tx.gas.StaticGasProvider;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.util.HexFormat;

/**
 * One anvil with the four softfloat harnesses deployed (contracts/src/softfloat/testing: one per library
 * group, each under the code size limit; the operation codes are shared), and batched calls to them: vectors are packed as the
 * harness reads them (big-endian operands then the expected result) and sent in chunks sized to stay far
 * below the call gas limit. Closing stops anvil by its PID.
 */
final class SoftfloatChain implements AutoCloseable {
    /** Operation codes, as SoftfloatHarness numbers them. */
    enum Op {
        ADD32(8, 4, 400, 0), SUB32(8, 4, 400, 0), MUL32(8, 4, 400, 0), FMA32(12, 4, 600, 0), DIV32(8, 4, 400, 0),
        SQRT32(4, 4, 600, 0), SOFTMAX_EXP32(4, 4, 20_000, 2), ADD64(16, 8, 400, 1), SUB64(16, 8, 400, 1),
        MUL64(16, 8, 400, 1), EXP64(8, 8, 20_000, 2), TO64(4, 8, 300, 1), TO32(8, 4, 300, 1), DIV64(16, 8, 600, 1),
        STRICT_EXP64(8, 8, 20_000, 2), SILU32(4, 4, 25_000, 3), GELU32(4, 4, 60_000, 3);

        /** which harness runs it: 0 Binary32Harness, 1 Binary64Harness, 2 ExpHarness, 3 ActivationHarness */
        final int harness;
        final int operandBytes;
        final int resultBytes;
        /** a generous estimate of gas per vector, loop included, to size the chunks */
        final int gasEstimate;

        Op(int operandBytes, int resultBytes, int gasEstimate, int harness) {
            this.harness = harness;
            this.operandBytes = operandBytes;
            this.resultBytes = resultBytes;
            this.gasEstimate = gasEstimate;
        }

        int stride() {
            return operandBytes + resultBytes;
        }

        /** vectors per eth_call: about 4 M gas (well under anvil's call gas limit) */
        int chunk() {
            return Math.max(64, 4_000_000 / (gasEstimate + 150));
        }
    }

    /** Writes one vector (operands, then the expected result) for index i. */
    interface VectorWriter {
        void write(int i, ByteBuffer out);
    }

    /** The first vector whose result differed: its index and bytes, and the bits the contract computed. */
    record Mismatch(long index, byte[] vector, BigInteger got) {
        @Override
        public String toString() {
            return "vector " + index + " (operands then expected: " + HexFormat.of().formatHex(vector)
                    + ") gave 0x" + got.toString(16);
        }
    }

    /** The two entry points every harness has (SoftfloatHarness.sol), over whichever generated wrapper. */
    interface Harness {
        Tuple2<BigInteger, BigInteger> check(BigInteger op, byte[] vectors) throws Exception;

        Tuple3<BigInteger, BigInteger, BigInteger> gasOf(BigInteger op, byte[] vectors) throws Exception;
    }

    final Devnet devnet;
    final Web3j web3j;
    private final Harness[] harnesses = new Harness[4];

    SoftfloatChain() {
        devnet = Devnet.builder().accounts(1).start();
        try {
            web3j = Web3j.build(new HttpService(devnet.rpcUrl()));
            TransactionManager tm = new RawTransactionManager(web3j, devnet.accounts().getFirst().credentials(), devnet.chainId());
            ContractGasProvider gas = new StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(29_000_000L));
            Binary32Harness b32 = Binary32Harness.deploy(web3j, tm, gas).send();
            harnesses[0] = harness((op, v) -> b32.check(op, v).send(), (op, v) -> b32.gasOf(op, v).send());
            Binary64Harness b64 = Binary64Harness.deploy(web3j, tm, gas).send();
            harnesses[1] = harness((op, v) -> b64.check(op, v).send(), (op, v) -> b64.gasOf(op, v).send());
            ExpHarness exp = ExpHarness.deploy(web3j, tm, gas).send();
            harnesses[2] = harness((op, v) -> exp.check(op, v).send(), (op, v) -> exp.gasOf(op, v).send());
            ActivationHarness act = ActivationHarness.deploy(web3j, tm, gas).send();
            harnesses[3] = harness((op, v) -> act.check(op, v).send(), (op, v) -> act.gasOf(op, v).send());
        } catch (Exception e) {
            devnet.close();
            throw new IllegalStateException("could not deploy the softfloat harnesses", e);
        }
    }

    interface Entry<T> {
        T call(BigInteger op, byte[] vectors) throws Exception;
    }

    private static Harness harness(Entry<Tuple2<BigInteger, BigInteger>> check, Entry<Tuple3<BigInteger, BigInteger, BigInteger>> gasOf) {
        return new Harness() {
            @Override
            public Tuple2<BigInteger, BigInteger> check(BigInteger op, byte[] vectors) throws Exception {
                return check.call(op, vectors);
            }

            @Override
            public Tuple3<BigInteger, BigInteger, BigInteger> gasOf(BigInteger op, byte[] vectors) throws Exception {
                return gasOf.call(op, vectors);
            }
        };
    }

    /** Checks n vectors of op in chunks; returns the first mismatch, or null when all n matched. */
    Mismatch check(Op op, int n, VectorWriter writer) {
        int chunk = op.chunk();
        for (int start = 0; start < n; start += chunk) {
            int count = Math.min(chunk, n - start);
            ByteBuffer buf = ByteBuffer.allocate(count * op.stride());
            for (int i = 0; i < count; i++) {
                int before = buf.position();
                writer.write(start + i, buf);
                if (buf.position() - before != op.stride()) {
                    throw new IllegalStateException(op + " vector " + (start + i) + " has " + (buf.position() - before)
                            + " bytes, expected " + op.stride());
                }
            }
            Tuple2<BigInteger, BigInteger> r = call(() -> harnesses[op.harness].check(BigInteger.valueOf(op.ordinal()), buf.array()));
            if (!r.component1().equals(NONE)) {
                int at = r.component1().intValueExact();
                byte[] v = new byte[op.stride()];
                buf.get(at * op.stride(), v);
                return new Mismatch(start + (long) at, v, r.component2());
            }
        }
        return null;
    }

    /** Gas of op over n vectors: {sum, largest, mismatches}. */
    long[] gas(Op op, int n, VectorWriter writer) {
        long total = 0, most = 0, mismatches = 0;
        int chunk = op.chunk();
        for (int start = 0; start < n; start += chunk) {
            int count = Math.min(chunk, n - start);
            ByteBuffer buf = ByteBuffer.allocate(count * op.stride());
            for (int i = 0; i < count; i++) writer.write(start + i, buf);
            Tuple3<BigInteger, BigInteger, BigInteger> g = call(() -> harnesses[op.harness].gasOf(BigInteger.valueOf(op.ordinal()), buf.array()));
            total += g.component1().longValueExact();
            most = Math.max(most, g.component2().longValueExact());
            mismatches += g.component3().longValueExact();
        }
        return new long[] {total, most, mismatches};
    }

    static final BigInteger NONE = BigInteger.TWO.pow(256).subtract(BigInteger.ONE);

    interface Call<T> {
        T run() throws Exception;
    }

    private static <T> T call(Call<T> c) {
        try {
            return c.run();
        } catch (Exception e) {
            throw new IllegalStateException("eth_call to a softfloat harness failed", e);
        }
    }

    @Override
    public void close() {
        web3j.shutdown();
        devnet.close();
    }
}
