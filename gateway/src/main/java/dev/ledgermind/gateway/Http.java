package dev.ledgermind.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;

/** Request bodies, read with a hard size limit and parsed with errors that say where the JSON broke. */
final class Http {
    private Http() {}

    static JsonNode body(Context ctx, long max, ObjectMapper json) {
        long declared = ctx.req().getContentLengthLong();
        if (declared > max) throw tooLarge(declared + " bytes", max);
        byte[] bytes;
        try (InputStream in = ctx.req().getInputStream()) {
            bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, max + 1));
        } catch (IOException e) {
            throw new ApiError(400, "invalid_request_error", "body_unreadable", null, "cannot read the request body: " + e.getMessage());
        }
        if (bytes.length > max) throw tooLarge("more than " + max + " bytes", max);
        if (bytes.length == 0) throw ApiError.invalid(null, "the request body is empty; expected a JSON object");
        try {
            JsonNode n = json.readTree(bytes);
            if (n == null || !n.isObject()) throw ApiError.invalid(null, "the request body must be a JSON object, got " + (n == null ? "nothing" : JsonFields.kind(n)));
            return n;
        } catch (JsonProcessingException e) {
            var loc = e.getLocation();
            throw new ApiError(400, "invalid_request_error", "invalid_json", null, "the request body is not valid JSON"
                    + (loc != null ? " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")" : "") + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ApiError(400, "invalid_request_error", "invalid_json", null, "the request body is not valid JSON: " + e.getMessage());
        }
    }

    private static ApiError tooLarge(String size, long max) {
        return new ApiError(413, "invalid_request_error", "request_too_large", null,
                "the request body is " + size + "; this gateway accepts at most " + max + " bytes");
    }
}
