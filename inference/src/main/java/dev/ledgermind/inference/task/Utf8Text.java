package dev.ledgermind.inference.task;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Strict UTF-8 decoding of task input bytes (files, stdin). Invalid input is an error naming the byte
 * offset, never silently replaced: two nodes must see the same text, and U+FFFD substitution would hide
 * a corrupted input.
 */
public final class Utf8Text {
    private Utf8Text() {
    }

    /** Decodes {@code bytes}; a byte-order mark at the start is dropped. */
    public static String decode(byte[] bytes, String source) {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharBuffer out = CharBuffer.allocate(bytes.length + 1);
        CoderResult r = dec.decode(in, out, true);
        if (r.isError()) {
            throw new IllegalArgumentException(source + " is not valid UTF-8: " + r.length()
                    + " malformed byte(s) at byte offset " + in.position() + " (0x"
                    + String.format("%02x", bytes[in.position()] & 0xff) + ")");
        }
        r = dec.flush(out);
        if (r.isError() || in.hasRemaining()) {
            throw new IllegalArgumentException(source + " is not valid UTF-8: truncated sequence at byte offset " + in.position()
                    + " (the last " + (bytes.length - in.position()) + " byte(s))");
        }
        out.flip();
        String s = out.toString();
        return s.startsWith("\uFEFF") ? s.substring(1) : s;
    }

}
