package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.gguf.GgmlType;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * A deliberately separate dequantization, written from the block layouts in llama.cpp's ggml-quants.c
 * (block loops as there, double precision), used only by tests as the independent reference.
 */
public final class IndependentDequant {
    private IndependentDequant() {
    }

    private static int u8(byte[] b, int i) {
        return b[i] & 0xFF;
    }

    private static double f16(byte[] b, int i) {
        int h = (b[i] & 0xFF) | ((b[i + 1] & 0xFF) << 8);
        int sign = (h >> 15) & 1, exp = (h >> 10) & 31, man = h & 1023;
        double v = exp == 0 ? man * Math.pow(2, -24) : (1 + man / 1024.0) * Math.pow(2, exp - 15);
        return sign == 1 ? -v : v;
    }

    /** Row {@code row} of a {@code cols}-wide matrix of {@code type}, in double. */
    public static double[] row(GgmlType type, MemorySegment data, int row, int cols) {
        long rowBytes = type.bytesFor(cols);
        byte[] b = data.asSlice(row * rowBytes, rowBytes).toArray(ValueLayout.JAVA_BYTE);
        double[] y = new double[cols];
        switch (type) {
            case F32 -> {
                for (int i = 0; i < cols; i++) {
                    int bits = u8(b, 4 * i) | u8(b, 4 * i + 1) << 8 | u8(b, 4 * i + 2) << 16 | u8(b, 4 * i + 3) << 24;
                    y[i] = Float.intBitsToFloat(bits);
                }
            }
            case F16 -> { for (int i = 0; i < cols; i++) y[i] = f16(b, 2 * i); }
            case BF16 -> { for (int i = 0; i < cols; i++) y[i] = Float.intBitsToFloat((u8(b, 2 * i) | u8(b, 2 * i + 1) << 8) << 16); }
            case Q8_0 -> {
                for (int blk = 0; blk < cols / 32; blk++) {
                    int o = blk * 34;
                    double d = f16(b, o);
                    for (int j = 0; j < 32; j++) y[blk * 32 + j] = d * b[o + 2 + j];
                }
            }
            case Q4_0 -> {
                for (int blk = 0; blk < cols / 32; blk++) {
                    int o = blk * 18;
                    double d = f16(b, o);
                    for (int j = 0; j < 16; j++) {
                        y[blk * 32 + j] = d * ((u8(b, o + 2 + j) & 0x0F) - 8);
                        y[blk * 32 + j + 16] = d * ((u8(b, o + 2 + j) >> 4) - 8);
                    }
                }
            }
            case Q4_1 -> {
                for (int blk = 0; blk < cols / 32; blk++) {
                    int o = blk * 20;
                    double d = f16(b, o), m = f16(b, o + 2);
                    for (int j = 0; j < 16; j++) {
                        y[blk * 32 + j] = (u8(b, o + 4 + j) & 0x0F) * d + m;
                        y[blk * 32 + j + 16] = (u8(b, o + 4 + j) >> 4) * d + m;
                    }
                }
            }
            case Q5_0, Q5_1 -> {
                boolean one = type == GgmlType.Q5_1;
                int bytes = one ? 24 : 22, qhAt = one ? 4 : 2, qsAt = qhAt + 4;
                for (int blk = 0; blk < cols / 32; blk++) {
                    int o = blk * bytes;
                    double d = f16(b, o), m = one ? f16(b, o + 2) : 0;
                    long qh = u8(b, o + qhAt) | u8(b, o + qhAt + 1) << 8 | u8(b, o + qhAt + 2) << 16 | (long) u8(b, o + qhAt + 3) << 24;
                    for (int j = 0; j < 16; j++) {
                        long xh0 = ((qh >> j) << 4) & 0x10;
                        long xh1 = (qh >> (j + 12)) & 0x10;
                        long x0 = (u8(b, o + qsAt + j) & 0x0F) | xh0;
                        long x1 = (u8(b, o + qsAt + j) >> 4) | xh1;
                        y[blk * 32 + j] = one ? x0 * d + m : (x0 - 16) * d;
                        y[blk * 32 + j + 16] = one ? x1 * d + m : (x1 - 16) * d;
                    }
                }
            }
            case Q5_K -> {
                for (int blk = 0; blk < cols / 256; blk++) {
                    int o = blk * 176;
                    double d = f16(b, o), dmin = f16(b, o + 2);
                    int sc = o + 4, qh = o + 16, ql = o + 48;
                    int out = blk * 256;
                    int u1 = 1, u2 = 2;
                    for (int j = 0, is = 0; j < 256; j += 64, is += 2) {
                        int[] s1 = scaleMin(b, sc, is), s2 = scaleMin(b, sc, is + 1);
                        for (int l = 0; l < 32; l++) y[out++] = d * s1[0] * ((u8(b, ql + l) & 0xF) + ((u8(b, qh + l) & u1) != 0 ? 16 : 0)) - dmin * s1[1];
                        for (int l = 0; l < 32; l++) y[out++] = d * s2[0] * ((u8(b, ql + l) >> 4) + ((u8(b, qh + l) & u2) != 0 ? 16 : 0)) - dmin * s2[1];
                        ql += 32;
                        u1 <<= 2;
                        u2 <<= 2;
                    }
                }
            }
            case Q4_K -> {
                for (int blk = 0; blk < cols / 256; blk++) {
                    int o = blk * 144;
                    double d = f16(b, o), dmin = f16(b, o + 2);
                    int sc = o + 4, q = o + 16;
                    int out = blk * 256;
                    for (int j = 0, is = 0; j < 256; j += 64, is += 2) {
                        int[] s1 = scaleMin(b, sc, is), s2 = scaleMin(b, sc, is + 1);
                        for (int l = 0; l < 32; l++) y[out++] = d * s1[0] * (u8(b, q + l) & 0xF) - dmin * s1[1];
                        for (int l = 0; l < 32; l++) y[out++] = d * s2[0] * (u8(b, q + l) >> 4) - dmin * s2[1];
                        q += 32;
                    }
                }
            }
            case Q6_K -> {
                for (int blk = 0; blk < cols / 256; blk++) {
                    int o = blk * 210;
                    double d = f16(b, o + 208);
                    int ql = o, qh = o + 128, sc = o + 192;
                    int out = blk * 256;
                    for (int n = 0; n < 256; n += 128) {
                        for (int l = 0; l < 32; l++) {
                            int is = l / 16;
                            int q1 = ((u8(b, ql + l) & 0xF) | (((u8(b, qh + l) >> 0) & 3) << 4)) - 32;
                            int q2 = ((u8(b, ql + l + 32) & 0xF) | (((u8(b, qh + l) >> 2) & 3) << 4)) - 32;
                            int q3 = ((u8(b, ql + l) >> 4) | (((u8(b, qh + l) >> 4) & 3) << 4)) - 32;
                            int q4 = ((u8(b, ql + l + 32) >> 4) | (((u8(b, qh + l) >> 6) & 3) << 4)) - 32;
                            y[out + l] = d * b[sc + is] * q1;
                            y[out + l + 32] = d * b[sc + is + 2] * q2;
                            y[out + l + 64] = d * b[sc + is + 4] * q3;
                            y[out + l + 96] = d * b[sc + is + 6] * q4;
                        }
                        out += 128;
                        ql += 64;
                        qh += 32;
                        sc += 8;
                    }
                }
            }
            default -> throw new IllegalArgumentException(type.toString());
        }
        return y;
    }

    private static int[] scaleMin(byte[] b, int q, int j) {
        if (j < 4) return new int[]{u8(b, q + j) & 63, u8(b, q + j + 4) & 63};
        return new int[]{(u8(b, q + j + 4) & 0xF) | ((u8(b, q + j - 4) >> 6) << 4), (u8(b, q + j + 4) >> 4) | ((u8(b, q + j) >> 6) << 4)};
    }
}
