package dev.ledgermind.cli;

import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.network.LocalNetwork;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskOutput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import dev.ledgermind.node.task.TaskRunners;
import dev.ledgermind.node.worker.Dishonesty;
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
import java.util.concurrent.Callable;

/**
 * {@code ledgermind demo}: the README's main command. A local network with four nodes (one dishonest),
 * real tasks on a real model, consensus and slashing on a real chain, receipts, then a clean shutdown.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = {"Run the whole system once on this machine, then stop everything.",
                "A local chain, the contracts, 4 nodes (one of them dishonest), verified classification and",
                "similarity tasks, consensus and slashing, receipts checked against the chain."})
final class DemoCommand implements Callable<Integer> {
    private static final String MODEL = "all-minilm-l6-v2";
    private static final BigInteger FEE = BigInteger.TEN.pow(16); // 0.01 ETH

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
        TaskRunner runner = TaskRunners.defaultModels();
        say("2. Starting a local network: an anvil chain, the contracts, and 4 worker nodes as separate processes.");
        say("   node-3 is dishonest on purpose: it reports a slightly perturbed result. The network must catch it.");
        LocalNetwork.Options options = LocalNetwork.Options.defaults(dir.resolve("network"))
                .withDishonest(3, Dishonesty.WRONG_RESULT);
        try (LocalNetwork net = LocalNetwork.start(options, List.of(MODEL), runner, line -> say("   " + line))) {
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
            say("");
            say("7. Shutting down: stopping the 4 node processes and the chain by their PIDs...");
            if (shown == null || !same || stakeAfter.compareTo(stakeBefore) >= 0) {
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
