package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.AgentRegistry;
import dev.ledgermind.chain.contracts.ModelRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Hash;
import org.web3j.crypto.Keys;
import org.web3j.crypto.Sign;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.utils.Numeric;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;

import static dev.ledgermind.chain.ChainFixture.ETHER;
import static dev.ledgermind.chain.ChainFixture.h;
import static dev.ledgermind.chain.Reverts.assertReverts;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** ERC-8004 identity, stake, models, ERC-8004 reputation/validation, submit errors, commitment parity. */
class RegistryAndErrorsTest {
    static final BigInteger FEE = BigInteger.TEN.pow(15);
    static ChainFixture f;

    /** A devnet with 3 staked nodes for this class, reset to its snapshot before each test. */
    @RegisterExtension
    static final SharedChain chain = new SharedChain(() -> f = new ChainFixture(3));

    static long now() throws Exception {
        return f.web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send().getBlock().getTimestamp().longValueExact();
    }

    /** Signs the EIP-712 digest the way an EOA wallet would (r || s || v). */
    static byte[] sign(byte[] digest, Credentials key) {
        Sign.SignatureData s = Sign.signMessage(digest, key.getEcKeyPair(), false);
        byte[] out = new byte[65];
        System.arraycopy(s.getR(), 0, out, 0, 32);
        System.arraycopy(s.getS(), 0, out, 32, 32);
        out[64] = s.getV()[0];
        return out;
    }

    @Test
    void erc8004IdentityRegisterMetadataUriAndWallet() throws Exception {
        LedgermindContracts me = f.requester;
        AgentRegistry reg = me.agentRegistry();
        String addr = f.deployment.agentRegistry();
        var r = me.sender().send("AgentRegistry", addr, reg.register("ipfs://agent",
                List.of(new AgentRegistry.MetadataEntry("role", "worker".getBytes()))), BigInteger.ZERO);
        long id = AgentRegistry.getRegisteredEvents(r).getFirst().agentId.longValueExact();
        assertEquals(2, AgentRegistry.getMetadataSetEvents(r).size(), "agentWallet + role");
        assertEquals("ipfs://agent", reg.tokenURI(BigInteger.valueOf(id)).send());
        assertArrayEquals("worker".getBytes(), reg.getMetadata(BigInteger.valueOf(id), "role").send());
        assertEquals(me.address().toLowerCase(), reg.getAgentWallet(BigInteger.valueOf(id)).send().toLowerCase());
        long bare = AgentRegistry.getRegisteredEvents(me.sender().send("AgentRegistry", addr, reg.register(), BigInteger.ZERO))
                .getFirst().agentId.longValueExact();
        assertEquals(id + 1, bare);
        assertReverts("AgentRegistry", "ReservedMetadataKey", () -> me.sender().send("AgentRegistry", addr,
                reg.register("x", List.of(new AgentRegistry.MetadataEntry("agentWallet", new byte[20]))), BigInteger.ZERO));
        assertReverts("AgentRegistry", "ReservedMetadataKey", () -> me.sender().send("AgentRegistry", addr,
                reg.setMetadata(BigInteger.valueOf(id), "agentWallet", new byte[20]), BigInteger.ZERO));
        LedgermindContracts stranger = f.nodes.getFirst();
        assertReverts("AgentRegistry", "NotAuthorized", () -> stranger.sender().send("AgentRegistry", addr,
                reg.setAgentURI(BigInteger.valueOf(id), "evil"), BigInteger.ZERO));
        var u = me.sender().send("AgentRegistry", addr, reg.setAgentURI(BigInteger.valueOf(id), "ipfs://v2"), BigInteger.ZERO);
        assertEquals("ipfs://v2", AgentRegistry.getURIUpdatedEvents(u).getFirst().newURI);

        // agentWallet by EIP-712 signature of the new wallet
        Credentials wallet = Credentials.create(Keys.createEcKeyPair());
        long deadline = now() + 120;
        byte[] digest = reg.agentWalletDigest(BigInteger.valueOf(id), wallet.getAddress(), me.address(),
                BigInteger.valueOf(deadline)).send();
        Credentials wrong = Credentials.create(Keys.createEcKeyPair());
        assertReverts("AgentRegistry", "InvalidWalletSignature", () -> me.sender().send("AgentRegistry", addr,
                reg.setAgentWallet(BigInteger.valueOf(id), wallet.getAddress(), BigInteger.valueOf(deadline), sign(digest, wrong)),
                BigInteger.ZERO));
        assertReverts("AgentRegistry", "DeadlineTooFar", () -> me.sender().send("AgentRegistry", addr,
                reg.setAgentWallet(BigInteger.valueOf(id), wallet.getAddress(), BigInteger.valueOf(deadline + 3600), sign(digest, wallet)),
                BigInteger.ZERO));
        assertReverts("AgentRegistry", "InvalidWallet", () -> me.sender().send("AgentRegistry", addr,
                reg.setAgentWallet(BigInteger.valueOf(id), "0x0000000000000000000000000000000000000000", BigInteger.valueOf(deadline),
                        sign(digest, wallet)), BigInteger.ZERO));
        me.sender().send("AgentRegistry", addr, reg.setAgentWallet(BigInteger.valueOf(id), wallet.getAddress(),
                BigInteger.valueOf(deadline), sign(digest, wallet)), BigInteger.ZERO);
        assertEquals(wallet.getAddress().toLowerCase(), reg.getAgentWallet(BigInteger.valueOf(id)).send().toLowerCase());
        assertTrue((Boolean) reg.isOperator(BigInteger.valueOf(id), wallet.getAddress()).send());
        f.anvil.increaseTime(600);
        assertReverts("AgentRegistry", "SignatureExpired", () -> me.sender().send("AgentRegistry", addr,
                reg.setAgentWallet(BigInteger.valueOf(id), wallet.getAddress(), BigInteger.valueOf(deadline), sign(digest, wallet)),
                BigInteger.ZERO));
        // ERC-8004: a transfer clears the wallet
        me.sender().send("AgentRegistry", addr, reg.transferFrom(me.address(), stranger.address(), BigInteger.valueOf(id)),
                BigInteger.ZERO);
        assertEquals("0x0000000000000000000000000000000000000000", reg.getAgentWallet(BigInteger.valueOf(id)).send());
        me.sender().send("AgentRegistry", addr, reg.unsetAgentWallet(BigInteger.valueOf(bare)), BigInteger.ZERO);
        assertEquals("0x0000000000000000000000000000000000000000", reg.getAgentWallet(BigInteger.valueOf(bare)).send());
    }

