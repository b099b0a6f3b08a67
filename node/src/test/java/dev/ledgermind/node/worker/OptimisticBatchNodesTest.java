package dev.ledgermind.node.worker;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.chain.AnvilControl;
import dev.ledgermind.chain.DeployParams;
import dev.ledgermind.chain.Deployment;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelSpec;
import dev.ledgermind.chain.OptimisticParams;
import dev.ledgermind.chain.OptimisticTasks;
import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.batch.BatchTree;
import dev.ledgermind.chain.batch.OptimisticBatchMarket;
import dev.ledgermind.chain.contracts.OptimisticBatches;
import dev.ledgermind.chain.devnet.Devnet;
import dev.ledgermind.chain.game.DisputeGameClient;
import dev.ledgermind.chain.game.GameView;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.inference.step.StepFault;
import dev.ledgermind.node.batch.BatchClaimDocument;
import dev.ledgermind.node.batch.OptimisticBatchRoles;
import dev.ledgermind.node.client.BatchItemServer;
import dev.ledgermind.node.feed.FeedServer;
import dev.ledgermind.node.feed.TokenFeed;
import dev.ledgermind.node.metrics.NodeMetrics;
import dev.ledgermind.node.store.NodeStore;
import dev.ledgermind.node.task.DecoderTaskRunner;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.http.HttpService;
import org.web3j.utils.Numeric;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Optimistic batches played by real nodes (issue 13; node/batch/OptimisticBatchRoles) on a real anvil with the default
 * deployment (the real DisputeGame, OneStep and StepReferee) and a small synthetic llama (Q8_0) registered with its
 * weights commitment and step spec: in-process {@link Worker}s, each with its real HTTP face ({@link FeedServer}, whose
 * registration file names the {@code ledgermind-optimistic-claims} endpoint), and a requester serving the batch's items
 * from a {@link BatchItemServer}. Node 0 is the drawn worker, node 1 a watcher ({@code role: validator}). The test only
 * submits, turns the nodes' loops and moves anvil's clock past the window.
 * <ul>
 *   <li>honest: the worker computes, stores and claims the batch (restarted from a store rewound to before its claim:
 *       it claims once), the watcher audits it (always audited here) and replays every item, the batch is final with
 *       every item proven by {@code verifyResult} from the proofs the worker serves, and one reward claim pays it;</li>
 *   <li>a worker that lies about item 1 ({@link Dishonesty#ONE_ITEM_WRONG}: its trace one step wrong) is challenged by
 *       the watcher on item 1 alone; both nodes play the game, which ends at the faulty op and element; the item is
 *       overturned and refunded, the liar slashed its claim bond, and the other items are final and proven;</li>
 *   <li>the drawn validator (not a watcher) of a one-item batch whose item is wrong challenges it instead of auditing:
 *       the audit is Disputed, the game overturns the item, the liar is slashed and the validator is not;</li>
 *   <li>a worker wrong on every item is challenged on each (each proof in the live tree with the earlier ones struck)
 *       and loses every game;</li>
 *   <li>a worker that withholds its claim leaves its validator unable to audit, slashed as silent (today's gap).</li>
 * </ul>
 *
 * <p>The lying worker's test runs in every build (about 3.5 s once the JVM is warm: a devnet and a deployment with the
 * game, two engines; 13 s when it is the JVM's first); the others behind {@code -Doptimistic.e2e=true} (about 3.5 s
 * each warm), to keep {@code ./mvnw verify} within its budget. The fast part without a chain (the claim document, the
 * worker's HTTP path, the checker's fetch) is {@code node/batch/BatchClaimDocumentTest}; the contract's rules are
 * forge's OptimisticBatchTest and chain's OptimisticBatchLifecycleTest. Figures in docs/performance.md.
 * <pre>./mvnw -B -pl node -am test -Dforge.skip=true -Dtest=OptimisticBatchNodesTest -Doptimistic.e2e=true -Dsurefire.failIfNoSpecifiedTests=false</pre>
 */
class OptimisticBatchNodesTest {
    static final BigInteger ETHER = BigInteger.TEN.pow(18);
    static final BigInteger ITEM_FEE = ETHER.divide(BigInteger.valueOf(1_000));
    static final long WINDOW = 60;
    static final int ITEMS = 4;
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    static Path dir;
    static Path gguf;
    static ModelIdentity model;

    @BeforeAll
    static void modelFile() throws Exception {
        gguf = dir.resolve("small-batch.gguf");
        // dim 64, 2 layers, 2 heads of 32 over 1 KV head, FFN 96, vocabulary 320, context 64 (as OptimisticGameNodesTest)
        SyntheticModel.write(gguf, "llama3", new SyntheticModel.Shape(64, 2, 2, 1, 96, 320, 64, false), GgmlType.Q8_0, 5);
        try (DecoderTaskRunner r = new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1)) {
            model = r.models().getFirst();
        }
    }

    static List<TaskInput> inputs(int n) {
        List<TaskInput> out = new ArrayList<>();
        String[] prompts = {"Once upon a time", "The cat", "In a far land", "Numbers go"};
        for (int i = 0; i < n; i++) out.add(TaskInput.generate("small-batch", prompts[i], 3, 0f, 11 + i));
        return out;
    }

    static List<BatchItem> items(int n) {
        List<BatchItem> out = new ArrayList<>();
        for (TaskInput in : inputs(n)) out.add(BatchItem.inline(in.kind().code, in.maxTokens(), 0, in.seed(), ITEM_FEE, in.bytes()));
        return out;
    }

    /** A devnet with two nodes serving the model: node 0 with {@code conduct}, node 1 an honest watcher. */
    static final class Net implements AutoCloseable {
        final Devnet devnet = Devnet.builder().accounts(5).start();
        final Web3j web3 = Web3j.build(new HttpService(devnet.rpcUrl()));
        final LedgermindContracts deployer;
        final int modelId;
        final NodeConfig[] configs = new NodeConfig[2];
        final Worker[] nodes = new Worker[2];
        final NodeStore[] stores = new NodeStore[2];
        final FeedServer[] faces = new FeedServer[2];
        final List<DecoderTaskRunner> runners = new ArrayList<>();
        final LedgermindContracts requester;
        final BatchItemServer items;
        final boolean withhold;

        Net(String tag, Dishonesty conduct) throws Exception {
            this(tag, conduct, NodeRole.VALIDATOR);
        }

        /** Node 1 in {@code checkerRole}: VALIDATOR (a watcher, which also audits when drawn), or WORKER (audits only). */
        Net(String tag, Dishonesty conduct, NodeRole checkerRole) throws Exception {
            this(tag, conduct, checkerRole, false);
        }

        /** With {@code withhold}, node 0's HTTP face serves no batch claims (its registration file names no such endpoint). */
        Net(String tag, Dishonesty conduct, NodeRole checkerRole, boolean withhold) throws Exception {
            this.withhold = withhold;
            deployer = LedgermindContracts.deploy(web3, devnet.accounts().get(0).credentials(),
                    DeployParams.defaults().withWindows(30, 30).withOptimistic(OptimisticParams.defaults().withWindow(WINDOW)));
            Path deployment = dir.resolve(tag + "-deployment.json");
            deployer.deployment().write(deployment);
            modelId = deployer.registerModel(new ModelSpec(model.weightsHash(), model.tokenizerHash(), model.architectureHash(), model.name(),
                    ModelSpec.MODE_OPTIMISTIC));
            for (int i = 0; i < 2; i++) {
                configs[i] = new NodeConfig(tag + i, devnet.rpcUrl(), deployment, devnet.accounts().get(2 + i).privateKey(), null,
                        List.of(gguf.toString()), ETHER.multiply(BigInteger.TWO), dir.resolve(tag + i + ".db"), 0, 50,
                        i == 0 ? conduct : Dishonesty.HONEST).withRole(i == 0 ? NodeRole.WORKER : checkerRole);
                runners.add(new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1));
                start(i);
            }
            requester = LedgermindContracts.at(web3, deployer.deployment(), devnet.accounts().get(1).credentials());
            items = BatchItemServer.onLoopback();
        }

        /** Starts (or restarts, on the same store file) node {@code i} with its HTTP face. */
        void start(int i) throws Exception {
            if (faces[i] != null) faces[i].close();
            if (stores[i] != null) stores[i].close();
            stores[i] = NodeStore.open(configs[i].store());
            Worker w = new Worker(configs[i], web3, runners.get(i), stores[i], new NodeMetrics());
            Deployment d = deployer.deployment();
            faces[i] = new FeedServer(new TokenFeed(16), new FeedServer.Context(configs[i].name(), d.chainId(), d.taskMarket(),
                    d.agentRegistry(), w::agentId, w::requesterOf, w::optimisticReceipts, i == 0 && withhold ? null : w::batchClaim), "127.0.0.1", 0, null, Duration.ofSeconds(5),
                    Duration.ofSeconds(1), 4);
            w.advertise(faces[i].cardUrl());
            w.join();
            nodes[i] = w;
        }

        /** Submits the batch (always audited at 10,000 bps, else at the floor) until node 0 is its drawn worker. */
        BatchMarket.SubmittedBatch submitForNode0(int auditBps) {
            return submitForNode0(auditBps, ITEMS);
        }

        BatchMarket.SubmittedBatch submitForNode0(int auditBps, int count) {
            OptimisticBatchMarket m = new OptimisticBatchMarket(requester);
            List<BatchItem> its = items(count);
            String locator = items.publish(its);
            for (int attempt = 0; attempt < 40; attempt++) {
                BatchMarket.SubmittedBatch b = m.submit(modelId, false, its, locator, WINDOW, auditBps);
                if (b.seats().getFirst() == nodes[0].agentId()) return b;
            }
            throw new AssertionError("40 draws in a row without node 0");
        }

        /** Turns both nodes' loops until the batch's rows are DONE on both, moving the clock past the window once both checked it. */
        void drive(BigInteger id, Runnable eachRound) throws Exception {
            AnvilControl anvil = new AnvilControl(new HttpService(devnet.rpcUrl()));
            boolean advanced = false;
            for (int round = 0; round < 400; round++) {
                nodes[0].pollOnce();
                nodes[1].pollOnce();
                eachRound.run();
                var w = nodes[0].optimisticBatches().row(id);
                var c = nodes[1].optimisticBatches().row(id);
                if (w.isPresent() && c.isPresent() && w.get().state().equals("DONE") && c.get().state().equals("DONE")) return;
                // the window runs out once the claim is in and the checker has checked it (or has had a few passes to)
                if (!advanced && w.isPresent() && c.isPresent() && w.get().state().equals("CLAIMED")
                        && (c.get().state().equals("CHECKED") || round > 10)) {
                    anvil.increaseTime(WINDOW + 1);
                    anvil.mine();
                    advanced = true;
                }
            }
            fail("batch " + id + " did not finish: worker " + nodes[0].optimisticBatches().row(id) + ", watcher "
                    + nodes[1].optimisticBatches().row(id));
        }

        @Override
        public void close() {
            for (FeedServer f : faces) if (f != null) f.close();
            for (NodeStore s : stores) if (s != null) s.close();
            items.close();
            runners.forEach(DecoderTaskRunner::close);
            web3.shutdown();
            devnet.close();
        }
    }

    static JsonNode get(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), url + ": " + r.body());
        return JSON.readTree(r.body());
    }

    /** The worker's per-item document (its HTTP face), proven by the chain's verifyResult with the proof it carries. */
    static boolean provenFromTheWorkersFace(Net n, BigInteger id, int index, BatchMarket market) throws Exception {
        String base = n.faces[0].cardUrl().replace("/agent.json", "");
        JsonNode item = get(base + "/optimistic-batches/" + id + "/items/" + index);
        assertEquals(index, item.get("index").asInt());
        List<byte[]> proof = new ArrayList<>();
        for (JsonNode s : item.get("liveProof")) proof.add(Numeric.hexStringToByteArray(s.asText()));
        return market.verifyResult(id, index, ITEMS, Numeric.hexStringToByteArray(item.get("resultHash").asText()),
                Numeric.hexStringToByteArray(item.get("traceRoot").asText()), new BatchTree.Proof(index, ITEMS, proof));
    }

    static int claimsOf(Net n, BigInteger id) throws Exception {
        EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.ZERO), DefaultBlockParameterName.LATEST,
                n.deployer.deployment().taskMarket());
        f.addSingleTopic(EventEncoder.encode(OptimisticBatches.BATCHCLAIMED_EVENT));
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(id, 64));
        return n.web3.ethGetLogs(f).send().getLogs().size();
    }

    @Test
    @EnabledIfSystemProperty(named = "optimistic.e2e", matches = "true")
    void anHonestBatchIsClaimedOnceAcrossARestartAuditedFinalizedPaidAndEveryItemIsProven() throws Exception {
        try (Net n = new Net("honest", Dishonesty.HONEST)) {
            BatchMarket.SubmittedBatch b = n.submitForNode0(10_000);
            BigInteger id = b.batchId();
            BatchMarket market = new BatchMarket(n.requester);
            long worker = n.nodes[0].agentId(), watcher = n.nodes[1].agentId();

            // the worker computes and claims in its first pass (anvil mines the claim at once) ...
            n.nodes[0].pollOnce();
            var row = n.nodes[0].optimisticBatches().row(id).orElseThrow();
            assertEquals(1, claimsOf(n, id), "claimed");
            // ... then "crashes" with its store back at COMPUTED (as before the claim's hash was recorded), and restarts
            n.stores[0].put("obatch.row." + id, JSON.writeValueAsString(new OptimisticBatchRoles.Row(row.batchId(), row.role(), "COMPUTED",
                    row.pool(), row.blockHash(), row.block(), row.modelId(), row.challenged(), null, null)));
            n.start(0);
            n.nodes[0].pollOnce();
            var resumed = n.nodes[0].optimisticBatches().row(id).orElseThrow();
            assertEquals("CLAIMED", resumed.state(), "the restarted worker reads its claim from the chain");
            assertNull(resumed.tx(), "and builds no second claim");

            n.drive(id, () -> { });
            assertEquals(1, claimsOf(n, id), "one claim, not two");
            assertEquals(BatchMarket.BatchState.ACCEPTED, market.state(id).status(), "final");
            OptimisticBatchMarket.State os = new OptimisticBatchMarket(n.requester).state(id);
            assertEquals(3, os.auditState(), "audited by the watcher: Passed");
            assertEquals(watcher, os.validator());

            // every item is the engine's result, and is proven by verifyResult with the proof the worker serves
            BatchClaimDocument doc = n.nodes[0].batchClaim(id).orElseThrow().claim();
            try (DecoderTaskRunner local = new DecoderTaskRunner(gguf, KernelConfig.defaults(), 1)) {
                List<TaskInput> ins = inputs(ITEMS);
                for (int i = 0; i < ITEMS; i++) {
                    TaskResult expected = local.run(ins.get(i));
                    assertArrayEquals(expected.resultHash(), doc.items().get(i).resultHash(), "item " + i + " is the engine's result");
                    assertArrayEquals(expected.output(), doc.items().get(i).output());
                    assertTrue(provenFromTheWorkersFace(n, id, i, market), "item " + i + " is proven by verifyResult");
                }
            }
            // the whole claim, as the watcher fetched it from the worker's face: the same document
            assertEquals(doc.toJson(), n.nodes[1].optimisticBatches().claimOf(id).orElseThrow().toJson());
            // one reward claim paid the worker (nothing left to claim); the auditor was paid its share
            assertEquals(BigInteger.ZERO, n.deployer.claimable(worker), "the worker claimed its pay");
            assertTrue(n.nodes[1].optimisticBatches().row(id).orElseThrow().challenged().isEmpty(), "the watcher challenged nothing");
        }
    }

    @Test
    void aWorkerThatLiesAboutOneItemLosesThatItemsGameAndIsSlashedWhileTheOtherItemsStayFinal() throws Exception {
        try (Net n = new Net("liar", Dishonesty.ONE_ITEM_WRONG)) {
            BatchMarket.SubmittedBatch b = n.submitForNode0(100);
            BigInteger id = b.batchId();
            BatchMarket market = new BatchMarket(n.requester);
            OptimisticBatchMarket opt = new OptimisticBatchMarket(n.requester);
            long liar = n.nodes[0].agentId(), watcher = n.nodes[1].agentId();
            BigInteger bonded = n.deployer.stakeOf(liar).bonded();
            BigInteger refundsBefore = n.requester.pendingWithdrawal(n.requester.address());
            boolean[] restarted = {false};
            n.drive(id, () -> {
                // the watcher "crashes" mid-game and restarts from its store: it finds its game and plays on
                var games = n.nodes[1].optimisticBatches().games();
                if (!restarted[0] && !games.isEmpty()) {
                    restarted[0] = true;
                    try {
                        n.start(1);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }
            });
            assertTrue(restarted[0], "the watcher was restarted mid-game");
            int lying = Dishonesty.LYING_ITEM;
            assertEquals(List.of(lying), n.nodes[1].optimisticBatches().row(id).orElseThrow().challenged(), "only the lying item is challenged");
            OptimisticBatchMarket.Dispute d = opt.dispute(id, lying);
            assertEquals(6, d.stage(), "settled");
            assertEquals(watcher, d.challenger());
            for (int i = 0; i < ITEMS; i++) if (i != lying) assertEquals(0, opt.dispute(id, i).stage(), "item " + i + " never challenged");

            // the game ended at exactly the liar's faulty op and element
            String gameAddress = new OptimisticTasks(n.requester).terms().disputeGame();
            GameView g = DisputeGameClient.at(n.web3, gameAddress, n.requester.sender(), 0).game(d.gameId());
            assertEquals(OptimisticBatchMarket.itemKey(id, lying), g.taskId(), "the game is the item's");
            assertFalse(g.claimerWon(), "the liar lost");
            StepFault fault = Dishonesty.workerFault(g.positions(), g.layers());
            assertEquals((long) fault.position() * g.layers() + fault.layer(), g.leaf(), "the faulty leaf");
            assertEquals(fault.op().ordinal(), g.op(), "the faulty op");
            assertEquals(fault.element(), g.element(), "the faulty element");

            BigInteger claimBond = new OptimisticTasks(n.requester).terms().claimBond();
            assertEquals(bonded.subtract(claimBond), n.deployer.stakeOf(liar).bonded(), "the liar is slashed its claim bond, once");
            assertEquals(refundsBefore.add(ITEM_FEE), n.requester.pendingWithdrawal(n.requester.address()),
                    "the lying item's fee share is refunded");

            // the other items are final and proven; the lying one is not (struck from the root)
            assertEquals(BatchMarket.BatchState.ACCEPTED, market.state(id).status());
            for (int i = 0; i < ITEMS; i++) {
                assertEquals(i != lying, provenFromTheWorkersFace(n, id, i, market), "item " + i);
            }
            // the requester's receipts from the worker's /batches/{id}/results: the honest items' prove, the struck one's not
            JsonNode receipts = get(n.faces[0].cardUrl().replace("/agent.json", "") + "/batches/" + id + "/results");
            assertEquals(ITEMS, receipts.size());
            for (int i = 0; i < ITEMS; i++) {
                var receipt = dev.ledgermind.node.client.BatchItemReceipt.parse(receipts.get(i).toString());
                assertEquals(i, receipt.item().index());
                assertEquals(i != lying, market.verify(receipt.item()), "item " + i + "'s receipt");
            }
            OptimisticBatchMarket.BatchClaim live = n.nodes[1].optimisticBatches().claimOf(id).orElseThrow().claim();
            BatchTree struck = live.live(java.util.Set.of(lying));
            for (int i = 0; i < ITEMS; i++) {
                if (i == lying) continue;
                var it = live.items().get(i);
                assertTrue(market.verifyResult(id, i, ITEMS, it.resultHash(), it.traceRoot(), struck.proof(i)), "item " + i + " in the live root");
            }
            assertEquals(BigInteger.ZERO, n.deployer.claimable(liar), "the liar claimed its pay for the honest items");
        }
    }

    @Test
    @EnabledIfSystemProperty(named = "optimistic.e2e", matches = "true")
    void aDrawnValidatorWhoseItemIsWrongChallengesItInsteadOfAuditingAndIsNotSlashed() throws Exception {
        try (Net n = new Net("audit", Dishonesty.ONE_ITEM_WRONG, NodeRole.WORKER)) {
            // one item (the liar's lying item is then item 0), always audited: by node 1, the only other server
            BatchMarket.SubmittedBatch b = n.submitForNode0(10_000, 1);
            BigInteger id = b.batchId();
            OptimisticBatchMarket opt = new OptimisticBatchMarket(n.requester);
            long liar = n.nodes[0].agentId(), validator = n.nodes[1].agentId();
            BigInteger liarBonded = n.deployer.stakeOf(liar).bonded();
            BigInteger validatorBonded = n.deployer.stakeOf(validator).bonded();
            n.drive(id, () -> { });
            OptimisticBatchMarket.State os = opt.state(id);
            assertEquals(validator, os.validator(), "drawn to audit");
            assertEquals(5, os.auditState(), "the audit is Disputed: the validator challenged its item");
            OptimisticBatchMarket.Dispute d = opt.dispute(id, 0);
            assertEquals(validator, d.challenger());
            assertEquals(6, d.stage(), "settled");
            GameView g = DisputeGameClient.at(n.web3, new OptimisticTasks(n.requester).terms().disputeGame(), n.requester.sender(), 0)
                    .game(d.gameId());
            assertFalse(g.claimerWon(), "the liar lost the item's game");
            assertEquals(List.of(0), n.nodes[1].optimisticBatches().row(id).orElseThrow().challenged());
            BigInteger claimBond = new OptimisticTasks(n.requester).terms().claimBond();
            assertEquals(liarBonded.subtract(claimBond), n.deployer.stakeOf(liar).bonded(), "the liar is slashed its claim bond");
            assertEquals(validatorBonded, n.deployer.stakeOf(validator).bonded(), "the validator that disputed is not slashed");
            var it = n.nodes[0].batchClaim(id).orElseThrow().claim().items().getFirst();
            assertFalse(new BatchMarket(n.requester).verifyResult(id, 0, 1, it.resultHash(), it.traceRoot(), new BatchTree.Proof(0, 1, List.of())),
                    "the overturned item is not proven");
        }
    }

    /**
     * A worker that serves no claim over HTTP (no feedPort) is asked for the audited item's data on-chain by the drawn
     * validator (requestItemData, docs/DESIGN.md 6.4), and the honest worker node answers it on-chain (answerItemData):
     * the item's leaf and shape are then in the ItemDataAnswered log, and the worker is not slashed. What is not built:
     * the validator reading the answer back into its audit, so it is still slashed as silent at the finalize.
     */
    @Test
    @EnabledIfSystemProperty(named = "optimistic.e2e", matches = "true")
    void aWorkerThatServesNoClaimAnswersTheValidatorsDataRequestOnChain() throws Exception {
        try (Net n = new Net("withhold", Dishonesty.HONEST, NodeRole.VALIDATOR, true)) {
            BatchMarket.SubmittedBatch b = n.submitForNode0(10_000);
            BigInteger id = b.batchId();
            long validator = n.nodes[1].agentId();
            long worker = n.nodes[0].agentId();
            BigInteger bonded = n.deployer.stakeOf(validator).bonded();
            BigInteger workerBonded = n.deployer.stakeOf(worker).bonded();
            n.drive(id, () -> { });
            assertTrue(n.nodes[1].optimisticBatches().claimOf(id).isEmpty(), "the validator never got the claim over HTTP");
            OptimisticBatchMarket opt = new OptimisticBatchMarket(n.requester);
            int audited = opt.auditDraw(id, 1).index();
            assertEquals(List.of(audited), opt.requestedItems(id), "the validator asked for its audited item's data");
            assertEquals(OptimisticBatchMarket.DATA_ANSWERED, opt.dataRequest(id, audited).stage(), "the worker answered on-chain");
            var answered = opt.answeredItem(id, audited).orElseThrow();
            var claimed = n.nodes[0].batchClaim(id).orElseThrow().claim().items().get(audited);
            assertArrayEquals(claimed.resultHash(), answered.claim().resultHash(), "the answer is the worker's claimed leaf");
            assertEquals(BatchMarket.BatchState.ACCEPTED, new BatchMarket(n.requester).state(id).status(), "the claim stands");
            assertTrue(n.deployer.stakeOf(worker).bonded().compareTo(workerBonded) >= 0, "the answering worker is not slashed");
            BigInteger slash = new OptimisticTasks(n.requester).terms().auditSlash();
            assertEquals(bonded.subtract(slash), n.deployer.stakeOf(validator).bonded(), "not built: an audit from the answer");
        }
    }

    /**
     * Several challenges in one batch: a worker whose every item is one step wrong ({@link Dishonesty#ONE_STEP_WRONG}) is
     * challenged on each item, each proof taken in the live tree with the items challenged before it struck; every game
     * is lost, every item refunded, and no item is proven.
     */
    @Test
    @EnabledIfSystemProperty(named = "optimistic.e2e", matches = "true")
    void aWorkerWrongOnEveryItemIsChallengedOnEachInTheLiveTreeAndLosesEveryGame() throws Exception {
        try (Net n = new Net("every", Dishonesty.ONE_STEP_WRONG)) {
            BatchMarket.SubmittedBatch b = n.submitForNode0(100);
            BigInteger id = b.batchId();
            OptimisticBatchMarket opt = new OptimisticBatchMarket(n.requester);
            BigInteger refundsBefore = n.requester.pendingWithdrawal(n.requester.address());
            n.drive(id, () -> { });
            assertEquals(List.of(0, 1, 2, 3), n.nodes[1].optimisticBatches().row(id).orElseThrow().challenged().stream().sorted().toList());
            for (int i = 0; i < ITEMS; i++) {
                OptimisticBatchMarket.Dispute d = opt.dispute(id, i);
                assertEquals(6, d.stage(), "item " + i + " settled");
                GameView g = DisputeGameClient.at(n.web3, new OptimisticTasks(n.requester).terms().disputeGame(), n.requester.sender(), 0)
                        .game(d.gameId());
                assertFalse(g.claimerWon(), "item " + i + "'s game lost");
            }
            assertEquals(refundsBefore.add(ITEM_FEE.multiply(BigInteger.valueOf(ITEMS))), n.requester.pendingWithdrawal(n.requester.address()),
                    "every item's fee refunded");
            BatchMarket market = new BatchMarket(n.requester);
            for (int i = 0; i < ITEMS; i++) assertFalse(provenFromTheWorkersFace(n, id, i, market), "item " + i + " is not proven");
        }
    }
}
