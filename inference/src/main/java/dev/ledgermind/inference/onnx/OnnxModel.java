package dev.ledgermind.inference.onnx;

import dev.ledgermind.inference.Printable;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of an ONNX model (a protobuf {@code ModelProto}) that weight loading needs: the graph's
 * initializers (named float tensors) and its nodes (op type, input and output names), in file order.
 * A small protobuf wire-format reader of our own: varints, 64/32-bit fields and length-delimited fields;
 * unknown fields are skipped. Only FLOAT (1) and INT64 (7) initializers are decoded.
 *
 * <p>Field numbers (onnx.proto3): ModelProto.graph = 7; GraphProto.node = 1, initializer = 5;
 * NodeProto.input = 1, output = 2, op_type = 4; TensorProto.dims = 1, data_type = 2, float_data = 4,
 * int64_data = 7, name = 8, raw_data = 9.
 */
public final class OnnxModel {
    /** A float tensor: dims and values, row-major. */
    public record Tensor(String name, long[] dims, float[] data) {
        public int size(int axis) {
            return (int) dims[axis];
        }
    }

    /** A graph node. */
    public record Node(String opType, List<String> inputs, List<String> outputs) {}

    private final String source;
    private final Map<String, Tensor> initializers;
    private final List<Node> nodes;

    private OnnxModel(String source, Map<String, Tensor> initializers, List<Node> nodes) {
        this.source = source;
        this.initializers = initializers;
        this.nodes = nodes;
    }

    public Map<String, Tensor> initializers() {
        return Collections.unmodifiableMap(initializers);
    }

    public List<Node> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    /** The named initializer; a clear error naming the model when it is missing. */
    public Tensor tensor(String name) {
        Tensor t = initializers.get(name);
        if (t == null) throw new OnnxFormatException(source + ": the model has no initializer named '" + name + "'");
        return t;
    }

    public static OnnxModel parse(byte[] bytes, String source) {
        Reader model = new Reader(bytes, 0, bytes.length, source, "ModelProto");
        Reader graph = null;
        while (model.hasMore()) {
            int tag = model.tag();
            if (tag >>> 3 == 7 && (tag & 7) == 2) graph = model.sub("GraphProto");
            else model.skip(tag);
        }
        if (graph == null) {
            throw new OnnxFormatException(source + ": ModelProto from offset 0 to " + bytes.length
                    + " has no graph (field 7): not an ONNX model");
        }
        Map<String, Tensor> inits = new LinkedHashMap<>();
        List<Node> nodes = new ArrayList<>();
        while (graph.hasMore()) {
            int tag = graph.tag();
            int field = tag >>> 3;
            if (field == 5 && (tag & 7) == 2) {
                Tensor t = tensor(graph.sub("TensorProto"));
                if (t != null) inits.put(t.name(), t);
            } else if (field == 1 && (tag & 7) == 2) {
                nodes.add(node(graph.sub("NodeProto")));
            } else {
                graph.skip(tag);
            }
        }
        return new OnnxModel(source, inits, nodes);
    }

