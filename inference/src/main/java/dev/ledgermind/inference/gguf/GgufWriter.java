package dev.ledgermind.inference.gguf;

import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes GGUF files (version 3 by default, or 2): metadata of every value type, tensor infos, and the
 * aligned data section. Tensor bytes are streamed from a {@link TensorBytes} source when the file is
 * written, so multi-gigabyte models are never held in memory. The layout is the one {@link GgufFile}
 * reads; offsets are assigned in the order tensors were added, each padded to the alignment.
 */
public final class GgufWriter {
    /** Produces exactly the tensor's bytes ({@link GgmlType#bytesFor}) into {@code out}. */
    @FunctionalInterface
    public interface TensorBytes {
        void write(OutputStream out) throws IOException;
    }

    private record Tensor(String name, GgmlType type, long[] dims, long bytes, TensorBytes data) {
    }

    private final int version;
    private final int alignment;
    private final Map<String, GgufMetadata.Entry> metadata = new LinkedHashMap<>();
    private final List<Tensor> tensors = new ArrayList<>();

    public GgufWriter() {
        this(3, GgufFile.DEFAULT_ALIGNMENT);
    }

    public GgufWriter(int version, int alignment) {
        if (version != 2 && version != 3) throw new IllegalArgumentException("GGUF version must be 2 or 3, found " + version);
        if (alignment <= 0 || (alignment & (alignment - 1)) != 0) throw new IllegalArgumentException("alignment must be a power of two");
        this.version = version;
        this.alignment = alignment;
        if (alignment != GgufFile.DEFAULT_ALIGNMENT) putUInt32("general.alignment", alignment);
    }

    public GgufWriter put(String key, GgufMetadata.Entry entry) {
        metadata.put(key, entry);
        return this;
    }

    private GgufWriter scalar(String key, GgufValueType type, Object v) {
        return put(key, new GgufMetadata.Entry(type, null, v));
    }

    private GgufWriter array(String key, GgufValueType elem, Object v) {
        return put(key, new GgufMetadata.Entry(GgufValueType.ARRAY, elem, v));
    }

    public GgufWriter putUInt8(String key, int v) { return scalar(key, GgufValueType.UINT8, (byte) v); }
    public GgufWriter putInt8(String key, int v) { return scalar(key, GgufValueType.INT8, (byte) v); }
    public GgufWriter putUInt16(String key, int v) { return scalar(key, GgufValueType.UINT16, (short) v); }
    public GgufWriter putInt16(String key, int v) { return scalar(key, GgufValueType.INT16, (short) v); }
    public GgufWriter putUInt32(String key, long v) { return scalar(key, GgufValueType.UINT32, (int) v); }
    public GgufWriter putInt32(String key, int v) { return scalar(key, GgufValueType.INT32, v); }
    public GgufWriter putUInt64(String key, long v) { return scalar(key, GgufValueType.UINT64, v); }
    public GgufWriter putInt64(String key, long v) { return scalar(key, GgufValueType.INT64, v); }
    public GgufWriter putFloat32(String key, float v) { return scalar(key, GgufValueType.FLOAT32, v); }
    public GgufWriter putFloat64(String key, double v) { return scalar(key, GgufValueType.FLOAT64, v); }
    public GgufWriter putBool(String key, boolean v) { return scalar(key, GgufValueType.BOOL, (byte) (v ? 1 : 0)); }
    public GgufWriter putString(String key, String v) { return scalar(key, GgufValueType.STRING, v); }
    public GgufWriter putStringArray(String key, String[] v) { return array(key, GgufValueType.STRING, v); }
    public GgufWriter putFloatArray(String key, float[] v) { return array(key, GgufValueType.FLOAT32, v); }
    public GgufWriter putInt32Array(String key, int[] v) { return array(key, GgufValueType.INT32, v); }
    public GgufWriter putUInt8Array(String key, byte[] v) { return array(key, GgufValueType.UINT8, v); }

    /** Adds a tensor whose bytes come from {@code data} when the file is written. {@code dims[0]} is innermost. */
    public GgufWriter addTensor(String name, GgmlType type, long[] dims, TensorBytes data) {
        long elements = 1;
        for (long d : dims) elements *= d;
        if (dims.length == 0 || dims[0] % type.blockSize != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': inner dimension must be a multiple of " + type.blockSize);
        }
        tensors.add(new Tensor(name, type, dims.clone(), type.bytesFor(elements), data));
        return this;
    }

