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
        subcommands = {ReceiptCommand.Show.class, ReceiptCommand.Verify.class})
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
                    "Exit code 0 when every check passes, 1 when any fails."})
    static final class Verify implements Callable<Integer> {
        @Mixin CommonOptions common;
        @Mixin NetworkOptions network;
        @Parameters(paramLabel = "TASK_ID") BigInteger taskId;

        @Override
        public Integer call() throws Exception {
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
}
