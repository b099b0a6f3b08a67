package dev.ledgermind.inference.tensor;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * Which canonical arithmetic a model's matrix products follow. A profile is part of what a result means: two
 * profiles give different bits (and trace roots) for the same model and input, so a task, a receipt and a model
 * spec name the profile they were computed under. Within a profile every thread count, vector width, native or
 * Java kernel and batch size gives the same bits.
 *
 * <ul>
 *   <li>{@link #BINARY32} (the default): each weight type's binary32 product on its exactly dequantized values
 *       (DESIGN.md section 3, the class javadocs of the tensor types). Closest to the model the file describes:
 *       1e-6 to 2e-3 in log-probability from an exact double-precision forward pass.</li>
 *   <li>{@link #INT8_Q8} ({@code int8-q8}): the activations of every quantized matrix product are themselves
 *       quantized to int8 blocks ({@link Int8Input}), each block's products summed exactly in integers, and the
 *       blocks accumulated in a fixed binary32 order, as llama.cpp computes (with its own block orders). Faster where
 *       a CPU has int8 dot-product instructions (AVX-512 VNNI), and as far from the exact model as llama.cpp is.
 *       Types with no integer product (F32, F16, BF16, Q4_1, Q5_1) keep their binary32 product on the float input.</li>
 * </ul>
 */
public enum ComputeProfile {
    BINARY32("binary32", 0),
    INT8_Q8("int8-q8", 1);

    /** The name used on command lines, in task specs and in receipts. */
    public final String id;
    /** The profile's number in model specs ({@code uint8}). */
    public final int code;

    ComputeProfile(String id, int code) {
        this.id = id;
        this.code = code;
    }

    /** The profile named {@code name}, or a clear error listing the names there are. */
    public static ComputeProfile parse(String name) {
        String n = name == null ? "" : name.trim();
        for (ComputeProfile p : values()) if (p.id.equalsIgnoreCase(n)) return p;
        throw new IllegalArgumentException("unknown compute profile '" + name + "' (there are: " + names() + ")");
    }

    /** The profiles' names, comma-separated. */
    public static String names() {
        return Arrays.stream(values()).map(p -> p.id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }
}
