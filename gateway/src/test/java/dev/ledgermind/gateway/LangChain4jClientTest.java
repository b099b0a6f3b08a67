package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.http.client.sse.ServerSentEvent;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiChatResponseMetadata;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import dev.langchain4j.model.output.Response;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.node.task.TaskInput;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;

/**
 * LangChain4j's OpenAI client ({@code langchain4j-open-ai}, unchanged) against a running gateway on the
 * local backend: chat, streaming chat and embeddings, each answer with a receipt that verifies.
 */
class LangChain4jClientTest {
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
    void chatAnswersWithAReceiptThatVerifies() throws Exception {
        OpenAiChatModel model = OpenAiChatModel.builder().baseUrl(gw.url() + "/v1").apiKey("unused").modelName(TestGateway.DECODER)
                .temperature(0.0).seed(7).maxTokens(12).build();
        ChatResponse r = model.chat(ChatRequest.builder().messages(UserMessage.from("Say hello")).build());
        assertNotNull(r.aiMessage().text());
        assertEquals(12, r.tokenUsage().outputTokenCount(), "greedy on random weights runs to max_tokens");
        OpenAiChatResponseMetadata meta = (OpenAiChatResponseMetadata) r.metadata();
        String receiptId = meta.rawHttpResponse().headers().get("Ledgermind-Receipt").getFirst();
        JsonNode body = TestGateway.JSON.readTree(meta.rawHttpResponse().body());
        JsonNode receipt = body.path("ledgermind").path("receipts").path(0);
        assertEquals(receiptId, receipt.path("id").asText());
        assertEquals("local", receipt.path("mode").asText());
        assertTrue(receipt.path("traceRoot").asText().matches("0x[0-9a-f]{64}"), receipt.toString());
        JsonNode v = gw.verify(receiptId);
        assertTrue(v.path("verified").asBoolean(), v.toString());

        // the same request again gives the same bits, so the same receipt
        ChatResponse again = model.chat(ChatRequest.builder().messages(UserMessage.from("Say hello")).build());
        assertEquals(r.aiMessage().text(), again.aiMessage().text());
        assertEquals(receiptId, ((OpenAiChatResponseMetadata) again.metadata()).rawHttpResponse().headers().get("Ledgermind-Receipt").getFirst());
    }

    @Test
    void streamingChatDeliversTheSameTextAsNonStreamingAndEndsWithAReceipt() throws Exception {
        OpenAiChatModel plain = OpenAiChatModel.builder().baseUrl(gw.url() + "/v1").apiKey("unused").modelName(TestGateway.DECODER)
                .temperature(0.7).seed(3).maxTokens(10).build();
        String expected = plain.chat(ChatRequest.builder().messages(UserMessage.from("Tell a story")).build()).aiMessage().text();

        OpenAiStreamingChatModel streaming = OpenAiStreamingChatModel.builder().baseUrl(gw.url() + "/v1").apiKey("unused")
                .modelName(TestGateway.DECODER).temperature(0.7).seed(3).maxTokens(10).returnThinking(false).build();
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        StringBuilder partials = new StringBuilder();
        int[] pieces = {0};
        streaming.chat(ChatRequest.builder().messages(UserMessage.from("Tell a story")).build(), new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partial) {
                partials.append(partial);
                pieces[0]++;
            }

            @Override
            public void onCompleteResponse(ChatResponse response) {
                done.complete(response);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        ChatResponse r = done.get(120, TimeUnit.SECONDS);
        assertEquals(expected, r.aiMessage().text());
        assertEquals(expected, partials.toString());
        assertTrue(pieces[0] > 1, "the text came in pieces: " + pieces[0]);
        List<ServerSentEvent> events = ((OpenAiChatResponseMetadata) r.metadata()).rawServerSentEvents();
        String receiptId = null;
        for (ServerSentEvent e : events) {
            if (e.data().startsWith("{")) {
                JsonNode chunk = TestGateway.JSON.readTree(e.data());
                assertFalse(chunk.path("choices").isEmpty() && !chunk.has("usage"), "an empty choices array outside the usage chunk: " + e.data());
                if (chunk.has("ledgermind")) receiptId = chunk.path("ledgermind").path("receipts").path(0).path("id").asText();
            }
        }
        assertNotNull(receiptId, "the last chunk carries the receipt");
        assertTrue(gw.verify(receiptId).path("verified").asBoolean());
    }

    @Test
    void embeddingsOfABatchMatchTheEngineAndTheReceiptNamesTheInput() throws Exception {
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().baseUrl(gw.url() + "/v1").apiKey("unused")
                .modelName(TestGateway.ENCODER).build();
        List<TextSegment> texts = List.of(TextSegment.from("A cat sits on the mat"), TextSegment.from("A kitten rests on a rug"),
                TextSegment.from("Interest rates rose again"));
        Response<List<Embedding>> r = model.embedAll(texts);
        assertEquals(3, r.content().size());
        float[] cat = r.content().get(0).vector(), kitten = r.content().get(1).vector(), rates = r.content().get(2).vector();
        assertEquals(384, cat.length);
        assertEquals(1.0, dot(cat, cat), 1e-4, "unit vectors");
        assertTrue(dot(cat, kitten) > dot(cat, rates) + 0.2, "paraphrases are closer than unrelated text");
        JsonNode receipt = gw.newestReceipt();
        TaskInput expected = TaskInput.embed(TestGateway.ENCODER, texts.stream().map(TextSegment::text).toList());
        assertEquals(Keccak256.hex(Keccak256.hash(expected.bytes())), receipt.path("inputHash").asText(), "the receipt is for exactly these texts");
        assertTrue(gw.verify(receipt.path("id").asText()).path("verified").asBoolean());
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }
}
