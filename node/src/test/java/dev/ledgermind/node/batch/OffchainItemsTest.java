package dev.ledgermind.node.batch;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import dev.ledgermind.chain.ModelTerms;
import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.chain.batch.BatchTree;
import dev.ledgermind.node.client.BatchItemServer;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fetch path of off-chain batch items over real HTTP (the requester's {@link BatchItemServer}, and a JDK server
 * that misbehaves), without a chain: the items of a batch are accepted only when they are the batch's (request
 * root, count, fee sum, the model's terms), and every other answer is refused with an error naming what was wrong.
 */
class OffchainItemsTest {
    static BatchItemServer requester;
    static HttpServer rogue;
    static final OffchainItems LOOPBACK = new OffchainItems(new OffchainItems.Limits(1 << 20, Duration.ofMillis(700), true));

    @BeforeAll
    static void start() throws Exception {
        requester = BatchItemServer.onLoopback();
        rogue = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        rogue.createContext("/slow", ex -> {
            try {
                Thread.sleep(3_000);
            } catch (InterruptedException ignored) {
                Thread.currentThread().interrupt();
            }
            ex.sendResponseHeaders(200, 0);
            ex.close();
        });
        rogue.createContext("/moved", ex -> {
            ex.getResponseHeaders().set("Location", requester.publish(items(2, "moved")));
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        rogue.createContext("/huge", ex -> {
            ex.sendResponseHeaders(200, 0);
            try (var out = ex.getResponseBody()) {
                byte[] chunk = new byte[64 * 1024];
                for (int i = 0; i < 40; i++) out.write(chunk); // 2.5 MiB, more than the 1 MiB limit
            } catch (java.io.IOException ignored) {
                // the reader stops early
            }
        });
        rogue.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "rogue-http");
            t.setDaemon(true);
            return t;
        }));
        rogue.start();
    }

    @AfterAll
    static void stop() {
        requester.close();
        rogue.stop(0);
    }

    static List<BatchItem> items(int n, String tag) {
        List<BatchItem> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            byte[] input = ("{\"kind\":\"embed\",\"text\":\"" + tag + " " + i + "\"}").getBytes(StandardCharsets.UTF_8);
            out.add(BatchItem.inline(1, 0, 0, i, BigInteger.valueOf(1_000_000), input));
        }
        return out;
    }

    /** What the chain says of a root-only batch of these items: root, count and fee (as submitBatchRoot records them). */
    static BatchMarket.Submission batch(List<BatchItem> items, BigInteger fee) {
        List<byte[]> leaves = items.stream().map(BatchItem::leafHash).toList();
        return new BatchMarket.Submission(BigInteger.valueOf(7), "0x0", 1, 3, 0, items.size(), fee, BatchTree.of(leaves).root(),
                List.of(), new byte[0], "0x0", 1);
    }

    static BigInteger sum(List<BatchItem> items) {
        return items.stream().map(BatchItem::fee).reduce(BigInteger.ZERO, BigInteger::add);
    }

    static String refusal(OffchainItems fetcher, BatchMarket.Submission b, String locator, ModelTerms terms) {
        return assertThrows(OffchainItems.Unavailable.class, () -> fetcher.fetch(b, locator, terms)).getMessage();
    }

    @Test
    void theRequestersItemsAreFetchedAndMatchTheBatch() throws Exception {
        List<BatchItem> items = items(5, "served");
        String locator = requester.publish(items);
        List<BatchItem> got = LOOPBACK.fetch(batch(items, sum(items)), locator, ModelTerms.NONE);
        assertEquals(5, got.size());
        for (int i = 0; i < 5; i++) assertTrue(Arrays.equals(items.get(i).encode(), got.get(i).encode()), "item " + i);
    }

    @Test
    void itemsThatAreNotTheBatchsAreRefusedNamingWhatIsWrong() {
        List<BatchItem> items = items(4, "committed");
        BatchMarket.Submission b = batch(items, sum(items));
        // other items (one input changed) served at the locator: another root
        List<BatchItem> other = new ArrayList<>(items);
        other.set(2, BatchItem.inline(1, 0, 0, 2, BigInteger.valueOf(1_000_000), "{\"kind\":\"embed\",\"text\":\"swapped\"}".getBytes()));
        String m = refusal(LOOPBACK, b, requester.publish(other), ModelTerms.NONE);
        assertTrue(m.contains("are not batch 7's: their root is"), m);
        // fewer items than the batch has
        m = refusal(LOOPBACK, b, requester.publish(items.subList(0, 3)), ModelTerms.NONE);
        assertTrue(m.contains("served 3 items; batch 7 has 4"), m);
        // the right items, but the batch holds another fee than their shares
        m = refusal(LOOPBACK, batch(items, sum(items).add(BigInteger.ONE)), requester.publish(items), ModelTerms.NONE);
        assertTrue(m.contains("sum to 4000000 wei; batch 7 holds 4000001"), m);
        // the right items, under a model whose price they do not pay
        m = refusal(LOOPBACK, b, requester.publish(items), new ModelTerms(ModelTerms.UNBOUNDED, ModelTerms.UNBOUNDED, BigInteger.valueOf(1_000_000)));
        assertTrue(m.contains("item 0's fee 1000000 wei is below the model's price"), m);
        m = refusal(LOOPBACK, b, requester.publish(items), new ModelTerms(10, ModelTerms.UNBOUNDED, BigInteger.ZERO));
        assertTrue(m.contains("item 0's input is") && m.contains("at most 10"), m);
        // malformed bytes: a truncated item
        byte[] whole = BatchItem.encodeAll(items);
        OffchainItems.Unavailable e = assertThrows(OffchainItems.Unavailable.class,
                () -> OffchainItems.check(Arrays.copyOf(whole, whole.length - 5), b, ModelTerms.NONE, "test"));
        assertTrue(e.getMessage().contains("malformed: batch item 3 at byte"), e.getMessage());
    }

    @Test
    void aWithheldSlowOversizedOrRedirectedAnswerIsRefused() {
        List<BatchItem> items = items(2, "withheld");
        BatchMarket.Submission b = batch(items, sum(items));
        String locator = requester.publish(items);
        requester.withdraw(b.requestRoot());
        String m = refusal(LOOPBACK, b, locator, ModelTerms.NONE);
        assertTrue(m.contains("answered HTTP 404"), m);
        String base = "http://127.0.0.1:" + rogue.getAddress().getPort();
        long t0 = System.nanoTime();
        m = refusal(LOOPBACK, b, base + "/slow", ModelTerms.NONE);
        assertTrue(m.contains("did not answer within 700 ms"), m);
        assertTrue((System.nanoTime() - t0) / 1e9 < 2.5, "the timeout bounds the wait");
        m = refusal(LOOPBACK, b, base + "/huge", ModelTerms.NONE);
        assertTrue(m.contains("more than 1048576 bytes"), m);
        m = refusal(LOOPBACK, b, base + "/moved", ModelTerms.NONE);
        assertTrue(m.contains("answered HTTP 302"), "redirects are not followed: " + m);
        m = refusal(new OffchainItems(OffchainItems.Limits.defaults(false)), b, requester.publish(items), ModelTerms.NONE);
        assertTrue(m.contains("non-public address"), m);
        m = refusal(LOOPBACK, b, "file:///etc/passwd", ModelTerms.NONE);
        assertTrue(m.contains("not an http(s) URL"), m);
    }
}
