// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Silu} from "../Silu.sol";
import {Gelu} from "../Gelu.sol";
import {SoftfloatHarness} from "./SoftfloatHarness.sol";

/**
 * @title ActivationHarness
 * @notice Test-only batch entry points for the engine's SiLU and GELU (see {SoftfloatHarness} for the vector layout).
 * Operation codes (operand sizes -> result size, in bytes):
 * <pre>
 *   15 SILU32         Silu.silu: 4 -> 4  (8 bytes)
 *   16 GELU32         Gelu.gelu: 4 -> 4  (8 bytes)
 * </pre>
 * The per-operation loops are written out so that the measured span holds only the library call.
 */
contract ActivationHarness is SoftfloatHarness {
    uint256 public constant SILU32 = 15;
    uint256 public constant GELU32 = 16;

    /// @inheritdoc SoftfloatHarness
    function check(uint256 op, bytes calldata vectors) external pure override returns (uint256 index, uint256 bits) {
        if (op == SILU32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint32 r = Silu.silu(x0);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == GELU32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint32 r = Gelu.gelu(x0);
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
        if (op == SILU32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint256 g = gasleft();
                uint32 r = Silu.silu(x0);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == GELU32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint256 g = gasleft();
                uint32 r = Gelu.gelu(x0);
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
