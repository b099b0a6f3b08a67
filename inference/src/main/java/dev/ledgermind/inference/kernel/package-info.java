/**
 * Canonical kernels (DESIGN.md section 3), shared by the decoder and the encoder.
 *
 * <p>Each kernel has a scalar reference whose operation order its javadoc states; every fast path
 * (Vector API at 128/256/512 bits, several threads, batches) matches it bit for bit. {@link
 * dev.ledgermind.inference.kernel.KernelConfig} picks the width, {@link dev.ledgermind.inference.kernel.Parallel}
 * splits independent outputs across threads. Reductions use the 16-partial layout of {@link
 * dev.ledgermind.inference.kernel.Dot}; transcendentals use {@code StrictMath} or {@link
 * dev.ledgermind.inference.kernel.Erf}, built from + - * / and {@code StrictMath.exp}.
 */
package dev.ledgermind.inference.kernel;
