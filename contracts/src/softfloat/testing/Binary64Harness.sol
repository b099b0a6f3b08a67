// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Binary64} from "../Binary64.sol";
import {SoftfloatHarness} from "./SoftfloatHarness.sol";

/**
 * @title Binary64Harness
 * @notice Test-only batch entry points for binary64 add, sub, mul, div and the conversions (see {SoftfloatHarness} for the vector layout).
 * Operation codes (operand sizes -> result size, in bytes):
 * <pre>
 *    7 ADD64          Binary64.add: 8, 8 -> 8  (24 bytes)
 *    8 SUB64          Binary64.sub: 8, 8 -> 8  (24 bytes)
 *    9 MUL64          Binary64.mul: 8, 8 -> 8  (24 bytes)
 *   13 DIV64          Binary64.div: 8, 8 -> 8  (24 bytes)
 *   11 TO64           Binary64.fromBinary32: 4 -> 8  (12 bytes)
 *   12 TO32           Binary64.toBinary32: 8 -> 4  (12 bytes)
 * </pre>
 * The per-operation loops are written out so that the measured span holds only the library call.
 */
contract Binary64Harness is SoftfloatHarness {
    uint256 public constant ADD64 = 7;
    uint256 public constant SUB64 = 8;
    uint256 public constant MUL64 = 9;
    uint256 public constant DIV64 = 13;
    uint256 public constant TO64 = 11;
    uint256 public constant TO32 = 12;

    /// @inheritdoc SoftfloatHarness
    function check(uint256 op, bytes calldata vectors) external pure override returns (uint256 index, uint256 bits) {
        if (op == ADD64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint64 r = Binary64.add(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == SUB64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint64 r = Binary64.sub(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == MUL64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint64 r = Binary64.mul(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == DIV64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint64 r = Binary64.div(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == TO64) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint64 want = _u64(p + 4);
                uint64 r = Binary64.fromBinary32(x0);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == TO32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint64 x0 = _u64(p + 0);
                uint32 want = _u32(p + 8);
                uint32 r = Binary64.toBinary32(x0);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        revert UnknownOperation(op);
    }

    /// @inheritdoc SoftfloatHarness
    function gasOf(uint256 op, bytes calldata vectors)
        external
        view
        override
        returns (uint256 total, uint256 most, uint256 mismatches)
    {
        if (op == ADD64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint256 g = gasleft();
                uint64 r = Binary64.add(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == SUB64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint256 g = gasleft();
                uint64 r = Binary64.sub(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == MUL64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint256 g = gasleft();
                uint64 r = Binary64.mul(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == DIV64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint256 g = gasleft();
                uint64 r = Binary64.div(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == TO64) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint64 want = _u64(p + 4);
                uint256 g = gasleft();
                uint64 r = Binary64.fromBinary32(x0);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == TO32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint64 x0 = _u64(p + 0);
                uint32 want = _u32(p + 8);
                uint256 g = gasleft();
                uint32 r = Binary64.toBinary32(x0);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        revert UnknownOperation(op);
    }
}
