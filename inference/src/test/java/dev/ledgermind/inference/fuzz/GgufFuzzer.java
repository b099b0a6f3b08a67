package dev.ledgermind.inference.fuzz;

import dev.ledgermind.inference.gguf.GgufFile;
import dev.ledgermind.inference.gguf.GgufFormatException;
import dev.ledgermind.inference.gguf.GgufMetadata;
import dev.ledgermind.inference.gguf.GgufTensorInfo;
import dev.ledgermind.inference.llama.LlamaConfig;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Fuzz target: a GGUF image (header, metadata, tensor infos), then what a loader reads from it: every
 * metadata value through its typed getter, every tensor's shape and data bounds, and the decoder's
 * hyper-parameters ({@link LlamaConfig}). The documented error is {@link GgufFormatException}, whose
 * message names the field (header field, metadata key or tensor) and a byte offset.
 */
public final class GgufFuzzer {
    static final String SOURCE = "fuzz.gguf";
    static final Pattern WHERE = Pattern.compile("^fuzz\\.gguf: .+ (at byte offset|byte offsets) \\d+");

    private GgufFuzzer() {
    }

    public static void fuzzerTestOneInput(byte[] input) {
        try {
            GgufFile f = GgufFile.parse(MemorySegment.ofArray(input), SOURCE);
            readAll(f);
        } catch (GgufFormatException e) {
            FormatErrors.requireWhere(e, WHERE);
        }
    }

    private static void readAll(GgufFile f) {
        GgufMetadata m = f.metadata();
        for (Map.Entry<String, GgufMetadata.Entry> e : m.entries().entrySet()) {
            String key = e.getKey();
            switch (e.getValue().type()) {
                case UINT8, INT8, UINT16, INT16, UINT32, INT32, UINT64, INT64 -> {
                    m.getLong(key);
                    m.getFloat(key);
                }
                case FLOAT32, FLOAT64 -> m.getFloat(key);
                case BOOL -> m.getBool(key, false);
                case STRING -> m.getString(key);
                case ARRAY -> {
                    switch (e.getValue().elementType()) {
                        case STRING -> m.getStringArray(key);
                        case FLOAT32 -> m.getFloatArray(key);
                        case INT32, UINT32 -> m.getIntArray(key);
                        default -> { }
                    }
                }
            }
        }
        for (GgufTensorInfo t : f.tensors().values()) {
            long bytes = t.type().bytesFor(t.elements());
            if (bytes != t.byteSize() || t.data().byteSize() != bytes) {
                throw new AssertionError("tensor " + t + ": " + bytes + " bytes by its shape, " + t.byteSize() + " recorded, "
                        + t.data().byteSize() + " mapped");
            }
            if (bytes > 0) {
                t.data().get(ValueLayout.JAVA_BYTE, 0);
                t.data().get(ValueLayout.JAVA_BYTE, bytes - 1);
            }
        }
        if (m.has("general.architecture")) LlamaConfig.of(f);
    }
}
