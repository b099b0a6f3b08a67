package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;

/** Typed reads of request fields; a wrong type or range is an {@link ApiError} naming the field. */
final class JsonFields {
    private JsonFields() {}

    static boolean present(JsonNode o, String field) {
        return o.has(field) && !o.get(field).isNull();
    }

    static String string(JsonNode o, String field, String path) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) throw ApiError.missing(path);
        if (!n.isTextual()) throw ApiError.invalid(path, "'" + path + "' must be a string, got " + kind(n));
        return n.asText();
    }

    static double number(JsonNode o, String field, double fallback, double min, double max) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) return fallback;
        if (!n.isNumber()) throw ApiError.invalid(field, "'" + field + "' must be a number, got " + kind(n));
        double v = n.asDouble();
        if (!(v >= min && v <= max)) throw ApiError.invalid(field, "'" + field + "' must be between " + min + " and " + max + ", got " + v);
        return v;
    }

    static long integer(JsonNode o, String field, long fallback, long min, long max) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) return fallback;
        if (!n.isIntegralNumber() || !n.canConvertToLong()) {
            throw ApiError.invalid(field, "'" + field + "' must be an integer, got " + (n.isNumber() ? n.asText() : kind(n)));
        }
        long v = n.asLong();
        if (v < min || v > max) throw ApiError.invalid(field, "'" + field + "' must be between " + min + " and " + max + ", got " + v);
        return v;
    }

    static boolean bool(JsonNode o, String field, boolean fallback) {
        JsonNode n = o.get(field);
        if (n == null || n.isNull()) return fallback;
        if (!n.isBoolean()) throw ApiError.invalid(field, "'" + field + "' must be a boolean, got " + kind(n));
        return n.asBoolean();
    }

    static String kind(JsonNode n) {
        return switch (n.getNodeType()) {
            case ARRAY -> "an array";
            case OBJECT -> "an object";
            case STRING -> "a string";
            case NUMBER -> "a number";
            case BOOLEAN -> "a boolean";
            case NULL -> "null";
            default -> n.getNodeType().name().toLowerCase();
        };
    }
}
