package dev.ledgermind.chain;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.ledgermind.chain.ChainFixture.h;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Property: whatever sequence of calls happens (submissions, honest and lying commits and reveals,
 * silence, time jumps, finalizations, claims, withdrawals, stake moves), every contract's balance
 * equals its accounting: TaskMarket = escrowed + unclaimed, AgentRegistry = bonded + unbonding.
 * Checked after each of 300 seeded random calls (seed printed; set -Dproperty.seed to replay).
 * A call that reverts with a named custom error is an allowed outcome; any other failure is not.
 */
class BalanceInvariantPropertyTest {
    static ChainFixture f;

    @BeforeAll
    static void up() {
        f = new ChainFixture(6, DeployParams.defaults().withWindows(30, 30));
    }

    @AfterAll
    static void down() {
        f.close();
    }

    record Secret(byte[] result, byte[] salt) {}

    @Test
    void balancesMatchAccountingAfterEveryRandomCall() {
        long seed = Long.getLong("property.seed", 20261123L);
        Random rnd = new Random(seed);
        List<BigInteger> tasks = new ArrayList<>();
        Map<String, Secret> secrets = new HashMap<>();
        int reverted = 0, done = 0;
        for (int step = 0; step < 300; step++) {
            int op = rnd.nextInt(10);
            String what = "step " + step + " (seed " + seed + ") op " + op;
            try {
                switch (op) {
                    case 0, 1 -> {
                        int k = 1 + rnd.nextInt(3);
                        BigInteger fee = BigInteger.TEN.pow(12).multiply(BigInteger.valueOf(1 + rnd.nextInt(1000)));
                        tasks.add(f.requester.submitTask(TaskRequest.inline(f.modelId, ("in" + step).getBytes(), 0, k, fee)).taskId());
                    }
                    case 2, 3 -> { // an assigned node commits (sometimes to a wrong result)
                        if (tasks.isEmpty()) continue;
                        BigInteger t = tasks.get(rnd.nextInt(tasks.size()));
                        List<Long> nodes = f.requester.taskNodes(t);
                        long a = nodes.get(rnd.nextInt(nodes.size()));
                        byte[] result = rnd.nextInt(5) == 0 ? h("wrong" + rnd.nextInt(2)) : h("right" + t);
                        byte[] salt = Commitment.randomSalt();
                        LedgermindContracts n = f.node(a);
                        n.commit(t, a, n.commitment(t, result, h("trace"), salt));
                        secrets.put(t + "/" + a, new Secret(result, salt));
                    }
                    case 4, 5 -> { // a committed node reveals
                        if (secrets.isEmpty()) continue;
                        List<String> keys = new ArrayList<>(secrets.keySet());
                        String key = keys.get(rnd.nextInt(keys.size()));
                        String[] p = key.split("/");
                        Secret s = secrets.get(key);
                        long a = Long.parseLong(p[1]);
                        f.node(a).reveal(new BigInteger(p[0]), a, s.result(), h("trace"), s.salt(), new byte[0]);
                    }
                    case 6 -> {
                        if (tasks.isEmpty()) continue;
                        f.requester.finalizeTask(tasks.get(rnd.nextInt(tasks.size())));
                    }
                    case 7 -> f.anvil.increaseTime(rnd.nextInt(45));
                    case 8 -> {
                        int i = rnd.nextInt(f.agentIds.size());
                        f.nodes.get(i).claim(f.agentIds.get(i));
                    }
                    case 9 -> {
                        int which = rnd.nextInt(4);
                        int i = rnd.nextInt(f.agentIds.size());
                        long a = f.agentIds.get(i);
                        switch (which) {
                            case 0 -> f.requester.withdrawBalance();
                            case 1 -> f.deployer.withdrawBalance();
                            case 2 -> f.nodes.get(i).stake(a, BigInteger.TEN.pow(17));
                            default -> f.nodes.get(i).requestUnstake(a, BigInteger.TEN.pow(16));
                        }
                    }
                    default -> throw new AssertionError(op);
                }
                done++;
            } catch (ContractRevertedException e) {
                assertTrue(!"unknown".equals(e.errorName()), what + ": revert without a named error: " + e.getMessage());
                reverted++;
            }
            f.assertInvariant(what);
        }
        System.out.println("property test: " + done + " calls succeeded, " + reverted + " reverted with named errors, seed " + seed);
        assertTrue(done > 100, "most calls should succeed, got " + done);
    }
}
