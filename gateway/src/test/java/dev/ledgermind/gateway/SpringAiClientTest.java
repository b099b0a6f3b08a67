package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledgermind.inference.chat.ChatMessage;
import dev.ledgermind.inference.chat.ChatTemplate;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.trace.Keccak256;
import dev.ledgermind.node.task.TaskInput;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.embedding.EmbeddingResponse;
import org.springframework.ai.openai.OpenAiChatModel;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.openai.OpenAiEmbeddingModel;
import org.springframework.ai.openai.OpenAiEmbeddingOptions;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Spring AI's OpenAI chat and embedding clients ({@code spring-ai-openai} 2.0.1, on the official OpenAI
 * Java SDK), unchanged, against a running gateway: chat, streaming chat with usage, and embeddings; each
 * answer's receipt names exactly what was asked and verifies.
 */
class SpringAiClientTest {
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

    OpenAiChatModel chat(boolean streamUsage) {
        return OpenAiChatModel.builder().options(OpenAiChatOptions.builder().baseUrl(gw.url() + "/v1").apiKey("unused")
                .model(TestGateway.DECODER).temperature(0.0).seed(9).maxTokens(8).streamUsage(streamUsage)
                .timeout(Duration.ofMinutes(2)).maxRetries(0).build()).build();
    }

    /** The input hash of the generate task for one user turn, computed from the model's own template. */
    static String expectedInputHash(String user, int maxTokens, long seed) throws Exception {
        try (LlamaModel m = LlamaModel.load(TestGateway.tinyGguf(dir))) {
            String prompt = ChatTemplate.forModel(m).promptText(List.of(new ChatMessage("user", user)), true);
            return Keccak256.hex(Keccak256.hash(TaskInput.generate(TestGateway.DECODER, prompt, maxTokens, 0f, seed).bytes()));
        }
    }

    @Test
    void chatAndStreamingChatAgreeAndTheReceiptVerifies() throws Exception {
        ChatResponse whole = chat(false).call(new Prompt("Hello spring"));
        String text = whole.getResult().getOutput().getText();
        assertNotNull(text);
        JsonNode receipt = gw.newestReceipt();
        assertEquals(expectedInputHash("Hello spring", 8, 9), receipt.path("inputHash").asText());
        assertTrue(gw.verify(receipt.path("id").asText()).path("verified").asBoolean());

        List<ChatResponse> chunks = chat(true).stream(new Prompt("Hello spring")).collectList().block(Duration.ofMinutes(2));
        assertNotNull(chunks);
        String streamed = chunks.stream().filter(c -> c.getResult() != null && c.getResult().getOutput() != null)
                .map(c -> c.getResult().getOutput().getText()).filter(Objects::nonNull).collect(Collectors.joining());
        assertEquals(text, streamed);
        ChatResponse last = chunks.getLast();
        assertEquals(8, last.getMetadata().getUsage().getCompletionTokens(), "the usage chunk reached Spring AI: " + last.getMetadata());
        assertEquals(receipt.path("id").asText(), gw.newestReceipt().path("id").asText(), "same request, same receipt");
    }

    @Test
    void embeddingsMatchTheTextsAndTheReceiptVerifies() throws Exception {
        OpenAiEmbeddingModel model = OpenAiEmbeddingModel.builder().options(OpenAiEmbeddingOptions.builder().baseUrl(gw.url() + "/v1")
                .apiKey("unused").model(TestGateway.ENCODER).maxRetries(0).build()).build();
        List<String> texts = List.of("Spring greets the gateway", "Receipts for every answer");
        EmbeddingResponse r = model.embedForResponse(texts);
        assertEquals(2, r.getResults().size());
        assertEquals(384, r.getResults().getFirst().getOutput().length);
        JsonNode receipt = gw.newestReceipt();
        assertEquals(Keccak256.hex(Keccak256.hash(TaskInput.embed(TestGateway.ENCODER, texts).bytes())), receipt.path("inputHash").asText());
        assertTrue(gw.verify(receipt.path("id").asText()).path("verified").asBoolean());
    }
}
