// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title IStepReferee
 * @notice The referee's pure arithmetic of one dispute step (issue 12's shared spec section 7; step program v1,
 * docs/DESIGN.md section 5): each function re-executes one chunk of a canonical reduction, or one element of an
 * elementwise op, bit for bit as the Java engine's kernel it names (inference/.../kernel and tensor). The dispute
 * game (contracts/src/game) opens the inputs by Merkle proofs and calls these on a deployed {StepReferee} (its
 * address given to the game at deployment), so the softfloat code is not in the game's 24 KB; StepCodec has the
 * byte helpers (element i of a chunk, a float's 4 LE bytes) a game needs to pick single elements.
 *
 * Encodings (SPEC-12 section 1):
 * - a scalar is a binary32 bit pattern in a `uint32`;
 * - a vector, a chunk or a state is its canonical byte string: 4 bytes per float, little-endian
 *   (`Float.floatToIntBits`), exactly the bytes the vector and state trees hash (`keccak256(0x00 || bytes)`);
 * - a Dot/Sum state `S16` is 64 bytes: partial sums s[0..15] in order; S_0 is 64 zero bytes (16 x +0.0f);
 * - a max or weighted-sum state is one `uint32` (S_0: -Infinity 0xff800000 for max, +0.0f for weighted sum);
 * - weight blocks are the raw GGUF bytes (F32: 4 bytes LE per element; Q8_0: f16 scale LE, then 32 int8; Q4_0:
 *   f16 scale, 16 bytes of nibbles; Q4_K and Q6_K: the whole 144- or 210-byte super-block of 256 elements, and the
 *   32-element sub-block a chunk reads is named by `sub`).
 * Every NaN result is the canonical 0x7fc00000 (as `Float.floatToIntBits`), so outputs hash like the engine's
 * canonical bytes; NaN inputs with any payload are accepted.
 *
 * Malformed input (a chunk longer than its op allows, a length that is not a whole number of floats, two
 * operand chunks of different lengths, a state of the wrong size, an element index outside the block, an op
 * index that is not a reduction) reverts with one of the errors below, naming the argument.
 *
 * Operation order of each reduction (the chunk starts at element `start` of the reduced vector; the game passes
 * the chunk's first index, 32 * c for chunk c):
 * - dotChunkF32 / dotChunkActs: for j increasing, s[(start + j) mod 16] = fma(a[j], b[j], s[(start + j) mod 16])
 *   (Dot.reference; F32Tensor.dotReference is the same with b = the weight row);
 * - dotChunkQ8_0: d = f16 scale widened exactly; for m = 0..15: p = q[m] * x[m]; p = fma(q[m+16], x[m+16], p);
 *   s[m] = fma(p, d, s[m])  (Q8_0Tensor.dotReference, one block);
 * - sumChunk: s[(start + j) mod 16] = s[(start + j) mod 16] + e[j]  (Sum.reference);
 * - maxChunk: for each v in order: if (v > m) m = v  (Softmax's scan: a NaN never replaces m, and of equal
 *   values, +0 and -0 included, the first one stays);
 * - weightedSumChunk: for t in order: o = fma(prob[t], v[t], o)  (WeightedSum.reference, one output element).
 */
interface IStepReferee {
    /// @notice A byte string is not a whole number of 4-byte floats, or is longer than `maxFloats` floats.
    error BadVectorLength(string argument, uint256 length, uint256 maxFloats);
    /// @notice Two operand chunks that must pair element by element have different lengths (in bytes).
    error LengthMismatch(string argument, uint256 length, uint256 expected);
    /// @notice A state (or a weight block) has the wrong size in bytes.
    error BadStateLength(string argument, uint256 length, uint256 expected);
    /// @notice An element index lies outside the block, or a count is not below its limit (`index >= size`).
    error IndexOutOfRange(string argument, uint256 index, uint256 size);
    /// @notice `finish` was given an op index of step program v1 that is not a reduction (or > 21).
    error NotAReduction(uint256 op);
    /// @notice dequantChunk was given a ggml type id it does not decode.
    error UnknownWeightType(uint8 ggmlType);

    // ------------------------------------------------------------------ reductions: one chunk, state in -> out

    /// @notice One chunk (<= 32 elements) of a dot product of an activation chunk `a` with an F32 weight block `w`
    /// (ops q, k, v, wo, gate, up, down on F32 weights). `state` and the result are 64-byte S16 states.
    function dotChunkF32(bytes calldata state, bytes calldata a, bytes calldata w, uint256 start)
        external
        pure
        returns (bytes memory);

    /// @notice One chunk (<= 32 elements) of a dot product of two activation chunks (ops attn_ss, ffn_ss: x . x;
    /// scores: q_rope head . K row). Same arithmetic as {dotChunkF32}.
    function dotChunkActs(bytes calldata state, bytes calldata a, bytes calldata b, uint256 start)
        external
        pure
        returns (bytes memory);

    /// @notice One Q8_0 block (34 bytes) against 32 activations `x` (128 bytes), Q8_0Tensor's order.
    function dotChunkQ8_0(bytes calldata state, bytes calldata x, bytes calldata block34)
        external
        pure
        returns (bytes memory);

    /// @notice One Q4_0 block (18 bytes) against 32 activations `x` (128 bytes), Q4_0Tensor's order: Q8_0's with
    /// codes q[m] = (qs[m] & 15) - 8 and q[m + 16] = (qs[m] >> 4) - 8.
    function dotChunkQ4_0(bytes calldata state, bytes calldata x, bytes calldata block18)
        external
        pure
        returns (bytes memory);

    /// @notice Sub-block `sub` (< 8; elements 32 sub ..) of a Q4_K super-block (144 bytes) against 32 activations:
    /// each weight (d * sc) * q - dmin * mn as Q4_KTensor decodes it (one rounding per operation, no fma), then
    /// s[j mod 16] = fma(w[j], x[j], s[j mod 16]) (DequantDot's layout; the chunk starts at a multiple of 32).
    function dotChunkQ4_K(bytes calldata state, bytes calldata x, bytes calldata block144, uint256 sub)
        external
        pure
        returns (bytes memory);

    /// @notice Sub-block `sub` (< 8) of a Q6_K super-block (210 bytes) against 32 activations: each weight
    /// (d * sc) * (q - 32) as Q6_KTensor decodes it, then Dot's layout as dotChunkQ4_K.
    function dotChunkQ6_K(bytes calldata state, bytes calldata x, bytes calldata block210, uint256 sub)
        external
        pure
        returns (bytes memory);

    /// @notice One chunk (<= 32 elements) of the canonical sum (op att_sum over e[h][..]).
    function sumChunk(bytes calldata state, bytes calldata e, uint256 start) external pure returns (bytes memory);

    /// @notice One chunk (<= 32 elements) of softmax's max scan (op att_max), from running max `m`.
    function maxChunk(uint32 m, bytes calldata s) external pure returns (uint32);

    /// @notice One chunk (<= 8 positions) of one weighted-sum element (op att_out): prob[t] and v[t] are the
    /// chunk's probabilities and the matching V elements V[t][kvh*headDim + i], both packed LE.
    function weightedSumChunk(uint32 o, bytes calldata prob, bytes calldata v) external pure returns (uint32);

    // ------------------------------------------------------------------ finishes (state S_T -> element value)

    /// @notice Dot.combine's fixed tree over a 64-byte S16 state.
    function combine16(bytes calldata state) external pure returns (uint32);

    /**
     * @notice finish(S_T) of reduction op `op` of step program v1 (SPEC-12 sections 3, 4.3):
     * ops 0, 10, 13, 15, 17, 18, 20: combine16(state); ops 2, 3, 4: combine16(state) + bias when `hasBias`
     * (one binary32 addition; without bias nothing is added: -0 stays -0); op 7: combine16(state) * attnScale;
     * ops 8, 12: the 4-byte state's float itself. Any other op reverts NotAReduction.
     */
    function finish(uint256 op, bytes calldata state, bool hasBias, uint32 bias, uint32 attnScale)
        external
        pure
        returns (uint32);

    // ------------------------------------------------------------------ elementwise

    /// @notice RmsNorm's inv = 1 / (float) sqrt(ss / (float) n + eps), each step one binary32 operation; n is the
    /// row length, a Java int (below 2^31; larger reverts IndexOutOfRange("n", n, 2^31)).
    function rmsInv(uint32 ss, uint256 n, uint32 eps) external pure returns (uint32);

    /// @notice RmsNorm's y = (x * inv) * w, two multiplications (ops attn_norm, ffn_norm).
    function rmsScale(uint32 x, uint32 inv, uint32 w) external pure returns (uint32);

    /// @notice a + b (ops x_mid, x_out; also the bias addition).
    function add(uint32 a, uint32 b) external pure returns (uint32);

    /// @notice Rope's rotation of the pair (a, b) by (c, s) = (cos, sin): a' = a*c - b*s, b' = a*s + b*c, each
    /// product rounded (no fma) (ops q_rope, k_rope).
    function ropePair(uint32 a, uint32 b, uint32 c, uint32 s) external pure returns (uint32 a2, uint32 b2);

    /// @notice Softmax's exponential of score `s` under max `m` (op att_exp): d = (double)(s - m);
    /// d < -104 ? +0 : (float) Erf.exp(d). When m is -Infinity (every score -Infinity or NaN) Softmax outputs
    /// all zeros, and this returns +0.
    function softmaxExp(uint32 s, uint32 m) external view returns (uint32);

    /// @notice Softmax's output e / sum (op att_prob); +0 when m is -Infinity (Softmax's all-masked rule).
    function softmaxProb(uint32 e, uint32 sum, uint32 m) external pure returns (uint32);

    /// @notice a / b.
    function div(uint32 a, uint32 b) external pure returns (uint32);

    /// @notice Silu.apply(g) * u (op act).
    function siluMul(uint32 g, uint32 u) external view returns (uint32);

    /// @notice Element j of an F32 weight block (raw LE bytes; the token embedding row): its float, NaN canonical.
    function dequantF32(bytes calldata blockLE, uint256 j) external pure returns (uint32);

    /// @notice Element j (< 32) of a Q8_0 block (34 bytes): (float) q[j] * (float) f16 scale, as
    /// Q8_0Tensor.dequantizeRow.
    function dequantQ8_0(bytes calldata block34, uint256 j) external pure returns (uint32);

    /// @notice The 32 values (128 canonical LE bytes) of sub-block `sub` of a quantized block, as the type's tensor
    /// class dequantizes them (the token embedding's chunk at layer 0): ggml type 8 Q8_0 (34 bytes) and 2 Q4_0
    /// (18 bytes, (float) ((nibble) - 8) * d), sub 0; 12 Q4_K (144 bytes) and 14 Q6_K (210 bytes), sub < 8.
    /// Another type reverts UnknownWeightType.
    function dequantChunk(uint8 ggmlType, bytes calldata blk, uint256 sub) external pure returns (bytes memory);
}