    public GgufWriter addTensor(String name, GgmlType type, long[] dims, byte[] data) {
        long elements = 1;
        for (long d : dims) elements *= d;
        if (data.length != type.bytesFor(elements)) {
            throw new IllegalArgumentException("tensor '" + name + "': " + data.length + " bytes given, " + type.bytesFor(elements) + " expected");
        }
        return addTensor(name, type, dims, out -> out.write(data));
    }

    /** Writes the file. */
    public void write(Path path) throws IOException {
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(path), 1 << 20)) {
            write(out);
        }
    }

    /** Writes the whole file image to {@code out}. */
    public void write(OutputStream out) throws IOException {
        Le h = new Le(new ByteArrayOutputStream());
        h.i32(GgufFile.MAGIC);
        h.i32(version);
        h.i64(tensors.size());
        h.i64(metadata.size());
        for (Map.Entry<String, GgufMetadata.Entry> e : metadata.entrySet()) {
            h.str(e.getKey());
            h.i32(e.getValue().type().id);
            value(h, e.getValue().type(), e.getValue().elementType(), e.getValue().value());
        }
        long offset = 0;
        long[] offsets = new long[tensors.size()];
        for (int i = 0; i < tensors.size(); i++) {
            Tensor t = tensors.get(i);
            offsets[i] = offset;
            h.str(t.name);
            h.i32(t.dims.length);
            for (long d : t.dims) h.i64(d);
            h.i32(t.type.id);
            h.i64(offset);
            offset = align(offset + t.bytes);
        }
        byte[] header = h.bytes();
        out.write(header);
        long written = header.length;
        written = pad(out, written);
        for (Tensor t : tensors) {
            CountingStream c = new CountingStream(out);
            t.data.write(c);
            if (c.count != t.bytes) {
                throw new IOException("tensor '" + t.name + "': its source wrote " + c.count + " bytes, " + t.bytes + " expected");
            }
            written = pad(out, written + c.count);
        }
    }

    private long align(long x) {
        return (x + alignment - 1) / alignment * alignment;
    }

    private long pad(OutputStream out, long written) throws IOException {
        long target = align(written);
        for (long i = written; i < target; i++) out.write(0);
        return target;
    }

    private static void value(Le h, GgufValueType type, GgufValueType elem, Object v) throws IOException {
        switch (type) {
            case UINT8, INT8, BOOL -> h.out.write((Byte) v);
            case UINT16, INT16 -> h.i16((Short) v);
            case UINT32, INT32 -> h.i32((Integer) v);
            case FLOAT32 -> h.i32(Float.floatToRawIntBits((Float) v));
            case UINT64, INT64 -> h.i64((Long) v);
            case FLOAT64 -> h.i64(Double.doubleToRawLongBits((Double) v));
            case STRING -> h.str((String) v);
            case ARRAY -> {
                h.i32(elem.id);
                switch (elem) {
                    case UINT8, INT8 -> { byte[] a = (byte[]) v; h.i64(a.length); h.out.write(a); }
                    case BOOL -> { boolean[] a = (boolean[]) v; h.i64(a.length); for (boolean b : a) h.out.write(b ? 1 : 0); }
                    case UINT16, INT16 -> { short[] a = (short[]) v; h.i64(a.length); for (short s : a) h.i16(s); }
                    case UINT32, INT32 -> { int[] a = (int[]) v; h.i64(a.length); for (int x : a) h.i32(x); }
                    case FLOAT32 -> { float[] a = (float[]) v; h.i64(a.length); for (float x : a) h.i32(Float.floatToRawIntBits(x)); }
                    case UINT64, INT64 -> { long[] a = (long[]) v; h.i64(a.length); for (long x : a) h.i64(x); }
                    case FLOAT64 -> { double[] a = (double[]) v; h.i64(a.length); for (double x : a) h.i64(Double.doubleToRawLongBits(x)); }
                    case STRING -> { String[] a = (String[]) v; h.i64(a.length); for (String s : a) h.str(s); }
                    case ARRAY -> throw new IllegalArgumentException("nested arrays are not written");
                }
            }
        }
    }

    /** Little-endian primitives into a byte buffer. */
    private static final class Le {
        final ByteArrayOutputStream out;

        Le(ByteArrayOutputStream out) {
            this.out = out;
        }

        void i16(int v) {
            out.write(v);
            out.write(v >>> 8);
        }

        void i32(int v) {
            for (int i = 0; i < 4; i++) out.write(v >>> (8 * i));
        }

        void i64(long v) {
            for (int i = 0; i < 8; i++) out.write((int) (v >>> (8 * i)));
        }

        void str(String s) throws IOException {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i64(b.length);
            out.write(b);
        }

        byte[] bytes() {
            return out.toByteArray();
        }
    }

    private static final class CountingStream extends OutputStream {
        final OutputStream out;
        long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
