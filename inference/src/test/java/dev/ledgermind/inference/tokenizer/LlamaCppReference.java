package dev.ledgermind.inference.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.inference.gguf.GgufFile;
import dev.ledgermind.inference.gguf.GgufMetadata;
import dev.ledgermind.inference.gguf.GgufValueType;
import dev.ledgermind.inference.gguf.GgufWriter;
import org.tukaani.xz.XZInputStream;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The reference data that inference/scripts/llamacpp-vectors/run.sh generated from llama.cpp (node-llama-cpp
 * 3.22.1): the corpus, the vocabulary-only GGUF files (xz), llama.cpp's token ids for every string with special
 * parsing off and on, its add-BOS decision and end-of-generation set, and its chat-template renderings.
 */
public final class LlamaCppReference {
    static final String DIR = "/dev/ledgermind/inference/tokenizer/llamacpp/";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Map<String, byte[]> GGUF = new ConcurrentHashMap<>();
    private static final Map<String, GgufMetadata> METADATA = new ConcurrentHashMap<>();
    private static final Map<String, Tokenizer> TOKENIZERS = new ConcurrentHashMap<>();

    private LlamaCppReference() {
    }

    public static JsonNode json(String name) {
        try (InputStream in = resource(name)) {
            return JSON.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static List<String> corpus() {
        List<String> out = new ArrayList<>();
        json("corpus.json").forEach(n -> out.add(n.asText()));
        return out;
    }

    public static int[] ids(JsonNode array) {
        int[] out = new int[array.size()];
        for (int i = 0; i < out.length; i++) out[i] = array.get(i).asInt();
        return out;
    }

    /** The metadata of a committed vocabulary file, with {@code tokenizer.ggml.pre} replaced when {@code pre} is not null. */
    public static GgufMetadata metadata(String file, String pre) {
        return METADATA.computeIfAbsent(file + "|" + pre, k -> read(file, pre));
    }

    private static GgufMetadata read(String file, String pre) {
        byte[] image = GGUF.computeIfAbsent(file, f -> {
            try (InputStream in = new XZInputStream(resource(f + ".xz"))) {
                return in.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        GgufMetadata m = GgufFile.parse(MemorySegment.ofArray(image), file).metadata();
        if (pre == null) return m;
        // rewritten through the project's own GGUF writer, as a file with that key would be
        GgufWriter w = new GgufWriter();
        for (Map.Entry<String, GgufMetadata.Entry> e : m.entries().entrySet()) {
            w.put(e.getKey(), e.getKey().equals("tokenizer.ggml.pre") ? new GgufMetadata.Entry(GgufValueType.STRING, null, pre) : e.getValue());
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            w.write(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return GgufFile.parse(MemorySegment.ofArray(out.toByteArray()), file + " (pre " + pre + ")").metadata();
    }

    /** The tokenizer of a committed vocabulary file (built once per file and pre-tokenizer: tokenizers are immutable). */
    public static Tokenizer tokenizer(String file, String pre) {
        String key = file + "|" + pre;
        Tokenizer t = TOKENIZERS.get(key);
        if (t == null) {
            GgufMetadata m = metadata(file, pre);
            t = GgufTokenizers.of(m, m.getStringArray("tokenizer.ggml.tokens").length); // may throw: nothing is cached then
            TOKENIZERS.put(key, t);
        }
        return t;
    }

    private static InputStream resource(String name) {
        InputStream in = LlamaCppReference.class.getResourceAsStream(DIR + name);
        if (in == null) throw new IllegalStateException("test resource " + DIR + name + " is missing (inference/scripts/llamacpp-vectors/run.sh writes it)");
        return in;
    }
}