    private static Node node(Reader r) {
        List<String> in = new ArrayList<>(), out = new ArrayList<>();
        String op = "";
        while (r.hasMore()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> in.add(r.expect(tag, WIRE_LEN, "input").string());
                case 2 -> out.add(r.expect(tag, WIRE_LEN, "output").string());
                case 4 -> op = r.expect(tag, WIRE_LEN, "op_type").string();
                default -> r.skip(tag);
            }
        }
        return new Node(op, in, out);
    }

    private static Tensor tensor(Reader r) {
        List<Long> dims = new ArrayList<>();
        int type = 0;
        String name = "";
        byte[] raw = null;
        FloatList floats = new FloatList();
        int at = r.pos;
        while (r.hasMore()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> {
                    if ((tag & 7) == WIRE_LEN) {
                        Reader packed = r.sub("dims");
                        while (packed.hasMore()) dims.add(packed.varint());
                    } else {
                        dims.add(r.expect(tag, WIRE_VARINT, "dims").varint());
                    }
                }
                case 2 -> type = (int) r.expect(tag, WIRE_VARINT, "data_type").varint();
                case 4 -> {
                    if ((tag & 7) == WIRE_LEN) {
                        Reader packed = r.sub("float_data");
                        while (packed.hasMore()) floats.add(Float.intBitsToFloat(packed.fixed32()));
                    } else {
                        floats.add(Float.intBitsToFloat(r.expect(tag, WIRE_FIXED32, "float_data").fixed32()));
                    }
                }
                case 8 -> name = r.expect(tag, WIRE_LEN, "name").string();
                case 9 -> raw = r.expect(tag, WIRE_LEN, "raw_data").bytes();
                default -> r.skip(tag);
            }
        }
        if (type != 1) return null; // only float weights matter here (int64 position ids etc. are not needed)
        String where = r.source + ": tensor '" + Printable.escape(name) + "' (TensorProto at offset " + at + ")";
        // The element count is checked against the values actually present before anything is allocated:
        // the dims are the file's word, the data is what it holds.
        long available = raw != null ? raw.length / 4 : floats.size();
        long count = 1;
        for (long d : dims) {
            if (d < 0) throw new OnnxFormatException(where + ": dims " + dims + " has a negative dimension");
            if (d != 0 && count > available / d) {
                throw new OnnxFormatException(where + ": dims " + dims + " need more values than the " + available
                        + " it holds" + (raw != null ? " in raw_data" : " in float_data") + " (external data is not supported)");
            }
            count *= d;
        }
        float[] data;
        if (raw != null) {
            if (raw.length != count * 4) {
                throw new OnnxFormatException(where + ": has " + raw.length + " bytes of raw_data, expected " + count * 4
                        + " for dims " + dims);
            }
            data = new float[(int) count];
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        } else if (floats.size() == count) {
            data = floats.toArray();
        } else {
            throw new OnnxFormatException(where + ": has " + floats.size() + " values, expected " + count + " for dims " + dims
                    + " (external data is not supported)");
        }
        long[] d = new long[dims.size()];
        for (int i = 0; i < d.length; i++) d[i] = dims.get(i);
        return new Tensor(name, d, data);
    }

    static final int WIRE_VARINT = 0, WIRE_LEN = 2, WIRE_FIXED32 = 5;

    /** A growable float array: float_data unboxed, so a large initializer costs 4 bytes a value. */
    private static final class FloatList {
        private float[] a = new float[16];
        private int n;

        void add(float f) {
            if (n == a.length) a = java.util.Arrays.copyOf(a, a.length * 2);
            a[n++] = f;
        }

        int size() {
            return n;
        }

        float[] toArray() {
            return java.util.Arrays.copyOf(a, n);
        }
    }

    /** Protobuf wire-format cursor over {@code [pos, end)} of a buffer. */
    private static final class Reader {
        final byte[] b;
        int pos;
        final int end;
        final String source;
        final String message;

        Reader(byte[] b, int pos, int end, String source, String message) {
            this.b = b;
            this.pos = pos;
            this.end = end;
            this.source = source;
            this.message = message;
        }

        boolean hasMore() {
            return pos < end;
        }

        int tag() {
            return (int) varint();
        }

        long varint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) throw truncated("varint");
                int c = b[pos++] & 0xff;
                v |= (long) (c & 0x7f) << shift;
                if (c < 0x80) return v;
            }
            throw new OnnxFormatException(source + ": malformed varint in " + message + " at offset " + pos);
        }

        /** This reader, after checking that field {@code tag} has the wire type its schema gives it. */
        Reader expect(int tag, int wireType, String field) {
            if ((tag & 7) != wireType) {
                throw new OnnxFormatException(source + ": field " + field + " (" + (tag >>> 3) + ") of " + message + " at offset "
                        + pos + " has wire type " + (tag & 7) + ", expected " + wireType + ": corrupt file");
            }
            return this;
        }

        int fixed32() {
            if (pos + 4 > end) throw truncated("fixed32");
            int v = (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8 | (b[pos + 2] & 0xff) << 16 | (b[pos + 3] & 0xff) << 24;
            pos += 4;
            return v;
        }

        int length() {
            long len = varint();
            if (len < 0 || len > end - pos) { // not "pos + len > end": that overflows for a huge len and lets it through
                throw new OnnxFormatException(source + ": field length " + len + " at offset " + pos + " in " + message
                        + " runs past the end (" + end + "): the file is truncated or corrupt");
            }
            return (int) len;
        }

        Reader sub(String name) {
            int len = length();
            Reader r = new Reader(b, pos, pos + len, source, name);
            pos += len;
            return r;
        }

        byte[] bytes() {
            int len = length();
            byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + len);
            pos += len;
            return out;
        }

        String string() {
            return new String(bytes(), java.nio.charset.StandardCharsets.UTF_8);
        }

        void skip(int tag) {
            switch (tag & 7) {
                case 0 -> varint();
                case 1 -> pos += 8;
                case 2 -> {
                    int len = length(); // not "pos += length()": that would add to pos as it was before the length varint
                    pos += len;
                }
                case 5 -> pos += 4;
                default -> throw new OnnxFormatException(source + ": unknown protobuf wire type " + (tag & 7) + " in "
                        + message + " at offset " + pos + ": not an ONNX file, or corrupt");
            }
            if (pos > end) throw truncated("field");
        }

        private OnnxFormatException truncated(String what) {
            return new OnnxFormatException(source + ": truncated " + what + " in " + message + " at offset " + pos);
        }
    }
}
