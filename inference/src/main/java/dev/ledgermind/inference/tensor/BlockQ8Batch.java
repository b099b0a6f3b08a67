package dev.ledgermind.inference.tensor;

import dev.ledgermind.inference.kernel.Dot;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The batched form of the canonical dot product shared by {@link Q8_0Tensor} and {@link Q4_0Tensor}, for
 * prefill and replay: a row is unpacked once into its integer codes (as exact floats) and its block scales,
 * and then serves several inputs, so the bytes are decoded once per row instead of once per row and input.
 *
 * <h2>Invariant: the same operations as the per-row dot products</h2>
 * For each (row, input) pair the operations and their order are exactly those of the type's scalar
 * reference (see {@link Q8_0Tensor}): per block b, for m = 0..15,
 * {@code p = q[m] * x[m]; p = fma(q[m+16], x[m+16], p); acc[m] = fma(p, d, acc[m])}, then the fixed
 * 16-sum tree. Unpacking is exact (an integer in [-128, 127] and an f16 widened to binary32 are both
 * exact), so the batch only changes which independent outputs are computed together, never a result:
 * a row computed here has the bits it has computed alone (DESIGN.md section 3, rule 4). At 512 bits the main
 * kernel takes two rows times four inputs per pass ({@link #tile512x2x4}); the 256-bit kernel
 * holds partial sums 0..7 and 8..15 in two accumulators per input, the 512-bit one all 16 in one, as the
 * per-row kernels do; other widths use the per-row kernels.
 */
final class BlockQ8Batch {
    /**
     * Inputs per call of the 512-bit tile kernel and of the 256-bit remainder kernel; the main 256-bit kernel
     * takes 3 ({@link #tile256x3}: 6 accumulators, 4 code vectors and the scale fit the 16 AVX2 registers, and
     * measured 7 to 50% faster than 2 at a batch of 30). More inputs per call exceed C2's inlining budget, and
     * the Vector API calls left out of line fall back to boxed Java code (measured: 10x slower).
     */
    static final int INPUT_TILE = 2;
    /** Rows unpacked together; their codes for one column chunk stay in L1 while every input passes over them. */
    static final int ROW_CHUNK = 8;
    /** Blocks (of 32 columns) per column chunk. */
    static final int BLOCK_CHUNK = 32;

    private static final VectorSpecies<Float> F256 = FloatVector.SPECIES_256;
    private static final VectorSpecies<Float> F512 = FloatVector.SPECIES_512;

    /** Per-thread scratch: unpacked codes and scales of a row chunk, and the partial sums of every (row, input). */
    private static final class Scratch {
        final float[] q = new float[ROW_CHUNK * BLOCK_CHUNK * 32];
        final float[] d = new float[ROW_CHUNK * BLOCK_CHUNK];
        float[] acc = new float[0];
    }

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    /** Decodes blocks {@code [b0, b1)} of a row into exact codes {@code q[qOff ..]} and scales {@code d[dOff ..]}. */
    interface Unpacker {
        void unpack(int row, int b0, int b1, float[] q, int qOff, float[] d, int dOff);
    }

    private BlockQ8Batch() {
    }

    /**
     * {@code y[yOff + t*yStride + r] = dot(row r, x[xOff + t*xStride ..])} for rows {@code [from, to)} and every
     * input {@code t < batch}, at {@code bits} = 256 or 512.
     *
     * <p>Loop order: chunks of {@link #ROW_CHUNK} rows; within one, chunks of {@link #BLOCK_CHUNK} blocks: the
     * rows' codes for the chunk are unpacked once, then each tile of inputs runs over them, resuming its
     * partial sums from scratch. Splitting a row's blocks into chunks only stores and reloads the 16 partial
     * sums between chunks; each partial sum still receives its fmas in increasing block order.
     */
    static void rows(int bits, Unpacker src, int cols, int from, int to, float[] x, int xOff, int xStride, int batch,
                     float[] y, int yOff, int yStride) {
        Scratch s = SCRATCH.get();
        if (s.acc.length < ROW_CHUNK * batch * 16) s.acc = new float[ROW_CHUNK * batch * 16];
        final float[] q = s.q, d = s.d, acc = s.acc;
        final int blocks = cols / 32;
        for (int r0 = from; r0 < to; r0 += ROW_CHUNK) {
            int nr = Math.min(ROW_CHUNK, to - r0);
            java.util.Arrays.fill(acc, 0, nr * batch * 16, 0f);
            for (int b0 = 0; b0 < blocks; b0 += BLOCK_CHUNK) {
                int nb = Math.min(BLOCK_CHUNK, blocks - b0);
                for (int i = 0; i < nr; i++) src.unpack(r0 + i, b0, b0 + nb, q, i * BLOCK_CHUNK * 32, d, i * BLOCK_CHUNK);
                int xc = xOff + b0 * 32;
                int t = 0;
                if (bits == 512) {
                    for (; t + 4 <= batch; t += 4) {
                        int xa = xc + t * xStride;
                        int i = 0;
                        for (; i + 2 <= nr; i += 2) {
                            tile512x2x4(q, i * BLOCK_CHUNK * 32, BLOCK_CHUNK * 32, d, i * BLOCK_CHUNK, BLOCK_CHUNK, nb, x, xa, xStride,
                                    acc, (i * batch + t) * 16, batch * 16);
                        }
                        for (; i < nr; i++) {
                            int ao = (i * batch + t) * 16;
                            tile512(q, i * BLOCK_CHUNK * 32, d, i * BLOCK_CHUNK, nb, x, xa, xa + xStride, acc, ao);
                            tile512(q, i * BLOCK_CHUNK * 32, d, i * BLOCK_CHUNK, nb, x, xa + 2 * xStride, xa + 3 * xStride, acc, ao + 32);
                        }
                    }
                }
                if (bits == 256) {
                    for (; t + 3 <= batch; t += 3) {
                        int xa = xc + t * xStride;
                        for (int i = 0; i < nr; i++) {
                            tile256x3(q, i * BLOCK_CHUNK * 32, d, i * BLOCK_CHUNK, nb, x, xa, xStride, acc, (i * batch + t) * 16);
                        }
                    }
                }
                for (; t + INPUT_TILE <= batch; t += INPUT_TILE) {
                    int xa = xc + t * xStride;
                    for (int i = 0; i < nr; i++) {
                        int ao = (i * batch + t) * 16;
                        if (bits == 512) tile512(q, i * BLOCK_CHUNK * 32, d, i * BLOCK_CHUNK, nb, x, xa, xa + xStride, acc, ao);
                        else tile256(q, i * BLOCK_CHUNK * 32, d, i * BLOCK_CHUNK, nb, x, xa, xa + xStride, acc, ao);
                    }
                }
                for (; t < batch; t++) {
                    int xa = xc + t * xStride;
                    for (int i = 0; i < nr; i++) {
                        int ao = (i * batch + t) * 16;
                        if (bits == 512) one512(q, i * BLOCK_CHUNK * 32, d, i * BLOCK_CHUNK, nb, x, xa, acc, ao);
                        else one256(q, i * BLOCK_CHUNK * 32, d, i * BLOCK_CHUNK, nb, x, xa, acc, ao);
                    }
                }
            }
            for (int i = 0; i < nr; i++) {
                for (int t = 0; t < batch; t++) y[yOff + t * yStride + r0 + i] = Dot.combine(acc, (i * batch + t) * 16);
            }
        }
    }

    /**
     * Two inputs over {@code nb} blocks of one row. Partial sums of input 0 are {@code acc[ao .. ao+16)}, of
     * input 1 the next 16.
     */
    private static void tile256(float[] q, int qo, float[] d, int dOff, int nb, float[] x, int x0, int x1, float[] acc, int ao) {
        var F = F256;
        FloatVector a0 = FloatVector.fromArray(F, acc, ao), b0 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a1 = FloatVector.fromArray(F, acc, ao + 16), b1 = FloatVector.fromArray(F, acc, ao + 24);
        for (int b = 0, j = 0; b < nb; b++, j += 32) {
            FloatVector dv = FloatVector.broadcast(F, d[dOff + b]);
            FloatVector q0 = FloatVector.fromArray(F, q, qo + j);
            FloatVector q1 = FloatVector.fromArray(F, q, qo + j + 8);
            FloatVector q2 = FloatVector.fromArray(F, q, qo + j + 16);
            FloatVector q3 = FloatVector.fromArray(F, q, qo + j + 24);
            FloatVector p0 = q0.mul(FloatVector.fromArray(F, x, x0 + j));
            FloatVector p1 = q1.mul(FloatVector.fromArray(F, x, x0 + j + 8));
            p0 = q2.fma(FloatVector.fromArray(F, x, x0 + j + 16), p0);
            p1 = q3.fma(FloatVector.fromArray(F, x, x0 + j + 24), p1);
            a0 = p0.fma(dv, a0);
            b0 = p1.fma(dv, b0);
            p0 = q0.mul(FloatVector.fromArray(F, x, x1 + j));
            p1 = q1.mul(FloatVector.fromArray(F, x, x1 + j + 8));
            p0 = q2.fma(FloatVector.fromArray(F, x, x1 + j + 16), p0);
            p1 = q3.fma(FloatVector.fromArray(F, x, x1 + j + 24), p1);
            a1 = p0.fma(dv, a1);
            b1 = p1.fma(dv, b1);
        }
        a0.intoArray(acc, ao);
        b0.intoArray(acc, ao + 8);
        a1.intoArray(acc, ao + 16);
        b1.intoArray(acc, ao + 24);
    }

    /** Three inputs over {@code nb} blocks of one row; partial sums of input k at {@code acc[ao + 16k ..]}. */
    private static void tile256x3(float[] q, int qo, float[] d, int dOff, int nb, float[] x, int x0, int xs, float[] acc, int ao) {
        var F = F256;
        int x1 = x0 + xs, x2 = x1 + xs;
        FloatVector a0 = FloatVector.fromArray(F, acc, ao), b0 = FloatVector.fromArray(F, acc, ao + 8);
        FloatVector a1 = FloatVector.fromArray(F, acc, ao + 16), b1 = FloatVector.fromArray(F, acc, ao + 24);
        FloatVector a2 = FloatVector.fromArray(F, acc, ao + 32), b2 = FloatVector.fromArray(F, acc, ao + 40);
        for (int b = 0, j = 0; b < nb; b++, j += 32) {
            FloatVector dv = FloatVector.broadcast(F, d[dOff + b]);
            FloatVector q0 = FloatVector.fromArray(F, q, qo + j);
            FloatVector q1 = FloatVector.fromArray(F, q, qo + j + 8);
            FloatVector q2 = FloatVector.fromArray(F, q, qo + j + 16);
            FloatVector q3 = FloatVector.fromArray(F, q, qo + j + 24);
            a0 = q2.fma(FloatVector.fromArray(F, x, x0 + j + 16), q0.mul(FloatVector.fromArray(F, x, x0 + j))).fma(dv, a0);
            b0 = q3.fma(FloatVector.fromArray(F, x, x0 + j + 24), q1.mul(FloatVector.fromArray(F, x, x0 + j + 8))).fma(dv, b0);
            a1 = q2.fma(FloatVector.fromArray(F, x, x1 + j + 16), q0.mul(FloatVector.fromArray(F, x, x1 + j))).fma(dv, a1);
            b1 = q3.fma(FloatVector.fromArray(F, x, x1 + j + 24), q1.mul(FloatVector.fromArray(F, x, x1 + j + 8))).fma(dv, b1);
            a2 = q2.fma(FloatVector.fromArray(F, x, x2 + j + 16), q0.mul(FloatVector.fromArray(F, x, x2 + j))).fma(dv, a2);
            b2 = q3.fma(FloatVector.fromArray(F, x, x2 + j + 24), q1.mul(FloatVector.fromArray(F, x, x2 + j + 8))).fma(dv, b2);
        }
        a0.intoArray(acc, ao);
        b0.intoArray(acc, ao + 8);
        a1.intoArray(acc, ao + 16);
        b1.intoArray(acc, ao + 24);
        a2.intoArray(acc, ao + 32);
        b2.intoArray(acc, ao + 40);
    }

    private static void one256(float[] q, int qo, float[] d, int dOff, int nb, float[] x, int x0, float[] acc, int ao) {
        var F = F256;
        FloatVector a = FloatVector.fromArray(F, acc, ao), b2 = FloatVector.fromArray(F, acc, ao + 8);
        for (int b = 0, j = 0; b < nb; b++, j += 32) {
            FloatVector dv = FloatVector.broadcast(F, d[dOff + b]);
            FloatVector p0 = FloatVector.fromArray(F, q, qo + j).mul(FloatVector.fromArray(F, x, x0 + j));
            FloatVector p1 = FloatVector.fromArray(F, q, qo + j + 8).mul(FloatVector.fromArray(F, x, x0 + j + 8));
            p0 = FloatVector.fromArray(F, q, qo + j + 16).fma(FloatVector.fromArray(F, x, x0 + j + 16), p0);
            p1 = FloatVector.fromArray(F, q, qo + j + 24).fma(FloatVector.fromArray(F, x, x0 + j + 24), p1);
            a = p0.fma(dv, a);
            b2 = p1.fma(dv, b2);
        }
        a.intoArray(acc, ao);
        b2.intoArray(acc, ao + 8);
    }

    /**
     * Two rows (codes {@code qs} floats apart, scales {@code ds} apart) times four inputs ({@code xs} apart) over
     * {@code nb} blocks: eight independent outputs, whose fma chains interleave and which share every load of codes
     * and inputs (measured about twice the throughput of one row times two inputs). Partial sums of row r, input k
     * at {@code acc[ao + r*ars + 16k ..]}.
     */
    private static void tile512x2x4(float[] q, int qo, int qs, float[] d, int dOff, int ds, int nb, float[] x, int x0, int xs,
                                    float[] acc, int ao, int ars) {
        var F = F512;
        int x1 = x0 + xs, x2 = x1 + xs, x3 = x2 + xs, q1 = qo + qs, d1 = dOff + ds, bo = ao + ars;
        FloatVector a0 = FloatVector.fromArray(F, acc, ao), a1 = FloatVector.fromArray(F, acc, ao + 16);
        FloatVector a2 = FloatVector.fromArray(F, acc, ao + 32), a3 = FloatVector.fromArray(F, acc, ao + 48);
        FloatVector b0 = FloatVector.fromArray(F, acc, bo), b1 = FloatVector.fromArray(F, acc, bo + 16);
        FloatVector b2 = FloatVector.fromArray(F, acc, bo + 32), b3 = FloatVector.fromArray(F, acc, bo + 48);
        for (int b = 0, j = 0; b < nb; b++, j += 32) {
            FloatVector dv = FloatVector.broadcast(F, d[dOff + b]), ev = FloatVector.broadcast(F, d[d1 + b]);
            FloatVector lo = FloatVector.fromArray(F, q, qo + j), hi = FloatVector.fromArray(F, q, qo + j + 16);
            FloatVector lo1 = FloatVector.fromArray(F, q, q1 + j), hi1 = FloatVector.fromArray(F, q, q1 + j + 16);
            FloatVector xa = FloatVector.fromArray(F, x, x0 + j), xb = FloatVector.fromArray(F, x, x0 + j + 16);
            a0 = hi.fma(xb, lo.mul(xa)).fma(dv, a0);
            b0 = hi1.fma(xb, lo1.mul(xa)).fma(ev, b0);
            xa = FloatVector.fromArray(F, x, x1 + j);
            xb = FloatVector.fromArray(F, x, x1 + j + 16);
            a1 = hi.fma(xb, lo.mul(xa)).fma(dv, a1);
            b1 = hi1.fma(xb, lo1.mul(xa)).fma(ev, b1);
            xa = FloatVector.fromArray(F, x, x2 + j);
            xb = FloatVector.fromArray(F, x, x2 + j + 16);
            a2 = hi.fma(xb, lo.mul(xa)).fma(dv, a2);
            b2 = hi1.fma(xb, lo1.mul(xa)).fma(ev, b2);
            xa = FloatVector.fromArray(F, x, x3 + j);
            xb = FloatVector.fromArray(F, x, x3 + j + 16);
            a3 = hi.fma(xb, lo.mul(xa)).fma(dv, a3);
            b3 = hi1.fma(xb, lo1.mul(xa)).fma(ev, b3);
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, ao + 16);
        a2.intoArray(acc, ao + 32);
        a3.intoArray(acc, ao + 48);
        b0.intoArray(acc, bo);
        b1.intoArray(acc, bo + 16);
        b2.intoArray(acc, bo + 32);
        b3.intoArray(acc, bo + 48);
    }

    private static void tile512(float[] q, int qo, float[] d, int dOff, int nb, float[] x, int x0, int x1, float[] acc, int ao) {
        var F = F512;
        FloatVector a0 = FloatVector.fromArray(F, acc, ao), a1 = FloatVector.fromArray(F, acc, ao + 16);
        for (int b = 0, j = 0; b < nb; b++, j += 32) {
            FloatVector dv = FloatVector.broadcast(F, d[dOff + b]);
            FloatVector lo = FloatVector.fromArray(F, q, qo + j);
            FloatVector hi = FloatVector.fromArray(F, q, qo + j + 16);
            a0 = hi.fma(FloatVector.fromArray(F, x, x0 + j + 16), lo.mul(FloatVector.fromArray(F, x, x0 + j))).fma(dv, a0);
            a1 = hi.fma(FloatVector.fromArray(F, x, x1 + j + 16), lo.mul(FloatVector.fromArray(F, x, x1 + j))).fma(dv, a1);
        }
        a0.intoArray(acc, ao);
        a1.intoArray(acc, ao + 16);
    }

    private static void one512(float[] q, int qo, float[] d, int dOff, int nb, float[] x, int x0, float[] acc, int ao) {
        var F = F512;
        FloatVector a = FloatVector.fromArray(F, acc, ao);
        for (int b = 0, j = 0; b < nb; b++, j += 32) {
            FloatVector p = FloatVector.fromArray(F, q, qo + j).mul(FloatVector.fromArray(F, x, x0 + j));
            p = FloatVector.fromArray(F, q, qo + j + 16).fma(FloatVector.fromArray(F, x, x0 + j + 16), p);
            a = p.fma(FloatVector.broadcast(F, d[dOff + b]), a);
        }
        a.intoArray(acc, ao);
    }
}
