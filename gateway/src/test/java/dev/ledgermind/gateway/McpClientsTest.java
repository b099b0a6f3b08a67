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
 * The gateway as an MCP server: the MCP Java SDK client, LangChain4j's MCP client and the TypeScript SDK
 * client (from npm) list the tools, call classify and verify_receipt, and get receipts; a client of the stateless 2026-07-28 revision
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
    void langChain4jsMcpClientClassifiesAndVerifiesTheReceipt() throws Exception {
        var transport = new dev.langchain4j.mcp.client.transport.http.StreamableHttpMcpTransport.Builder().url(gw.url() + "/mcp")
                .timeout(Duration.ofSeconds(120)).build();
        try (var client = new dev.langchain4j.mcp.client.DefaultMcpClient.Builder().key("ledgermind").transport(transport)
                .toolExecutionTimeout(Duration.ofSeconds(120)).build()) {
            List<String> tools = client.listTools().stream().map(dev.langchain4j.agent.tool.ToolSpecification::name).toList();
            assertEquals(List.of("embed", "similarity", "classify", "generate", "verify_receipt"), tools);
            var classify = client.executeTool(dev.langchain4j.agent.tool.ToolExecutionRequest.builder().id("1").name("classify")
                    .arguments("{\"text\":\"Where is my order? It was due on Monday\",\"labels\":[\"complaint\",\"praise\",\"question\"]}").build());
            assertFalse(classify.isError(), classify.toString());
            JsonNode answer = TestGateway.JSON.readTree(classify.resultText());
            assertTrue(List.of("complaint", "question").contains(answer.path("label").asText()), answer.toString());
            String receiptId = answer.path("receipt").path("id").asText();
            assertTrue(answer.path("receipt").path("resultHash").asText().matches("0x[0-9a-f]{64}"), answer.toString());
            var verify = client.executeTool(dev.langchain4j.agent.tool.ToolExecutionRequest.builder().id("2").name("verify_receipt")
                    .arguments("{\"id\":\"" + receiptId + "\"}").build());
            assertTrue(TestGateway.JSON.readTree(verify.resultText()).path("verified").asBoolean(), verify.resultText());
            // LangChain4j turns a tool's error result into its ToolExecutionException, with the gateway's message
            var bad = assertThrows(dev.langchain4j.exception.ToolExecutionException.class, () -> client.executeTool(
                    dev.langchain4j.agent.tool.ToolExecutionRequest.builder().id("3").name("classify").arguments("{\"text\":\"x\",\"labels\":[\"one\"]}").build()));
            assertTrue(bad.getMessage().contains("classify needs at least two labels"), bad.getMessage());
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
