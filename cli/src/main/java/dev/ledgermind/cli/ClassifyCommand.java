package dev.ledgermind.cli;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.task.EncoderTasks;
import dev.ledgermind.inference.task.Utf8Text;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ledgermind classify TEXT --label A --label B ...}: zero-shot classification by embedding similarity. */
@Command(name = "classify", mixinStandardHelpOptions = true,
        description = {"Zero-shot classification of a text against labels, on the deterministic engine.",
                "Labels (or label descriptions) are ranked by the cosine similarity of their embeddings with the text's."})
final class ClassifyCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    EncoderOptions encoder;

    @Parameters(paramLabel = "TEXT", arity = "0..1", description = "The text to classify (or use --file).")
    String text;

    @Option(names = "--file", paramLabel = "FILE", description = "Read the text from FILE (- for stdin, UTF-8).")
    String file;

    @Option(names = {"-l", "--label"}, paramLabel = "LABEL", required = true, split = "\\|",
            description = "A label or label description; repeat it, or separate labels with |.")
    List<String> labels = new ArrayList<>();

    @Override
    public Integer call() throws IOException {
        String input = text;
        if (file != null) {
            if (input != null) throw new IllegalArgumentException("give the text either as TEXT or with --file, not both");
            input = Utf8Text.decode(EmbedCommand.readInput(file), file.equals("-") ? "stdin" : file);
        }
        if (input == null) throw new IllegalArgumentException("no text to classify: give TEXT or --file");
        EncoderModel model = encoder.load();
        EncoderTasks.ClassifyResult r;
        try (Parallel par = new Parallel(encoder.threadCount())) {
            r = EncoderTasks.classify(model, input, labels, KernelConfig.defaults(), par);
        }
        if (common.json()) {
            List<Map<String, Object>> ranking = new ArrayList<>();
            for (EncoderTasks.Label l : r.ranking()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("label", l.label());
                m.put("index", l.index());
                m.put("score", l.score());
                ranking.add(m);
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model.name());
            out.put("ranking", ranking);
            out.put("truncated", r.truncated()[0]);
            out.put("resultHash", r.commitment().resultHashHex());
            out.put("traceRoot", r.commitment().traceRoot().hex());
            common.printJson(out);
            return 0;
        }
        System.out.println("model " + model.name() + (r.truncated()[0] ? " (text truncated to the model's limit)" : ""));
        int rank = 1;
        for (EncoderTasks.Label l : r.ranking()) System.out.printf("%2d. %-30s %.6f%n", rank++, l.label(), l.score());
        System.out.println("resultHash " + r.commitment().resultHashHex());
        System.out.println("traceRoot  " + r.commitment().traceRoot().hex());
        return 0;
    }
}
