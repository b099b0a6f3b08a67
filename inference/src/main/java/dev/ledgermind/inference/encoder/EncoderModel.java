package dev.ledgermind.inference.encoder;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.onnx.OnnxModel;
import dev.ledgermind.inference.tokenizer.wordpiece.WordPieceTokenizer;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.inference.trace.TraceBuilder;
import dev.ledgermind.inference.trace.TraceRoot;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A ready-to-run sentence encoder: weights, tokenizer, pooling, and the content hashes that identify it
 * on chain (keccak256 of the ONNX file, of the tokenizer.json, and of a one-line architecture
 * description). Loads the built-in models from the classpath by name, or any BERT-family ONNX export
 * from a path (with {@code tokenizer.json} beside it).
 */
public final class EncoderModel {
    /** A built-in model: where its resources are and how it pools. */
    private record Known(String name, String onnxResource, String tokenizerResource, Pooling pooling, int heads,
                         int maxLength, String prefix) {}

    /**
     * The models that ship on Maven Central (langchain4j's model jars, Xenova's fp32 ONNX exports). Pooling
     * and prefixes follow each model card: all-MiniLM-L6-v2 mean-pools; bge-small-en-v1.5 uses the [CLS]
     * state; e5-small-v2 mean-pools and expects every input to start with {@code "query: "} (symmetric
     * tasks such as similarity and classification use "query: " on both sides, as its card advises).
     * Maximum lengths: MiniLM's tokenizer.json truncates at 128 tokens; the other two at their 512 positions.
     */
    private static final List<Known> KNOWN = List.of(
            new Known("all-minilm-l6-v2", "all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json", Pooling.MEAN, 12, 128, ""),
            new Known("bge-small-en-v1.5", "bge-small-en-v1.5.onnx", "bge-small-en-v1.5-tokenizer.json", Pooling.CLS, 12, 512, ""),
            new Known("e5-small-v2", "e5-small-v2.onnx", "e5-small-v2-tokenizer.json", Pooling.MEAN, 12, 512, "query: "));

    /** Vectors for a list of texts, the trace root over all of them, and which texts were truncated. */
    public record Embeddings(float[][] vectors, TraceRoot traceRoot, boolean[] truncated, int[] tokens) {}

    private final String name;
    private final BertEncoder encoder;
    private final WordPieceTokenizer tokenizer;
    private final Pooling pooling;
    private final String prefix;
    private final String onnxResource;
    private final byte[] weightsHash, tokenizerHash, architectureHash;
    /** Passes already computed, or null: no cache (see {@link #withPassCache}). */
    private final PassCache passes;

    private EncoderModel(String name, BertEncoder encoder, WordPieceTokenizer tokenizer, Pooling pooling, String prefix,
                         String onnxResource, byte[] weightsHash, byte[] tokenizerHash, String architecture) {
        this(name, encoder, tokenizer, pooling, prefix, onnxResource, weightsHash, tokenizerHash,
                Keccak256.hash(architecture.getBytes(StandardCharsets.UTF_8)), null);
    }

    private EncoderModel(String name, BertEncoder encoder, WordPieceTokenizer tokenizer, Pooling pooling, String prefix,
                         String onnxResource, byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash, PassCache passes) {
        this.name = name;
        this.prefix = prefix;
        this.onnxResource = onnxResource;
        this.encoder = encoder;
        this.tokenizer = tokenizer;
        this.pooling = pooling;
        this.weightsHash = weightsHash;
        this.tokenizerHash = tokenizerHash;
        this.architectureHash = architectureHash;
        this.passes = passes;
    }

    /**
     * This model with a bounded cache of encoder passes: up to {@code entries} texts' pooled unit vectors and
     * per-layer trace leaves, keyed by (token ids, vector width), least recently used evicted first; 0 gives
     * the model without a cache. Same weights, tokenizer and identity (the hashes); the cache is new and empty.
     *
     * <p>Why it changes no bit: a text is encoded on its own (no padding, no batch), so its final states, its
     * pooled vector and its layer leaves are a function of its token ids alone, and the trace root of a list of
     * texts is the Merkle root over each text's leaves in order (see {@link #embed}); the same leaves from the
     * cache give the same root. The vector width is in the key although it changes no result either (every
     * output is one canonical fma chain at any width, {@code EncoderDeterminismTest}): a node runs one width,
     * so keying by it costs nothing and takes the claim out of the cache's correctness. Thread counts split
     * outputs only and are not in the key. What it saves: a classify task embeds its text and every label;
     * the labels of a batch (or of a requester's stream of tasks) are the same each time and cost no pass.
     */
    public EncoderModel withPassCache(int entries) {
        if (entries < 0) throw new IllegalArgumentException("pass cache size must be >= 0, found " + entries);
        return new EncoderModel(name, encoder, tokenizer, pooling, prefix, onnxResource, weightsHash, tokenizerHash,
                architectureHash, entries == 0 ? null : new PassCache(entries));
    }

