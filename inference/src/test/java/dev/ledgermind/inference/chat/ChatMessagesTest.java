package dev.ledgermind.inference.chat;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Conversations from JSON: both shapes read in order; each malformed input refused naming the JSON path. */
class ChatMessagesTest {
    @Test
    void readsAnArrayOrAMessagesObjectInOrder() {
        List<ChatMessage> a = ChatMessages.fromJson("[{\"role\":\"system\",\"content\":\"S\"},{\"role\":\"user\",\"content\":\"U\"}]", "a.json");
        assertEquals(List.of(ChatMessage.system("S"), ChatMessage.user("U")), a);
        List<ChatMessage> b = ChatMessages.fromJson("{\"model\":\"x\",\"messages\":[{\"role\":\"user\",\"content\":\"U\"},"
                + "{\"role\":\"assistant\",\"content\":\"A\"}]}", "b.json");
        assertEquals(List.of(ChatMessage.user("U"), ChatMessage.assistant("A")), b);
    }

    @Test
    void malformedConversationsNameWhatWasWrong() {
        assertMessage("c.json: not JSON", "[{\"role\":");
        assertMessage("c.json: $ is an object without \"messages\"", "{\"msgs\": []}");
        assertMessage("c.json: $.messages has no messages", "{\"messages\": []}");
        assertMessage("c.json: $ should be an array of messages", "\"hello\"");
        assertMessage("c.json: $[0] should be an object", "[\"hello\"]");
        assertMessage("c.json: $[1].role should be a string, found nothing", "[{\"role\":\"user\",\"content\":\"x\"},{\"content\":\"y\"}]");
        assertMessage("c.json: $.messages[0].content should be a string, found number", "{\"messages\":[{\"role\":\"user\",\"content\":3}]}");
        assertMessage("c.json: $[0].role is empty", "[{\"role\":\" \",\"content\":\"x\"}]");
    }

    private static void assertMessage(String expected, String json) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChatMessages.fromJson(json, "c.json"));
        assertTrue(e.getMessage().startsWith(expected), e.getMessage());
    }
}
