package dev.ledgermind.node.feed;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.web3j.crypto.Credentials;
import org.web3j.crypto.Keys;

import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The token feed over real HTTP: a reader that connects before the node starts the task waits for it and
 * gets every token in order, then the end; the requester's signature is the only key (a missing, foreign or
 * replayed-for-another-task signature is refused with a status that names why).
 */
class FeedServerTest {
    static final ObjectMapper JSON = new ObjectMapper();
    static final long CHAIN = 31337;
    static final String MARKET = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
    static final Credentials REQUESTER = Credentials.create("0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d");
    static final Credentials OTHER = Credentials.create("0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a");

    TokenFeed feed;
    FeedServer server;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeEach
    void start() throws Exception {
        feed = new TokenFeed(8);
        // a fake of the chain lookup (the chain is not what this test is about): tasks 1..9 are REQUESTER's
        Map<BigInteger, String> requesters = new java.util.HashMap<>();
        for (int i = 1; i < 10; i++) requesters.put(BigInteger.valueOf(i), REQUESTER.getAddress());
        server = new FeedServer(feed, new FeedServer.Context("test-node", CHAIN, MARKET, "0x0000000000000000000000000000000000000001",
                () -> 7, id -> Optional.ofNullable(requesters.get(id))), "127.0.0.1", 0, null, Duration.ofSeconds(2),
                Duration.ofMillis(100), 4);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    HttpResponse<String> get(String path, String auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path)).timeout(Duration.ofSeconds(20));
        if (auth != null) b.header("Authorization", auth);
        return http.send(b.GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static String auth(Credentials who, long task) {
        return FeedAccess.authorization(who, CHAIN, MARKET, BigInteger.valueOf(task));
    }

    @Test
    void theRegistrationFileNamesTheFeedEndpoint() throws Exception {
        JsonNode card = JSON.readTree(get("/agent.json", null).body());
        assertEquals("https://eips.ethereum.org/EIPS/eip-8004#registration-v1", card.path("type").asText());
        assertEquals(FeedServer.ENDPOINT_NAME, card.path("endpoints").path(0).path("name").asText());
        assertEquals("http://127.0.0.1:" + server.port() + "/tasks/{taskId}/tokens", card.path("endpoints").path(0).path("endpoint").asText());
        assertEquals("eip155:31337:0x0000000000000000000000000000000000000001", card.path("registrations").path(0).path("agentRegistry").asText());
        assertEquals(7, card.path("registrations").path(0).path("agentId").asLong());
    }

    @Test
    void aReaderThatArrivesFirstGetsEveryTokenInOrderThenTheEnd() throws Exception {
        BigInteger task = BigInteger.valueOf(3);
        Thread producer = Thread.ofVirtual().start(() -> {
            try {
                Thread.sleep(300); // the reader is connected and waiting
                feed.begin(task);
                for (int t = 100; t < 110; t++) {
                    feed.token(task, t);
                    Thread.sleep(20);
                }
                feed.end(task, false);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        HttpResponse<String> r = get("/tasks/3/tokens", auth(REQUESTER, 3));
        producer.join();
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
        List<Integer> tokens = new ArrayList<>();
        int expectedFrom = 0;
        for (String line : r.body().split("\n")) {
            if (line.startsWith("data: {\"from\"")) {
                JsonNode d = JSON.readTree(line.substring(6));
                assertEquals(expectedFrom, d.path("from").asInt(), "events continue where the last left off");
                d.path("tokens").forEach(t -> tokens.add(t.asInt()));
                expectedFrom = tokens.size();
            }
        }
        assertEquals(List.of(100, 101, 102, 103, 104, 105, 106, 107, 108, 109), tokens);
        assertTrue(r.body().contains("event: end\ndata: {\"count\":10,\"failed\":false}"), r.body());
    }

    @Test
    void aLateReaderGetsTheWholeList() throws Exception {
        BigInteger task = BigInteger.valueOf(4);
        feed.begin(task);
        feed.token(task, 5);
        feed.token(task, 6);
        feed.end(task, false);
        String body = get("/tasks/4/tokens", auth(REQUESTER, 4)).body();
        assertTrue(body.contains("data: {\"from\":0,\"tokens\":[5,6]}"), body);
        assertTrue(body.contains("event: end"), body);
    }

    @Test
    void onlyTheRequesterOfThatTaskMayRead() throws Exception {
        feed.begin(BigInteger.valueOf(5));
        feed.end(BigInteger.valueOf(5), false);
        HttpResponse<String> none = get("/tasks/5/tokens", null);
        assertEquals(401, none.statusCode());
        assertTrue(none.body().contains("Ledgermind-Feed"), none.body());

        HttpResponse<String> foreign = get("/tasks/5/tokens", auth(OTHER, 5));
        assertEquals(403, foreign.statusCode());
        assertTrue(foreign.body().contains("0x" + Keys.getAddress(OTHER.getEcKeyPair().getPublicKey())), foreign.body());

        HttpResponse<String> otherTask = get("/tasks/5/tokens", auth(REQUESTER, 6)); // a signature for task 6 does not open task 5
        assertEquals(403, otherTask.statusCode(), otherTask.body());

        assertEquals(401, get("/tasks/5/tokens", "Ledgermind-Feed 0x1234").statusCode());
        assertEquals(404, get("/tasks/42/tokens", auth(REQUESTER, 42)).statusCode(), "the chain has no task 42");
        HttpResponse<String> bad = get("/tasks/abc/tokens", auth(REQUESTER, 1));
        assertEquals(400, bad.statusCode());
        assertTrue(bad.body().contains("positive decimal"), bad.body());
    }

    @Test
    void aTaskTheNodeNeverStartsEndsWithAnErrorEventAfterTheWait() throws Exception {
        HttpResponse<String> r = get("/tasks/8/tokens", auth(REQUESTER, 8));
        assertEquals(200, r.statusCode());
        assertTrue(r.body().contains("event: error"), r.body());
        assertTrue(r.body().contains("did not start task 8"), r.body());
    }
}
