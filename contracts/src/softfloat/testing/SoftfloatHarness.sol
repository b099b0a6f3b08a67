// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title SoftfloatHarness
 * @notice Test-only entry points to the softfloat libraries, deployed by chain's softfloat tests and never
 * by the protocol: one eth_call checks a whole batch of vectors against expected results computed in
 * Java, or measures the gas of each operation. One harness per library group (Binary32Harness,
 * Binary64Harness, ExpHarness, ActivationHarness) keeps each under the 24 KB code limit; operation codes
 * are shared across them.
 *
 * `vectors` is tightly packed big-endian: per vector its operands then the expected result, each 4 bytes
 * (a binary32 bit pattern) or 8 bytes (binary64).
 */
abstract contract SoftfloatHarness {
    /// @dev the index returned when every vector matched
    uint256 public constant NONE = type(uint256).max;

    /// @notice `vectors`' length is not a whole number of vectors of the operation's size.
    error RaggedVectors(uint256 length, uint256 stride);
    /// @notice This harness has no operation with this code.
    error UnknownOperation(uint256 op);

    /**
     * @notice Runs operation `op` on every vector and returns the index of the first whose result differs
     * from its expected bits, with the bits the contract computed; (NONE, 0) if all match.
     */
    function check(uint256 op, bytes calldata vectors) external pure virtual returns (uint256 index, uint256 bits);

    /**
     * @notice Gas of operation `op` on each vector, measured by gasleft() just around the library call (so it
     * includes about 10 gas of the measurement itself): the sum, the largest, and how many results differed
     * from the expected bits (which must be 0 for the figures to mean anything).
     */
    function gasOf(uint256 op, bytes calldata vectors)
        external
        view
        virtual
        returns (uint256 total, uint256 most, uint256 mismatches);

    function _count(bytes calldata vectors, uint256 stride) internal pure returns (uint256) {
        if (vectors.length % stride != 0) revert RaggedVectors(vectors.length, stride);
        return vectors.length / stride;
    }

    function _base(bytes calldata vectors) internal pure returns (uint256 offset) {
        assembly ("memory-safe") {
            offset := vectors.offset
        }
    }

    function _u32(uint256 p) internal pure returns (uint32 x) {
        assembly ("memory-safe") {
            x := shr(224, calldataload(p))
        }
    }

    function _u64(uint256 p) internal pure returns (uint64 x) {
        assembly ("memory-safe") {
            x := shr(192, calldataload(p))
        }
    }
}
