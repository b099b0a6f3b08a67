package dev.ledgermind.cli;

import dev.ledgermind.chain.TaskResult;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.Requester;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskRunners;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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

    static String modelName(Map<String, Integer> models, int id) {
        return models.entrySet().stream().filter(e -> e.getValue() == id).map(Map.Entry::getKey).findFirst().orElse(null);
    }

    @Command(name = "show", mixinStandardHelpOptions = true, description = "Print a task's receipt, built from the chain's events.")
    static final class Show implements Callable<Integer> {
        @Mixin CommonOptions common;
        @Mixin NetworkOptions network;
        @Parameters(paramLabel = "TASK_ID") BigInteger taskId;

        @Override
        public Integer call() throws Exception {
            try (NetworkOptions.Connection c = network.connect()) {
                Requester requester = new Requester(c.contracts());
                Receipt r = requester.receipt(taskId);
                String model = modelName(c.models(), r.modelId());
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
            try (NetworkOptions.Connection c = network.connect()) {
                Requester requester = new Requester(c.contracts());
                Receipt r = requester.receipt(taskId);
                byte[] inputBytes = requester.input(taskId);
                TaskResult stored = c.contracts().result(taskId);
                List<Map<String, Object>> checks = new ArrayList<>();
                check(checks, "task is final and accepted", r.accepted(), r.accepted() ? "accepted" : "not accepted");
                check(checks, "input hash matches the inline input",
                        Numeric.toHexString(Hash.sha3(inputBytes)).equals(r.inputHash()), r.inputHash());
                check(checks, "contract storage holds the receipt's result",
                        stored.accepted() && Numeric.toHexString(stored.resultHash()).equals(r.resultHash())
                                && Numeric.toHexString(stored.traceRoot()).equals(r.traceRoot()),
                        Numeric.toHexString(stored.resultHash()));
                if (r.output().length > 0) {
                    check(checks, "revealed output hashes to the result hash",
                            Numeric.toHexString(Hash.sha3(r.output())).equals(r.resultHash()), Numeric.toHexString(Hash.sha3(r.output())));
                }
                String model = modelName(c.models(), r.modelId());
                TaskInput input = TaskInput.parse(inputBytes);
                String modelToRun = c.sourceOf(model != null ? model : input.model());
                common.progress("recomputing task " + taskId + " locally with " + modelToRun + "...");
                var local = TaskRunners.forModels(List.of(modelToRun)).run(input);
                check(checks, "local recomputation gives the same result hash",
                        Numeric.toHexString(local.resultHash()).equals(r.resultHash()), Numeric.toHexString(local.resultHash()));
                check(checks, "local recomputation gives the same trace root",
                        Numeric.toHexString(local.traceRoot()).equals(r.traceRoot()), Numeric.toHexString(local.traceRoot()));
                boolean ok = checks.stream().allMatch(m -> (Boolean) m.get("ok"));
                if (common.json()) {
                    Map<String, Object> doc = new LinkedHashMap<>();
                    doc.put("taskId", taskId);
                    doc.put("verified", ok);
                    doc.put("checks", checks);
                    common.printJson(doc);
                } else {
                    for (var m : checks) System.out.println(((Boolean) m.get("ok") ? "  ok    " : "  FAIL  ") + m.get("check") + "  (" + m.get("value") + ")");
                    System.out.println(ok ? "Receipt of task " + taskId + " verified." : "Receipt of task " + taskId + " did NOT verify.");
                }
                return ok ? 0 : 1;
            }
        }

        private static void check(List<Map<String, Object>> checks, String what, boolean ok, String value) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("check", what);
            m.put("ok", ok);
            m.put("value", value);
            checks.add(m);
        }
    }
}
