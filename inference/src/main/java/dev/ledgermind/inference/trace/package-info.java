/**
 * Trace commitments (DESIGN.md section 4): keccak256 over canonical little-endian bytes (NaN canonical), vector
 * roots over 32-float chunks ({@link dev.ledgermind.inference.trace.VectorRoot}), the
 * domain-separated binary Merkle tree over them ({@link dev.ledgermind.inference.trace.MerkleTree}), its
 * {@link dev.ledgermind.inference.trace.TraceRoot} and inclusion proofs.
 */
package dev.ledgermind.inference.trace;
