package dev.ledgermind.node.task;

import dev.ledgermind.inference.encoder.EncoderModel;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.tensor.ComputeProfile;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Builds the runner that serves a node's configured models. */
public final class TaskRunners {
    public static final String DEFAULT_MODEL = "all-minilm-l6-v2";
    /**
     * System property: how many texts' encoder passes a node's encoder keeps (EncoderModel.withPassCache; 0 turns
     * the cache off). A classify task's labels are the same across a requester's tasks and a batch's items, and
     * cost no pass once cached; about 1.7 KB per entry for a 384-wide model.
     */
    public static final String PASS_CACHE_PROPERTY = "ledgermind.encoder.passCache";
    static final int DEFAULT_PASS_CACHE = 4096;

    private TaskRunners() {}

    /**
     * A runner for the given models: a path ending in {@code .gguf} is a decoder (its name is the file
     * name without the extension), {@code FILE.gguf@PROFILE} the same decoder under a named compute profile
     * ({@code @int8-q8}: a model of its own, named {@code FILE@int8-q8}); anything else is an encoder, by built-in
     * name or ONNX path.
     */
    public static TaskRunner forModels(List<String> models) {
        if (models.isEmpty()) throw new IllegalArgumentException("a node must serve at least one model");
        List<TaskRunner> runners = new ArrayList<>();
        for (String m : models) {
            int at = m.lastIndexOf(".gguf@");
            runners.add(at >= 0
                    ? new DecoderTaskRunner(Path.of(m.substring(0, at + 5)), KernelConfig.defaults(), KernelConfig.defaultThreads(),
                            ComputeProfile.parse(m.substring(at + 6)))
                    : m.endsWith(".gguf")
                    ? new DecoderTaskRunner(Path.of(m), KernelConfig.defaults(), KernelConfig.defaultThreads())
                    : new EncoderTaskRunner(EncoderModel.load(m).withPassCache(Integer.getInteger(PASS_CACHE_PROPERTY, DEFAULT_PASS_CACHE)),
                            KernelConfig.defaults(), KernelConfig.defaultThreads()));
        }
        return runners.size() == 1 ? runners.getFirst() : new CompositeTaskRunner(runners);
    }

    /**
     * Where each model of {@code runner} came from: its name mapped to the spec in {@code models} it was
     * loaded from (a file path made absolute, or a built-in name). {@code runner} must have been built by
     * {@link #forModels} from the same list.
     */
    public static Map<String, String> sources(List<String> models, TaskRunner runner) {
        List<ModelIdentity> ids = runner.models();
        if (ids.size() != models.size()) {
            throw new IllegalArgumentException(models.size() + " model specs but the runner serves " + ids.size() + " models");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            String spec = models.get(i);
            Path p = Path.of(spec);
            out.put(ids.get(i).name(), Files.exists(p) ? p.toAbsolutePath().toString() : spec);
        }
        return out;
    }

    /** The runner for the model a local devnet serves by default. */
    public static TaskRunner defaultModels() {
        return forModels(List.of(DEFAULT_MODEL));
    }
}
