package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.AgentRegistry;
import dev.ledgermind.chain.contracts.BatchSettlement;
import dev.ledgermind.chain.contracts.ModelRegistry;
import dev.ledgermind.chain.contracts.ReputationRegistry;
import dev.ledgermind.chain.contracts.TaskMarket;
import dev.ledgermind.chain.contracts.ValidationRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.Address;
import org.web3j.abi.datatypes.Type;
import org.web3j.abi.datatypes.generated.StaticArray11;
import org.web3j.abi.datatypes.generated.StaticArray5;
import org.web3j.abi.datatypes.generated.Uint256;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

import static dev.ledgermind.chain.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Constructor configuration checks, deployer-only binding, stake overflow and registry input checks. */
class ConfigAndGuardErrorsTest {
    static ChainFixture f;

    /** A devnet with 2 staked nodes for this class, reset to its snapshot before each test. */
    @RegisterExtension
    static final SharedChain chain = new SharedChain(() -> f = new ChainFixture(2));

    /** Estimates a contract creation; a constructor revert surfaces as ContractRevertedException. */
    private static void create(String contract, String binary, List<Type> args) {
        f.deployer.sender().estimate(contract, null, binary + FunctionEncoder.encodeConstructor(args), BigInteger.ZERO);
    }

    private static Uint256 u(long v) {
        return new Uint256(v);
    }

