package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/** A {@code /v1/embeddings} request, validated: a string or a batch of strings, float or base64. */
record EmbeddingRequest(String model, List<String> input, boolean base64, Integer dimensions) {
    static final int MAX_BATCH = 2048;

    static EmbeddingRequest parse(JsonNode o) {
        if (o == null || !o.isObject()) throw ApiError.invalid(null, "the request body must be a JSON object");
        String model = JsonFields.string(o, "model", "model");
        JsonNode in = o.get("input");
        if (in == null || in.isNull()) throw ApiError.missing("input");
        List<String> texts = new ArrayList<>();
        if (in.isTextual()) texts.add(in.asText());
        else if (in.isArray()) {
            if (in.isEmpty()) throw ApiError.invalid("input", "'input' must not be an empty array");
            if (in.size() > MAX_BATCH) throw ApiError.invalid("input", "'input' may hold at most " + MAX_BATCH + " texts, got " + in.size());
            for (int i = 0; i < in.size(); i++) {
                JsonNode t = in.get(i);
                if (!t.isTextual()) {
                    throw ApiError.invalid("input[" + i + "]", "'input[" + i + "]' must be a string (token-id input is not supported), got " + JsonFields.kind(t));
                }
                texts.add(t.asText());
            }
        } else throw ApiError.invalid("input", "'input' must be a string or an array of strings, got " + JsonFields.kind(in));
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i).isEmpty()) throw ApiError.invalid(in.isArray() ? "input[" + i + "]" : "input", "an input text must not be empty");
        }
        String format = o.path("encoding_format").isNull() ? "float" : o.path("encoding_format").asText("float");
        if (!format.equals("float") && !format.equals("base64")) {
            throw ApiError.invalid("encoding_format", "'encoding_format' must be 'float' or 'base64', got '" + format + "'");
        }
        Integer dims = JsonFields.present(o, "dimensions") ? (int) JsonFields.integer(o, "dimensions", 0, 1, 65536) : null;
        return new EmbeddingRequest(model, List.copyOf(texts), format.equals("base64"), dims);
    }
}
