// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {CanonicalExp} from "../CanonicalExp.sol";
import {StrictExp} from "../StrictExp.sol";
import {SoftfloatHarness} from "./SoftfloatHarness.sol";

/**
 * @title ExpHarness
 * @notice Test-only batch entry points for the engine's exp (softmax's and Erf.exp) and StrictMath.exp (see {SoftfloatHarness} for the vector layout).
 * Operation codes (operand sizes -> result size, in bytes):
 * <pre>
 *    6 SOFTMAX_EXP32  CanonicalExp.softmaxExp: 4 -> 4  (8 bytes)
 *   10 EXP64          CanonicalExp.exp: 8 -> 8  (16 bytes)
 *   14 STRICT_EXP64   StrictExp.exp: 8 -> 8  (16 bytes)
 * </pre>
 * The per-operation loops are written out so that the measured span holds only the library call.
 */
contract ExpHarness is SoftfloatHarness {
    uint256 public constant SOFTMAX_EXP32 = 6;
    uint256 public constant EXP64 = 10;
    uint256 public constant STRICT_EXP64 = 14;

    /// @inheritdoc SoftfloatHarness
    function check(uint256 op, bytes calldata vectors) external pure override returns (uint256 index, uint256 bits) {
        if (op == SOFTMAX_EXP32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint32 r = CanonicalExp.softmaxExp(x0);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == EXP64) {
            uint256 n = _count(vectors, 16);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 16;
                uint64 x0 = _u64(p + 0);
                uint64 want = _u64(p + 8);
                uint64 r = CanonicalExp.exp(x0);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == STRICT_EXP64) {
            uint256 n = _count(vectors, 16);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 16;
                uint64 x0 = _u64(p + 0);
                uint64 want = _u64(p + 8);
                uint64 r = StrictExp.exp(x0);
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
        if (op == SOFTMAX_EXP32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint256 g = gasleft();
                uint32 r = CanonicalExp.softmaxExp(x0);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == EXP64) {
            uint256 n = _count(vectors, 16);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 16;
                uint64 x0 = _u64(p + 0);
                uint64 want = _u64(p + 8);
                uint256 g = gasleft();
                uint64 r = CanonicalExp.exp(x0);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == STRICT_EXP64) {
            uint256 n = _count(vectors, 16);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 16;
                uint64 x0 = _u64(p + 0);
                uint64 want = _u64(p + 8);
                uint256 g = gasleft();
                uint64 r = StrictExp.exp(x0);
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
