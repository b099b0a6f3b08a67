// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Binary32} from "../softfloat/Binary32.sol";

/// @title The few pieces of step arithmetic the game's verifier uses, on binary32 bit patterns.
/// @notice The canonical Dot layout (inference's Dot: 16 partial sums, element i into partial i mod 16,
///         fma rounding once, the fixed combine tree) and Q8_0Tensor's block order. The referee's
///         library (contracts/src/step/, SPEC-12 section 7) is the project's reference for the step
///         arithmetic; these are the game's own transcriptions of the same Java, kept to what
///         OneStep covers (see OneStep).
library GameArith {
    /// @notice The fixed combination tree of Dot.combine over 16 partial sums.
    function combine16(uint32[16] memory s) internal pure returns (uint32) {
        uint32 a = Binary32.add(
            Binary32.add(Binary32.add(s[0], s[1]), Binary32.add(s[2], s[3])),
            Binary32.add(Binary32.add(s[4], s[5]), Binary32.add(s[6], s[7]))
        );
        uint32 b = Binary32.add(
            Binary32.add(Binary32.add(s[8], s[9]), Binary32.add(s[10], s[11])),
            Binary32.add(Binary32.add(s[12], s[13]), Binary32.add(s[14], s[15]))
        );
        return Binary32.add(a, b);
    }

    /// @notice Dot's chunk: s[(start + j) mod 16] = fma(a[j], b[j], s[(start + j) mod 16]) for j in order.
    function dotChunk(uint32[16] memory s, uint32[] memory a, uint32[] memory b, uint256 start) internal pure {
        for (uint256 j; j < a.length; j++) {
            uint256 m = (start + j) & 15;
            s[m] = Binary32.fma(a[j], b[j], s[m]);
        }
    }

    /// @notice One Q8_0 block (34 bytes: f16 scale d, 32 int8 codes q) against 32 activations x, as
    ///         Q8_0Tensor.dotReference: p = q[m] * x[m]; p = fma(q[m+16], x[m+16], p); s[m] = fma(p, d, s[m]).
    function dotChunkQ8_0(uint32[16] memory s, uint32[] memory x, bytes memory blk) internal pure {
        uint32 d = f16ToF32(uint16(uint8(blk[0])) | uint16(uint8(blk[1])) << 8);
        for (uint256 m; m < 16; m++) {
            uint32 p = Binary32.mul(int8ToF32(int8(uint8(blk[2 + m]))), x[m]);
            p = Binary32.fma(int8ToF32(int8(uint8(blk[18 + m]))), x[m + 16], p);
            s[m] = Binary32.fma(p, d, s[m]);
        }
    }

    /// @notice Q8_0 dequantisation of a block: q[j] * d (binary32 multiply), as Q8_0Tensor.dequantizeRow.
    function dequantQ8_0(bytes memory blk) internal pure returns (uint32[] memory out) {
        uint32 d = f16ToF32(uint16(uint8(blk[0])) | uint16(uint8(blk[1])) << 8);
        out = new uint32[](32);
        for (uint256 j; j < 32; j++) out[j] = Binary32.mul(int8ToF32(int8(uint8(blk[2 + j]))), d);
    }

    /// @notice An integer in [-128, 127] as binary32 (exact).
    function int8ToF32(int8 v) internal pure returns (uint32) {
        if (v == 0) return 0;
        uint32 sign = v < 0 ? 0x80000000 : 0;
        uint32 a = uint32(uint16(v < 0 ? -int16(v) : int16(v)));
        uint32 k; // bit length - 1
        while (a >> (k + 1) != 0) k++;
        return sign | (127 + k) << 23 | ((a << (23 - k)) & 0x7fffff);
    }

    /// @notice binary16 to binary32 (exact; Float.float16ToFloat; a NaN keeps its payload shifted).
    function f16ToF32(uint16 h) internal pure returns (uint32) {
        uint32 sign = uint32(h & 0x8000) << 16;
        uint32 e = (h >> 10) & 0x1f;
        uint32 f = h & 0x3ff;
        if (e == 0x1f) return sign | 0x7f800000 | f << 13;
        if (e == 0) {
            if (f == 0) return sign;
            // subnormal: f * 2^-24, normalise
            uint32 k; // bit length - 1 of f
            while (f >> (k + 1) != 0) k++;
            return sign | (k + 103) << 23 | ((f << (23 - k)) & 0x7fffff);
        }
        return sign | (e + 112) << 23 | f << 13;
    }

    /// @notice Little-endian binary32 words of `b` (length a multiple of 4).
    function words(bytes memory b) internal pure returns (uint32[] memory w) {
        w = new uint32[](b.length / 4);
        for (uint256 i; i < w.length; i++) w[i] = word(b, i);
    }

    function word(bytes memory b, uint256 i) internal pure returns (uint32) {
        uint256 o = 4 * i;
        return uint32(uint8(b[o])) | uint32(uint8(b[o + 1])) << 8 | uint32(uint8(b[o + 2])) << 16
            | uint32(uint8(b[o + 3])) << 24;
    }

    /// @notice The little-endian bytes of binary32 words.
    function toBytes(uint32[16] memory s) internal pure returns (bytes memory b) {
        b = new bytes(64);
        for (uint256 i; i < 16; i++) {
            uint32 v = s[i];
            b[4 * i] = bytes1(uint8(v));
            b[4 * i + 1] = bytes1(uint8(v >> 8));
            b[4 * i + 2] = bytes1(uint8(v >> 16));
            b[4 * i + 3] = bytes1(uint8(v >> 24));
        }
    }
}
