package dev.ledgermind.gateway;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An error answered in OpenAI's shape: {@code {"error": {"message", "type", "param", "code"}}} with an
 * HTTP status. {@code param} names the offending field as a JSON path ({@code messages[1].content}).
 */
public final class ApiError extends RuntimeException {
    public final int status;
    public final String type;
    public final String param;
    public final String code;

    public ApiError(int status, String type, String code, String param, String message) {
        super(message);
        this.status = status;
        this.type = type;
        this.code = code;
        this.param = param;
    }

    public static ApiError invalid(String param, String message) {
        return new ApiError(400, "invalid_request_error", "invalid_value", param, message);
    }

    public static ApiError missing(String param) {
        return new ApiError(400, "invalid_request_error", "missing_required_parameter", param, "missing required parameter '" + param + "'");
    }

    public static ApiError unsupported(String param, String message) {
        return new ApiError(400, "invalid_request_error", "unsupported_parameter", param, message);
    }

    public static ApiError unknownModel(String model, Iterable<String> known) {
        return new ApiError(404, "invalid_request_error", "model_not_found", "model",
                "The model '" + model + "' does not exist on this gateway; it serves " + known);
    }

    public static ApiError notFound(String message) {
        return new ApiError(404, "not_found_error", "not_found", null, message);
    }

    public Map<String, Object> body() {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", getMessage());
        e.put("type", type);
        e.put("param", param);
        e.put("code", code);
        return Map.of("error", e);
    }
}
