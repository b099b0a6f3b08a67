package dev.ledgermind.node.client;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.*;

/**
 * An agent's on-chain URI is chosen by whoever registers the agent, so a public gateway must not fetch it
 * when it points inside the gateway's own network (server-side request forgery: an admin page on loopback,
 * a cloud metadata service on 169.254.169.254). The "internal service" here is a real HTTP server on
 * loopback that counts requests; the chain lookup of the agent's URI is a fake (the chain is not what this
 * test is about).
 */
class TokenFeedAddressPolicyTest {
    HttpServer internal;
    final AtomicInteger hits = new AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        internal = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        internal.createContext("/", ex -> {
            hits.incrementAndGet();
            byte[] body = ("{\"endpoints\":[{\"name\":\"ledgermind-token-feed\",\"endpoint\":\"http://127.0.0.1:"
                    + internal.getAddress().getPort() + "/secret/{taskId}\"}]}").getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        internal.start();
    }

    @AfterEach
    void stop() {
        internal.stop(0);
    }

    /** A fake of the chain lookup: every agent's URI is the internal service. */
    TokenFeedClient client(boolean allowPrivate) {
        String uri = "http://127.0.0.1:" + internal.getAddress().getPort() + "/admin/agent.json";
        return new TokenFeedClient(new TokenFeedClient.Lookup() {
            @Override
            public String agentUri(long agentId) {
                return uri;
            }

            @Override
            public String authorization(BigInteger taskId) {
                return "Ledgermind-Feed fake";
            }
        }, Duration.ofSeconds(2), allowPrivate);
    }

    @Test
    void aPublicGatewayNeverContactsAnAgentUriOnAPrivateAddress() {
        assertTrue(client(false).stream(BigInteger.ONE, List.of(5L, 6L), t -> fail("no token can come")).isEmpty());
        assertEquals(0, hits.get(), "the internal service was contacted");
        // a devnet's gateway (its chain on loopback too) does follow the URI: the policy is what stopped it
        client(true).stream(BigInteger.ONE, List.of(5L), t -> { });
        assertTrue(hits.get() >= 1, "the devnet client reads the registration file");
    }

    @Test
    void privateAddressesAreRecognisedWhateverTheirFamily() {
        for (String url : List.of("http://127.0.0.1:8545", "http://localhost:8545", "http://10.1.2.3/", "http://192.168.0.7/",
                "http://172.16.5.4/", "http://169.254.169.254/latest/meta-data/", "http://[::1]:80/", "http://[fd00::1]/",
                "http://[fe80::1]/", "http://0.0.0.0/", "http://100.64.1.1/")) {
            assertTrue(TokenFeedClient.isPrivateNetworkUrl(url), url);
        }
        for (String url : List.of("http://8.8.8.8:8545", "https://1.1.1.1/", "http://[2001:4860:4860::8888]/")) {
            assertFalse(TokenFeedClient.isPrivateNetworkUrl(url), url);
        }
        assertFalse(TokenFeedClient.isPrivateNetworkUrl("not a url at all"));
    }
}
