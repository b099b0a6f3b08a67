package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledgermind.inference.chat.ChatMessage;
import dev.ledgermind.inference.chat.ChatTemplate;

import java.util.ArrayList;
import java.util.List;

/**
 * A {@code /v1/chat/completions} or {@code /v1/completions} request, validated. Exactly one of
 * {@code messages} (chat) and {@code prompt} (completions) is set.
 *
 * <p>Accepted and honoured: model, messages (string or text-part content; tool and assistant turns with
 * {@code tool_calls}), prompt, n, temperature, top_p, seed, max_tokens / max_completion_tokens, stop,
 * stream, stream_options.include_usage. Accepted and ignored: user, metadata, store, tools when
 * tool_choice is not "required", parallel_tool_calls, zero penalties. Anything this engine cannot honour
 * (non-zero penalties, logit_bias, logprobs, a required tool call, JSON response formats, images) is a
 * 400 naming the field, rather than a silently different answer.
 */
record ChatRequest(String model, List<ChatMessage> messages, String prompt, int n, float temperature, float topP,
                   long seed, Integer maxTokens, List<String> stop, boolean stream, boolean includeUsage) {
    static final long DEFAULT_SEED = 42;

    static ChatRequest parse(JsonNode o, boolean chat) {
        if (o == null || !o.isObject()) throw ApiError.invalid(null, "the request body must be a JSON object");
        String model = JsonFields.string(o, "model", "model");
        List<ChatMessage> messages = null;
        String prompt = null;
        if (chat) {
            messages = messages(o);
        } else {
            JsonNode p = o.get("prompt");
            if (p == null || p.isNull()) throw ApiError.missing("prompt");
            if (p.isTextual()) prompt = p.asText();
            else if (p.isArray() && p.size() == 1 && p.get(0).isTextual()) prompt = p.get(0).asText();
            else throw ApiError.invalid("prompt", "'prompt' must be a string (or an array of one string); token arrays and batches are not supported");
            if (prompt.isEmpty()) throw ApiError.invalid("prompt", "'prompt' must not be empty");
        }
        int n = (int) JsonFields.integer(o, "n", 1, 1, 8);
        float temperature = (float) JsonFields.number(o, "temperature", 1.0, 0, 2);
        float topP = (float) JsonFields.number(o, "top_p", 1.0, 0, 1);
        if (topP == 0f) throw ApiError.invalid("top_p", "'top_p' must be greater than 0");
        long seed = JsonFields.integer(o, "seed", DEFAULT_SEED, Long.MIN_VALUE, Long.MAX_VALUE);
        Integer maxTokens = null;
        for (String f : List.of("max_completion_tokens", "max_tokens")) {
            if (JsonFields.present(o, f) && maxTokens == null) maxTokens = (int) JsonFields.integer(o, f, 0, 1, Integer.MAX_VALUE);
        }
        List<String> stop = stop(o.get("stop"));
        boolean stream = JsonFields.bool(o, "stream", false);
        boolean includeUsage = false;
        JsonNode so = o.get("stream_options");
        if (so != null && !so.isNull()) {
            if (!so.isObject()) throw ApiError.invalid("stream_options", "'stream_options' must be an object");
            if (!stream) throw ApiError.invalid("stream_options", "'stream_options' is only allowed when 'stream' is true");
            includeUsage = JsonFields.bool(so, "include_usage", false);
        }
        for (String f : List.of("presence_penalty", "frequency_penalty")) {
            if (JsonFields.number(o, f, 0, -2, 2) != 0) throw ApiError.unsupported(f, "'" + f + "' is not supported: the deterministic sampler has no penalties");
        }
        if (JsonFields.present(o, "logit_bias") && o.get("logit_bias").size() > 0) throw ApiError.unsupported("logit_bias", "'logit_bias' is not supported");
        if (JsonFields.bool(o, "logprobs", false)) throw ApiError.unsupported("logprobs", "'logprobs' is not supported");
        JsonNode rf = o.get("response_format");
        if (rf != null && !rf.isNull() && !"text".equals(rf.path("type").asText())) {
            throw ApiError.unsupported("response_format", "only response_format {\"type\": \"text\"} is supported, got " + rf);
        }
        JsonNode tc = o.get("tool_choice");
        if (tc != null && (("required".equals(tc.asText())) || tc.isObject())) {
            throw ApiError.unsupported("tool_choice", "this gateway's models do not call tools; 'tool_choice' must be 'none' or 'auto'");
        }
        return new ChatRequest(model, messages, prompt, n, temperature, topP, seed, maxTokens, stop, stream, includeUsage);
    }

    private static List<ChatMessage> messages(JsonNode o) {
        JsonNode ms = o.get("messages");
        if (ms == null || ms.isNull()) throw ApiError.missing("messages");
        if (!ms.isArray() || ms.isEmpty()) throw ApiError.invalid("messages", "'messages' must be a non-empty array");
        List<ChatMessage> out = new ArrayList<>();
        for (int i = 0; i < ms.size(); i++) {
            JsonNode m = ms.get(i);
            String path = "messages[" + i + "]";
            if (!m.isObject()) throw ApiError.invalid(path, "'" + path + "' must be an object");
            String role = JsonFields.string(m, "role", path + ".role");
            if (!List.of("system", "developer", "user", "assistant", "tool").contains(role)) {
                throw ApiError.invalid(path + ".role", "'" + path + ".role' must be system, developer, user, assistant or tool, got '" + role + "'");
            }
            String content = content(m.get("content"), path + ".content");
            if (content == null) {
                boolean toolCalls = m.has("tool_calls") && m.get("tool_calls").isArray();
                if (!role.equals("assistant") || !toolCalls) throw ApiError.missing(path + ".content");
                content = toolCallsText(m.get("tool_calls"));
            }
            out.add(new ChatMessage(role.equals("developer") ? "system" : role, content));
        }
        return out;
    }

    /** An assistant turn that only called tools, as text for the template; null arguments count as {}. */
    private static String toolCallsText(JsonNode calls) {
        StringBuilder sb = new StringBuilder();
        for (JsonNode c : calls) {
            JsonNode f = c.path("function");
            String args = f.path("arguments").isNull() || f.path("arguments").isMissingNode() ? "{}" : f.path("arguments").asText();
            sb.append(f.path("name").asText()).append(args);
        }
        return sb.toString();
    }

    private static String content(JsonNode c, String path) {
        if (c == null || c.isNull()) return null;
        if (c.isTextual()) return c.asText();
        if (c.isArray()) {
            StringBuilder sb = new StringBuilder();
            for (int j = 0; j < c.size(); j++) {
                JsonNode part = c.get(j);
                String type = part.path("type").asText();
                if (!type.equals("text")) {
                    throw ApiError.unsupported(path + "[" + j + "].type", "only text content parts are supported, got '" + type + "'");
                }
                sb.append(JsonFields.string(part, "text", path + "[" + j + "].text"));
            }
            return sb.toString();
        }
        throw ApiError.invalid(path, "'" + path + "' must be a string or an array of content parts, got " + JsonFields.kind(c));
    }

    private static List<String> stop(JsonNode s) {
        if (s == null || s.isNull()) return List.of();
        List<String> out = new ArrayList<>();
        if (s.isTextual()) out.add(s.asText());
        else if (s.isArray()) {
            for (int i = 0; i < s.size(); i++) {
                if (!s.get(i).isTextual()) throw ApiError.invalid("stop[" + i + "]", "'stop[" + i + "]' must be a string");
                out.add(s.get(i).asText());
            }
        } else throw ApiError.invalid("stop", "'stop' must be a string or an array of strings");
        if (out.size() > 4) throw ApiError.invalid("stop", "'stop' may hold at most 4 sequences, got " + out.size());
        if (out.stream().anyMatch(String::isEmpty)) throw ApiError.invalid("stop", "'stop' sequences must not be empty");
        return List.copyOf(out);
    }
}
