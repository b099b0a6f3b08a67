// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title Binary32 words of canonical LE byte strings (chunks, blocks, states), for the game's verifier.
library GameBytes {
    /// @notice Element i of a binary32 LE byte string, as its bit pattern.
    function word(bytes memory b, uint256 i) internal pure returns (uint32) {
        uint256 o = 4 * i;
        return uint32(uint8(b[o])) | uint32(uint8(b[o + 1])) << 8 | uint32(uint8(b[o + 2])) << 16
            | uint32(uint8(b[o + 3])) << 24;
    }

    /// @notice All elements of a binary32 LE byte string.
    function words(bytes memory b) internal pure returns (uint32[] memory w) {
        w = new uint32[](b.length / 4);
        for (uint256 i; i < w.length; i++) w[i] = word(b, i);
    }

    /// @notice The LE bytes of binary32 words.
    function toBytes(uint32[] memory w) internal pure returns (bytes memory b) {
        b = new bytes(4 * w.length);
        for (uint256 i; i < w.length; i++) {
            uint32 v = w[i];
            b[4 * i] = bytes1(uint8(v));
            b[4 * i + 1] = bytes1(uint8(v >> 8));
            b[4 * i + 2] = bytes1(uint8(v >> 16));
            b[4 * i + 3] = bytes1(uint8(v >> 24));
        }
    }
}