    @Test
    void stakeUnbondingWithdrawAndSlashGuard() throws Exception {
        LedgermindContracts n = f.nodes.getFirst();
        long id = f.agentIds.getFirst();
        AgentRegistry reg = n.agentRegistry();
        String addr = f.deployment.agentRegistry();
        assertReverts("AgentRegistry", "ZeroAmount", () -> n.stake(id, BigInteger.ZERO));
        assertReverts("AgentRegistry", "InsufficientBondedStake", () -> n.requestUnstake(id, ETHER.multiply(BigInteger.TEN)));
        assertReverts("AgentRegistry", "NothingToWithdraw", () -> n.withdrawStake(id));
        assertReverts("AgentRegistry", "NotAuthorized", () -> f.requester.requestUnstake(id, ETHER));
        n.requestUnstake(id, ETHER.add(BigInteger.ONE)); // bonded drops below the 1 ETH minimum
        StakeInfo s = n.stakeOf(id);
        assertEquals(ChainFixture.STAKE.subtract(ETHER).subtract(BigInteger.ONE), s.bonded());
        List<?> w = (List<?>) reg.stakeWeights(List.of(BigInteger.valueOf(id))).send();
        assertEquals(BigInteger.ZERO, w.getFirst(), "below the minimum stake: no selection weight");
        assertReverts("AgentRegistry", "UnbondingNotFinished", () -> n.withdrawStake(id));
        f.assertInvariant("while unbonding");
        f.anvil.increaseTime(f.params.unbondingDelay() + 1);
        BigInteger before = n.balanceOf(n.address());
        var r = n.withdrawStake(id);
        BigInteger gas = r.getGasUsed().multiply(Numeric.decodeQuantity(r.getEffectiveGasPrice()));
        assertEquals(before.add(ETHER).add(BigInteger.ONE).subtract(gas), n.balanceOf(n.address()));
        assertReverts("AgentRegistry", "NotTaskMarket", () -> n.sender().send("AgentRegistry", addr,
                reg.slash(BigInteger.valueOf(id), ETHER), BigInteger.ZERO));
        f.assertInvariant("after withdraw");
    }

