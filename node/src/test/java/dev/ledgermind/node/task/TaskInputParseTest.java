package dev.ledgermind.node.task;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Task input bytes from the chain: canonical inputs round-trip, and every malformed one is an
 * {@link IllegalArgumentException} that names the JSON path or the offset (the worker turns it into the
 * canonical error output; any other exception would stop its event loop).
 */
class TaskInputParseTest {
    static IllegalArgumentException reject(String json) {
        return assertThrows(IllegalArgumentException.class, () -> TaskInput.parse(json.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void theCanonicalBytesDoNotDependOnTheDefaultLocale() {
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.forLanguageTag("tr-TR"));
            // in Turkish, "SIMILARITY".toLowerCase() is "sımılarıty" (dotless i): the hash would differ per node
            byte[] b = TaskInput.similarity("m", "a", "b").bytes();
            assertEquals("{\"kind\":\"similarity\",\"model\":\"m\",\"texts\":[\"a\",\"b\"]}", new String(b, StandardCharsets.UTF_8));
            assertEquals(TaskKind.SIMILARITY, TaskInput.parse(b).kind());
        } finally {
            Locale.setDefault(before);
        }
    }

    @Test
    void canonicalInputsOfEveryKindRoundTrip() {
        for (TaskInput t : List.of(TaskInput.embed("m", List.of("x", "y")), TaskInput.similarity("m", "a", "b"),
                TaskInput.classify("m", "t", List.of("p", "q")), TaskInput.generate("g", "Hi", 8, 0.5f, 7))) {
            assertEquals(t, TaskInput.parse(t.bytes()));
        }
    }

    @Test
    void topPTravelsInTheInputOnlyWhenBelowOne() {
        // written out by hand: the bytes every node hashes
        assertEquals("{\"kind\":\"generate\",\"model\":\"g\",\"prompt\":\"Hi\",\"maxTokens\":8,\"temperature\":0.5,\"seed\":7}",
                new String(TaskInput.generate("g", "Hi", 8, 0.5f, 7, 1f).bytes(), StandardCharsets.UTF_8), "top_p 1: the bytes inputs always had");
        byte[] nucleus = TaskInput.generate("g", "Hi", 8, 0.5f, 7, 0.9f).bytes();
        assertEquals("{\"kind\":\"generate\",\"model\":\"g\",\"prompt\":\"Hi\",\"maxTokens\":8,\"temperature\":0.5,\"seed\":7,\"topP\":0.9}",
                new String(nucleus, StandardCharsets.UTF_8));
        assertEquals(0.9f, TaskInput.parse(nucleus).topP());
        assertEquals("task input: $.topP must be in (0, 1], got 1.5",
                reject("{\"kind\":\"generate\",\"model\":\"g\",\"prompt\":\"Hi\",\"maxTokens\":8,\"temperature\":0.5,\"seed\":7,\"topP\":1.5}").getMessage());
        assertTrue(reject("{\"kind\":\"generate\",\"model\":\"g\",\"prompt\":\"Hi\",\"maxTokens\":8,\"temperature\":0.5,\"seed\":7,\"topP\":1}")
                .getMessage().contains("canonical form"), "top_p 1 written out is not canonical (it is left out)");
    }

    @Test
    void errorsNameTheJsonPathOrTheOffset() {
        assertEquals("task input: $.kind 'EMBED' is not one of embed, similarity, classify, generate",
                reject("{\"kind\":\"EMBED\",\"model\":\"m\",\"texts\":[\"x\"]}").getMessage());
        assertEquals("task input: $.texts: similarity needs exactly two texts, got 1",
                reject("{\"kind\":\"similarity\",\"model\":\"m\",\"texts\":[\"x\"]}").getMessage());
        assertEquals("task input: $ must be a JSON object", reject("[]").getMessage());
        assertEquals("task input is not in canonical form from byte offset 1 (key order, whitespace, number format or extra fields)",
                reject("{ \"kind\":\"embed\",\"model\":\"m\",\"texts\":[\"x\"]}").getMessage());
        assertTrue(reject("{\"kind\":").getMessage().matches("task input is not valid JSON at line 1, column \\d+ \\(character offset \\d+\\): .*"));
        IllegalArgumentException utf8 = assertThrows(IllegalArgumentException.class,
                () -> TaskInput.parse(new byte[]{'{', '"', (byte) 0xC3, '"', '}'}));
        assertEquals("task input is not valid UTF-8: 1 malformed byte(s) at byte offset 2 (0xc3)", utf8.getMessage());
    }
}
