package dev.ledgermind.chain;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Test tool: sums a transaction's gas by opcode (anvil's debug_traceTransaction struct logs). */
final class GasProfile {
    private GasProfile() {}

    static String profile(String rpcUrl, String txHash) {
        try {
            String body = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"debug_traceTransaction\",\"params\":[\"" + txHash
                    + "\",{\"tracer\":\"callTracer\"}]}";
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(rpcUrl))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.ofString());
            JsonNode res = new ObjectMapper().readTree(r.body()).path("result");
            StringBuilder sb = new StringBuilder("tx=" + txHash + " gasUsed=" + Long.decode(res.path("gasUsed").asText("0")));
            for (JsonNode c : res.path("calls")) {
                sb.append(" | ").append(c.path("input").asText().substring(0, 10)).append(" ").append(Long.decode(c.path("gasUsed").asText("0")));
            }
            String body2 = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"debug_traceTransaction\",\"params\":[\"" + txHash
                    + "\",{\"enableMemory\":false,\"disableStack\":true,\"disableStorage\":true}]}";
            HttpResponse<String> r2 = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(rpcUrl))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body2)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (System.getProperty("gas.dump") != null) {
                java.nio.file.Files.writeString(java.nio.file.Path.of(System.getProperty("gas.dump"), txHash + ".json"), r2.body());
            }
            JsonNode logs = new ObjectMapper().readTree(r2.body()).path("result").path("structLogs");
            if (logs.isEmpty()) sb.append(" RAW ").append(r2.body(), 0, Math.min(300, r2.body().length()));
            Map<String, long[]> by = new TreeMap<>();
            JsonNode prev = null;
            for (JsonNode l : logs) {
                String op = l.path("op").asText();
                long cost = l.path("gasCost").asLong();
                // CALL-family gasCost includes the gas forwarded; charge only what the callee did not use
                if (op.startsWith("CALL") || op.equals("STATICCALL") || op.equals("DELEGATECALL")) cost = Math.min(cost, 2700);
                long[] a = by.computeIfAbsent(op + "@" + l.path("depth").asInt(), k -> new long[2]);
                a[0] += cost;
                a[1]++;
                prev = l;
            }
            long other = 0, other2 = 0;
            for (var e : by.entrySet()) {
                String op = e.getKey().substring(0, e.getKey().indexOf('@'));
                if (!op.equals("SLOAD") && !op.equals("SSTORE") && !op.startsWith("LOG") && !op.startsWith("CALL")
                        && !op.equals("STATICCALL") && !op.equals("EXTCODESIZE") && !op.equals("KECCAK256")) {
                    if (e.getKey().endsWith("@1")) other += e.getValue()[0];
                    else other2 += e.getValue()[0];
                }
            }
            sb.append(" other@1=").append(other).append(" other@2+=").append(other2);
            return sb + " || " + by.entrySet().stream().sorted((x, y) -> Long.compare(y.getValue()[0], x.getValue()[0])).limit(18)
                    .map(e -> e.getKey() + "=" + e.getValue()[0] + "(" + e.getValue()[1] + ")")
                    .collect(Collectors.joining(" "));
        } catch (Exception e) {
            return "profile failed: " + e;
        }
    }
}
