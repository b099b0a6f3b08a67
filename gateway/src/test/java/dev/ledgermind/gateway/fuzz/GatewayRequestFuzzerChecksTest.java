package dev.ledgermind.gateway.fuzz;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The fuzz target's checks catch what they promise to catch: a finding must fail, a good answer must pass.
 * (The gateway itself is exercised by {@link GatewayFuzzTest}; this is about the oracle.)
 */
class GatewayRequestFuzzerChecksTest {
    private static final String CHAT = "/v1/chat/completions";

    static void finding(String path, int status, String contentType, String body) {
        assertThrows(AssertionError.class, () -> GatewayRequestFuzzer.check(path, status, contentType, body), body);
    }

    @Test
    void serverErrorsAndUnnamedClientErrorsAreFindings() {
        finding(CHAT, 500, "application/json", "{\"error\":{\"message\":\"internal error: x\",\"type\":\"server_error\",\"param\":null,\"code\":\"internal_error\"}}");
        finding(CHAT, 503, "application/json", "{\"error\":{\"message\":\"busy\",\"type\":\"server_error\",\"param\":null,\"code\":\"engine_busy\"}}");
        // a 400 that names nothing: the IllegalArgumentException fallback of the gateway gives param null
        finding(CHAT, 400, "application/json", "{\"error\":{\"message\":\"bad\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_value\"}}");
        // not OpenAI's shape
        finding(CHAT, 400, "application/json", "{\"message\":\"bad\"}");
        finding(CHAT, 400, "text/plain", "Bad Request");
        finding(CHAT, 400, "application/json", "{\"error\":{\"message\":\"x\",\"type\":\"invalid_request_error\",\"code\":\"invalid_value\"}}");
        // a 200 that is no completion, an error event of the server inside a stream
        finding(CHAT, 200, "application/json", "{\"object\":\"list\"}");
        finding(CHAT, 200, "text/event-stream", "data: {\"error\":{\"message\":\"m\",\"type\":\"server_error\",\"param\":null,\"code\":\"c\"}}\n\n");
    }

    @Test
    void mcpInternalErrorsAndNonJsonRpcAnswersAreFindings() {
        finding("/mcp", 200, "application/json", "{\"jsonrpc\":\"2.0\",\"id\":1,\"error\":{\"code\":-32603,\"message\":\"internal error: java.lang.IllegalStateException\"}}");
        finding("/mcp", 500, "application/json", "");
        finding("/mcp", 200, "application/json", "{\"id\":1,\"result\":{}}");
        finding("/mcp", 202, "application/json", "{\"jsonrpc\":\"2.0\"}");
    }

    @Test
    void namedClientErrorsCompletionsAndJsonRpcErrorsPass() {
        assertDoesNotThrow(() -> GatewayRequestFuzzer.check(CHAT, 400, "application/json",
                "{\"error\":{\"message\":\"'messages[0].role' must be ...\",\"type\":\"invalid_request_error\",\"param\":\"messages[0].role\",\"code\":\"invalid_value\"}}"));
        assertDoesNotThrow(() -> GatewayRequestFuzzer.check(CHAT, 400, "application/json",
                "{\"error\":{\"message\":\"the request body is not valid JSON (line 1, column 9): Unexpected\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"invalid_json\"}}"));
        assertDoesNotThrow(() -> GatewayRequestFuzzer.check(CHAT, 200, "application/json", "{\"choices\":[]}"));
        assertDoesNotThrow(() -> GatewayRequestFuzzer.check(CHAT, 200, "text/event-stream; charset=utf-8",
                "data: {\"choices\":[{\"index\":0}]}\n\n: heartbeat\n\ndata: [DONE]\n\n"));
        assertDoesNotThrow(() -> GatewayRequestFuzzer.check("/mcp", 200, "application/json",
                "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,\"message\":\"parse error: x\"}}"));
        assertDoesNotThrow(() -> GatewayRequestFuzzer.check("/mcp", 202, "", ""));
    }
}
