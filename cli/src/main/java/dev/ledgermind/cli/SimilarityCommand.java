package dev.ledgermind.cli;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.task.EncoderTasks;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ledgermind similarity A B}: cosine similarity of two texts. */
@Command(name = "similarity", mixinStandardHelpOptions = true,
        description = "Cosine similarity of two texts' embeddings, on the deterministic engine.")
final class SimilarityCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    EncoderOptions encoder;

    @Parameters(index = "0", paramLabel = "A", description = "First text.")
    String a;

    @Parameters(index = "1", paramLabel = "B", description = "Second text.")
    String b;

    @Override
    public Integer call() {
        EncoderModel model = encoder.load();
        EncoderTasks.SimilarityResult r;
        try (Parallel par = new Parallel(encoder.threadCount())) {
            r = EncoderTasks.similarity(model, a, b, KernelConfig.defaults(), par);
        }
        if (common.json()) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model.name());
            out.put("cosine", r.cosine());
            out.put("truncated", r.truncated());
            out.put("resultHash", r.commitment().resultHashHex());
            out.put("traceRoot", r.commitment().traceRoot().hex());
            common.printJson(out);
            return 0;
        }
        System.out.println("cosine     " + r.cosine() + "   (model " + model.name() + ")");
        for (int i = 0; i < 2; i++) if (r.truncated()[i]) System.out.println("note: text " + (char) ('A' + i) + " was truncated to the model's limit");
        System.out.println("resultHash " + r.commitment().resultHashHex());
        System.out.println("traceRoot  " + r.commitment().traceRoot().hex());
        return 0;
    }
}
