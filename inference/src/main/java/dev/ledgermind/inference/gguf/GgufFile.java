package dev.ledgermind.inference.gguf;

import dev.ledgermind.inference.Printable;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A GGUF file (versions 2 and 3), memory-mapped read-only. The header, metadata and tensor infos are
 * parsed once; tensor data stays in the mapping ({@link GgufTensorInfo#data()}) and is never copied
 * onto the heap.
 *
 * <p>Layout (all little-endian): magic {@code "GGUF"}, u32 version, u64 tensor count, u64 metadata
 * count, the metadata key/value pairs, the tensor infos (name, u32 n_dims, u64 dims[n_dims], u32 type,
 * u64 offset), padding to {@code general.alignment} (default 32), then the data section; each tensor's
 * offset is relative to the data section and a multiple of the alignment.
 *
 * <p>Every read is bounds-checked against the file size before it happens, and every count is checked
 * against the bytes left before anything is allocated, so a corrupt file gives a {@link
 * GgufFormatException} naming the field and byte offset, never an out-of-memory error or a hang.
 * The mapping lives in a shared arena (readable from kernel threads); {@link #close()} unmaps it.
 */
public final class GgufFile implements AutoCloseable {
    public static final int MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
    public static final int DEFAULT_ALIGNMENT = 32;
    private static final int MAX_DIMS = 4;
    /** Arrays of arrays deeper than this are rejected (no model uses more than one level). */
    static final int MAX_ARRAY_DEPTH = 8;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong I64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfShort I16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final String source;
    private final Arena arena;
    private final MemorySegment file;
    private final int version;
    private final GgufMetadata metadata;
    private final Map<String, GgufTensorInfo> tensors;
    private final int alignment;
    private final long dataStart;
    private final long tensorInfoStart, tensorInfoEnd;
    private long pos;

    private GgufFile(String source, Arena arena, MemorySegment file) {
        this.source = source;
        this.arena = arena;
        this.file = file;
        int magic = i32("magic");
        if (magic != MAGIC) {
            throw error("magic", 0, String.format("expected \"GGUF\" (0x%08x), found 0x%08x", MAGIC, magic));
        }
        this.version = i32("version");
        if (version != 2 && version != 3) {
            throw error("version", 4, "version " + Integer.toUnsignedString(version) + " is not supported (2 or 3)");
        }
        long tensorCount = i64("tensor_count");
        long kvCount = i64("metadata_kv_count");
        // The smallest tensor info is 8 (name length) + 4 + 4 + 8 bytes; a kv is at least 8 + 4 + 1.
        checkCount("tensor_count", 8, tensorCount, 24);
        checkCount("metadata_kv_count", 16, kvCount, 13);
        long kvStart = pos;
        Map<String, GgufMetadata.Entry> kv = new LinkedHashMap<>();
        Map<String, Long> kvAt = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = pos;
            String key = string("metadata key #" + i);
            long typeAt = pos;
            GgufValueType type = valueType("type of metadata '" + key + "'", i32("type of metadata '" + key + "'"), typeAt);
            GgufMetadata.Entry e = value(key, type, 0);
            if (kv.put(key, e) != null) throw error("metadata '" + key + "'", at, "duplicate key");
            kvAt.put(key, typeAt);
        }
        this.metadata = new GgufMetadata(kv, kvAt, source, kvStart, pos);
        int align = DEFAULT_ALIGNMENT;
        if (metadata.has("general.alignment")) {
            long a = metadata.getLong("general.alignment");
            if (a <= 0 || a > (1 << 20) || (a & (a - 1)) != 0) {
                throw error("metadata 'general.alignment'", kvAt.get("general.alignment"), "must be a power of two up to 2^20, found " + a);
            }
            align = (int) a;
        }
        this.alignment = align;
        record Raw(String name, long[] dims, GgmlType type, long offset, long at) {
        }
        Raw[] raws = new Raw[(int) tensorCount];
        this.tensorInfoStart = pos;
        for (int t = 0; t < tensorCount; t++) {
            long at = pos;
            String name = string("name of tensor #" + t);
            long dimsAt = pos;
            int nDims = i32("n_dims of tensor '" + name + "'");
            if (nDims < 1 || nDims > MAX_DIMS) {
                throw error("n_dims of tensor '" + name + "'", dimsAt, "expected 1 to " + MAX_DIMS + ", found " + nDims);
            }
            long[] dims = new long[nDims];
            for (int d = 0; d < nDims; d++) {
                long dAt = pos;
                dims[d] = i64("dims[" + d + "] of tensor '" + name + "'");
                if (dims[d] <= 0 || dims[d] > Integer.MAX_VALUE) {
                    throw error("dims[" + d + "] of tensor '" + name + "'", dAt, "dimension " + Long.toUnsignedString(dims[d]) + " is out of range");
                }
            }
            long typeAt = pos;
            int typeId = i32("type of tensor '" + name + "'");
            GgmlType type = GgmlType.byId(typeId);
            if (type == null) throw error("type of tensor '" + name + "'", typeAt, "unknown tensor type id " + typeId);
            if (dims[0] % type.blockSize != 0) {
                throw error("dims of tensor '" + name + "'", dimsAt, "inner dimension " + dims[0]
                        + " is not a multiple of the " + type + " block size " + type.blockSize);
            }
            // Rows (the outer dimensions) must fit an int, and the blocks must fit the file: checked in
            // that order with divisions, so no product can overflow a long.
            long rows = 1;
            for (int d = 1; d < nDims; d++) {
                if (dims[d] > Integer.MAX_VALUE / rows) {
                    throw error("dims of tensor '" + name + "'", dimsAt, "more than " + Integer.MAX_VALUE + " rows " + java.util.Arrays.toString(dims));
                }
                rows *= dims[d];
            }
            long blocksPerRow = dims[0] / type.blockSize;
            if (blocksPerRow > file.byteSize() / type.blockBytes / rows) {
                throw error("dims of tensor '" + name + "'", dimsAt, type + " tensor of shape " + java.util.Arrays.toString(dims)
                        + " needs more bytes than the whole file (" + file.byteSize() + ")");
            }
            long offAt = pos;
            long offset = i64("offset of tensor '" + name + "'");
            if (offset < 0 || offset % align != 0) {
                throw error("offset of tensor '" + name + "'", offAt, "offset " + Long.toUnsignedString(offset)
                        + " is not a multiple of the alignment " + align);
            }
            raws[t] = new Raw(name, dims, type, offset, at);
        }
        this.tensorInfoEnd = pos;
        this.dataStart = (pos + align - 1) / align * align;
        Map<String, GgufTensorInfo> infos = new LinkedHashMap<>();
        for (Raw r : raws) {
            long elements = 1;
            for (long d : r.dims) elements *= d;
            long bytes = r.type.bytesFor(elements);
            long start = dataStart + r.offset;
            if (start < dataStart || start + bytes > file.byteSize() || start + bytes < start) {
                throw error("data of tensor '" + r.name + "'", r.at, "tensor of " + bytes + " bytes at data offset "
                        + r.offset + " (file offset " + start + ") extends past the end of the file (" + file.byteSize() + " bytes)");
            }
            GgufTensorInfo info = new GgufTensorInfo(r.name, r.dims, r.type, r.offset, bytes, file.asSlice(start, bytes));
            if (infos.put(r.name, info) != null) throw error("name of tensor '" + r.name + "'", r.at, "duplicate tensor name");
        }
        this.tensors = Collections.unmodifiableMap(infos);
    }

    /** Maps and parses {@code path}; the caller closes the result. */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment seg = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            return new GgufFile(path.toString(), arena, seg);
        } catch (RuntimeException | IOException e) {
            arena.close();
            throw e;
        }
    }

    /** Parses a GGUF image already in memory (tests, fuzzing); the segment must outlive the result. */
    public static GgufFile parse(MemorySegment segment, String source) {
        return new GgufFile(source, null, segment);
    }

    public int version() {
        return version;
    }

    public GgufMetadata metadata() {
        return metadata;
    }

    public Map<String, GgufTensorInfo> tensors() {
        return tensors;
    }

    public int alignment() {
        return alignment;
    }

    public long dataStart() {
        return dataStart;
    }

    public long fileSize() {
        return file.byteSize();
    }

    public String source() {
        return source;
    }

    /** The tensor named {@code name}; a clear error when absent. */
    public GgufTensorInfo tensor(String name) {
        GgufTensorInfo t = tensors.get(name);
        if (t == null) {
            throw new GgufFormatException(source + ": missing tensor '" + printable(name) + "' (the tensor infos, byte offsets "
                    + tensorInfoStart + " to " + tensorInfoEnd + ", have no such tensor)");
        }
        return t;
    }

    public boolean hasTensor(String name) {
        return tensors.containsKey(name);
    }

    @Override
    public void close() {
        if (arena != null) arena.close();
    }

    // ---------------------------------------------------------------- parsing

    private GgufFormatException error(String field, long offset, String what) {
        return new GgufFormatException(source + ": " + printable(field) + " at byte offset " + offset + ": " + what);
    }

    /** {@code s} safe to put in an error message ({@link Printable#escape}). */
    public static String printable(String s) {
        return Printable.escape(s);
    }

    private void need(String field, long bytes) {
        if (bytes < 0 || pos + bytes > file.byteSize()) {
            throw error(field, pos, "truncated file: need " + bytes + " bytes, " + (file.byteSize() - pos) + " left (file is "
                    + file.byteSize() + " bytes)");
        }
    }

    /** Fails unless {@code count} items of at least {@code minBytes} each can still fit in the file. */
    private void checkCount(String field, long at, long count, long minBytes) {
        long left = file.byteSize() - pos;
        if (count < 0 || count > left / minBytes) {
            throw error(field, at, "truncated file or corrupt count: " + Long.toUnsignedString(count) + " items cannot fit in the " + left + " bytes left");
        }
    }

    private int i32(String field) {
        need(field, 4);
        int v = file.get(I32, pos);
        pos += 4;
        return v;
    }

    private long i64(String field) {
        need(field, 8);
        long v = file.get(I64, pos);
        pos += 8;
        return v;
    }

    private String string(String field) {
        long at = pos;
        long len = i64(field + " (length)");
        if (len < 0 || len > file.byteSize() - pos) {
            throw error(field, at, "string length " + Long.toUnsignedString(len) + " exceeds the " + (file.byteSize() - pos) + " bytes left");
        }
        byte[] b = file.asSlice(pos, len).toArray(ValueLayout.JAVA_BYTE);
        pos += len;
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(java.nio.ByteBuffer.wrap(b)).toString();
        } catch (CharacterCodingException e) {
            // Some vocabularies hold raw bytes that are not valid UTF-8: keep them, replaced, rather than reject the file.
            return new String(b, StandardCharsets.UTF_8);
        }
    }

    private GgufValueType valueType(String field, int id, long at) {
        GgufValueType t = GgufValueType.byId(id);
        if (t == null) throw error(field, at, "unknown metadata value type " + id);
        return t;
    }

    private GgufMetadata.Entry value(String key, GgufValueType type, int depth) {
        String field = "metadata '" + key + "'";
        if (type != GgufValueType.ARRAY) return new GgufMetadata.Entry(type, null, scalar(field, type));
        long at = pos;
        if (depth >= MAX_ARRAY_DEPTH) {
            // recursion per level: without a bound, a file of nested arrays would overflow the stack
            throw error(field, at, "arrays nested deeper than " + MAX_ARRAY_DEPTH + " levels");
        }
        GgufValueType elem = valueType(field + " (array element type)", i32(field + " (array element type)"), at);
        long countAt = pos;
        long n = i64(field + " (array length)");
        checkCount(field + " (array length)", countAt, n, elem.size > 0 ? elem.size : 8);
        int count = (int) n;
        Object arr = switch (elem) {
            case UINT8, INT8 -> {
                need(field, n);
                byte[] a = file.asSlice(pos, n).toArray(ValueLayout.JAVA_BYTE);
                pos += n;
                yield a;
            }
            case BOOL -> {
                boolean[] a = new boolean[count];
                for (int i = 0; i < count; i++) a[i] = (Byte) scalar(field, elem) != 0;
                yield a;
            }
            case UINT16, INT16 -> {
                short[] a = new short[count];
                for (int i = 0; i < count; i++) a[i] = (Short) scalar(field, elem);
                yield a;
            }
            case UINT32, INT32 -> {
                need(field, 4L * n);
                int[] a = new int[count];
                for (int i = 0; i < count; i++) a[i] = i32(field);
                yield a;
            }
            case FLOAT32 -> {
                need(field, 4L * n);
                float[] a = new float[count];
                for (int i = 0; i < count; i++) {
                    a[i] = file.get(F32, pos);
                    pos += 4;
                }
                yield a;
            }
            case UINT64, INT64 -> {
                need(field, 8L * n);
                long[] a = new long[count];
                for (int i = 0; i < count; i++) a[i] = i64(field);
                yield a;
            }
            case FLOAT64 -> {
                need(field, 8L * n);
                double[] a = new double[count];
                for (int i = 0; i < count; i++) a[i] = (Double) scalar(field, elem);
                yield a;
            }
            case STRING -> {
                String[] a = new String[count];
                for (int i = 0; i < count; i++) a[i] = string(field + "[" + i + "]");
                yield a;
            }
            case ARRAY -> {
                Object[] a = new Object[count];
                for (int i = 0; i < count; i++) a[i] = value(key + "[" + i + "]", GgufValueType.ARRAY, depth + 1).value();
                yield a;
            }
        };
        return new GgufMetadata.Entry(GgufValueType.ARRAY, elem, arr);
    }

    private Object scalar(String field, GgufValueType type) {
        switch (type) {
            case UINT8, INT8, BOOL -> {
                need(field, 1);
                byte b = file.get(ValueLayout.JAVA_BYTE, pos);
                pos += 1;
                if (type == GgufValueType.BOOL) {
                    if (b != 0 && b != 1) throw error(field, pos - 1, "bool must be 0 or 1, found " + b);
                    return b;
                }
                return b;
            }
            case UINT16, INT16 -> {
                need(field, 2);
                short s = file.get(I16, pos);
                pos += 2;
                return s;
            }
            case UINT32, INT32 -> {
                return i32(field);
            }
            case FLOAT32 -> {
                need(field, 4);
                float f = file.get(F32, pos);
                pos += 4;
                return f;
            }
            case UINT64, INT64 -> {
                return i64(field);
            }
            case FLOAT64 -> {
                need(field, 8);
                double d = file.get(F64, pos);
                pos += 8;
                return d;
            }
            case STRING -> {
                return string(field);
            }
            default -> throw new IllegalStateException(type.toString());
        }
    }
}
