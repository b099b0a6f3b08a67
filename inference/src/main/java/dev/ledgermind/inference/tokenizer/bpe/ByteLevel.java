package dev.ledgermind.inference.tokenizer.bpe;

/**
 * GPT-2's byte-level alphabet: every byte maps to one printable Unicode character (printable Latin-1
 * bytes map to themselves, the other 68 bytes to U+0100 onwards, in byte order), so that any byte string
 * is a string of "characters" BPE can merge.
 */
public final class ByteLevel {
    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[512];

    static {
        java.util.Arrays.fill(CHAR_TO_BYTE, -1);
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char ch = printable ? (char) b : (char) (256 + n++);
            BYTE_TO_CHAR[b] = ch;
            CHAR_TO_BYTE[ch] = b;
        }
    }

    private ByteLevel() {
    }

    public static String encode(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length);
        for (byte b : bytes) sb.append(BYTE_TO_CHAR[b & 0xFF]);
        return sb.toString();
    }

    public static char charOf(int b) {
        return BYTE_TO_CHAR[b & 0xFF];
    }

    /** The bytes of a byte-level string, or null if a character is outside the alphabet. */
    public static byte[] decode(String s) {
        byte[] out = new byte[s.length()];
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            int b = ch < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[ch] : -1;
            if (b < 0) return null;
            out[i] = (byte) b;
        }
        return out;
    }
}
