package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import static dev.ledgermind.inference.tensor.Q8_0Tensor.F16;

/**
 * Q4_K weights: super-blocks of 256 elements in 144 bytes: f16 {@code d}, f16 {@code dmin}, 12 bytes of
 * packed 6-bit scales and mins for 8 sub-blocks of 32, then 128 bytes of 4-bit values. Sub-blocks
 * {@code 2g} and {@code 2g+1} share the 32 bytes {@code qs[32g ..]}: low nibbles, then high nibbles.
 *
 * <p>Element value (as llama.cpp's {@code dequantize_row_q4_K}): {@code (d * sc) * q - (dmin * m)}, each
 * operation one binary32 rounding (multiply, multiply, multiply, subtract; no fma). The dot product is
 * {@link DequantDot}'s canonical F32 layout over these values.
 */
public final class Q4_KTensor extends ChunkedTensor {
    private static final int BLOCK_BYTES = 144;


    public Q4_KTensor(String name, MemorySegment data, int rows, int cols) {
        super(name, GgmlType.Q4_K, data, rows, cols);
    }

    private int u8(long at) {
        return data.get(ValueLayout.JAVA_BYTE, at) & 0xFF;
    }

    @Override
    public void chunk(long rowOffset, int c, float[] out) {
        long blk = rowOffset + (long) (c / 16) * BLOCK_BYTES;
        int e0 = (c % 16) * 16;
        int j = e0 / 32;          // sub-block
        int g = e0 / 64;          // group of two sub-blocks sharing 32 bytes
        boolean high = (e0 % 64) >= 32;
        int l0 = e0 % 32;
        float d = Float.float16ToFloat(data.get(F16, blk));
        float dmin = Float.float16ToFloat(data.get(F16, blk + 2));
        long sc = blk + 4;
        int scale, min;
        if (j < 4) {
            scale = u8(sc + j) & 63;
            min = u8(sc + j + 4) & 63;
        } else {
            scale = (u8(sc + j + 4) & 0xF) | ((u8(sc + j - 4) >> 6) << 4);
            min = (u8(sc + j + 4) >> 4) | ((u8(sc + j) >> 6) << 4);
        }
        float d1 = d * scale;
        float m1 = dmin * min;
        long qs = blk + 16 + 32L * g;
        for (int i = 0; i < 16; i++) {
            int v = u8(qs + l0 + i);
            int q = high ? v >> 4 : v & 0xF;
            out[i] = d1 * q - m1;
        }
    }
}
