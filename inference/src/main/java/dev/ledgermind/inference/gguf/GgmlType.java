package dev.ledgermind.inference.gguf;

/**
 * Tensor storage types (ggml type ids). Each has a block size (elements per block) and the bytes per
 * block; a row of {@code n} elements takes {@code n / blockSize * blockBytes} bytes and {@code n} must
 * be a multiple of the block size. Types the engine cannot compute with are still listed so that files
 * holding them can be inspected; {@link #supported} tells which the engine runs.
 */
public enum GgmlType {
    F32(0, 1, 4, true),
    F16(1, 1, 2, true),
    Q4_0(2, 32, 18, true),
    Q4_1(3, 32, 20, true),
    Q5_0(6, 32, 22, true),
    Q5_1(7, 32, 24, true),
    Q8_0(8, 32, 34, true),
    Q8_1(9, 32, 36, false),
    Q2_K(10, 256, 84, false),
    Q3_K(11, 256, 110, false),
    Q4_K(12, 256, 144, true),
    Q5_K(13, 256, 176, true),
    Q6_K(14, 256, 210, true),
    Q8_K(15, 256, 292, false),
    I8(24, 1, 1, false),
    I16(25, 1, 2, false),
    I32(26, 1, 4, false),
    I64(27, 1, 8, false),
    F64(28, 1, 8, false),
    BF16(30, 1, 2, true);

    public final int id;
    public final int blockSize;
    public final int blockBytes;
    public final boolean supported;

    GgmlType(int id, int blockSize, int blockBytes, boolean supported) {
        this.id = id;
        this.blockSize = blockSize;
        this.blockBytes = blockBytes;
        this.supported = supported;
    }

    /** The type with this id, or null when the id is unknown. */
    public static GgmlType byId(int id) {
        for (GgmlType t : values()) if (t.id == id) return t;
        return null;
    }

    /** The names of the types the engine computes with, comma-separated, in id order. */
    public static String supportedNames() {
        StringBuilder sb = new StringBuilder();
        for (GgmlType t : values()) {
            if (!t.supported) continue;
            if (!sb.isEmpty()) sb.append(", ");
            sb.append(t);
        }
        return sb.toString();
    }

    /** Bytes taken by {@code elements} elements (a multiple of the block size). */
    public long bytesFor(long elements) {
        return elements / blockSize * blockBytes;
    }
}
