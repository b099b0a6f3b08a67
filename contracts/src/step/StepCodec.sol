// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title StepCodec
 * @notice Canonical float bytes (issue 12's spec section 1: 4 bytes per float, little-endian, NaN canonical) and
 * the step program v1 constants, for the referee and the dispute game.
 */
library StepCodec {
    /// @notice Elements per chunk of every vector tree and of every reduction except att_out.
    uint256 internal constant CHUNK = 32;
    /// @notice Positions per chunk of att_out's weighted sum.
    uint256 internal constant WS_CHUNK = 8;
    /// @notice Bytes of a Dot/Sum state (16 partial sums).
    uint256 internal constant S16_BYTES = 64;
    /// @notice Bytes of a Q8_0 block: f16 scale (LE) then 32 int8.
    uint256 internal constant Q8_0_BLOCK_BYTES = 34;
    /// @notice Bytes of a Q4_0 block: f16 scale (LE) then 16 bytes of nibbles (element j low, j + 16 high).
    uint256 internal constant Q4_0_BLOCK_BYTES = 18;
    /// @notice Bytes of a Q4_K super-block (256 elements): f16 d, f16 dmin, 12 bytes of 6-bit scales and mins, 128 of nibbles.
    uint256 internal constant Q4_K_BLOCK_BYTES = 144;
    /// @notice Bytes of a Q6_K super-block (256 elements): ql[128], qh[64], 16 int8 scales, f16 d.
    uint256 internal constant Q6_K_BLOCK_BYTES = 210;
    /// @notice ggml type ids of the covered quantized weight types.
    uint8 internal constant GGML_Q4_0 = 2;
    uint8 internal constant GGML_Q8_0 = 8;
    uint8 internal constant GGML_Q4_K = 12;
    uint8 internal constant GGML_Q6_K = 14;
    uint32 internal constant NEGATIVE_INFINITY = 0xff800000;
    uint32 internal constant NAN = 0x7fc00000;

    /// @notice Float i of a little-endian float string in calldata (no bounds check beyond calldata's zero fill:
    /// callers check lengths).
    function f32At(bytes calldata b, uint256 i) internal pure returns (uint32 x) {
        assembly ("memory-safe") {
            let w := shr(224, calldataload(add(b.offset, shl(2, i))))
            // byte-swap the 4 bytes
            x := or(or(shl(24, and(w, 0xff)), shl(8, and(w, 0xff00))), or(and(shr(8, w), 0xff00), shr(24, w)))
        }
    }

    /// @notice Float i of a little-endian float string in memory.
    function f32AtMem(bytes memory b, uint256 i) internal pure returns (uint32 x) {
        assembly ("memory-safe") {
            let w := shr(224, mload(add(add(b, 32), shl(2, i))))
            x := or(or(shl(24, and(w, 0xff)), shl(8, and(w, 0xff00))), or(and(shr(8, w), 0xff00), shr(24, w)))
        }
    }

    /// @notice The 4 canonical bytes of a float: little-endian, any NaN as 0x7fc00000.
    function le(uint32 x) internal pure returns (bytes4) {
        x = canonical(x);
        return bytes4((x >> 24) | ((x >> 8) & 0xff00) | ((x << 8) & 0xff0000) | (x << 24));
    }

    /// @notice x, or the canonical NaN 0x7fc00000 when x is any NaN.
    function canonical(uint32 x) internal pure returns (uint32) {
        return (x & 0x7fffffff) > 0x7f800000 ? NAN : x;
    }
}
