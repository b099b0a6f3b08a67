// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The one Merkle rule of every tree the dispute game walks (trace, vectors, weights, states).
/// @notice Inference's MerkleTree rule (SPEC-12 sections 1 and 4.1): a level-0 node is
///         keccak256(0x00 || payload) (a leaf hash, a chunk's bytes, a block's bytes or a state's bytes),
///         an inner node keccak256(0x01 || left || right), an odd last node promoted unchanged. Level k of
///         an n-leaf tree has ceil(n / 2^k) = ((n - 1) >> k) + 1 nodes.
library GameMerkle {
    /// @notice A proof's length does not match the path of leaf `index` in a tree of `size` leaves.
    error ProofLength(uint256 index, uint256 size, uint256 given);
    /// @notice A leaf index is not inside its tree.
    error LeafOutside(uint256 index, uint256 size);

    function leafNode(bytes memory payload) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), payload));
    }

    function leafNode32(bytes32 h) internal pure returns (bytes32 r) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore8(m, 0)
            mstore(add(m, 1), h)
            r := keccak256(m, 33)
        }
    }

    function inner(bytes32 l, bytes32 r) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore8(m, 1)
            mstore(add(m, 1), l)
            mstore(add(m, 33), r)
            h := keccak256(m, 65)
        }
    }

    /// @notice Nodes on level `k` of a tree of `n` leaves (n >= 1).
    function levelSize(uint256 n, uint256 k) internal pure returns (uint256) {
        return ((n - 1) >> k) + 1;
    }

    /// @notice The top level of a tree of `n` leaves (0 for one leaf).
    function topLevel(uint256 n) internal pure returns (uint256 k) {
        uint256 v = n - 1;
        while (v != 0) {
            v >>= 1;
            k++;
        }
    }

    /// @notice The root reached from level-0 node `node` of leaf `index` in a tree of `size` leaves by
    ///         `proof` (the siblings bottom-up, none on a level where the node is promoted), as
    ///         inference's MerkleProof verifies it. Reverts when the proof's length does not fit.
    function root(bytes32 node, uint256 index, uint256 size, bytes32[] memory proof) internal pure returns (bytes32) {
        if (index >= size) revert LeafOutside(index, size);
        uint256 used;
        uint256 i = index;
        uint256 s = size;
        while (s > 1) {
            if (!(i == s - 1 && s & 1 == 1)) {
                if (used >= proof.length) revert ProofLength(index, size, proof.length);
                bytes32 sib = proof[used++];
                node = i & 1 == 0 ? inner(node, sib) : inner(sib, node);
            }
            i >>= 1;
            s = (s + 1) >> 1;
        }
        if (used != proof.length) revert ProofLength(index, size, proof.length);
        return node;
    }
}
