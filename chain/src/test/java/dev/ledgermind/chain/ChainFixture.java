package dev.ledgermind.chain;

import dev.ledgermind.chain.devnet.DevAccount;
import dev.ledgermind.chain.devnet.Devnet;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.http.HttpService;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * One anvil and one deployment shared by a test class: account 0 deploys (and is the treasury),
 * account 1 requests, accounts 2.. run nodes (each registered, staked and serving one model).
 * {@link #reset()} returns the chain to the state right after set-up (evm_snapshot / evm_revert) and
 * rebuilds the facades, whose cached nonces the revert made stale.
 */
final class ChainFixture implements AutoCloseable {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);
    static final BigInteger STAKE = ETHER.multiply(BigInteger.TWO);

    final Devnet devnet;
    final Web3j web3j;
    final HttpService http;
    final AnvilControl anvil;
    final DeployParams params;
    final Deployment deployment;
    final int modelId;
    final List<Long> agentIds = new ArrayList<>();
    private final int nodeCount;
    private String snapshot;

    LedgermindContracts deployer;
    LedgermindContracts requester;
    /** node facades by agent id order (index i acts for agentIds.get(i)) */
    final List<LedgermindContracts> nodes = new ArrayList<>();

    ChainFixture(int nodeCount, DeployParams params) {
        this.nodeCount = nodeCount;
        this.params = params;
        this.devnet = Devnet.builder().accounts(nodeCount + 4).start();
        try {
            this.http = new HttpService(devnet.rpcUrl());
            this.web3j = Web3j.build(http);
            this.anvil = new AnvilControl(http);
            LedgermindContracts d = LedgermindContracts.deploy(web3j, cred(0), params);
            this.deployment = d.deployment();
            this.modelId = d.registerModel(new ModelSpec(h("weights"), h("tokenizer"), h("arch"), "test-model",
                    ModelSpec.MODE_REPLICATED));
            for (int i = 0; i < nodeCount; i++) {
                LedgermindContracts node = LedgermindContracts.at(web3j, deployment, cred(2 + i));
                long id = node.registerAndStake("https://node" + i + ".example/agent.json", STAKE);
                node.declareServes(id, modelId);
                agentIds.add(id);
            }
            this.snapshot = anvil.snapshot();
            rebuild();
        } catch (RuntimeException e) {
            devnet.close();
            throw e;
        }
    }

    ChainFixture(int nodeCount) {
        this(nodeCount, DeployParams.defaults());
    }

    Credentials cred(int account) {
        DevAccount a = devnet.accounts().get(account);
        return a.credentials();
    }

    /** Back to the post-set-up state. */
    void reset() {
        anvil.revert(snapshot);
        snapshot = anvil.snapshot();
        rebuild();
    }

    private void rebuild() {
        deployer = LedgermindContracts.at(web3j, deployment, cred(0));
        requester = LedgermindContracts.at(web3j, deployment, cred(1));
        nodes.clear();
        for (int i = 0; i < nodeCount; i++) nodes.add(LedgermindContracts.at(web3j, deployment, cred(2 + i)));
    }

    /** The node facade acting for an agent id. */
    LedgermindContracts node(long agentId) {
        int i = agentIds.indexOf(agentId);
        if (i < 0) throw new IllegalArgumentException("no node for agent " + agentId);
        return nodes.get(i);
    }

    /** Checks both fund invariants against the real balances. */
    void assertInvariant(String when) {
        BigInteger[] m = deployer.marketTotals();
        assertEquals(m[1].add(m[2]), deployer.balanceOf(deployment.taskMarket()),
                "TaskMarket balance != escrowed + unclaimed " + when);
        BigInteger[] s = deployer.stakeTotals();
        assertEquals(s[0].add(s[1]), deployer.balanceOf(deployment.agentRegistry()),
                "AgentRegistry balance != bonded + unbonding " + when);
        assertWeights(when);
    }

    /** The packed selection weights agree with the bonded stakes (reference: stakeOf, minStake, gwei). */
    void assertWeights(String when) {
        List<BigInteger> ids = agentIds.stream().map(BigInteger::valueOf).toList();
        try {
            List<?> w = (List<?>) deployer.agentRegistry().stakeWeights(ids).send();
            for (int i = 0; i < ids.size(); i++) {
                BigInteger bonded = deployer.stakeOf(agentIds.get(i)).bonded();
                BigInteger expect = bonded.compareTo(params.minStake()) < 0 ? BigInteger.ZERO
                        : bonded.divide(BigInteger.TEN.pow(9)).max(BigInteger.ONE);
                assertEquals(expect, w.get(i), "selection weight of agent " + agentIds.get(i) + " " + when);
            }
        } catch (Exception e) {
            throw new AssertionError("stakeWeights " + when, e);
        }
    }

    static byte[] h(String s) {
        return Hash.sha3(s.getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Submits {@code req} as the requester until the draw gives one distinct agent per seat, and returns
     * that task. Seats are drawn with replacement (the Sybil argument, docs/DESIGN.md section 6), so an
     * agent may hold several seats of a task; tests that reason about "the node at position i" use this.
     * Earlier draws stay open, without commitments.
     */
    SubmittedTask submitDistinct(TaskRequest req) {
        // With replacement, k = 5 seats over 5 equal stakes are distinct only 5!/5^5 = 3.8% of the time: 100
        // attempts failed 2% of runs (seen in CI); 1,000 fail with probability 1e-17.
        for (int attempt = 0; attempt < 1000; attempt++) {
            SubmittedTask t = requester.submitTask(req);
            if (t.nodes().stream().distinct().count() == t.nodes().size()) return t;
        }
        throw new AssertionError("1,000 draws in a row gave an agent two seats");
    }

    @Override
    public void close() {
        web3j.shutdown();
        devnet.close();
    }
}
