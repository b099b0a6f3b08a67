package dev.ledgermind.inference.gguf;

import java.util.Collections;
import java.util.Map;

/**
 * The key/value metadata of a GGUF file. Values keep their GGUF type ({@link Entry}); scalars are boxed
 * Java values of the same width (unsigned types in the signed type of that width, read back unsigned by
 * the getters), arrays are primitive arrays ({@code byte[]}, {@code short[]}, {@code int[]}, {@code long[]},
 * {@code float[]}, {@code double[]}, {@code boolean[]}), {@code String[]} or {@code Object[]} (arrays of arrays).
 * Getters fail with a {@link GgufFormatException} that names the key when it is missing or of the wrong type.
 */
public final class GgufMetadata {
    /** One value: its type, the element type when it is an array, and the value. */
    public record Entry(GgufValueType type, GgufValueType elementType, Object value) {
    }

    private final Map<String, Entry> entries;
    private final Map<String, Long> offsets;
    private final String source;
    private final long start;
    private final long end;

    GgufMetadata(Map<String, Entry> entries, Map<String, Long> offsets, String source, long start, long end) {
        this.entries = Collections.unmodifiableMap(entries);
        this.offsets = Collections.unmodifiableMap(offsets);
        this.source = source;
        this.start = start;
        this.end = end;
    }

    public Map<String, Entry> entries() {
        return entries;
    }

    public boolean has(String key) {
        return entries.containsKey(key);
    }

    public Entry entry(String key) {
        Entry e = entries.get(key);
        if (e == null) {
            throw new GgufFormatException(source + ": missing metadata key '" + GgufFile.printable(key)
                    + "' (the metadata section, byte offsets " + start + " to " + end + ", has no such key)");
        }
        return e;
    }

    /**
     * {@code metadata 'KEY' at byte offset N}: how an error about a present key says where the key's value
     * starts in the file (its type field), for messages built outside this class.
     */
    public String where(String key) {
        Long at = offsets.get(key);
        return "metadata '" + GgufFile.printable(key) + "'" + (at != null ? " at byte offset " + at
                : " (byte offsets " + start + " to " + end + ")");
    }

    private GgufFormatException wrong(String key, String expected) {
        Entry e = entries.get(key);
        return new GgufFormatException(source + ": " + where(key) + " should be " + expected + ", found "
                + e.type() + (e.elementType() != null ? " of " + e.elementType() : ""));
    }

    /** Any integer type, unsigned types read as unsigned. */
    public long getLong(String key) {
        Entry e = entry(key);
        return switch (e.type()) {
            case UINT8 -> Byte.toUnsignedLong((Byte) e.value());
            case INT8 -> (Byte) e.value();
            case UINT16 -> Short.toUnsignedLong((Short) e.value());
            case INT16 -> (Short) e.value();
            case UINT32 -> Integer.toUnsignedLong((Integer) e.value());
            case INT32 -> (Integer) e.value();
            case UINT64, INT64 -> (Long) e.value();
            default -> throw wrong(key, "an integer");
        };
    }

    public long getLong(String key, long fallback) {
        return has(key) ? getLong(key) : fallback;
    }

    /** An integer metadata value that must fit an int and be at least {@code min}. */
    public int getInt(String key, int min) {
        long v = getLong(key);
        if (v < min || v > Integer.MAX_VALUE) {
            throw new GgufFormatException(source + ": " + where(key) + ": " + v + " is out of range (at least " + min
                    + ", at most " + Integer.MAX_VALUE + ")");
        }
        return (int) v;
    }

    public int getInt(String key, int min, int fallback) {
        return has(key) ? getInt(key, min) : fallback;
    }

    /** FLOAT32, FLOAT64 or an integer, as a float. */
    public float getFloat(String key) {
        Entry e = entry(key);
        return switch (e.type()) {
            case FLOAT32 -> (Float) e.value();
            case FLOAT64 -> (float) (double) (Double) e.value();
            case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> (float) getLong(key);
            default -> throw wrong(key, "a number");
        };
    }

    public float getFloat(String key, float fallback) {
        return has(key) ? getFloat(key) : fallback;
    }

    public boolean getBool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        Entry e = entry(key);
        if (e.type() != GgufValueType.BOOL) throw wrong(key, "a bool");
        return (Byte) e.value() != 0;
    }

    public String getString(String key) {
        Entry e = entry(key);
        if (e.type() != GgufValueType.STRING) throw wrong(key, "a string");
        return (String) e.value();
    }

    public String getString(String key, String fallback) {
        return has(key) ? getString(key) : fallback;
    }

    public String[] getStringArray(String key) {
        Entry e = entry(key);
        if (e.type() != GgufValueType.ARRAY || e.elementType() != GgufValueType.STRING) throw wrong(key, "an array of strings");
        return (String[]) e.value();
    }

    public float[] getFloatArray(String key) {
        Entry e = entry(key);
        if (e.type() != GgufValueType.ARRAY || e.elementType() != GgufValueType.FLOAT32) throw wrong(key, "an array of FLOAT32");
        return (float[]) e.value();
    }

    /** An array of 32-bit integers (INT32 or UINT32). */
    public int[] getIntArray(String key) {
        Entry e = entry(key);
        if (e.type() != GgufValueType.ARRAY || (e.elementType() != GgufValueType.INT32 && e.elementType() != GgufValueType.UINT32)) {
            throw wrong(key, "an array of INT32");
        }
        return (int[]) e.value();
    }

    public String source() {
        return source;
    }
}
