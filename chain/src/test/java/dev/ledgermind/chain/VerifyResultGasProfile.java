package dev.ledgermind.chain;

import dev.ledgermind.chain.batch.BatchItem;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.web3j.crypto.Hash;
import org.web3j.protocol.core.Request;

/**
 * Where verifyResult's gas goes (issue 13), from anvil's opcode trace ({@code debug_traceCall}) of
 * BatchItemVerifier.use on a 1,024-item batch (item 700, 10 siblings): the market's frame of the second (warm)
 * call by opcode and by region (between its keccaks: dispatch and decoding, the leaf, each tree level, the root
 * check), and the consumer's part. Prints only (docs/gas.md quotes it); behind {@code -Dgas.report=true}:
 *
 * <pre>./mvnw -B -pl chain -am test -Dforge.skip=true -Dtest=VerifyResultGasProfile -Dgas.report=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
@EnabledIfSystemProperty(named = "gas.report", matches = "true")
class VerifyResultGasProfile {
    public static final class Trace extends org.web3j.protocol.core.Response<Map<String, Object>> {}

    @Test
    @SuppressWarnings("unchecked")
    void profileVerifyResult() throws Exception {
        try (BatchFixture f = new BatchFixture(7)) {
            List<BatchItem> items = new ArrayList<>();
            for (int i = 0; i < 1024; i++) {
                items.add(BatchItem.offchain(1, 16, 0, 5_000 + i, f.chain.params.minFee(), Hash.sha3(("v" + i).getBytes(StandardCharsets.UTF_8))));
            }
            BatchFixture.Run last = f.runUnanimous(items, true);
            BigInteger id = last.batch().batchId();
            var tree = BatchFixture.resultsTree(id, 1024, List.of());
            var consumer = dev.ledgermind.chain.contracts.BatchItemVerifier.deploy(f.chain.web3j,
                    f.chain.requester.sender().transactionManager(),
                    new org.web3j.tx.gas.StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(5_000_000)),
                    f.chain.deployment.taskMarket()).send();
            var r = f.chain.requester.sender().send("BatchItemVerifier", consumer.getContractAddress(), consumer.use(id,
                    BigInteger.valueOf(700), BigInteger.valueOf(1024), BatchFixture.resultHash(id, 700, false),
                    BatchFixture.traceRoot(700), tree.proof(700).siblings()), BigInteger.ZERO);
            System.out.println("cold " + consumer.lastGas().send() + " warm " + consumer.warmGas().send());
            String data = consumer.use(id, BigInteger.valueOf(700), BigInteger.valueOf(1024), BatchFixture.resultHash(id, 700, false),
                    BatchFixture.traceRoot(700), tree.proof(700).siblings()).encodeFunctionCall();
            Trace t = new Request<>("debug_traceCall", List.of(Map.of("from", f.chain.requester.sender().address(),
                    "to", consumer.getContractAddress(), "data", data, "gas", "0x4c4b40"), "latest",
                    Map.of("enableMemory", false, "disableStack", true, "disableStorage", true)), f.chain.http, Trace.class).send();
            if (t.hasError()) throw new AssertionError("debug_traceCall: " + t.getError().getMessage());
            List<Map<String, Object>> logs = (List<Map<String, Object>>) t.getResult().get("structLogs");
            if (logs == null || logs.isEmpty()) throw new AssertionError("debug_traceCall returned no steps");
            // frames at depth 2: the two verifyResult calls; attribute each step's cost (gasCost) by depth and opcode
            int call = 0;
            Map<String, long[]> d2 = new TreeMap<>();
            int prevDepth = 1;
            long sumD2 = 0;
            int keccaks = 0, push4 = 0;
            long[] regionGas = new long[14];
            long[] regionSteps = new long[14];
            for (Map<String, Object> s : logs) {
                int depth = ((Number) s.get("depth")).intValue();
                String op = (String) s.get("op");
                long cost = ((Number) s.get("gasCost")).longValue();
                if (depth == 2 && prevDepth == 1) call++;
                prevDepth = depth;
                if (call == 2 && depth == 2) {
                    int region = Math.min(keccaks, 13);
                    regionGas[region] += cost;
                    regionSteps[region]++;
                    if (op.equals("KECCAK256")) keccaks++;
                    if (op.equals("PUSH4")) push4++;
                    d2.computeIfAbsent(op, k -> new long[2])[0] += cost;
                    d2.get(op)[1]++;
                    sumD2 += cost;
                }
            }
            System.out.println("PUSH4 (selector constants) " + push4);
            for (int i = 0; i < 14; i++) System.out.println("  after keccak #" + i + ": " + regionGas[i] + " gas, " + regionSteps[i] + " steps");
            System.out.println("market frame (2nd call): " + sumD2 + " gas in " + d2.values().stream().mapToLong(v -> v[1]).sum() + " steps");
            d2.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[0], a.getValue()[0]))
                    .forEach(e -> System.out.println("  " + e.getKey() + " " + e.getValue()[0] + " (" + e.getValue()[1] + ")"));
            System.out.println("the consumer's part of the warm call (encoding, STATICCALL, decoding): " + (consumer.warmGas().send().longValueExact() - sumD2));
        }
    }
}