    @Test
    void constructorsRejectBadConfigurationWithInvalidConfig() throws Exception {
        String agents = f.deployment.agentRegistry();
        String models = f.deployment.modelRegistry();
        String rep = f.deployment.reputationRegistry();
        String val = f.deployment.validationRegistry();
        String zero = "0x0000000000000000000000000000000000000000";

        String market = f.deployment.taskMarket();
        assertReverts("AgentRegistry", "InvalidConfig", () -> create("AgentRegistry", AgentRegistry.BINARY,
                List.of(u(0), u(60), new Address(market))));
        assertReverts("AgentRegistry", "InvalidConfig", () -> create("AgentRegistry", AgentRegistry.BINARY,
                List.of(u(1), u(60), new Address(zero))));
        assertReverts("ModelRegistry", "InvalidConfig", () -> create("ModelRegistry", ModelRegistry.BINARY,
                List.of(new Address(zero), u(16))));
        assertReverts("ModelRegistry", "InvalidConfig", () -> create("ModelRegistry", ModelRegistry.BINARY,
                List.of(new Address(agents), u(0))));
        for (List<Type> args : List.<List<Type>>of(List.of(new Address(zero), new Address(market)),
                List.of(new Address(agents), new Address(zero)))) {
            assertReverts("ReputationRegistry", "InvalidConfig", () -> create("ReputationRegistry", ReputationRegistry.BINARY, args));
            assertReverts("ValidationRegistry", "InvalidConfig", () -> create("ValidationRegistry", ValidationRegistry.BINARY, args));
        }

        // TaskMarket: one bad field at a time from a valid configuration, alone or against the others:
        // commitWindow 0, revealWindow 0, maxK 0 and 8, maxRounds 256 (8-bit round counter), absenceSlash
        // above dissentSlash (withholding would be cheaper), slashHonestBps, callbackGasLimit, declineShareBps, and a commit
        // window that makes a task outlive the registry's unbonding delay (1 day)
        long[] good = {60, 60, 1024, 1024, 5, 2, 1, 1, 1, 5_000, 100_000, 2_000};
        List<long[]> bad = new ArrayList<>();
        for (int[] fv : new int[][] {{0, 0}, {1, 0}, {4, 0}, {4, 8}, {5, 256}, {8, 2}, {9, 10_001}, {10, 5_000_001}, {11, 10_001},
                {0, 30_000}}) {
            long[] p = good.clone();
            p[fv[0]] = fv[1];
            bad.add(p);
        }
        String me = f.deployer.address();
        for (long[] p : bad) {
            List<Type> args = List.of(config(p, agents, models, rep, val, me), new Address(zero), new Address(zero));
            assertReverts("TaskMarket", "InvalidConfig", () -> create("TaskMarket", TaskMarket.BINARY, args));
            assertReverts("BatchSettlement", "InvalidConfig", () -> create("BatchSettlement", BatchSettlement.BINARY,
                    List.of(config(p, agents, models, rep, val, me), new Address(zero))));
        }
        assertReverts("TaskMarket", "InvalidConfig", () -> create("TaskMarket", TaskMarket.BINARY,
                List.of(config(good, agents, zero, rep, val, me), new Address(zero), new Address(zero))));
        // the market refuses a BatchSettlement built with another configuration, or none
        // the fixture's (another configuration), read at the market's address (its fallback answers it)
        String batches = BatchSettlement.load(f.deployment.taskMarket(), f.deployer.web3j(), f.deployer.sender().transactionManager(),
                new org.web3j.tx.gas.StaticGasProvider(BigInteger.ONE, BigInteger.valueOf(1_000_000))).batchSettlement().send();
        assertReverts("TaskMarket", "InvalidConfig", () -> create("TaskMarket", TaskMarket.BINARY,
                List.of(config(good, agents, models, rep, val, me), new Address(batches), new Address(zero))));
        assertReverts("TaskMarket", "InvalidConfig", () -> create("TaskMarket", TaskMarket.BINARY,
                List.of(config(good, agents, models, rep, val, me), new Address(zero), new Address(zero))));
        // the valid configuration itself deploys (the checks above fail for their field only)
        String sameConfig = BatchSettlement.deploy(f.deployer.web3j(), f.deployer.sender().transactionManager(),
                new org.web3j.tx.gas.StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(15_000_000L)),
                LedgermindContracts.batchConfig(config(good, agents, models, rep, val, me)),
                "0x0000000000000000000000000000000000000000").send().getContractAddress();
        assertTrue(f.deployer.sender().estimate("TaskMarket", null, TaskMarket.BINARY + FunctionEncoder.encodeConstructor(
                List.of(config(good, agents, models, rep, val, me), new Address(sameConfig), new Address(zero))), BigInteger.ZERO).signum() > 0);
    }

    /** p = commitWindow, revealWindow, maxInputBytes, maxOutputBytes, maxK, maxRounds, minFee, dissentSlash,
     *  absenceSlash, slashHonestBps, callbackGasLimit, declineShareBps */
    private static TaskMarket.Config config(long[] p, String agents, String models, String rep, String val, String treasury) {
        return new TaskMarket.Config(agents, models, rep, val, treasury, u(p[0]).getValue(), u(p[1]).getValue(),
                u(p[2]).getValue(), u(p[3]).getValue(), u(p[4]).getValue(), u(p[5]).getValue(), u(p[6]).getValue(),
                u(p[7]).getValue(), u(p[8]).getValue(), u(p[9]).getValue(), u(p[10]).getValue(), u(p[11]).getValue());
    }

    @Test
    void theRegistriesTrustExactlyTheDeployedMarket() throws Exception {
        LedgermindContracts d = f.deployer;
        String market = f.deployment.taskMarket();
        assertTrue(market.equalsIgnoreCase(d.agentRegistry().taskMarket().send()));
        assertTrue(market.equalsIgnoreCase(d.reputationRegistry().taskMarket().send()));
        assertTrue(market.equalsIgnoreCase(d.validationRegistry().taskMarket().send()));
    }

    @Test
    void stakeAboveUint96IsRejectedWithAmountTooLarge() {
        LedgermindContracts n = f.nodes.getFirst();
        long id = f.agentIds.getFirst();
        BigInteger max96 = BigInteger.ONE.shiftLeft(96).subtract(BigInteger.ONE);
        f.anvil.setBalance(n.address(), max96.multiply(BigInteger.TWO));
        BigInteger bonded = n.stakeOf(id).bonded();
        // bonded + value overflows the 96-bit stake word by one wei
        assertReverts("AgentRegistry", "AmountTooLarge", () -> n.stake(id, max96.subtract(bonded).add(BigInteger.ONE)));
        f.assertInvariant("after the rejected stake");
    }

    @Test
    void recordOutcomesDecodesPackedRecordsAndRejectsUnknownOutcomes() throws Exception {
        // a registry bound to an account of ours, so that the record checks (not the caller check) are reached
        LedgermindContracts me = f.requester;
        var tm = me.sender().transactionManager();
        ReputationRegistry r = ReputationRegistry.deploy(f.web3j, tm, new org.web3j.tx.gas.StaticGasProvider(
                BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(8_000_000)), f.deployment.agentRegistry(),
                me.address()).send();
        // entries of 36 bits: agent id (32) | outcome (4); agent 7 agreed (1), agent 9 dissented (2), agent 4 absent (3),
        // agent 5 inconclusive (4)
        BigInteger packed = record(7, 1).or(record(9, 2).shiftLeft(36)).or(record(4, 3).shiftLeft(72))
                .or(record(5, 4).shiftLeft(108));
        var rcpt = me.sender().send("ReputationRegistry", r.getContractAddress(), r.recordOutcomes(BigInteger.valueOf(42), packed),
                BigInteger.ZERO);
        var events = ReputationRegistry.getNewFeedbackEvents(rcpt);
        assertEquals(List.of(7L, 9L, 4L, 5L), events.stream().map(e -> e.agentId.longValueExact()).toList());
        assertEquals(List.of("agreed", "dissented", "absent", "inconclusive"), events.stream().map(e -> e.tag2).toList());
        assertEquals(List.of(100L, 0L, 0L, 50L), events.stream().map(e -> e.value.longValueExact()).toList());
        for (var e : events) {
            assertEquals(42L, e.feedbackIndex.longValueExact());
            assertEquals("ledgermind", e.tag1);
            assertEquals("", e.endpoint);
            assertEquals("", e.feedbackURI);
            assertEquals(BigInteger.ZERO, e.valueDecimals);
            assertEquals(BigInteger.valueOf(42), new BigInteger(1, e.feedbackHash));
            assertTrue(me.address().equalsIgnoreCase(e.clientAddress));
        }
        assertReverts("ReputationRegistry", "InvalidOutcome", () -> me.sender().send("ReputationRegistry",
                r.getContractAddress(), r.recordOutcomes(BigInteger.ONE, record(7, 1).or(record(8, 0).shiftLeft(36))),
                BigInteger.ZERO));
        assertReverts("ReputationRegistry", "InvalidOutcome", () -> me.sender().send("ReputationRegistry",
                r.getContractAddress(), r.recordOutcomes(BigInteger.ONE, record(7, 5)), BigInteger.ZERO));
        assertReverts("ReputationRegistry", "NotTaskMarket", () -> f.deployer.sender().send("ReputationRegistry",
                r.getContractAddress(), r.recordOutcomes(BigInteger.ONE, record(7, 1)), BigInteger.ZERO));
    }

    private static BigInteger record(long agentId, int outcome) {
        return BigInteger.valueOf(agentId).or(BigInteger.valueOf(outcome).shiftLeft(32));
    }
}
