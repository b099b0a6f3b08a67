package dev.ledgermind.inference.onnx;

/** An ONNX file that cannot be read: the message names the file, the field and the byte offset. */
public class OnnxFormatException extends RuntimeException {
    public OnnxFormatException(String message) {
        super(message);
    }
}
