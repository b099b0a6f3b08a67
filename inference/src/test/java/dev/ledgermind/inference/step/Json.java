package dev.ledgermind.inference.step;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A minimal JSON writer for the committed test vectors: ordered objects, arrays, strings, integers; stable output. */
final class Json {
    private Json() {
    }

    static Map<String, Object> obj() {
        return new LinkedHashMap<>();
    }

    static List<Object> arr() {
        return new ArrayList<>();
    }

    static String hex(byte[] b) {
        StringBuilder s = new StringBuilder("0x");
        for (byte x : b) s.append(Character.forDigit((x >> 4) & 15, 16)).append(Character.forDigit(x & 15, 16));
        return s.toString();
    }

    static List<Object> hexList(List<byte[]> l) {
        List<Object> a = arr();
        for (byte[] b : l) a.add(hex(b));
        return a;
    }

    /** The uint32 bit patterns of floats ({@link Float#floatToIntBits}: canonical NaN), as JSON numbers. */
    static List<Object> bits(float[] v) {
        List<Object> a = arr();
        for (float f : v) a.add(Integer.toUnsignedLong(Float.floatToIntBits(f)));
        return a;
    }

    static long bits(float f) {
        return Integer.toUnsignedLong(Float.floatToIntBits(f));
    }

    static String write(Object v) {
        StringBuilder s = new StringBuilder();
        write(s, v, 0);
        return s.append('\n').toString();
    }

    private static boolean flat(List<?> l) {
        for (Object o : l) if (o instanceof Map || o instanceof List) return false;
        return true;
    }

    private static boolean flat(Map<?, ?> m) {
        for (Object o : m.values()) if (o instanceof Map || (o instanceof List<?> l && !flat(l))) return false;
        return true;
    }

    @SuppressWarnings("unchecked")
    private static void write(StringBuilder s, Object v, int indent) {
        if (v instanceof Map<?, ?> m) {
            if (flat(m)) { // one line: scalars and flat lists only
                s.append('{');
                int i = 0;
                for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                    if (i++ > 0) s.append(", ");
                    s.append('"').append(e.getKey()).append("\": ");
                    write(s, e.getValue(), indent);
                }
                s.append('}');
                return;
            }
            s.append("{\n");
            int i = 0;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) m).entrySet()) {
                pad(s, indent + 1);
                s.append('"').append(e.getKey()).append("\": ");
                write(s, e.getValue(), indent + 1);
                s.append(++i < m.size() ? ",\n" : "\n");
            }
            pad(s, indent);
            s.append('}');
        } else if (v instanceof List<?> l) {
            if (flat(l)) { // one line: numbers and hex strings
                s.append('[');
                for (int i = 0; i < l.size(); i++) {
                    if (i > 0) s.append(", ");
                    write(s, l.get(i), indent);
                }
                s.append(']');
                return;
            }
            s.append("[\n");
            for (int i = 0; i < l.size(); i++) {
                pad(s, indent + 1);
                write(s, l.get(i), indent + 1);
                s.append(i + 1 < l.size() ? ",\n" : "\n");
            }
            pad(s, indent);
            s.append(']');
        } else if (v instanceof String str) {
            s.append('"');
            for (char c : str.toCharArray()) {
                if (c == '"' || c == '\\') s.append('\\');
                s.append(c);
            }
            s.append('"');
        } else if (v instanceof Boolean || v instanceof Integer || v instanceof Long) {
            s.append(v);
        } else {
            throw new IllegalArgumentException("cannot write " + v);
        }
    }

    private static void pad(StringBuilder s, int indent) {
        s.append("  ".repeat(indent));
    }
}
