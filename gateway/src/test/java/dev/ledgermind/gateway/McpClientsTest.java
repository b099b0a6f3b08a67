package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The gateway as an MCP server: the MCP Java SDK client and the TypeScript SDK client (from npm) list the
 * tools, call classify and verify_receipt, and get receipts; a client of the stateless 2026-07-28 revision
 * discovers the server with server/discover and calls a tool with no handshake.
 */
class McpClientsTest {
    @TempDir
    static Path dir;
    static TestGateway gw;

    @BeforeAll
    static void start() throws Exception {
        gw = TestGateway.start(dir, GatewayConfig.defaults());
    }

    @AfterAll
    static void stop() {
        if (gw != null) gw.close();
    }

    @Test
    void theJavaSdkClientClassifiesAndVerifiesTheReceipt() {
        var transport = HttpClientStreamableHttpTransport.builder(gw.url()).endpoint("/mcp").build();
        try (McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(120)).build()) {
            McpSchema.InitializeResult init = client.initialize();
            assertEquals("ledgermind-gateway", init.serverInfo().name());
            List<String> tools = client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
            assertEquals(List.of("embed", "similarity", "classify", "generate", "verify_receipt"), tools);
            McpSchema.CallToolResult r = client.callTool(new McpSchema.CallToolRequest("classify",
                    Map.of("text", "My parcel arrived smashed and nobody answers", "labels", List.of("complaint", "praise", "question"))));
            assertFalse(Boolean.TRUE.equals(r.isError()), r.toString());
            @SuppressWarnings("unchecked")
            Map<String, Object> s = (Map<String, Object>) r.structuredContent();
            assertEquals("complaint", s.get("label"));
            @SuppressWarnings("unchecked")
            Map<String, Object> receipt = (Map<String, Object>) s.get("receipt");
            assertTrue(((String) receipt.get("resultHash")).matches("0x[0-9a-f]{64}"));
            McpSchema.CallToolResult v = client.callTool(new McpSchema.CallToolRequest("verify_receipt", Map.of("id", receipt.get("id"))));
            @SuppressWarnings("unchecked")
            Map<String, Object> vs = (Map<String, Object>) v.structuredContent();
            assertEquals(Boolean.TRUE, vs.get("verified"), vs.toString());
            // a tool error is a result the model can read, not a protocol failure
            McpSchema.CallToolResult bad = client.callTool(new McpSchema.CallToolRequest("classify", Map.of("text", "x", "labels", List.of("one"))));
            assertEquals(Boolean.TRUE, bad.isError());
        }
    }

    @Test
    void theTypeScriptSdkClientClassifiesAndVerifiesTheReceipt() throws Exception {
        JsonNode out = NodeScript.run("mcp-client.mjs", gw.url());
        assertEquals("ledgermind-gateway", out.path("server").path("name").asText());
        assertEquals(5, out.path("tools").size(), out.toString());
        assertEquals("complaint", out.path("classify").path("label").asText());
        assertTrue(out.path("verify").path("verified").asBoolean(), out.path("verify").toString());
        assertTrue(out.path("badIsError").asBoolean());
    }

    @Test
    void aStatelessClientDiscoversTheServerAndCallsAToolWithoutAHandshake() throws Exception {
        String meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/clientCapabilities\":{}}";
        HttpResponse<String> d = gw.post("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" + meta + "}}");
        JsonNode discover = TestGateway.JSON.readTree(d.body()).path("result");
        assertEquals("complete", discover.path("resultType").asText(), d.body());
        assertEquals("2026-07-28", discover.path("supportedVersions").path(0).asText());
        assertTrue(discover.path("capabilities").has("tools"));
        assertFalse(d.headers().firstValue("Mcp-Session-Id").isPresent(), "stateless: no session");
        HttpResponse<String> c = gw.post("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"similarity\","
                + "\"arguments\":{\"a\":\"A cat sits on the mat\",\"b\":\"A kitten rests on a rug\"}," + meta + "}}");
        JsonNode result = TestGateway.JSON.readTree(c.body()).path("result");
        assertEquals("complete", result.path("resultType").asText());
        double cosine = result.path("structuredContent").path("cosine").asDouble();
        assertTrue(cosine > 0.5 && cosine <= 1.0001, c.body());
        assertTrue(gw.verify(result.path("structuredContent").path("receipt").path("id").asText()).path("verified").asBoolean());
        HttpResponse<String> old = gw.post("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{\"_meta\":"
                + "{\"io.modelcontextprotocol/protocolVersion\":\"1999-01-01\"}}}");
        assertEquals(400, old.statusCode());
        assertEquals(-32602, TestGateway.JSON.readTree(old.body()).path("error").path("code").asInt());
        assertEquals(-32601, TestGateway.JSON.readTree(gw.post("/mcp", "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"nope\"}").body())
                .path("error").path("code").asInt());
    }
}
