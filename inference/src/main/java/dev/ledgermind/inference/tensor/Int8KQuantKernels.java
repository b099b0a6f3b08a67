package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The native int8-q8 products ({@link ComputeProfile#INT8_Q8}) of Q4_K, Q5_K and Q6_K ({@code ledgermind_int8k.c}:
 * AVX-512 with VNNI): the weights read where the tensor holds them (its segment of the mapped file), the input's
 * {@link Int8Input#Q8_256} codes, scales and 16-element code sums read from its Java arrays (heap segments passed to a
 * critical downcall, no copy). The definitions are the tensor classes' ({@link Q4_KTensor}, {@link Q5_KTensor},
 * {@link Q6_KTensor}, class javadocs): the integer parts A and B of each (row, super-block) are exact in any order, and
 * the kernels then issue the definition's binary32 operations in the definition's order, so they give the bits of
 * {@link WeightTensor#dotInt8Reference} ({@code Int8KQuantNativeBitExactnessTest}).
 *
 * <p>One entry point a type serves the decode step (one input: 4 rows side by side sharing each activation load, the
 * next rows prefetched) and the batched product (4 rows decoded once a super-block, every input passing over them).
 * Used only where the library is loaded, the CPU has AVX-512 VNNI ({@link NativeKernels#vnni()}) and the library has
 * the symbols (looked up optionally: a library built before this file leaves the types on the Java reference).
 */
final class Int8KQuantKernels {
    private static final FunctionDescriptor FD = FunctionDescriptor.ofVoid(
            ADDRESS, JAVA_LONG, JAVA_LONG, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_LONG);
    private static final MethodHandle Q4_K = NativeKernels.optional("lm_i8k_q4_k_matmul", FD);
    private static final MethodHandle Q5_K = NativeKernels.optional("lm_i8k_q5_k_matmul", FD);
    private static final MethodHandle Q6_K = NativeKernels.optional("lm_i8k_q6_k_matmul", FD);
    private static final boolean VNNI = NativeKernels.loaded() && NativeKernels.vnni();

    /** Set by the first product that ran natively (tests check that the native path ran). */
    private static volatile boolean used;

    private Int8KQuantKernels() {
    }

    private static MethodHandle handle(GgmlType type) {
        return switch (type) {
            case Q4_K -> Q4_K;
            case Q5_K -> Q5_K;
            case Q6_K -> Q6_K;
            default -> null;
        };
    }

    /** Whether {@code type}'s int8-q8 product has a native kernel here (library loaded, VNNI, symbol present). */
    static boolean available(GgmlType type) {
        return VNNI && handle(type) != null;
    }

    /** Whether any int8-q8 K-quant product in this process has run natively. */
    static boolean used() {
        return used;
    }

    /**
     * {@code y[yOff + t*yStride + r] = dotInt8(row r, input t)} for rows {@code [from, to)} and every input of {@code xq}
     * (quantized in {@link Int8Input#Q8_256}, {@code 256 * superBlocks} columns), the tensor at {@code data},
     * {@code rowBytes} a row.
     */
    static void matMul(GgmlType type, MemorySegment data, long rowBytes, int superBlocks, int from, int to, Int8Input xq,
                       float[] y, int yOff, int yStride) {
        if (!available(type)) throw new IllegalStateException("no native int8-q8 kernel for " + type + " here");
        if (xq.cols() != 256 * superBlocks) {
            throw new IllegalArgumentException(type + ": input of " + xq.cols() + " columns for " + 256 * superBlocks);
        }
        if (!used) used = true;
        try {
            handle(type).invokeExact(data, rowBytes, (long) superBlocks, from, to, MemorySegment.ofArray(xq.codes256()),
                    MemorySegment.ofArray(xq.scales256()), MemorySegment.ofArray(xq.sums16()), xq.n(),
                    MemorySegment.ofArray(y), (long) yOff, (long) yStride);
        } catch (Throwable e) {
            throw new IllegalStateException("native int8-q8 " + type + " product", e);
        }
    }
}
