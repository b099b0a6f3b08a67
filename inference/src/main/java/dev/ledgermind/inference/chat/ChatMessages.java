package dev.ledgermind.inference.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.ArrayList;
import java.util.List;

/**
 * Conversations as JSON, in the OpenAI/Hugging Face shape: {@code [{"role": "user", "content": "..."}, ...]} or
 * {@code {"messages": [...]}}. Errors name the JSON path that was wrong.
 */
public final class ChatMessages {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ChatMessages() {
    }

    public static List<ChatMessage> fromJson(String json, String source) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(source + ": not JSON: " + e.getOriginalMessage() + " (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ")");
        }
        String path = "$";
        if (root != null && root.isObject()) {
            root = root.get("messages");
            path = "$.messages";
            if (root == null) throw new IllegalArgumentException(source + ": $ is an object without \"messages\"");
        }
        if (root == null || !root.isArray()) throw new IllegalArgumentException(source + ": " + path + " should be an array of messages");
        if (root.isEmpty()) throw new IllegalArgumentException(source + ": " + path + " has no messages");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) {
            JsonNode m = root.get(i);
            String at = path + "[" + i + "]";
            if (!m.isObject()) throw new IllegalArgumentException(source + ": " + at + " should be an object with \"role\" and \"content\"");
            out.add(new ChatMessage(text(m, "role", at, source), text(m, "content", at, source)));
        }
        return out;
    }

    private static String text(JsonNode m, String field, String at, String source) {
        JsonNode v = m.get(field);
        if (v == null || !v.isTextual()) {
            throw new IllegalArgumentException(source + ": " + at + "." + field + " should be a string, found " + (v == null ? "nothing" : v.getNodeType().name().toLowerCase()));
        }
        if (field.equals("role") && v.asText().isBlank()) throw new IllegalArgumentException(source + ": " + at + ".role is empty");
        return v.asText();
    }
}
