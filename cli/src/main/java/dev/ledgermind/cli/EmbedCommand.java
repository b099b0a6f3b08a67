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
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ledgermind embed}: texts to unit vectors, with the result hash and trace root. */
@Command(name = "embed", mixinStandardHelpOptions = true,
        description = {"Embed texts into unit vectors on the deterministic engine.",
                "Texts come from the arguments, or from --file (one text per line; - for stdin, UTF-8)."})
final class EmbedCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Mixin
    EncoderOptions encoder;

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "Texts to embed.")
    List<String> texts = new ArrayList<>();

    @Option(names = "--file", paramLabel = "FILE", description = "Read texts from FILE, one per line (- for stdin).")
    String file;

    @Option(names = "--full", description = "Print every vector component (text mode prints the first 8).")
    boolean full;

    @Override
    public Integer call() throws IOException {
        List<String> all = new ArrayList<>(texts);
        if (file != null) {
            String content = Utf8Text.decode(readInput(file), file.equals("-") ? "stdin" : file);
            for (String line : content.split("\r?\n", -1)) if (!line.isEmpty()) all.add(line);
        }
        if (all.isEmpty()) throw new IllegalArgumentException("no text to embed: give TEXT arguments or --file");
        EncoderModel model = encoder.load();
        EncoderTasks.EmbedResult r;
        try (Parallel par = new Parallel(encoder.threadCount())) {
            r = EncoderTasks.embed(model, all, KernelConfig.defaults(), par);
        }
        if (common.json()) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model.name());
            out.put("dimensions", model.dimensions());
            out.put("vectors", r.vectors());
            out.put("tokens", r.tokens());
            out.put("truncated", r.truncated());
            out.put("resultHash", r.commitment().resultHashHex());
            out.put("traceRoot", r.commitment().traceRoot().hex());
            common.printJson(out);
            return 0;
        }
        System.out.println("model " + model.name() + ", " + model.dimensions() + " dimensions");
        for (int i = 0; i < all.size(); i++) {
            float[] v = r.vectors()[i];
            int shown = full ? v.length : Math.min(8, v.length);
            StringBuilder sb = new StringBuilder("[");
            for (int j = 0; j < shown; j++) sb.append(j == 0 ? "" : ", ").append(v[j]);
            sb.append(shown < v.length ? ", ...]" : "]");
            System.out.println("text " + i + " (" + r.tokens()[i] + " tokens"
                    + (r.truncated()[i] ? ", TRUNCATED to the model's limit" : "") + "): " + sb);
        }
        System.out.println("resultHash " + r.commitment().resultHashHex());
        System.out.println("traceRoot  " + r.commitment().traceRoot().hex());
        return 0;
    }

    static byte[] readInput(String file) throws IOException {
        if (file.equals("-")) return System.in.readAllBytes();
        Path p = Path.of(file);
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(file, null, "input file not found");
        return Files.readAllBytes(p);
    }
}
