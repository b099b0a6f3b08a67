// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Binary32} from "../Binary32.sol";
import {SoftfloatHarness} from "./SoftfloatHarness.sol";

/**
 * @title Binary32Harness
 * @notice Test-only batch entry points for binary32 add, sub, mul, fma, div and sqrt (see {SoftfloatHarness} for the vector layout).
 * Operation codes (operand sizes -> result size, in bytes):
 * <pre>
 *    0 ADD32          Binary32.add: 4, 4 -> 4  (12 bytes)
 *    1 SUB32          Binary32.sub: 4, 4 -> 4  (12 bytes)
 *    2 MUL32          Binary32.mul: 4, 4 -> 4  (12 bytes)
 *    3 FMA32          Binary32.fma: 4, 4, 4 -> 4  (16 bytes)
 *    4 DIV32          Binary32.div: 4, 4 -> 4  (12 bytes)
 *    5 SQRT32         Binary32.sqrt: 4 -> 4  (8 bytes)
 * </pre>
 * The per-operation loops are written out so that the measured span holds only the library call.
 */
contract Binary32Harness is SoftfloatHarness {
    uint256 public constant ADD32 = 0;
    uint256 public constant SUB32 = 1;
    uint256 public constant MUL32 = 2;
    uint256 public constant FMA32 = 3;
    uint256 public constant DIV32 = 4;
    uint256 public constant SQRT32 = 5;

    /// @inheritdoc SoftfloatHarness
    function check(uint256 op, bytes calldata vectors) external pure override returns (uint256 index, uint256 bits) {
        if (op == ADD32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint32 r = Binary32.add(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == SUB32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint32 r = Binary32.sub(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == MUL32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint32 r = Binary32.mul(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == FMA32) {
            uint256 n = _count(vectors, 16);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 16;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 x2 = _u32(p + 8);
                uint32 want = _u32(p + 12);
                uint32 r = Binary32.fma(x0, x1, x2);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == DIV32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint32 r = Binary32.div(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == SQRT32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint32 r = Binary32.sqrt(x0);
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
        if (op == ADD32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint256 g = gasleft();
                uint32 r = Binary32.add(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == SUB32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint256 g = gasleft();
                uint32 r = Binary32.sub(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == MUL32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint256 g = gasleft();
                uint32 r = Binary32.mul(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == FMA32) {
            uint256 n = _count(vectors, 16);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 16;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 x2 = _u32(p + 8);
                uint32 want = _u32(p + 12);
                uint256 g = gasleft();
                uint32 r = Binary32.fma(x0, x1, x2);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == DIV32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint256 g = gasleft();
                uint32 r = Binary32.div(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == SQRT32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint256 g = gasleft();
                uint32 r = Binary32.sqrt(x0);
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
