package dev.ledgermind.cli;

import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.OptimisticParams;
import dev.ledgermind.chain.OptimisticTasks;
import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.chain.TaskRequest;
import dev.ledgermind.chain.game.GameReport;
import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.llama.SyntheticModel;
import dev.ledgermind.node.client.GameWords;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.network.LocalNetwork;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskOutput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import dev.ledgermind.node.task.TaskRunners;
import dev.ledgermind.node.worker.Dishonesty;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

/**
 * {@code ledgermind demo}: the README's main command. A local network with four nodes (one dishonest),
 * real tasks on a real model, consensus and slashing on a real chain, receipts; then the optimistic mode: one
 * worker's claim with one wrong step, overturned by a watching node through the dispute game; then a batch of requests
 * settled under one Merkle root, one answer proven on chain; then a clean shutdown.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the whole system once on this machine, then stop everything.",
                "A local chain, the contracts, 4 nodes (one of them dishonest), verified classification and",
                "similarity tasks, consensus and slashing, receipts checked against the chain; then one optimistic",
                "task whose worker lied in one step, overturned by a watching node through the dispute game; then",
                "32 requests in one batch, settled under one Merkle root, one answer proven by the chain."})
final class DemoCommand implements Callable<Integer> {
    private static final String MODEL = "all-minilm-l6-v2";
    private static final BigInteger FEE = BigInteger.TEN.pow(16); // 0.01 ETH
    /** The optimistic part's decoder: a tiny llama-shaped GGUF with random weights, written for the demo. */
    private static final String DECODER = "synthetic-llama";
    private static final long WINDOW = 20, GAME_CLOCK = 120;
    private static final int BATCH = 32;

    @Mixin
    CommonOptions common;

    @Option(names = "--keep", description = "Keep the demo's working directory (node logs, stores) afterwards.")
    boolean keep;

    @Override
    public Integer call() throws Exception {
        long started = System.nanoTime();
        Map<String, Object> doc = new LinkedHashMap<>();
        Path dir = Files.createTempDirectory("ledgermind-demo-");
        say("Ledgermind demo: AI answers computed off-chain by independent nodes, verified on-chain.");
        say("");
        say("1. Loading " + MODEL + " on the deterministic engine, to register it by content hash...");
        say("   and writing " + DECODER + ", a tiny Llama-shaped decoder with random weights (Q8_0) for the optimistic part.");
        Path gguf = dir.resolve(DECODER + ".gguf");
        SyntheticModel.write(gguf, "llama3", SyntheticModel.TINY, GgmlType.Q8_0, 13);
        List<String> models = List.of(MODEL, gguf.toString());
        TaskRunner runner = TaskRunners.forModels(models);
        say("2. Starting a local network: an anvil chain, the contracts, and 4 worker nodes as separate processes.");
        say("   node-3 is dishonest on purpose: it reports a slightly perturbed result. The network must catch it.");
        say("   node-1 also watches every optimistic claim (it replays it and challenges a wrong one).");
        LocalNetwork.Options options = LocalNetwork.Options.defaults(dir.resolve("network"))
                .withDishonest(3, Dishonesty.WRONG_RESULT).withValidators(Set.of(1))
                .withOptimistic(OptimisticParams.defaults().withWindow(WINDOW).withGameClock(GAME_CLOCK));
        try (LocalNetwork net = LocalNetwork.start(options, models, runner, line -> say("   " + line))) {
            int modelId = net.modelId(MODEL);
            Requester requester = new Requester(net.requester());
            long dishonestAgent = net.nodes().get(3).agentId();
            BigInteger stakeBefore = net.deployer().stakeOf(dishonestAgent).bonded();

            say("");
            say("3. Classifying short texts. Each task has k=3 seats drawn by stake; the nodes commit hashes first,");
            say("   then reveal, so no node can copy another. The chain accepts the majority's result.");
            List<String> labels = List.of("complaint", "praise", "question");
            List<String> texts = List.of(
                    "My order arrived broken and nobody answers my emails.",
                    "Thank you, the support team was quick and friendly!",
                    "What time does the store open on Sunday?");
            List<SubmittedTask> tasks = new ArrayList<>();
            List<TaskInput> inputs = new ArrayList<>();
            for (String text : texts) {
                TaskInput in = TaskInput.classify(MODEL, text, labels);
                inputs.add(in);
                tasks.add(requester.submit(in, modelId, 3, FEE));
            }
            List<Map<String, Object>> results = new ArrayList<>();
            Receipt shown = null;
            for (int i = 0; i < tasks.size(); i++) {
                Receipt r = requester.await(tasks.get(i).taskId(), Duration.ofMinutes(2), this::progress);
                Map<String, Object> answer = TaskOutput.describe(inputs.get(i), r.output());
                say("   task " + r.taskId() + "  \"" + texts.get(i) + "\"");
                say("           -> " + answer.get("label") + "   (" + verdicts(r) + ")");
                results.add(Map.of("taskId", r.taskId(), "text", texts.get(i), "answer", answer, "accepted", r.accepted()));
                shown = r;
            }

            say("");
            say("4. Comparing two sentences with k=4 seats. Seats are drawn by stake with replacement, so the demo");
            say("   submits until node-3 holds one seat (with two it would block the quorum of 3).");
            TaskInput sim = TaskInput.similarity(MODEL, "A cat is sleeping on the sofa.", "A kitten naps on the couch.");
            SubmittedTask simTask = requester.submit(sim, modelId, 4, FEE);
            for (int attempt = 1; simTask.nodes().stream().filter(a -> a == dishonestAgent).count() != 1 && attempt < 40; attempt++) {
                simTask = requester.submit(sim, modelId, 4, FEE);
            }
            Receipt simReceipt = requester.await(simTask.taskId(), Duration.ofMinutes(2), this::progress);
            say("   task " + simReceipt.taskId() + "  cosine similarity = " + TaskOutput.describe(sim, simReceipt.output()).get("cosine")
                    + "   (" + verdicts(simReceipt) + ")");
            BigInteger stakeAfter = net.deployer().stakeOf(dishonestAgent).bonded();
            say("   node-3 (agent " + dishonestAgent + ") stake: " + ReceiptView.eth(stakeBefore) + " -> " + ReceiptView.eth(stakeAfter)
                    + (stakeAfter.compareTo(stakeBefore) < 0 ? "   <- slashed 0.1 ETH for each wrong result it revealed" : ""));
            results.add(Map.of("taskId", simReceipt.taskId(), "answer", TaskOutput.describe(sim, simReceipt.output()),
                    "accepted", simReceipt.accepted()));

            say("");
            say("5. The receipt of task " + simReceipt.taskId() + ", built from the chain's own events:");
            if (!common.json()) ReceiptView.print(System.out, simReceipt, MODEL);

            say("");
            say("6. Verifying it independently: recomputing the answer locally on the deterministic engine...");
            TaskResult local = runner.run(sim);
            boolean same = Numeric.toHexString(local.resultHash()).equals(simReceipt.resultHash())
                    && Numeric.toHexString(local.traceRoot()).equals(simReceipt.traceRoot());
            say("   local result hash " + Numeric.toHexString(local.resultHash()) + (same ? "  == on-chain result: verified" : "  != on-chain result!"));

            doc.put("tasks", results);
            doc.put("receipt", ReceiptView.json(simReceipt, MODEL, sim));
            doc.put("dishonestAgent", dishonestAgent);
            doc.put("dishonestStakeBeforeWei", stakeBefore.toString());
            doc.put("dishonestStakeAfterWei", stakeAfter.toString());
            doc.put("locallyVerified", same);

            boolean overturned = optimistic(net, doc);
            boolean batched = batch(net, runner, labels, doc);
            say("");
            say("9. Shutting down: stopping the 4 node processes and the chain by their PIDs...");
            if (shown == null || !same || stakeAfter.compareTo(stakeBefore) >= 0 || !overturned || !batched) {
                doc.put("ok", false);
            }
        } finally {
            if (!keep) deleteTree(dir);
            else say("   node logs and stores kept in " + dir);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        doc.putIfAbsent("ok", true);
        doc.put("seconds", seconds);
        if (common.json()) common.printJson(doc);
        else say(String.format("Done in %.0f s: everything is stopped.", seconds));
        return Boolean.TRUE.equals(doc.get("ok")) ? 0 : 1;
    }

    /**
     * Step 7: node-3 restarts as a worker whose claims are wrong in exactly one step (one element of one op in one
     * layer at one position, everything after it computed honestly from it); an optimistic task drawn to it is
     * challenged by the watcher node-1, which beats it in the dispute game down to one chunk of arithmetic that the
     * contract re-executes. Returns whether the claim was overturned and node-3 lost its bond.
     */
    private boolean optimistic(LocalNetwork net, Map<String, Object> doc) throws Exception {
        say("");
        say("7. The optimistic mode: one drawn worker computes, and anyone staked may challenge within " + WINDOW + " s.");
        say("   node-3 restarts as a worker that changes ONE number deep in its computation (one element of one layer's");
        say("   output at one position) and computes everything after it honestly, so only one step of its trace is wrong.");
        LocalNetwork.Node liar = net.restartAs(3, Dishonesty.ONE_STEP_WRONG);
        LedgermindContracts asRequester = net.requester();
        OptimisticTasks mode = new OptimisticTasks(asRequester);
        Requester requester = new Requester(asRequester);
        TaskInput in = TaskInput.generate(DECODER, "Once upon a time", 4, 0f, 7);
        byte[] bytes = in.bytes();
        TaskRequest request = new TaskRequest(net.modelId(DECODER), Hash.sha3(bytes), bytes, in.seed(), 0, in.maxTokens(),
                in.kind().code, 1, FEE, false);
        OptimisticTasks.Submitted task = null;
        // the worker is drawn by stake; the demo submits until node-3 is drawn (the other draws are honest tasks)
        for (int attempt = 0; attempt < 40 && task == null; attempt++) {
            OptimisticTasks.Submitted t = mode.submit(request, 0, 0);
            if (t.worker() == liar.agentId()) task = t;
        }
        if (task == null) {
            say("   node-3 was not drawn in 40 submissions; skipping the challenge part");
            return false;
        }
        BigInteger before = net.deployer().stakeOf(liar.agentId()).bonded();
        say("   task " + task.taskId() + " went to node-3 (agent " + liar.agentId() + "); waiting for its claim, the challenge and the game...");
        Receipt r = requester.awaitOptimistic(task.taskId(), java.time.Duration.ofMinutes(5), this::progress);
        BigInteger after = net.deployer().stakeOf(liar.agentId()).bonded();
        GameReport game = r.games().isEmpty() ? null : r.games().getFirst();
        boolean overturned = !r.accepted() && game != null && game.ended() && !game.claimerWins() && after.compareTo(before) < 0;
        if (game != null) {
            say("   dispute game " + game.gameId() + ": " + (game.claimerWins() ? "the claim stood" : "the claim was overturned"));
            say("     " + GameWords.summary(game));
        }
        say("   node-3 (agent " + liar.agentId() + ") stake: " + ReceiptView.eth(before) + " -> " + ReceiptView.eth(after)
                + (after.compareTo(before) < 0 ? "   <- its claim bond went to the challenger and the treasury" : ""));
        say("   the requester's fee came back: " + ReceiptView.eth(r.refundWei()));
        say("");
        say("   The receipt of task " + r.taskId() + ":");
        if (!common.json()) ReceiptView.print(System.out, r, DECODER);
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("receipt", ReceiptView.json(r, DECODER, in));
        o.put("liarAgent", liar.agentId());
        o.put("liarStakeBeforeWei", before.toString());
        o.put("liarStakeAfterWei", after.toString());
        o.put("overturned", overturned);
        doc.put("optimistic", o);
        return overturned;
    }

    /**
     * Step 8: many requests in one batch: one submission, one commit and one reveal per seat for all of them, one
     * Merkle root; every answer fetched from a seat and checked against the accepted root, and one item's proof checked
     * by the chain's verifyResult and its answer recomputed here. Returns whether all of that held.
     */
    private boolean batch(LocalNetwork net, TaskRunner runner, List<String> labels, Map<String, Object> doc) throws Exception {
        say("");
        say("8. Batching: " + BATCH + " classify requests in ONE transaction. Each seat computes them all and commits one Merkle");
        say("   root; the chain settles the batch once, and any single answer is proven with its Merkle proof.");
        String[] texts = {"My order arrived broken and nobody answers my emails.",
                "Thank you, the support team was quick and friendly!",
                "What time does the store open on Sunday?",
                "The package was damaged and the refund never came.",
                "Great product, I love it, thanks a lot!",
                "What time does the shop close on Saturday?",
                "Terrible service, I waited two weeks for nothing.",
                "Wonderful experience, the staff were so kind."};
        List<TaskInput> inputs = new ArrayList<>();
        // 32 requests of 8 texts (each a request of its own; MiniLM's zero-shot labels shift with extra words, so no suffix)
        for (int i = 0; i < BATCH; i++) inputs.add(TaskInput.classify(MODEL, texts[i % texts.length], labels));
        var answers = new dev.ledgermind.node.client.BatchAnswers(net.requester(), Duration.ofSeconds(3), true);
        int modelId = net.modelId(MODEL);
        List<BigInteger> fees = inputs.stream().map(in -> answers.itemFee(modelId, in, BigInteger.TEN.pow(13))).toList();
        var a = answers.ask(modelId, 3, inputs, fees, Duration.ofMinutes(3), this::progress);
        long gas = a.batch().receipt().getGasUsed().longValueExact();
        say("   batch " + a.batch().batchId() + ": " + (a.accepted() ? "accepted" : "refunded") + ", seats " + a.batch().seats()
                + "; the submission took " + gas + " gas (" + gas / BATCH + " a request; docs/gas.md counts every transaction)");
        if (!a.accepted()) return false;
        for (int i = 0; i < 3; i++) {
            say("   [" + i + "] \"" + inputs.get(i).texts().getFirst() + "\" -> "
                    + TaskOutput.describe(inputs.get(i), a.receipts().get(i).output()).get("label"));
        }
        say("   ... all " + BATCH + " answers from agent " + a.servedBy() + ", each checked against the root the chain accepted.");
        int shown = 5;
        var item = a.receipts().get(shown);
        boolean proven = new dev.ledgermind.chain.batch.BatchMarket(net.requester()).verify(item.item());
        TaskResult local = runner.run(inputs.get(shown));
        boolean same = java.util.Arrays.equals(local.resultHash(), item.item().resultHash());
        say("   item " + shown + ": verifyResult(batch " + a.batch().batchId() + ", item " + shown + ", " + item.item().proof().size()
                + "-hash proof) on chain -> " + proven + "; recomputed here -> " + (same ? "the same result hash" : "a different result!"));
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("batchId", a.batch().batchId().toString());
        b.put("items", BATCH);
        b.put("submissionGas", gas);
        b.put("accepted", a.accepted());
        b.put("itemProvenOnChain", proven);
        b.put("itemRecomputed", same);
        doc.put("batch", b);
        return proven && same;
    }

    private static String verdicts(Receipt r) {
        long agreed = r.nodes().stream().filter(n -> n.verdict().equals("agreed")).count();
        StringBuilder s = new StringBuilder(r.accepted() ? "accepted, " + agreed + "/" + r.k() + " nodes agreed" : "refunded");
        r.nodes().stream().filter(n -> !n.verdict().equals("agreed"))
                .forEach(n -> s.append(", agent ").append(n.agentId()).append(' ').append(n.verdict()));
        return s.toString();
    }

    private void say(String line) {
        if (!common.json()) System.out.println(line);
    }

    private void progress(String line) {
        common.progress("   " + line);
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception ignored) {
            // a temp dir left behind is harmless
        }
    }
}
