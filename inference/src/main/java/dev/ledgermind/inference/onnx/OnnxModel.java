package dev.ledgermind.inference.onnx;

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
        if (graph == null) throw new OnnxFormatException(source + ": not an ONNX model (no graph field in ModelProto)");
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
                case 1 -> in.add(r.string());
                case 2 -> out.add(r.string());
                case 4 -> op = r.string();
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
        List<Float> floats = new ArrayList<>();
        int at = r.pos;
        while (r.hasMore()) {
            int tag = r.tag();
            switch (tag >>> 3) {
                case 1 -> {
                    if ((tag & 7) == 2) {
                        Reader packed = r.sub("dims");
                        while (packed.hasMore()) dims.add(packed.varint());
                    } else {
                        dims.add(r.varint());
                    }
                }
                case 2 -> type = (int) r.varint();
                case 4 -> {
                    if ((tag & 7) == 2) {
                        Reader packed = r.sub("float_data");
                        while (packed.hasMore()) floats.add(Float.intBitsToFloat(packed.fixed32()));
                    } else {
                        floats.add(Float.intBitsToFloat(r.fixed32()));
                    }
                }
                case 8 -> name = r.string();
                case 9 -> raw = r.bytes();
                default -> r.skip(tag);
            }
        }
        if (type != 1) return null; // only float weights matter here (int64 position ids etc. are not needed)
        long count = 1;
        for (long d : dims) count *= d;
        float[] data = new float[(int) count];
        if (raw != null) {
            if (raw.length != count * 4) {
                throw new OnnxFormatException(r.source + ": tensor '" + name + "' at offset " + at + " has " + raw.length
                        + " bytes of raw_data, expected " + count * 4 + " for dims " + dims);
            }
            ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(data);
        } else if (floats.size() == count) {
            for (int i = 0; i < count; i++) data[i] = floats.get(i);
        } else {
            throw new OnnxFormatException(r.source + ": tensor '" + name + "' at offset " + at + " has " + floats.size()
                    + " values, expected " + count + " for dims " + dims + " (external data is not supported)");
        }
        long[] d = new long[dims.size()];
        for (int i = 0; i < d.length; i++) d[i] = dims.get(i);
        return new Tensor(name, d, data);
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

        int fixed32() {
            if (pos + 4 > end) throw truncated("fixed32");
            int v = (b[pos] & 0xff) | (b[pos + 1] & 0xff) << 8 | (b[pos + 2] & 0xff) << 16 | (b[pos + 3] & 0xff) << 24;
            pos += 4;
            return v;
        }

        int length() {
            long len = varint();
            if (len < 0 || pos + len > end) {
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
