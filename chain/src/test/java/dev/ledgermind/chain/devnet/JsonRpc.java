package dev.ledgermind.chain.devnet;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A bare JSON-RPC call over real HTTP, independent of web3j, for checking a devnet from tests. */
final class JsonRpc {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final Pattern HEX_RESULT = Pattern.compile("\"result\"\\s*:\\s*\"0x([0-9a-fA-F]+)\"");

    private JsonRpc() {}

    static String call(String url, String method, String paramsJson) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(URI.create(url))
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(5))
                .POST(HttpRequest.BodyPublishers.ofString(
                        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"" + method + "\",\"params\":" + paramsJson + "}"))
                .build();
        return HTTP.send(request, HttpResponse.BodyHandlers.ofString()).body();
    }

    static long hexResult(String url, String method) throws IOException, InterruptedException {
        String body = call(url, method, "[]");
        Matcher m = HEX_RESULT.matcher(body);
        if (!m.find()) throw new IOException(method + " returned no hex result: " + body);
        return Long.parseLong(m.group(1), 16);
    }
}