    @Test
    void modelRegistryRulesAndServing() throws Exception {
        LedgermindContracts d = f.deployer;
        ModelRegistry m = d.modelRegistry();
        String addr = f.deployment.modelRegistry();
        assertReverts("ModelRegistry", "ModelAlreadyRegistered",
                () -> d.registerModel(new ModelSpec(h("weights"), h("tokenizer"), h("arch"), "dup", 1)));
        assertReverts("ModelRegistry", "ZeroHash", () -> d.sender().send("ModelRegistry", addr,
                m.registerModel(new byte[32], h("t"), h("a"), "n", BigInteger.ONE), BigInteger.ZERO));
        assertReverts("ModelRegistry", "InvalidModes", () -> d.sender().send("ModelRegistry", addr,
                m.registerModel(h("w"), h("t"), h("a"), "n", BigInteger.valueOf(8)), BigInteger.ZERO));
        assertReverts("ModelRegistry", "InvalidName", () -> d.sender().send("ModelRegistry", addr,
                m.registerModel(h("w"), h("t"), h("a"), "", BigInteger.ONE), BigInteger.ZERO));
        assertEquals(f.modelId, d.modelIdOf(h("weights"), h("tokenizer"), h("arch")));
        int other = d.registerModel(new ModelSpec(h("w2"), h("t2"), h("a2"), "optimistic-only", ModelSpec.MODE_OPTIMISTIC));
        long id = f.agentIds.getFirst();
        LedgermindContracts n = f.nodes.getFirst();
        assertReverts("ModelRegistry", "AlreadyServing", () -> n.declareServes(id, f.modelId));
        assertReverts("ModelRegistry", "UnknownModel", () -> n.declareServes(id, 999));
        assertReverts("ModelRegistry", "NotAgentOperator", () -> f.requester.declareServes(id, other));
        assertReverts("ModelRegistry", "NotServing", () -> n.withdrawServes(id, other));
        n.declareServes(id, other);
        assertTrue((Boolean) m.serves(BigInteger.valueOf(id), BigInteger.valueOf(other)).send());
        n.withdrawServes(id, other);
        assertFalse((Boolean) m.serves(BigInteger.valueOf(id), BigInteger.valueOf(other)).send());
        assertReverts("TaskMarket", "ModelModeUnsupported",
                () -> f.requester.submitTask(TaskRequest.inline(other, "x".getBytes(), 0, 1, FEE)));
        ModelRegistry tiny = ModelRegistry.deploy(f.web3j, d.sender().transactionManager(),
                new StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(5_000_000)),
                f.deployment.agentRegistry(), BigInteger.ONE).send();
        d.sender().send("ModelRegistry", tiny.getContractAddress(),
                tiny.registerModel(h("w"), h("t"), h("a"), "m", BigInteger.ONE), BigInteger.ZERO);
        n.sender().send("ModelRegistry", tiny.getContractAddress(), tiny.declareServes(BigInteger.valueOf(id), BigInteger.ONE),
                BigInteger.ZERO);
        long id2 = f.agentIds.get(1);
        assertReverts("ModelRegistry", "TooManyServers", () -> f.nodes.get(1).sender().send("ModelRegistry",
                tiny.getContractAddress(), tiny.declareServes(BigInteger.valueOf(id2), BigInteger.ONE), BigInteger.ZERO));
    }

    @Test
    void submitRejectsBadTasksWithNamedErrors() throws Exception {
        LedgermindContracts r = f.requester;
        var tm = r.taskMarket();
        String addr = f.deployment.taskMarket();
        byte[] in = "in".getBytes();
        byte[] ih = Hash.sha3(in);
        BigInteger mid = BigInteger.valueOf(f.modelId);
        BigInteger z = BigInteger.ZERO;
        assertReverts("TaskMarket", "ModeNotSupported", () -> r.sender().send("TaskMarket", addr,
                tm.submitTask(mid, ih, in, z, z, z, z, BigInteger.ONE, BigInteger.ONE, z, FEE), FEE));
        assertReverts("TaskMarket", "InvalidRedundancy", () -> r.sender().send("TaskMarket", addr,
                tm.submitTask(mid, ih, in, z, z, z, z, BigInteger.valueOf(8), z, z, FEE), FEE));
        assertReverts("TaskMarket", "InvalidFlags", () -> r.sender().send("TaskMarket", addr,
                tm.submitTask(mid, ih, in, z, z, z, z, BigInteger.ONE, z, BigInteger.valueOf(4), FEE), FEE));
        assertReverts("TaskMarket", "CallbackRequiresContract", () -> r.submitTask(
                new TaskRequest(f.modelId, ih, in, 0, 0, 0, 0, 1, FEE, true)));
        assertReverts("TaskMarket", "InputTooLarge", () -> r.submitTask(
                TaskRequest.inline(f.modelId, new byte[f.params.maxInputBytes() + 1], 0, 1, FEE)));
        assertReverts("TaskMarket", "ZeroInputHash", () -> r.submitTask(
                new TaskRequest(f.modelId, new byte[32], new byte[0], 0, 0, 0, 0, 1, FEE, false)));
        ContractRevertedException e = assertReverts("TaskMarket", "InputHashMismatch", () -> r.submitTask(
                new TaskRequest(f.modelId, h("other"), in, 0, 0, 0, 0, 1, FEE, false)));
        assertEquals(Numeric.toHexString(h("other")), e.arguments().get("inputHash"));
        assertReverts("TaskMarket", "FeeTooLow", () -> r.submitTask(TaskRequest.inline(f.modelId, in, 0, 1, BigInteger.ONE)));
        assertReverts("TaskMarket", "NotEnoughNodes", () -> r.submitTask(TaskRequest.inline(f.modelId, in, 0, 5, FEE)));
        assertReverts("TaskMarket", "ModelModeUnsupported", () -> r.submitTask(TaskRequest.inline(77, in, 0, 1, FEE)));
        BigInteger huge = BigInteger.TWO.pow(96);
        f.anvil.setBalance(r.address(), huge.multiply(BigInteger.TWO));
        assertReverts("TaskMarket", "FeeTooHigh", () -> r.submitTask(TaskRequest.inline(f.modelId, in, 0, 1, huge)));
        assertReverts("TaskMarket", "UnknownTask", () -> r.finalizeTask(BigInteger.valueOf(12345)));
        assertReverts("TaskMarket", "UnexpectedPayment", () -> r.sender().send("TaskMarket", addr, "0x", FEE));
        assertReverts("TaskMarket", "NotOperator", () -> r.claim(f.agentIds.getFirst()));
        assertReverts("TaskMarket", "NothingToClaim", () -> f.nodes.getFirst().claim(f.agentIds.getFirst()));
        // message format names the error and its arguments
        ContractRevertedException m = assertReverts("TaskMarket", "InvalidRedundancy", () -> r.sender().send("TaskMarket",
                addr, tm.submitTask(mid, ih, in, z, z, z, z, BigInteger.ZERO, z, z, FEE), FEE));
        assertEquals("TaskMarket reverted: InvalidRedundancy(k=0, maxK=7)", m.getMessage());
    }

    @Test
    void javaCommitmentEqualsSolidityCommitment() throws Exception {
        Random rnd = new Random(42);
        for (int i = 0; i < 20; i++) {
            BigInteger taskId = new BigInteger(64, rnd);
            byte[] a = new byte[20];
            rnd.nextBytes(a);
            String node = Numeric.toHexString(a);
            byte[] r = new byte[32], t = new byte[32], s = new byte[32];
            rnd.nextBytes(r);
            rnd.nextBytes(t);
            rnd.nextBytes(s);
            byte[] sol = f.requester.taskMarket().commitmentOf(taskId, node, r, t, s).send();
            assertArrayEquals(sol, Commitment.of(taskId, node, r, t, s), "case " + i);
        }
    }

    @Test
    void erc8004ReputationAndValidationRecords() throws Exception {
        SubmittedTask t = f.requester.submitTask(TaskRequest.inline(f.modelId, "q".getBytes(), 0, 1, FEE));
        long a = t.nodes().getFirst();
        LedgermindContracts n = f.node(a);
        byte[] salt = Commitment.randomSalt();
        n.commit(t.taskId(), a, n.commitment(t.taskId(), h("r"), h("t"), salt));
        var rr = n.reveal(t.taskId(), a, h("r"), h("t"), salt, new byte[0]);
        var fb = dev.ledgermind.chain.contracts.ReputationRegistry.getNewFeedbackEvents(rr);
        assertEquals(1, fb.size());
        assertEquals(BigInteger.valueOf(100), fb.getFirst().value);
        assertEquals("agreed", fb.getFirst().tag2);
        var rep = f.requester.reputationRegistry();
        var read = rep.readFeedback(BigInteger.valueOf(a), f.deployment.taskMarket(), t.taskId()).send();
        assertEquals(BigInteger.valueOf(100), read.component1());
        assertEquals("agreed", read.component4());
        var sum = rep.getSummary(BigInteger.valueOf(a), List.of(f.deployment.taskMarket()), "", "").send();
        assertEquals(BigInteger.ONE, sum.component1());
        var val = f.requester.validationRegistry();
        byte[] req = val.protocolRequestHash(t.taskId()).send();
        var st = val.getValidationStatus(req).send();
        assertEquals(f.deployment.taskMarket().toLowerCase(), st.component1().toLowerCase());
        assertEquals(BigInteger.valueOf(a), st.component2());
        assertEquals(BigInteger.valueOf(100), st.component3());

        // client feedback is stored per ERC-8004; owners cannot rate themselves
        String raddr = f.deployment.reputationRegistry();
        LedgermindContracts client = f.requester;
        client.sender().send("ReputationRegistry", raddr, rep.giveFeedback(BigInteger.valueOf(a), BigInteger.valueOf(87),
                BigInteger.ZERO, "starred", "", "", "", new byte[32]), BigInteger.ZERO);
        assertReverts("ReputationRegistry", "SelfFeedback", () -> n.sender().send("ReputationRegistry", raddr,
                rep.giveFeedback(BigInteger.valueOf(a), BigInteger.ONE, BigInteger.ZERO, "", "", "", "", new byte[32]), BigInteger.ZERO));
        assertReverts("ReputationRegistry", "InvalidDecimals", () -> client.sender().send("ReputationRegistry", raddr,
                rep.giveFeedback(BigInteger.valueOf(a), BigInteger.ONE, BigInteger.valueOf(19), "", "", "", "", new byte[32]), BigInteger.ZERO));
        assertEquals(BigInteger.ONE, rep.getLastIndex(BigInteger.valueOf(a), client.address()).send());
        client.sender().send("ReputationRegistry", raddr, rep.revokeFeedback(BigInteger.valueOf(a), BigInteger.ONE), BigInteger.ZERO);
        assertReverts("ReputationRegistry", "AlreadyRevoked", () -> client.sender().send("ReputationRegistry", raddr,
                rep.revokeFeedback(BigInteger.valueOf(a), BigInteger.ONE), BigInteger.ZERO));
        assertReverts("ReputationRegistry", "FeedbackIndexOutOfRange", () -> client.sender().send("ReputationRegistry", raddr,
                rep.revokeFeedback(BigInteger.valueOf(a), BigInteger.TWO), BigInteger.ZERO));
        assertReverts("ReputationRegistry", "EmptyResponseURI", () -> n.sender().send("ReputationRegistry", raddr,
                rep.appendResponse(BigInteger.valueOf(a), client.address(), BigInteger.ONE, "", new byte[32]), BigInteger.ZERO));
        n.sender().send("ReputationRegistry", raddr, rep.appendResponse(BigInteger.valueOf(a), client.address(), BigInteger.ONE,
                "ipfs://reply", new byte[32]), BigInteger.ZERO);
        assertEquals(BigInteger.ONE, rep.getResponseCount(BigInteger.valueOf(a), client.address(), BigInteger.ONE, List.of()).send());
        assertReverts("ReputationRegistry", "NotTaskMarket", () -> client.sender().send("ReputationRegistry", raddr,
                rep.recordOutcomes(t.taskId(), BigInteger.ONE.shiftLeft(32).or(BigInteger.ONE)), BigInteger.ZERO));

        String vaddr = f.deployment.validationRegistry();
        byte[] own = h("my-request");
        assertReverts("ValidationRegistry", "NotAuthorized", () -> client.sender().send("ValidationRegistry", vaddr,
                val.validationRequest(client.address(), BigInteger.valueOf(a), "ipfs://req", own), BigInteger.ZERO));
        assertReverts("ValidationRegistry", "InvalidValidator", () -> n.sender().send("ValidationRegistry", vaddr,
                val.validationRequest("0x0000000000000000000000000000000000000000", BigInteger.valueOf(a), "u", own), BigInteger.ZERO));
        assertReverts("ValidationRegistry", "ReservedRequestHash", () -> n.sender().send("ValidationRegistry", vaddr,
                val.validationRequest(client.address(), BigInteger.valueOf(a), "u", req), BigInteger.ZERO));
        n.sender().send("ValidationRegistry", vaddr, val.validationRequest(client.address(), BigInteger.valueOf(a), "u", own), BigInteger.ZERO);
        assertReverts("ValidationRegistry", "RequestExists", () -> n.sender().send("ValidationRegistry", vaddr,
                val.validationRequest(client.address(), BigInteger.valueOf(a), "u", own), BigInteger.ZERO));
        assertReverts("ValidationRegistry", "NotValidator", () -> n.sender().send("ValidationRegistry", vaddr,
                val.validationResponse(own, BigInteger.ONE, "", new byte[32], ""), BigInteger.ZERO));
        assertReverts("ValidationRegistry", "ResponseOutOfRange", () -> client.sender().send("ValidationRegistry", vaddr,
                val.validationResponse(own, BigInteger.valueOf(101), "", new byte[32], ""), BigInteger.ZERO));
        assertReverts("ValidationRegistry", "UnknownRequest", () -> client.sender().send("ValidationRegistry", vaddr,
                val.validationResponse(h("nope"), BigInteger.ONE, "", new byte[32], ""), BigInteger.ZERO));
        client.sender().send("ValidationRegistry", vaddr, val.validationResponse(own, BigInteger.valueOf(90), "", new byte[32], "tag"),
                BigInteger.ZERO);
        var summary = val.getSummary(BigInteger.valueOf(a), List.of(), "").send();
        assertEquals(BigInteger.ONE, summary.component1());
        assertEquals(BigInteger.valueOf(90), summary.component2());
    }

    @Test
    void deploymentJsonRoundTripsAndRejectsBadFiles() {
        Deployment d = f.deployment;
        assertEquals(d, Deployment.fromJson(d.toJson()));
        assertThrowsMessage("format", () -> Deployment.fromJson("{\"format\":\"other\"}"));
        assertThrowsMessage("taskMarket", () -> Deployment.fromJson(d.toJson().replace(d.taskMarket(), "0x12")));
        assertThrowsMessage("not valid JSON", () -> Deployment.fromJson("{"));
    }

    static void assertThrowsMessage(String part, org.junit.jupiter.api.function.Executable ex) {
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, ex);
        assertTrue(e.getMessage().contains(part), e.getMessage());
    }

    @SuppressWarnings("unused")
    private static Transaction unused() {
        return null;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
