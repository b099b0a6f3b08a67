package dev.ledgermind.gateway;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** {@code /metrics} counts what happened, in Prometheus text format with Prometheus naming conventions. */
class MetricsTest {
    @Test
    void requestsTokensAndVerifiedReceiptsAreCountedUnderConventionalNames(@TempDir Path dir) throws Exception {
        try (TestGateway gw = TestGateway.start(dir, GatewayConfig.defaults())) {
            assertEquals(200, gw.post("/v1/embeddings", "{\"model\":\"all-minilm-l6-v2\",\"input\":[\"one\",\"two\"]}").statusCode());
            assertEquals(200, gw.post("/v1/chat/completions",
                    "{\"model\":\"tiny\",\"max_tokens\":5,\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}").statusCode());
            assertEquals(404, gw.post("/v1/embeddings", "{\"model\":\"nope\",\"input\":\"x\"}").statusCode());
            assertTrue(gw.verify(gw.newestReceipt().path("id").asText()).path("verified").asBoolean());
            var r = gw.get("/metrics");
            assertEquals(200, r.statusCode());
            assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
            String m = r.body();
            assertEquals(1.0, value(m, "ledgermind_gateway_requests_total\\{endpoint=\"/v1/embeddings\",status=\"200\"\\}"), m);
            assertEquals(1.0, value(m, "ledgermind_gateway_requests_total\\{endpoint=\"/v1/embeddings\",status=\"404\"\\}"), m);
            assertEquals(2.0, value(m, "ledgermind_gateway_embedded_texts_total\\{backend=\"local\"\\}"), m);
            assertEquals(5.0, value(m, "ledgermind_gateway_generated_tokens_total\\{backend=\"local\"\\}"), m);
            assertEquals(1.0, value(m, "ledgermind_gateway_receipts_verified_total\\{result=\"verified\"\\}"), m);
            assertEquals(2.0, value(m, "ledgermind_gateway_receipts_issued_total\\{backend=\"local\"\\}"), m);
            assertTrue(m.contains("# TYPE ledgermind_gateway_request_duration_seconds histogram"), m);
            assertTrue(m.contains("ledgermind_gateway_decode_tokens_per_second_count{backend=\"local\"} 1"), m);
            Matcher types = Pattern.compile("^# TYPE (\\S+) (\\S+)$", Pattern.MULTILINE).matcher(m);
            while (types.find()) {
                String name = types.group(1), type = types.group(2);
                if (!name.startsWith("ledgermind_")) continue;
                assertTrue(name.matches("ledgermind_gateway_[a-z_]+"), name);
                if (type.equals("counter")) assertTrue(name.endsWith("_total"), "a counter ends in _total: " + name);
            }
        }
    }

    static double value(String metrics, String series) {
        Matcher x = Pattern.compile("^" + series + " (\\S+)$", Pattern.MULTILINE).matcher(metrics);
        if (!x.find()) throw new AssertionError("no series " + series);
        return Double.parseDouble(x.group(1));
    }
}
