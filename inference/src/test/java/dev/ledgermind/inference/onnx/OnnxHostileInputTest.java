package dev.ledgermind.inference.onnx;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Base64;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Inputs the ONNX fuzz target found (docs/reliability.md), and their neighbours: each must end in an
 * {@link OnnxFormatException} that names the message or tensor and a byte offset, never another
 * exception, a huge allocation or a hang.
 */
class OnnxHostileInputTest {
    static OnnxFormatException reject(byte[] model) {
        return assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(OnnxFormatException.class, () -> OnnxModel.parse(model, "hostile.onnx")));
    }

    static byte[] varint(long v) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
        return o.toByteArray();
    }

    static byte[] cat(byte[]... parts) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        for (byte[] p : parts) o.writeBytes(p);
        return o.toByteArray();
    }

    static byte[] len(int field, byte[] body) {
        return cat(varint((long) field << 3 | 2), varint(body.length), body);
    }

    /** ModelProto { graph { initializer { tensor } } }. */
    static byte[] modelWithTensor(byte[] tensor) {
        return len(7, len(5, tensor));
    }

    @Test
    void foundByFuzzing_dimsWhoseProductOverflowsAnIntNoLongerThrowNegativeArraySize() {
        // the fuzzer's input: a float tensor whose dims multiply to more than 2^31 (was NegativeArraySizeException)
        byte[] found = Base64.getDecoder().decode(
                "CAgSD2xlZGdlcm1pbmQtc2VlZDp6IgRHZWx1GgZnZWx1XzESAWcqI/gCAgEKEQoBeAoBdxIBeSIGTWE9dE1sCgp1FAF5EgF6IgRHZWx1GgZnZWx1XzESAWcqIwoCAgMQIQEiGAAAAAAAAAA/AACAPwAAwD8AAABAAAAgASpCQXdBQBFBQQFyKhYIAhAHOgIAAUIMcG9zaXRpb25faWRz");
        OnnxFormatException e = reject(found);
        assertTrue(e.getMessage().matches("hostile\\.onnx: .* at offset \\d+.*"), e.getMessage());
    }

    @Test
    void foundByFuzzing_aLengthNearLongMaxNoLongerWrapsTheCursorBackwardsForever() {
        // ModelProto field 2 (LEN) with a length of about 2^63: "pos + len > end" overflowed, the cursor
        // moved backwards and the parse never ended
        byte[] found = Base64.getDecoder().decode("CAgS9f//////////CAgPbC0=");
        OnnxFormatException e = reject(found);
        assertTrue(e.getMessage().contains("runs past the end"), e.getMessage());
    }

    @Test
    void hugeDimsWithoutTheirDataAreRejectedBeforeAllocating() {
        // dims 2^20 x 2^20 (a 4 TiB float tensor) with four values: must not try to allocate
        byte[] tensor = cat(varint(1 << 3), varint(1 << 20), varint(1 << 3), varint(1 << 20), varint(2 << 3), varint(1),
                len(4, new byte[16]), len(8, "w".getBytes()));
        OnnxFormatException e = reject(modelWithTensor(tensor));
        assertEquals("hostile.onnx: tensor 'w' (TensorProto at offset 4): dims [1048576, 1048576] need more values than the 4 it holds"
                + " in float_data (external data is not supported)", e.getMessage());
    }

    @Test
    void aNegativeDimensionIsRejected() {
        byte[] tensor = cat(varint(1 << 3), varint(-1L), varint(2 << 3), varint(1), len(8, "n".getBytes()));
        OnnxFormatException e = reject(modelWithTensor(tensor));
        assertTrue(e.getMessage().contains("tensor 'n' (TensorProto at offset 4): dims [-1] has a negative dimension"), e.getMessage());
    }

    @Test
    void aFieldWithTheWrongWireTypeIsNamed() {
        // TensorProto.name (8) sent as a varint
        byte[] tensor = cat(varint(8 << 3), varint(5));
        OnnxFormatException e = reject(modelWithTensor(tensor));
        assertEquals("hostile.onnx: field name (8) of TensorProto at offset 5 has wire type 0, expected 2: corrupt file", e.getMessage());
    }

    @Test
    void aModelWithoutAGraphSaysWhereItLooked() {
        OnnxFormatException e = reject(cat(varint(1 << 3), varint(8)));
        assertEquals("hostile.onnx: ModelProto from offset 0 to 2 has no graph (field 7): not an ONNX model", e.getMessage());
    }
}
