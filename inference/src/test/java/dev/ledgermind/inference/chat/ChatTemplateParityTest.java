package dev.ledgermind.inference.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.ledgermind.inference.gguf.GgufMetadata;
import dev.ledgermind.inference.tokenizer.LlamaCppReference;
import dev.ledgermind.inference.tokenizer.Tokenizer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The GGUF's own chat template, rendered with jinjava, gives llama.cpp's text and prompt ids (llama.cpp's own
 * Jinja engine, chat.json) for Llama 3.1 (date preamble), Qwen2.5 and Qwen2-Instruct (default system prompts),
 * Llama 2 (<<SYS>> and per-turn <s>...</s>), Mistral Instruct and SmolLM2: 3-message and multi-turn
 * conversations, with and without a system message; where llama.cpp's template raised, ours raises too.
 */
class ChatTemplateParityTest {
    private static final JsonNode CHAT = LlamaCppReference.json("chat.json");

    @TestFactory
    Stream<DynamicTest> promptIdsEqualLlamaCppsJinjaRendering() {
        Map<String, List<ChatMessage>> conversations = new java.util.HashMap<>();
        Map<String, Boolean> generationPrompt = new java.util.HashMap<>();
        for (JsonNode c : CHAT.get("conversations")) {
            List<ChatMessage> ms = new ArrayList<>();
            for (JsonNode m : c.get("messages")) ms.add(new ChatMessage(m.get("role").asText(), m.get("content").asText()));
            conversations.put(c.get("name").asText(), ms);
            generationPrompt.put(c.get("name").asText(), c.get("addGenerationPrompt").asBoolean());
        }
        List<DynamicTest> tests = new ArrayList<>();
        for (JsonNode t : CHAT.get("templates")) {
            String name = t.get("name").asText();
            String file = t.get("vocab").asText() + ".gguf";
            for (JsonNode k : t.get("cases")) {
                String conv = k.get("conversation").asText();
                tests.add(DynamicTest.dynamicTest(name + " / " + conv, () -> {
                    GgufMetadata meta = LlamaCppReference.metadata(file, null);
                    Tokenizer tok = LlamaCppReference.tokenizer(file, null);
                    ChatTemplate template = t.get("template").isNull()
                            ? ChatTemplate.of(meta, tok)
                            : ChatTemplate.jinja(t.get("template").asText(), tok, name);
                    assertFalse(template.isBuiltIn(), template.origin());
                    List<ChatMessage> messages = conversations.get(conv);
                    boolean gen = generationPrompt.get(conv);
                    if (k.has("error")) {
                        String raised = k.get("error").asText().replaceFirst("^Error: Jinja Exception: ", "");
                        ChatTemplateException e = assertThrows(ChatTemplateException.class, () -> template.render(messages, gen));
                        assertTrue(e.getMessage().contains(raised), e.getMessage() + "\n  llama.cpp: " + raised);
                        return;
                    }
                    assertEquals(k.get("rendered").asText(), template.render(messages, gen), "rendered text");
                    int[] want = LlamaCppReference.ids(k.get("ids"));
                    int[] got = template.promptTokens(messages, gen);
                    assertArrayEquals(want, got, "prompt ids\n  llama.cpp  " + Arrays.toString(want) + "\n  ledgermind " + Arrays.toString(got));
                    // the text a front-end sends to nodes, tokenized as Generator.promptTokens does, gives the same ids
                    int[] body = tok.encode(template.promptText(messages, gen), true);
                    int[] viaText = tok.addBos() ? java.util.stream.IntStream.concat(java.util.stream.IntStream.of(tok.bos()), Arrays.stream(body)).toArray() : body;
                    assertArrayEquals(want, viaText, "promptText then BOS + encode");
                }));
            }
        }
        return tests.stream();
    }
}
