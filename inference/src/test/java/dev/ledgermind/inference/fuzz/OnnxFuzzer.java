package dev.ledgermind.inference.fuzz;

import dev.ledgermind.inference.onnx.OnnxFormatException;
import dev.ledgermind.inference.onnx.OnnxModel;

import java.util.regex.Pattern;

/**
 * Fuzz target: an ONNX model (protobuf {@code ModelProto}) through the engine's own wire-format reader.
 * The documented error is {@link OnnxFormatException}, whose message names the protobuf message or
 * tensor and a byte offset.
 */
public final class OnnxFuzzer {
    static final Pattern WHERE = Pattern.compile("^fuzz\\.onnx: .+ (at|from) (byte )?offset \\d+");

    private OnnxFuzzer() {
    }

    public static void fuzzerTestOneInput(byte[] input) {
        try {
            OnnxModel m = OnnxModel.parse(input, "fuzz.onnx");
            for (OnnxModel.Tensor t : m.initializers().values()) {
                long n = 1;
                for (long d : t.dims()) n *= d;
                if (n != t.data().length) {
                    throw new AssertionError("tensor '" + t.name() + "' has " + t.data().length + " values for dims "
                            + java.util.Arrays.toString(t.dims()));
                }
            }
            m.nodes().forEach(node -> {
                if (node.opType() == null || node.inputs().contains(null) || node.outputs().contains(null)) {
                    throw new AssertionError("node with a null name: " + node);
                }
            });
        } catch (OnnxFormatException e) {
            FormatErrors.requireWhere(e, WHERE);
        }
    }
}
