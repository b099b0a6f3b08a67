/**
 * Trace commitments (DESIGN.md section 4): keccak256 leaf hashes over canonical little-endian bytes, the
 * domain-separated binary Merkle tree over them ({@link dev.ledgermind.inference.trace.MerkleTree}), its
 * {@link dev.ledgermind.inference.trace.TraceRoot} and inclusion proofs.
 */
package dev.ledgermind.inference.trace;
