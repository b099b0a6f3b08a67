package dev.ledgermind.node.fuzz;

import dev.ledgermind.inference.fuzz.FormatErrors;
import dev.ledgermind.node.worker.NodeConfig;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Fuzz target: the bytes of a worker's config file ({@link NodeConfig#parse}). The documented error is
 * {@link IllegalArgumentException}, naming the file and the JSON path (or line and column). The file
 * holds the node's private key, so no error message may contain any 64-hex-digit run of the input, and
 * the parsed config's {@code toString()} may not contain its key (with or without {@code 0x}).
 */
public final class NodeConfigFuzzer {
    static final Path FILE = Path.of("/fuzz/node.json");
    static final Pattern WHERE = Pattern.compile("^node config /fuzz/node\\.json(:| is not valid) .*(\\$[.a-zA-Z]*|byte offset \\d+|line \\d+, column \\d+"
            + "|\\b(rpcUrl|deployment|privateKey|models|store)\\b)");
    static final Pattern KEY = Pattern.compile("[0-9a-fA-F]{64}");

    private NodeConfigFuzzer() {
    }

    /** Loads (and has Jazzer instrument) the JSON classes once, before inputs are timed. */
    public static void fuzzerInitialize() {
        String key = "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
        fuzzerTestOneInput(("{\"rpcUrl\":\"http://x\",\"deployment\":\"d\",\"privateKey\":\"" + key
                + "\",\"models\":[\"m\"],\"store\":\"s\",\"stakeWei\":\"5\",\"pollMillis\":2}").getBytes(StandardCharsets.UTF_8));
        fuzzerTestOneInput("{\"a\":[1,{}, null, true, 1e5, \"\\u00e9\"]".getBytes(StandardCharsets.UTF_8));
    }

    public static void fuzzerTestOneInput(byte[] input) {
        String text = new String(input, StandardCharsets.ISO_8859_1);
        try {
            NodeConfig c = NodeConfig.parse(input, FILE);
            // the parsed key itself: other fields (an rpcUrl, a name) may hold 64 hex digits and are printed
            String key = c.privateKey().replaceFirst("^0[xX]", "").toLowerCase();
            if (c.toString().toLowerCase().contains(key)) throw new AssertionError("toString() contains the private key: " + c);
        } catch (IllegalArgumentException e) {
            FormatErrors.requireWhere(e, WHERE);
            requireNoKey(text, e.getMessage(), "error message");
            for (Throwable cause = e.getCause(); cause != null; cause = cause.getCause()) {
                requireNoKey(text, String.valueOf(cause.getMessage()), "message of the cause " + cause.getClass().getName());
            }
        }
    }

    static void requireNoKey(String input, String output, String what) {
        Matcher m = KEY.matcher(input);
        while (m.find()) {
            if (output.toLowerCase().contains(m.group().toLowerCase())) {
                throw new AssertionError("the " + what + " contains the private key of the config file: " + output);
            }
        }
    }
}
