package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** What the completion parameters do, on the wire: n, stop, top_p, and the legacy completions endpoint. */
class CompletionSemanticsTest {
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

    static JsonNode ok(HttpResponse<String> r) throws Exception {
        assertEquals(200, r.statusCode(), r.body());
        return TestGateway.JSON.readTree(r.body());
    }

    static final String MSG = "\"messages\":[{\"role\":\"system\",\"content\":\"Be brief.\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"Tell me\"}]}]";

    @Test
    void nChoicesHaveTheirOwnSeedsAndReceipts() throws Exception {
        HttpResponse<String> r = gw.post("/v1/chat/completions", "{\"model\":\"tiny\",\"n\":2,\"temperature\":1,\"seed\":100,\"max_tokens\":8," + MSG + "}");
        JsonNode body = ok(r);
        assertEquals(2, body.path("choices").size());
        String[] ids = r.headers().firstValue("Ledgermind-Receipt").orElseThrow().split(",");
        assertEquals(2, ids.length);
        assertNotEquals(ids[0], ids[1]);
        assertNotEquals(body.path("choices").path(0).path("message").path("content").asText(),
                body.path("choices").path(1).path("message").path("content").asText(), "seed 100 and seed 101 sample differently");
        assertEquals(16, body.path("usage").path("completion_tokens").asInt());
        // choice 1 is what seed 101 alone gives
        JsonNode alone = ok(gw.post("/v1/chat/completions", "{\"model\":\"tiny\",\"temperature\":1,\"seed\":101,\"max_tokens\":8," + MSG + "}"));
        assertEquals(body.path("choices").path(1).path("message").path("content").asText(), alone.path("choices").path(0).path("message").path("content").asText());
        for (String id : ids) assertTrue(gw.verify(id).path("verified").asBoolean());
    }

    @Test
    void aStopSequenceCutsTheTextBeforeItStreamingOrNot() throws Exception {
        String full = ok(gw.post("/v1/chat/completions", "{\"model\":\"tiny\",\"temperature\":0,\"max_tokens\":24," + MSG + "}"))
                .path("choices").path(0).path("message").path("content").asText();
        assertTrue(full.length() > 8, full);
        String stop = full.substring(5, 7);
        String expected = full.substring(0, full.indexOf(stop));
        String stopJson = TestGateway.JSON.writeValueAsString(stop);
        JsonNode cut = ok(gw.post("/v1/chat/completions", "{\"model\":\"tiny\",\"temperature\":0,\"max_tokens\":24,\"stop\":[" + stopJson + "]," + MSG + "}"));
        assertEquals(expected, cut.path("choices").path(0).path("message").path("content").asText());
        assertEquals("stop", cut.path("choices").path(0).path("finish_reason").asText());
        HttpResponse<String> s = gw.post("/v1/chat/completions", "{\"model\":\"tiny\",\"stream\":true,\"temperature\":0,\"max_tokens\":24,\"stop\":" + stopJson + "," + MSG + "}");
        assertEquals(200, s.statusCode());
        assertTrue(s.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        StringBuilder streamed = new StringBuilder();
        String finish = null;
        for (String line : s.body().split("\n")) {
            if (!line.startsWith("data: {")) continue;
            JsonNode c = TestGateway.JSON.readTree(line.substring(6));
            assertEquals("chat.completion.chunk", c.path("object").asText());
            assertEquals(1, c.path("choices").size(), "no usage asked for, so every chunk has its choice: " + line);
            streamed.append(c.path("choices").path(0).path("delta").path("content").asText(""));
            if (!c.path("choices").path(0).path("finish_reason").isNull()) finish = c.path("choices").path(0).path("finish_reason").asText();
        }
        assertEquals(expected, streamed.toString());
        assertEquals("stop", finish);
        assertTrue(s.body().endsWith("data: [DONE]\n\n"), s.body());
    }

    @Test
    void nucleusSamplingIsRecordedInTheInputAndVerifies() throws Exception {
        JsonNode a = ok(gw.post("/v1/chat/completions", "{\"model\":\"tiny\",\"temperature\":1,\"top_p\":0.5,\"seed\":3,\"max_tokens\":8," + MSG + "}"));
        JsonNode b = ok(gw.post("/v1/chat/completions", "{\"model\":\"tiny\",\"temperature\":1,\"top_p\":1,\"seed\":3,\"max_tokens\":8," + MSG + "}"));
        JsonNode ra = a.path("ledgermind").path("receipts").path(0), rb = b.path("ledgermind").path("receipts").path(0);
        assertNotEquals(ra.path("inputHash").asText(), rb.path("inputHash").asText(), "top_p is part of what was computed");
        assertTrue(gw.verify(ra.path("id").asText()).path("verified").asBoolean());
    }

    @Test
    void legacyCompletionsStreamTheSameTextTheyAnswer() throws Exception {
        JsonNode whole = ok(gw.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"Once upon a time\",\"temperature\":0,\"max_tokens\":6}"));
        assertEquals("text_completion", whole.path("object").asText());
        String text = whole.path("choices").path(0).path("text").asText();
        HttpResponse<String> s = gw.post("/v1/completions", "{\"model\":\"tiny\",\"prompt\":\"Once upon a time\",\"temperature\":0,\"max_tokens\":6,"
                + "\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        StringBuilder streamed = new StringBuilder();
        JsonNode usage = null;
        for (String line : s.body().split("\n")) {
            if (!line.startsWith("data: {")) continue;
            JsonNode c = TestGateway.JSON.readTree(line.substring(6));
            if (c.path("choices").isEmpty()) usage = c.path("usage");
            else streamed.append(c.path("choices").path(0).path("text").asText(""));
        }
        assertEquals(text, streamed.toString());
        assertNotNull(usage, s.body());
        assertEquals(6, usage.path("completion_tokens").asInt());
        assertTrue(gw.verify(whole.path("ledgermind").path("receipts").path(0).path("id").asText()).path("verified").asBoolean());
    }
}
