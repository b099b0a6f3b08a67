package dev.ledgermind.cli;

import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.NetworkConnection;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskOutput;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ledgermind ask}: submit a task to the network, wait for consensus, print the answer and receipt. */
@Command(name = "ask", mixinStandardHelpOptions = true,
        description = {"Ask the network: submit a task, wait until it is settled on chain, print the verified answer and its receipt.",
                "KIND is classify (TEXT --labels A,B,...), similarity (TEXT_A TEXT_B), embed (TEXT...) or generate (--prompt P).",
                "With --batch FILE, every line of FILE is one task (classify, embed: a text; similarity: two texts separated by a tab;",
                "generate: a prompt), all submitted as one batch in one transaction and settled under one Merkle root; each answer",
                "comes from a seat that computed it, checked against the root the chain accepted."})
final class AskCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    NetworkOptions network;

    @Parameters(index = "0", paramLabel = "KIND", description = "classify, similarity, embed or generate")
    String kind;

    @Parameters(index = "1..*", paramLabel = "TEXT", arity = "0..*", description = "The text(s).")
    List<String> texts = List.of();

    @Option(names = "--labels", split = ",", description = "classify: the candidate labels, comma-separated.")
    List<String> labels = List.of();

    @Option(names = "--prompt", description = "generate: the prompt.")
    String prompt;

    @Option(names = "--max-tokens", defaultValue = "32", description = "generate: token limit (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0", description = "generate: temperature (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--seed", defaultValue = "42", description = "generate: sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--model", defaultValue = "all-minilm-l6-v2", description = "Model name (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = {"-k", "--redundancy"}, defaultValue = "3", description = "Independent nodes that compute it (default: ${DEFAULT-VALUE}).")
    int k;

    @Option(names = "--fee-wei", defaultValue = "10000000000000000", description = "Fee held in escrow (default: 0.01 ETH).")
    BigInteger fee;

    @Option(names = "--mode", defaultValue = "replicated",
            description = "replicated (k nodes, commit-reveal) or optimistic (one worker, audits, a challenge window) (default: ${DEFAULT-VALUE}).")
    String mode;

    @Option(names = "--window", defaultValue = "0", description = "optimistic: the challenge window in seconds (0: the network's default).")
    long window;

    @Option(names = "--audit-bps", defaultValue = "0",
            description = "optimistic: the audit rate in basis points, at least the network's floor (0: its default).")
    int auditBps;

    @Option(names = "--timeout", defaultValue = "180", description = "Seconds to wait for finality (default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    // ---- batches (issue 13)
    @Option(names = "--batch", paramLabel = "FILE",
            description = "Submit every line of FILE as one task of a single batch (one transaction, one root; replicated mode).")
    Path batch;

    @Option(names = "--item-fee-wei", defaultValue = "0",
            description = "--batch: each item's fee (0: the model's least for the item, and at least 10^13 wei).")
    BigInteger itemFee;

    @Option(names = "--receipts", paramLabel = "DIR",
            description = "--batch: write each item's receipt to DIR/item-N.json (check one with `receipt verify --batch-item`).")
    Path receiptsDir;
    // ---- end of batches

    @Override
    public Integer call() throws Exception {
        if (batch != null) return askBatch();
        TaskInput input = switch (kind) {
            case "classify" -> {
                if (texts.size() != 1) throw new IllegalArgumentException("classify takes exactly one TEXT, got " + texts.size());
                yield TaskInput.classify(model, texts.getFirst(), labels);
            }
            case "similarity" -> {
                if (texts.size() != 2) throw new IllegalArgumentException("similarity takes two TEXTs, got " + texts.size());
                yield TaskInput.similarity(model, texts.get(0), texts.get(1));
            }
            case "embed" -> TaskInput.embed(model, texts);
            case "generate" -> TaskInput.generate(model, prompt, maxTokens, temperature, seed);
            default -> throw new IllegalArgumentException("unknown KIND '" + kind + "'; expected classify, similarity, embed or generate");
        };
        try (NetworkConnection c = network.connect()) {
            Receipt receipt = switch (mode.toLowerCase()) {
                case "replicated" -> c.requester().ask(input, k, fee, Duration.ofSeconds(timeoutSeconds), common::progress);
                case "optimistic" -> c.requester().askOptimistic(input, fee, window, auditBps, Duration.ofSeconds(timeoutSeconds),
                        common::progress);
                default -> throw new IllegalArgumentException("unknown --mode '" + mode + "'; expected replicated or optimistic");
            };
            Map<String, Object> answer = TaskOutput.describe(input, receipt.output());
            String text = generatedText(answer, c.sourceOf(model));
            if (common.json()) {
                Map<String, Object> doc = ReceiptView.json(receipt, model, input);
                if (text != null) doc.put("text", text);
                common.printJson(doc);
            } else {
                if (text != null) System.out.println("Answer: " + text);
                System.out.println((text != null ? "Tokens: " : "Answer: ") + answer);
                ReceiptView.print(System.out, receipt, model);
            }
            return receipt.accepted() ? 0 : 1;
        }
    }

    // ---- batches (issue 13)
    /** The tasks of a batch file, one a line (blank lines skipped); errors name the line. */
    private List<TaskInput> batchInputs() throws java.io.IOException {
        if (!Files.isRegularFile(batch)) throw new IllegalArgumentException("--batch " + batch + " is not a readable file");
        List<String> lines = Files.readAllLines(batch);
        List<TaskInput> out = new java.util.ArrayList<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (line.isEmpty()) continue;
            String at = batch + ":" + (n + 1);
            out.add(switch (kind) {
                case "classify" -> {
                    if (labels.isEmpty()) throw new IllegalArgumentException("classify needs --labels");
                    yield TaskInput.classify(model, line, labels);
                }
                case "embed" -> TaskInput.embed(model, List.of(line));
                case "similarity" -> {
                    String[] ab = lines.get(n).split("\t");
                    if (ab.length != 2) throw new IllegalArgumentException(at + ": a similarity line is two texts separated by one tab, got "
                            + ab.length + " field(s)");
                    yield TaskInput.similarity(model, ab[0].strip(), ab[1].strip());
                }
                case "generate" -> TaskInput.generate(model, line, maxTokens, temperature, seed);
                default -> throw new IllegalArgumentException("unknown KIND '" + kind + "'; expected classify, similarity, embed or generate");
            });
        }
        if (out.isEmpty()) throw new IllegalArgumentException("--batch " + batch + " holds no task (every line is blank)");
        if (out.size() > 4096) throw new IllegalArgumentException("--batch " + batch + " holds " + out.size() + " tasks; a batch takes at most 4,096");
        return out;
    }

    private int askBatch() throws Exception {
        if (!texts.isEmpty()) throw new IllegalArgumentException("give TEXT arguments or --batch FILE, not both");
        if (!"replicated".equalsIgnoreCase(mode)) throw new IllegalArgumentException("--batch runs in replicated mode only (--mode " + mode + ")");
        List<TaskInput> inputs = batchInputs();
        try (NetworkConnection c = network.connect()) {
            int modelId = c.requester().models().resolve(model).id();
            var answers = new dev.ledgermind.node.client.BatchAnswers(c.contracts(), Duration.ofSeconds(3),
                    dev.ledgermind.node.client.AgentEndpoints.isPrivateNetworkUrl(c.rpcUrl()));
            BigInteger floor = BigInteger.TEN.pow(13);
            List<BigInteger> fees = inputs.stream().map(in -> itemFee.signum() > 0 ? itemFee : answers.itemFee(modelId, in, floor)).toList();
            var a = answers.ask(modelId, k, inputs, fees, Duration.ofSeconds(timeoutSeconds), common::progress);
            String status = a.accepted() ? "accepted" : "refunded";
            long gas = a.batch().receipt().getGasUsed().longValueExact();
            if (receiptsDir != null && a.accepted()) {
                Files.createDirectories(receiptsDir);
                for (var r : a.receipts()) Files.writeString(receiptsDir.resolve("item-" + r.item().index() + ".json"), r.toJson());
            }
            if (common.json()) {
                Map<String, Object> doc = new java.util.LinkedHashMap<>();
                doc.put("batchId", a.batch().batchId().toString());
                doc.put("status", status);
                doc.put("items", inputs.size());
                doc.put("seats", a.batch().seats());
                doc.put("submissionGas", gas);
                doc.put("fee", a.batch().fee().toString());
                if (a.accepted()) doc.put("servedBy", a.servedBy());
                List<Object> items = new java.util.ArrayList<>();
                for (var r : a.receipts()) {
                    Map<String, Object> item = new java.util.LinkedHashMap<>();
                    item.put("index", r.item().index());
                    item.put("answer", TaskOutput.describe(inputs.get(r.item().index()), r.output()));
                    item.put("receipt", r.toDocument());
                    items.add(item);
                }
                doc.put("results", items);
                common.printJson(doc);
            } else {
                System.out.println("Batch " + a.batch().batchId() + ": " + inputs.size() + " tasks, " + status + " (seats "
                        + a.batch().seats() + "; the submission took " + gas + " gas, " + gas / inputs.size() + " per task)");
                for (var r : a.receipts()) {
                    System.out.println("  [" + r.item().index() + "] " + TaskOutput.describe(inputs.get(r.item().index()), r.output()));
                }
                if (a.accepted()) {
                    System.out.println("Answers from agent " + a.servedBy() + ", each checked against the root the chain accepted"
                            + (receiptsDir != null ? "; receipts in " + receiptsDir : "; --receipts DIR keeps them"));
                }
            }
            return a.accepted() ? 0 : 1;
        }
    }
    // ---- end of batches

    /**
     * The text of generated tokens, decoded with the model's own tokenizer when the model is a GGUF file on
     * this machine; null for other answers, or when the model file is not here (the token ids still are).
     */
    @SuppressWarnings("unchecked")
    private static String generatedText(Map<String, Object> answer, String source) {
        if (!(answer.get("tokens") instanceof List<?> list) || !source.endsWith(".gguf") || !Files.isRegularFile(Path.of(source))) {
            return null;
        }
        int[] tokens = ((List<Integer>) list).stream().mapToInt(Integer::intValue).toArray();
        try (LlamaModel m = LlamaModel.load(Path.of(source))) {
            return m.tokenizer().decode(tokens);
        } catch (Exception e) {
            System.err.println("cannot decode the tokens with " + source + ": " + e.getMessage());
            return null;
        }
    }
}
