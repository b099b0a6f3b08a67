package dev.ledgermind.inference.gguf;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;

/**
 * One tensor of a GGUF file. {@code dims[0]} is the innermost (contiguous) dimension, as in GGUF: a
 * weight matrix of {@code rows x cols} has {@code dims = {cols, rows}}. {@code data} is a slice of the
 * memory-mapped file (never a heap copy).
 */
public record GgufTensorInfo(String name, long[] dims, GgmlType type, long offset, long byteSize, MemorySegment data) {
    public long elements() {
        long n = 1;
        for (long d : dims) n *= d;
        return n;
    }

    /** Columns: the innermost dimension. */
    public int cols() {
        return (int) dims[0];
    }

    /** Rows: the product of the outer dimensions (1 for a vector). */
    public int rows() {
        long r = 1;
        for (int i = 1; i < dims.length; i++) r *= dims[i];
        return (int) r;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(dims);
    }
}
