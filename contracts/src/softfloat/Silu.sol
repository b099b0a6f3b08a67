// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Binary32} from "./Binary32.sol";
import {Binary64} from "./Binary64.sol";
import {StrictExp} from "./StrictExp.sol";

/**
 * @title Silu
 * @notice The engine's SiLU (inference/.../kernel/Silu.java) bit for bit:
 * `silu(x) = x / (1 + (float) StrictMath.exp(-(double) x))`, the exp in binary64 and rounded once to
 * binary32, then a binary32 addition and division.
 */
library Silu {
    /// @notice silu(x) on a binary32 bit pattern.
    function silu(uint32 x) internal pure returns (uint32) {
        uint64 e = StrictExp.exp(Binary64.fromBinary32(x) ^ Binary64.SIGN);
        return Binary32.div(x, Binary32.add(0x3f800000, Binary64.toBinary32(e)));
    }
}
