package dev.ledgermind.node.worker;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The node config file: errors name the file and the JSON path (or line and column) and never quote the
 * file's text, since it holds the node's private key.
 */
class NodeConfigParseTest {
    static final String KEY = "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d"; // anvil's dev account 1
    static final Path FILE = Path.of("/cfg/node.json");

    static IllegalArgumentException reject(String json) {
        return assertThrows(IllegalArgumentException.class, () -> NodeConfig.parse(json.getBytes(StandardCharsets.UTF_8), FILE));
    }

    static String config(String extra) {
        return "{\"rpcUrl\":\"http://127.0.0.1:8545\",\"deployment\":\"d.json\",\"privateKey\":\"0x" + KEY
                + "\",\"models\":[\"m\"],\"store\":\"s.db\"" + extra + "}";
    }

    @Test
    void aValidFileParsesAndResolvesPathsBesideIt() {
        NodeConfig c = NodeConfig.parse(config(",\"metricsPort\":9100").getBytes(StandardCharsets.UTF_8), FILE);
        assertEquals(Path.of("/cfg/d.json"), c.deployment());
        assertEquals(Path.of("/cfg/s.db"), c.store());
        assertEquals(9100, c.metricsPort());
        assertEquals("node", c.name());
        assertFalse(c.toString().contains(KEY));
        assertEquals(WorkLimits.NONE, c.limits(), "no limits unless the file sets them");
    }

    @Test
    void workLimitsParseAndNameWhatATaskExceeds() {
        NodeConfig c = NodeConfig.parse(config(",\"maxInputBytes\":4096,\"maxOutputTokens\":256").getBytes(StandardCharsets.UTF_8), FILE);
        assertEquals(new WorkLimits(4096, 256), c.limits());
        assertNull(c.limits().exceededBy(4096, 256));
        assertEquals("input of 4097 bytes is over this node's maxInputBytes 4096", c.limits().exceededBy(4097, 0));
        assertEquals("maxTokens 257 is over this node's maxOutputTokens 256", c.limits().exceededBy(10, 257));
    }

    @Test
    void anRpcUrlsApiKeyIsNotPrinted() {
        NodeConfig c = NodeConfig.parse(config(",\"feedPort\":0").replace("http://127.0.0.1:8545",
                "https://user:pw@rpc.example.org/v2/SECRETAPIKEY?token=SECRET2").getBytes(StandardCharsets.UTF_8), FILE);
        String printed = c.toString();
        assertTrue(printed.contains("https://rpc.example.org/…"), printed);
        assertFalse(printed.contains("SECRET") || printed.contains("pw@"), printed);
        assertTrue(c.feedEnabled());
        assertNull(c.agentUri(), "no agentUri: the node registers its feed's registration file");
        assertTrue(reject(config(",\"feedPort\":-2")).getMessage().contains("feedPort"));
        assertTrue(reject(config(",\"feedUrl\":\"ftp://x\"")).getMessage().contains("feedUrl"));
    }

    @Test
    void anUnquotedKeyIsNotEchoedInTheSyntaxError() {
        // Jackson's own message is "Unrecognized token '0x59c6...': was expecting ...": the key itself
        IllegalArgumentException e = reject(config("").replace("\"0x" + KEY + "\"", "0x" + KEY));
        assertFalse(e.getMessage().contains(KEY.substring(0, 16)), e.getMessage());
        assertTrue(e.getMessage().startsWith("node config /cfg/node.json is not valid JSON at line 1, column "), e.getMessage());
    }

    @Test
    void fieldErrorsNameTheJsonPath() {
        assertEquals("node config /cfg/node.json: $.stakeWei must be a whole number of wei, found '1e18'",
                reject(config(",\"stakeWei\":\"1e18\"")).getMessage());
        assertEquals("node config /cfg/node.json: $.metricsPort must be 0 to 65535", reject(config(",\"metricsPort\":70000")).getMessage());
        assertEquals("node config /cfg/node.json: $.pollMillis must be at least 1", reject(config(",\"pollMillis\":0")).getMessage());
        assertTrue(reject(config(",\"dishonesty\":\"sometimes\"")).getMessage()
                .startsWith("node config /cfg/node.json: $.dishonesty: unknown dishonesty"));
        assertEquals("node config /cfg/node.json: $ must be a JSON object", reject("42").getMessage());
        assertEquals("node config /cfg/node.json: $.maxInputBytes must be at least 1", reject(config(",\"maxInputBytes\":0")).getMessage());
        assertEquals("node config /cfg/node.json: $.maxOutputTokens must not be negative",
                reject(config(",\"maxOutputTokens\":-1")).getMessage());
        assertEquals("node config /cfg/node.json: privateKey must be 32 bytes of hex",
                reject(config("").replace(KEY, KEY.substring(2))).getMessage());
        assertTrue(reject(config("").replace("\"d.json\"", "\"a\\u0000b\"")).getMessage()
                .startsWith("node config /cfg/node.json: $.deployment is not a valid path"));
    }
}
