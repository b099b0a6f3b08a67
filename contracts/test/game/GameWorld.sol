// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {FakeGameMarket} from "../testing/FakeGameMarket.sol";

/// @title forge's console (no forge-std offline): console.log(string, uint256).
library Console {
    address internal constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;

    function log(string memory what, uint256 v) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256)", what, v));
        ok;
    }
}

/// @title Merkle trees as inference's MerkleTree builds them, for the tests (levels, proofs, descendants).
library Trees {
    function leafNode(bytes memory payload) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), payload));
    }

    function leafNode32(bytes32 h) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x00), h));
    }

    function inner(bytes32 l, bytes32 r) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x01), l, r));
    }

    /// @dev All levels over level-0 nodes (levels[0] = the nodes, last = [root]).
    function build(bytes32[] memory nodes) internal pure returns (bytes32[][] memory lv) {
        uint256 depth = 1;
        for (uint256 n = nodes.length; n > 1; n = (n + 1) / 2) depth++;
        lv = new bytes32[][](depth);
        lv[0] = nodes;
        for (uint256 k = 1; k < depth; k++) {
            bytes32[] memory prev = lv[k - 1];
            bytes32[] memory next = new bytes32[]((prev.length + 1) / 2);
            for (uint256 j; j < next.length; j++) {
                next[j] = 2 * j + 1 < prev.length ? inner(prev[2 * j], prev[2 * j + 1]) : prev[2 * j];
            }
            lv[k] = next;
        }
    }

    function root(bytes32[][] memory lv) internal pure returns (bytes32) {
        return lv[lv.length - 1][0];
    }

    function proof(bytes32[][] memory lv, uint256 index) internal pure returns (bytes32[] memory p) {
        bytes32[] memory tmp = new bytes32[](lv.length);
        uint256 n;
        uint256 i = index;
        for (uint256 k; k + 1 < lv.length; k++) {
            uint256 size = lv[k].length;
            if (!(i == size - 1 && size % 2 == 1)) tmp[n++] = lv[k][i ^ 1];
            i /= 2;
        }
        p = new bytes32[](n);
        for (uint256 k; k < n; k++) p[k] = tmp[k];
    }

    /// @dev The nodes d levels below (k, j) that exist.
    function below(bytes32[][] memory lv, uint256 k, uint256 j, uint256 d) internal pure returns (bytes32[] memory out) {
        bytes32[] memory level = lv[k - d];
        uint256 first = j << d;
        uint256 m = level.length - first;
        if (m > 1 << d) m = 1 << d;
        out = new bytes32[](m);
        for (uint256 i; i < m; i++) out[i] = level[first + i];
    }

    /// @dev vecRoot levels of a binary32 vector (chunks of 32).
    function vec(uint32[] memory v) internal pure returns (bytes32[][] memory) {
        uint256 chunks = (v.length + 31) / 32;
        bytes32[] memory nodes = new bytes32[](chunks);
        for (uint256 c; c < chunks; c++) nodes[c] = leafNode(chunk(v, c));
        return build(nodes);
    }

    function chunk(uint32[] memory v, uint256 c) internal pure returns (bytes memory b) {
        uint256 n = v.length - 32 * c;
        if (n > 32) n = 32;
        b = new bytes(4 * n);
        for (uint256 i; i < n; i++) {
            uint32 x = v[32 * c + i];
            b[4 * i] = bytes1(uint8(x));
            b[4 * i + 1] = bytes1(uint8(x >> 8));
            b[4 * i + 2] = bytes1(uint8(x >> 16));
            b[4 * i + 3] = bytes1(uint8(x >> 24));
        }
    }

    /// @dev The binary32 bits of an integer |v| < 2^24 (exact), independent of the softfloat library.
    function f(int256 v) internal pure returns (uint32) {
        if (v == 0) return 0;
        uint32 sign = v < 0 ? 0x80000000 : 0;
        uint256 a = uint256(v < 0 ? -v : v);
        require(a < 1 << 24, "not exact");
        uint256 k;
        while (a >> (k + 1) != 0) k++;
        return sign | uint32((127 + k) << 23) | uint32((a << (23 - k)) & 0x7fffff);
    }

    function stateBytes(int256[16] memory s) internal pure returns (bytes memory b) {
        uint32[] memory w = new uint32[](16);
        for (uint256 i; i < 16; i++) w[i] = f(s[i]);
        return chunk(w, 0);
    }
}
