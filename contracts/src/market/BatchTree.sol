// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The batch tree: the domain-separated keccak256 Merkle tree over a batch's leaf hashes.
/// @notice The same rule as the engine's trace tree (inference's MerkleTree) and chain's BatchTree in
///         Java; the three are checked against one vector file, docs/vectors/batch-tree.json.
///         Input: leaf hashes h[0..n-1] (n >= 1, 32 bytes each).
///           level 0:    node[0][i]   = keccak256(0x00 || h[i])                               (33 bytes)
///           level k+1:  node[k+1][j] = keccak256(0x01 || node[k][2j] || node[k][2j+1])       (65 bytes)
///                       an odd level's last node is promoted unchanged
///           root:       the single node of the top level
///         The prefixes separate leaves from inner nodes (no inner node passes for a leaf). A proof of
///         leaf `index` of `n` holds the sibling of each level where one exists, bottom-up; the verifier
///         walks up with (index, size): the last node of an odd level is promoted (no sibling consumed),
///         else the sibling is on the right of an even index and on the left of an odd one.
///
///         What the leaves are:
///         - request tree: h[i] = keccak256(item i's bytes as submitted; see BatchSettlement.submitBatch)
///         - results tree: h[i] = keccak256(abi.encode(requestId, resultHash, traceRoot)), with
///           requestId = batchId << 32 | i (resultLeaf)
library BatchTree {
    /// @notice The leaf hash of item `requestId`'s result.
    function resultLeaf(uint256 requestId, bytes32 resultHash, bytes32 traceRoot) internal pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, requestId)
            mstore(add(p, 0x20), resultHash)
            mstore(add(p, 0x40), traceRoot)
            h := keccak256(p, 0x60)
        }
    }

    /// @notice The root that leaf hash `leaf` at `index` of a tree of `size` leaves gives with `proof`;
    ///         `ok` is false when the proof has the wrong number of siblings or the index is out of range.
    function rootOf(bytes32 leaf, uint256 index, uint256 size, bytes32[] calldata proof)
        internal
        pure
        returns (bytes32 node, bool ok)
    {
        if (index >= size) return (0, false);
        uint256 used;
        uint256 n = proof.length;
        assembly ("memory-safe") {
            mstore8(0x00, 0x00)
            mstore(0x01, leaf)
            node := keccak256(0x00, 0x21)
            let p := proof.offset
            for {} gt(size, 1) {} {
                // the last node of an odd level is promoted: no sibling at this level
                if iszero(and(eq(index, sub(size, 1)), and(size, 1))) {
                    if eq(used, n) {
                        used := add(n, 1) // too few siblings
                        break
                    }
                    let sibling := calldataload(add(p, shl(5, used)))
                    used := add(used, 1)
                    let m := mload(0x40)
                    mstore8(m, 0x01)
                    switch and(index, 1)
                    case 0 {
                        mstore(add(m, 1), node)
                        mstore(add(m, 0x21), sibling)
                    }
                    default {
                        mstore(add(m, 1), sibling)
                        mstore(add(m, 0x21), node)
                    }
                    node := keccak256(m, 0x41)
                }
                index := shr(1, index)
                size := shr(1, add(size, 1))
            }
        }
        ok = used == n;
    }

    /// @notice The root over `leaves` (at least one), computed in place: `leaves` is overwritten.
    function rootInPlace(bytes32[] memory leaves) internal pure returns (bytes32 root) {
        uint256 n = leaves.length;
        assembly ("memory-safe") {
            let base := add(leaves, 0x20)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let at := add(base, shl(5, i))
                mstore8(0x00, 0x00)
                mstore(0x01, mload(at))
                mstore(at, keccak256(0x00, 0x21))
            }
            let m := mload(0x40)
            mstore8(m, 0x01)
            for {} gt(n, 1) {} {
                let half := shr(1, n)
                for { let j := 0 } lt(j, half) { j := add(j, 1) } {
                    let l := add(base, shl(6, j))
                    mstore(add(m, 1), mload(l))
                    mstore(add(m, 0x21), mload(add(l, 0x20)))
                    mstore(add(base, shl(5, j)), keccak256(m, 0x41))
                }
                if and(n, 1) { mstore(add(base, shl(5, half)), mload(add(base, shl(5, sub(n, 1))))) }
                n := shr(1, add(n, 1))
            }
            root := mload(base)
        }
    }
}
