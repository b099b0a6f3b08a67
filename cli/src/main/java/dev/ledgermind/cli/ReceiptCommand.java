package dev.ledgermind.cli;

import dev.ledgermind.chain.events.RegisteredModel;
import dev.ledgermind.node.client.NetworkConnection;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.ReceiptDocument;
import dev.ledgermind.node.client.ReceiptVerification;
import dev.ledgermind.node.client.ReceiptVerifier;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskRunners;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.math.BigInteger;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code ledgermind receipt show|verify TASK_ID}. */
@Command(name = "receipt", mixinStandardHelpOptions = true, description = "Show or independently verify a task's receipt.",
        subcommands = {ReceiptCommand.Show.class, ReceiptCommand.Verify.class, ReceiptCommand.BatchItem.class})
final class ReceiptCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    /** The model's name as the ModelRegistry records it, or null. */
    static String modelName(Requester requester, int id) {
        return requester.models().byId(id).map(RegisteredModel::name).orElse(null);
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print a task's receipt, built from the chain's events.")
    static final class Show implements Callable<Integer> {
        @Mixin CommonOptions common;
        @Mixin NetworkOptions network;
        @Parameters(paramLabel = "TASK_ID") BigInteger taskId;

        @Override
        public Integer call() throws Exception {
            try (NetworkConnection c = network.connect()) {
                Requester requester = c.requester();
                Receipt r = requester.receipt(taskId);
                String model = modelName(requester, r.modelId());
                TaskInput input = TaskInput.parse(requester.input(taskId));
                if (common.json()) common.printJson(ReceiptView.json(r, model, input));
                else ReceiptView.print(System.out, r, model);
                return 0;
            }
        }
    }

    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = {"Check a receipt against the chain and recompute the answer locally with the deterministic engine.",
                    "Exit code 0 when every check passes, 1 when any fails.",
                    "With --batch-item FILE: a batch item's receipt (from `receipt batch-item`): its Merkle proof is checked",
                    "against the chain (verifyResult) and the item recomputed from the batch's on-chain input, or, for a",
                    "root-only batch, from its items fetched at the batch's locator and checked against its request root."})
    static final class Verify implements Callable<Integer> {
        @Mixin CommonOptions common;
        @Mixin NetworkOptions network;
        @Parameters(paramLabel = "TASK_ID", arity = "0..1") BigInteger taskId;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        // ---- batches (issue 13)
        @picocli.CommandLine.Option(names = "--batch-item", paramLabel = "FILE",
                description = "Verify a batch item's receipt (JSON) instead of a task's.")
        java.nio.file.Path batchItem;
        // ---- end of batches

        @Override
        public Integer call() throws Exception {
            // ---- batches (issue 13)
            if (batchItem != null) {
                if (taskId != null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "give TASK_ID or --batch-item, not both");
                dev.ledgermind.node.client.BatchItemReceipt receipt = dev.ledgermind.node.client.BatchItemReceipt.parse(
                        java.nio.file.Files.readString(batchItem));
                try (NetworkConnection c = network.connect()) {
                    // a root-only batch's items are fetched from its locator as the workers fetch them: from
                    // private addresses only when the chain itself is reached on one (a devnet)
                    boolean privateNet = dev.ledgermind.node.client.TokenFeedClient.isPrivateNetworkUrl(c.rpcUrl());
                    var verifier = new dev.ledgermind.node.client.BatchItemReceiptVerifier(
                            new dev.ledgermind.chain.batch.BatchMarket(c.requester().chain()),
                            model -> TaskRunners.forModels(List.of(c.sourceOf(model))),
                            new dev.ledgermind.chain.events.BatchItemsLocator(c.requester().chain()),
                            new dev.ledgermind.node.batch.OffchainItems(dev.ledgermind.node.batch.OffchainItems.Limits.defaults(privateNet)));
                    ReceiptVerification v = verifier.verify(receipt, common::progress);
                    String what = "item " + receipt.item().index() + " of batch " + receipt.item().batchId();
                    if (common.json()) {
                        common.printJson(ReceiptDocument.of(v));
                    } else {
                        for (var m : v.checks()) System.out.println((m.ok() ? "  ok    " : "  FAIL  ") + m.check() + "  (" + m.value() + ")");
                        System.out.println(v.verified() ? "Receipt of " + what + " verified." : "Receipt of " + what + " did NOT verify.");
                    }
                    return v.verified() ? 0 : 1;
                }
            }
            if (taskId == null) throw new picocli.CommandLine.ParameterException(spec.commandLine(), "missing TASK_ID (or --batch-item FILE)");
            // ---- end of batches
            try (NetworkConnection c = network.connect()) {
                ReceiptVerifier verifier = new ReceiptVerifier(c.requester(),
                        model -> TaskRunners.forModels(List.of(c.sourceOf(model))));
                ReceiptVerification v = verifier.verify(taskId, common::progress);
                if (common.json()) {
                    common.printJson(ReceiptDocument.of(v));
                } else {
                    for (var m : v.checks()) System.out.println((m.ok() ? "  ok    " : "  FAIL  ") + m.check() + "  (" + m.value() + ")");
                    System.out.println(v.verified() ? "Receipt of task " + taskId + " verified." : "Receipt of task " + taskId + " did NOT verify.");
                }
                return v.verified() ? 0 : 1;
            }
        }
    }

    // ---- batches (issue 13): a batch item's receipt, from the node store of a worker that computed the batch
    @Command(name = "batch-item", mixinStandardHelpOptions = true,
            description = {"Print the receipt (JSON) of one item of a batch, from a worker's node store: its result, output",
                    "and Merkle proof under the batch's results root. Check it with `receipt verify --batch-item FILE`."})
    static final class BatchItem implements Callable<Integer> {
        @picocli.CommandLine.Option(names = "--store", required = true, paramLabel = "FILE", description = "The worker's node store (its config's \"store\").")
        java.nio.file.Path store;
        @picocli.CommandLine.Option(names = "--batch", required = true, paramLabel = "ID") BigInteger batchId;
        @picocli.CommandLine.Option(names = "--index", required = true, paramLabel = "I") int index;

        @Override
        public Integer call() throws Exception {
            if (!java.nio.file.Files.isRegularFile(store)) throw new IllegalArgumentException("--store " + store + ": no such file");
            try (var s = dev.ledgermind.node.store.NodeStore.open(store)) {
                String json = s.get("batch." + batchId).orElseThrow(() -> new IllegalArgumentException(
                        "the node store " + store + " holds no batch " + batchId));
                var rec = new com.fasterxml.jackson.databind.ObjectMapper().readValue(json, dev.ledgermind.node.batch.BatchWorker.BatchRecord.class);
                System.out.println(rec.itemReceipt(index).toJson());
                return 0;
            }
        }
    }
    // ---- end of batches
}
