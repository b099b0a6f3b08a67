package dev.ledgermind.node.task;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledgermind.inference.Printable;
import dev.ledgermind.inference.task.Utf8Text;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A task's input as it travels inline on chain: canonical JSON in UTF-8, with keys in a fixed order and
 * no whitespace, so that the requester and every node hash the same bytes
 * ({@code inputHash = keccak256(bytes())}).
 *
 * <pre>{@code {"kind":"classify","model":"all-minilm-l6-v2","texts":["..."],"labels":["spam","not spam"]}}</pre>
 * {@code labels} is present only for classify; {@code prompt}, {@code maxTokens}, {@code temperature},
 * {@code seed} only for generate, and {@code topP} (nucleus sampling, in (0, 1]) only for generate with a
 * top-p below 1 (so inputs without it keep the bytes, and hashes, they always had).
 */
public record TaskInput(TaskKind kind, String model, List<String> texts, List<String> labels,
                        String prompt, int maxTokens, float temperature, long seed, float topP) {
    private static final ObjectMapper JSON = new ObjectMapper();

    public TaskInput {
        texts = texts == null ? List.of() : List.copyOf(texts);
        labels = labels == null ? List.of() : List.copyOf(labels);
        switch (kind) {
            case EMBED -> require(!texts.isEmpty(), "$.texts: embed needs at least one text");
            case SIMILARITY -> require(texts.size() == 2, "$.texts: similarity needs exactly two texts, got " + texts.size());
            case CLASSIFY -> {
                require(texts.size() == 1, "$.texts: classify needs exactly one text, got " + texts.size());
                require(labels.size() >= 2, "$.labels: classify needs at least two labels, got " + labels.size());
            }
            case GENERATE -> require(prompt != null && !prompt.isEmpty(), "$.prompt: generate needs a prompt");
        }
        require(topP > 0f && topP <= 1f, "$.topP must be in (0, 1], got " + topP);
    }

    public static TaskInput embed(String model, List<String> texts) {
        return new TaskInput(TaskKind.EMBED, model, texts, null, null, 0, 0f, 0, 1f);
    }

    public static TaskInput similarity(String model, String a, String b) {
        return new TaskInput(TaskKind.SIMILARITY, model, List.of(a, b), null, null, 0, 0f, 0, 1f);
    }

    public static TaskInput classify(String model, String text, List<String> labels) {
        return new TaskInput(TaskKind.CLASSIFY, model, List.of(text), labels, null, 0, 0f, 0, 1f);
    }

    public static TaskInput generate(String model, String prompt, int maxTokens, float temperature, long seed) {
        return generate(model, prompt, maxTokens, temperature, seed, 1f);
    }

    /** A generate task with nucleus sampling at {@code topP} (1: none). */
    public static TaskInput generate(String model, String prompt, int maxTokens, float temperature, long seed, float topP) {
        return new TaskInput(TaskKind.GENERATE, model, null, null, prompt, maxTokens, temperature, seed, topP);
    }

    /** The canonical bytes: what goes on chain and what is hashed. */
    public byte[] bytes() {
        ObjectNode o = JSON.createObjectNode();
        o.put("kind", kind.name().toLowerCase(Locale.ROOT)); // ROOT: in a Turkish locale "SIMILARITY" lower-cases with a dotless i
        o.put("model", model);
        if (!texts.isEmpty()) {
            ArrayNode a = o.putArray("texts");
            texts.forEach(a::add);
        }
        if (!labels.isEmpty()) {
            ArrayNode a = o.putArray("labels");
            labels.forEach(a::add);
        }
        if (kind == TaskKind.GENERATE) {
            o.put("prompt", prompt);
            o.put("maxTokens", maxTokens);
            o.put("temperature", temperature);
            o.put("seed", seed);
            if (topP != 1f) o.put("topP", topP);
        }
        return o.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** Parses canonical input bytes; rejects anything that does not re-encode to the same bytes. */
    public static TaskInput parse(byte[] bytes) {
        JsonNode o;
        try {
            o = JSON.readTree(Utf8Text.decode(bytes, "task input"));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("task input is not valid JSON at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr() + " (character offset " + e.getLocation().getCharOffset() + "): "
                    + Printable.escape(e.getOriginalMessage()), e);
        }
        if (o == null || !o.isObject()) throw new IllegalArgumentException("task input: $ must be a JSON object");
        TaskKind kind = null;
        for (TaskKind k : TaskKind.values()) if (k.name().toLowerCase(Locale.ROOT).equals(o.path("kind").asText(""))) kind = k;
        if (kind == null) {
            throw new IllegalArgumentException("task input: $.kind '" + Printable.escape(o.path("kind").asText()) + "' is not one of "
                    + "embed, similarity, classify, generate");
        }
        TaskInput input = new TaskInput(kind, o.path("model").asText(null), strings(o.path("texts")), strings(o.path("labels")),
                o.hasNonNull("prompt") ? o.get("prompt").asText() : null,
                o.path("maxTokens").asInt(0), (float) o.path("temperature").asDouble(0), o.path("seed").asLong(0),
                (float) o.path("topP").asDouble(1));
        byte[] canonical = input.bytes();
        int differs = java.util.Arrays.mismatch(canonical, bytes);
        if (differs >= 0) {
            throw new IllegalArgumentException("task input is not in canonical form from byte offset " + differs
                    + " (key order, whitespace, number format or extra fields)");
        }
        return input;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(n -> out.add(n.asText()));
        return out;
    }

    private static void require(boolean ok, String message) {
        if (!ok) throw new IllegalArgumentException("task input: " + message);
    }
}
