package dev.ledgermind.cli;

import dev.ledgermind.inference.gguf.GgmlType;
import dev.ledgermind.inference.gguf.GgufFile;
import dev.ledgermind.inference.gguf.GgufMetadata;
import dev.ledgermind.inference.gguf.GgufTensorInfo;
import dev.ledgermind.inference.gguf.GgufValueType;
import dev.ledgermind.inference.llama.LlamaConfig;
import dev.ledgermind.inference.llama.QuantMix;
import dev.ledgermind.inference.llama.SyntheticModel;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.lang.reflect.Array;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/** {@code ledgermind model}: inspect GGUF files and write synthetic models. */
@Command(name = "model", mixinStandardHelpOptions = true, description = "Inspect GGUF models, or write synthetic ones.",
        subcommands = {ModelCommand.Inspect.class, ModelCommand.Synth.class})
final class ModelCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.err);
    }

    @Command(name = "inspect", mixinStandardHelpOptions = true, description = "Print a GGUF file's architecture, metadata, tensor types and sizes.")
    static final class Inspect implements Callable<Integer> {
        @Mixin
        CommonOptions common;

        @Parameters(index = "0", paramLabel = "FILE", description = "The GGUF file.")
        Path file;

        @Option(names = "--tensors", description = "List every tensor.")
        boolean tensors;

        @Override
        public Integer call() throws Exception {
            try (GgufFile f = GgufFile.open(file)) {
                GgufMetadata m = f.metadata();
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("file", file.toString());
                j.put("fileBytes", f.fileSize());
                j.put("ggufVersion", f.version());
                j.put("alignment", f.alignment());
                j.put("architecture", m.getString("general.architecture", "?"));
                String arch = m.getString("general.architecture", "");
                if (LlamaConfig.ARCHITECTURES.contains(arch)) {
                    try {
                        j.put("config", LlamaConfig.of(f));
                    } catch (RuntimeException e) {
                        j.put("configError", e.getMessage());
                    }
                }
                Map<String, Object> meta = new LinkedHashMap<>();
                for (Map.Entry<String, GgufMetadata.Entry> e : m.entries().entrySet()) meta.put(e.getKey(), show(e.getValue()));
                j.put("metadata", meta);
                Map<GgmlType, long[]> byType = new TreeMap<>();
                List<Map<String, Object>> list = new ArrayList<>();
                long params = 0;
                for (GgufTensorInfo t : f.tensors().values()) {
                    long[] agg = byType.computeIfAbsent(t.type(), k -> new long[3]);
                    agg[0]++;
                    agg[1] += t.elements();
                    agg[2] += t.byteSize();
                    params += t.elements();
                    if (tensors) {
                        Map<String, Object> tj = new LinkedHashMap<>();
                        tj.put("name", t.name());
                        tj.put("type", t.type().toString());
                        tj.put("dims", t.dims());
                        tj.put("bytes", t.byteSize());
                        list.add(tj);
                    }
                }
                Map<String, Object> types = new LinkedHashMap<>();
                for (Map.Entry<GgmlType, long[]> e : byType.entrySet()) {
                    types.put(e.getKey().toString(), Map.of("tensors", e.getValue()[0], "elements", e.getValue()[1], "bytes", e.getValue()[2]));
                }
                j.put("parameters", params);
                j.put("tensorTypes", types);
                if (tensors) j.put("tensors", list);
                if (common.json()) {
                    common.printJson(j);
                    return 0;
                }
                System.out.printf(Locale.ROOT, "%s: GGUF v%d, %,d bytes, architecture %s, %,d parameters in %d tensors%n",
                        file, f.version(), f.fileSize(), j.get("architecture"), params, f.tensors().size());
                if (j.containsKey("config")) System.out.println("config: " + j.get("config"));
                if (j.containsKey("configError")) System.out.println("config error: " + j.get("configError"));
                System.out.println("tensor types:");
                for (Map.Entry<GgmlType, long[]> e : byType.entrySet()) {
                    System.out.printf(Locale.ROOT, "  %-5s %4d tensors %,15d elements %,15d bytes%n", e.getKey(), e.getValue()[0], e.getValue()[1], e.getValue()[2]);
                }
                System.out.println("metadata:");
                for (Map.Entry<String, Object> e : meta.entrySet()) System.out.println("  " + e.getKey() + " = " + e.getValue());
                if (tensors) {
                    System.out.println("tensors:");
                    for (GgufTensorInfo t : f.tensors().values()) System.out.printf(Locale.ROOT, "  %-32s %-5s %-22s %,d bytes%n",
                            t.name(), t.type(), java.util.Arrays.toString(t.dims()), t.byteSize());
                }
            }
            return 0;
        }

        /** Scalars as they are; arrays as their type, length and first few elements. */
        private static Object show(GgufMetadata.Entry e) {
            if (e.type() != GgufValueType.ARRAY) return e.value();
            int n = Array.getLength(e.value());
            List<Object> head = new ArrayList<>();
            for (int i = 0; i < Math.min(5, n); i++) head.add(Array.get(e.value(), i));
            return e.elementType() + "[" + n + "] " + head + (n > 5 ? "..." : "");
        }
    }

    @Command(name = "synth", mixinStandardHelpOptions = true,
            description = "Write a llama-family GGUF model with random weights (for tests and benchmarks).")
    static final class Synth implements Callable<Integer> {
        @Option(names = "--arch", defaultValue = "llama3", description = "llama2, llama3, mistral, smollm or qwen2 (default: ${DEFAULT-VALUE}).")
        String family;

        @Option(names = "--shape", defaultValue = "tiny", description = "tiny, tiny-unaligned (dim 288: K_M mixtures fall back to Q5_0/Q5_1/Q8_0), 0.5b (Qwen2.5-0.5B's shapes: dim 896, "
                + "the same fallbacks), or 1b (Llama-3.2-1B's shapes) (default: ${DEFAULT-VALUE}).")
        String shape;

        @Option(names = "--type", defaultValue = "q8_0", description = "Weight type for every matrix (f32, f16, bf16, q8_0, q4_0, q5_0, q4_1, q5_1, q4_k, q5_k, q6_k), "
                + "or llama.cpp's mixture q4_k_m or q5_k_m (Q6_K output and some attn_v/ffn_down layers) (default: ${DEFAULT-VALUE}).")
        String type;

        @Option(names = "--seed", defaultValue = "1", description = "Weight seed (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(names = "--out", required = true, description = "The file to write.")
        Path out;

        @Override
        public Integer call() throws Exception {
            QuantMix mix = QuantMix.parse(type);
            long t0 = System.nanoTime();
            SyntheticModel.write(out, family, SyntheticModel.shape(shape), mix, seed);
            System.out.printf(Locale.ROOT, "wrote %s (%,d bytes) in %.1f s%n", out, Files.size(out), (System.nanoTime() - t0) / 1e9);
            return 0;
        }
    }
}