    /** Passes served from the cache and passes computed since this model was made (both 0 without a cache). */
    public record PassCounts(long hits, long misses) {}

    public PassCounts passCounts() {
        return passes == null ? new PassCounts(0, 0) : passes.counts();
    }

    /** One text's encoder pass as {@link #embed} uses it: the pooled unit vector and the layer leaves. */
    private record Pass(float[] vector, byte[][] leaves) {}

    /** The cache key: the token ids (a copy) and the vector width. */
    private static final class PassKey {
        final int[] ids;
        final int vectorBits;
        final int hash;

        PassKey(int[] ids, int vectorBits) {
            this.ids = ids.clone();
            this.vectorBits = vectorBits;
            this.hash = 31 * java.util.Arrays.hashCode(ids) + vectorBits;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof PassKey k && k.vectorBits == vectorBits && java.util.Arrays.equals(k.ids, ids);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** A bounded LRU map of passes, safe for several threads (two that miss one key both compute it: same bits). */
    private static final class PassCache {
        private final java.util.LinkedHashMap<PassKey, Pass> map;
        private long hits, misses;

        PassCache(int entries) {
            this.map = new java.util.LinkedHashMap<>(16, 0.75f, true) {
                @Override
                protected boolean removeEldestEntry(java.util.Map.Entry<PassKey, Pass> eldest) {
                    return size() > entries;
                }
            };
        }

        synchronized Pass get(PassKey k) {
            Pass p = map.get(k);
            if (p != null) hits++;
            else misses++;
            return p;
        }

        synchronized void put(PassKey k, Pass p) {
            map.put(k, p);
        }

        synchronized PassCounts counts() {
            return new PassCounts(hits, misses);
        }
    }

    /** The built-in model names. */
    public static List<String> builtIn() {
        return KNOWN.stream().map(Known::name).toList();
    }

    /**
     * Loads a built-in model by name, or an ONNX file (or a directory holding model.onnx) from a path, with
     * the tokenizer.json beside it and, unless the file is named after a built-in model, the config.json that
     * gives its head count ({@link #headsFromConfig}).
     */
    public static EncoderModel load(String nameOrPath) {
        for (Known k : KNOWN) {
            if (k.name().equalsIgnoreCase(nameOrPath)) {
                return build(k.name(), resource(k.onnxResource()), k.onnxResource(), resource(k.tokenizerResource()),
                        k.tokenizerResource(), k.pooling(), k.heads(), k.maxLength(), k.prefix());
            }
        }
        Path p = Path.of(nameOrPath);
        if (!Files.exists(p)) {
            throw new IllegalArgumentException("unknown model '" + nameOrPath + "': not a built-in model " + builtIn()
                    + " and no such file or directory");
        }
        Path onnx = Files.isDirectory(p) ? p.resolve("model.onnx") : p;
        Path tok = onnx.resolveSibling("tokenizer.json");
        // a copy of a built-in model's file (e.g. e5-small-v2.onnx) keeps that model's pooling and prefix
        Known pathKnown = null;
        for (Known k : KNOWN) if (onnx.getFileName().toString().startsWith(k.name())) pathKnown = k;
        if (!Files.exists(tok)) tok = onnx.resolveSibling(onnx.getFileName().toString().replaceFirst("\\.onnx$", "") + "-tokenizer.json");
        try {
            if (!Files.exists(tok)) throw new IllegalArgumentException("no tokenizer.json beside " + onnx);
            int heads = pathKnown != null ? pathKnown.heads() : headsFromConfig(onnx);
            return build(onnx.getFileName().toString().replaceFirst("\\.onnx$", ""), Files.readAllBytes(onnx), onnx.toString(),
                    Files.readAllBytes(tok), tok.toString(), pathKnown == null ? Pooling.MEAN : pathKnown.pooling(), heads,
                    pathKnown == null ? 512 : pathKnown.maxLength(), pathKnown == null ? "" : pathKnown.prefix());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read model " + onnx + ": " + e.getMessage(), e);
        }
    }

    /**
     * The attention head count of a model loaded from a path, which the ONNX weights do not tell: the
     * {@code num_attention_heads} of the Hugging Face {@code config.json} beside the file or in its parent
     * directory (where exports put it). Without one, loading stops with an error rather than guess: a wrong
     * head count would give wrong embeddings without any other sign.
     */
    static int headsFromConfig(Path onnx) throws IOException {
        Path dir = onnx.toAbsolutePath().getParent();
        for (Path candidate : new Path[] {dir.resolve("config.json"), dir.getParent() == null ? null : dir.getParent().resolve("config.json")}) {
            if (candidate == null || !Files.isRegularFile(candidate)) continue;
            JsonNode root;
            try {
                root = new ObjectMapper().readTree(candidate.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(candidate + " is not valid JSON: " + e.getMessage(), e);
            }
            JsonNode heads = root == null ? null : root.get("num_attention_heads");
            if (heads == null || !heads.canConvertToInt() || heads.asInt() < 1) {
                throw new IllegalArgumentException(candidate + " has no positive integer num_attention_heads");
            }
            return heads.asInt();
        }
        throw new IllegalArgumentException("cannot tell how many attention heads " + onnx + " has: put the model's config.json"
                + " (with num_attention_heads) beside it, or load a built-in model " + builtIn() + " by name");
    }

    private static byte[] resource(String name) {
        try (InputStream in = EncoderModel.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("built-in model resource " + name + " is not on the classpath");
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read built-in model resource " + name + ": " + e.getMessage(), e);
        }
    }

    private static EncoderModel build(String name, byte[] onnxBytes, String onnxSource, byte[] tokBytes, String tokSource,
                                      Pooling pooling, int heads, int maxLength, String prefix) {
        BertEncoder encoder = BertEncoder.fromOnnx(OnnxModel.parse(onnxBytes, onnxSource), heads, onnxSource);
        WordPieceTokenizer tokenizer = WordPieceTokenizer.fromJson(tokBytes, tokSource, Math.min(maxLength, encoder.maxPositions()));
        if (tokenizer.vocabSize() != encoder.vocabSize()) {
            throw new IllegalArgumentException("tokenizer " + tokSource + " does not match model " + onnxSource + ": its vocabulary has "
                    + tokenizer.vocabSize() + " tokens, the model's word embeddings have " + encoder.vocabSize() + " rows");
        }
        String architecture = "ledgermind/bert-encoder/v1 layers=" + encoder.layers() + " hidden=" + encoder.hidden()
                + " heads=" + heads + " pooling=" + pooling.name().toLowerCase() + " maxLength=" + tokenizer.maxLength()
                + " normalize=l2" + (prefix.isEmpty() ? "" : " prefix=" + prefix.strip());
        return new EncoderModel(name, encoder, tokenizer, pooling, prefix, onnxSource, Keccak256.hash(onnxBytes), Keccak256.hash(tokBytes), architecture);
    }

    public String name() {
        return name;
    }

    /** Where the ONNX weights came from: a classpath resource name or a file path. */
    public String onnxResource() {
        return onnxResource;
    }

    public Pooling pooling() {
        return pooling;
    }

    /** The text prepended to every input before tokenization (e5: {@code "query: "}); may be empty. */
    public String prefix() {
        return prefix;
    }

    public int dimensions() {
        return encoder.hidden();
    }

    public WordPieceTokenizer tokenizer() {
        return tokenizer;
    }

    public byte[] weightsHash() {
        return weightsHash.clone();
    }

    public byte[] tokenizerHash() {
        return tokenizerHash.clone();
    }

    public byte[] architectureHash() {
        return architectureHash.clone();
    }

    /**
     * Embeds each text on its own (no padding: a text's bits do not depend on the batch) and returns
     * the L2-normalised vectors and one trace root over every text's per-layer leaves, in text order.
     */
    public Embeddings embed(List<String> texts, KernelConfig cfg, Parallel par) {
        if (texts.isEmpty()) throw new IllegalArgumentException("nothing to embed: the list of texts is empty");
        TraceBuilder trace = new TraceBuilder();
        float[][] vectors = new float[texts.size()][];
        boolean[] truncated = new boolean[texts.size()];
        int[] tokens = new int[texts.size()];
        for (int t = 0; t < texts.size(); t++) {
            String text = texts.get(t);
            if (text == null) throw new IllegalArgumentException("text " + t + " is null");
            WordPieceTokenizer.Encoding enc = tokenizer.encode(prefix + text);
            truncated[t] = enc.truncated();
            tokens[t] = enc.ids().length;
            if (passes == null) {
                float[] states = encoder.forward(enc.ids(), cfg, par, trace);
                vectors[t] = encoder.pool(states, enc.ids().length, pooling);
                continue;
            }
            PassKey key = new PassKey(enc.ids(), cfg.vectorBits());
            Pass pass = passes.get(key);
            if (pass == null) {
                TraceBuilder own = new TraceBuilder();
                float[] states = encoder.forward(enc.ids(), cfg, par, own);
                pass = new Pass(encoder.pool(states, enc.ids().length, pooling), own.leafHashes().toArray(byte[][]::new));
                passes.put(key, pass);
            }
            for (byte[] leaf : pass.leaves()) trace.addLeafHash(leaf);
            vectors[t] = pass.vector().clone();
        }
        return new Embeddings(vectors, trace.root(), truncated, tokens);
    }

    /** Token ids of a text as this model sees it (with [CLS] and [SEP], truncated). */
    public int[] tokenize(String text) {
        return tokenizer.encode(prefix + text).ids();
    }

    /** The encoder itself (tests read its trace leaves). */
    BertEncoder encoder() {
        return encoder;
    }

    /** For tests: the raw last hidden states of one text (n x H, flat). */
    public float[] hiddenStates(String text, KernelConfig cfg, Parallel par) {
        return encoder.forward(tokenizer.encode(prefix + text).ids(), cfg, par, null);
    }

}
