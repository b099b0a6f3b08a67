package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The official {@code openai} npm client, unchanged (src/test/js/openai-client.mjs, installed by the build
 * with npm ci), against a running gateway: chat streaming with include_usage, embeddings in base64.
 */
class OpenAiNpmClientTest {
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
    void streamingChatWithUsageAndBase64EmbeddingsCarryReceiptsThatVerify() throws Exception {
        JsonNode out = NodeScript.run("openai-client.mjs", gw.url());
        JsonNode chat = out.path("chat");
        assertEquals(out.path("chatWhole").path("text").asText(), chat.path("text").asText(), "streamed text equals the whole answer");
        assertEquals(1, chat.path("emptyChoiceChunks").asInt(), "only the usage chunk has empty choices: " + chat);
        assertEquals(8, chat.path("usage").path("completion_tokens").asInt(), chat.toString());
        assertEquals(chat.path("usage").path("prompt_tokens").asInt() + 8, chat.path("usage").path("total_tokens").asInt());
        assertEquals("length", chat.path("finish").asText());
        assertEquals(out.path("chatWhole").path("receiptId").asText(), chat.path("receiptId").asText(),
                "same request, same bits, same receipt");
        assertTrue(gw.verify(chat.path("receiptId").asText()).path("verified").asBoolean());

        JsonNode auto = out.path("embeddings").path("auto"), b64 = out.path("embeddings").path("base64"), flt = out.path("embeddings").path("float");
        assertTrue(out.path("embeddings").path("base64IsString").asBoolean());
        assertEquals(2, b64.size());
        assertEquals(384, b64.path(0).size());
        assertEquals(384, auto.path(0).size());
        for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 384; j++) {
                float f = (float) flt.path(i).path(j).asDouble();
                assertEquals(f, (float) b64.path(i).path(j).asDouble(), "base64 and float agree at " + i + "," + j);
                assertEquals(f, (float) auto.path(i).path(j).asDouble(), "the client's own base64 decoding agrees at " + i + "," + j);
            }
        }
        assertTrue(gw.verify(out.path("embeddings").path("receiptId").asText()).path("verified").asBoolean());

        JsonNode err = out.path("error");
        assertEquals(404, err.path("status").asInt());
        assertEquals("model_not_found", err.path("code").asText());
        assertEquals("model", err.path("param").asText());
    }
}
