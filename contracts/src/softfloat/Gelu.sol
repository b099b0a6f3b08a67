// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Binary64} from "./Binary64.sol";
import {Erf} from "./Erf.sol";

/**
 * @title Gelu
 * @notice The engine's GELU (inference/.../kernel/Gelu.java) bit for bit: in binary64 from the binary32
 * input, `(float) ((0.5 * d) * (1.0 + Erf.erf(d * sqrt(0.5))))`, left to right, rounded once to binary32.
 */
library Gelu {
    uint64 private constant HALF = 0x3fe0000000000000;
    uint64 private constant ONE = 0x3ff0000000000000;
    uint64 private constant SQRT_HALF = 0x3fe6a09e667f3bcd; // Math.sqrt(0.5)

    /// @notice gelu(x) on a binary32 bit pattern.
    function gelu(uint32 x) internal pure returns (uint32) {
        uint64 d = Binary64.fromBinary32(x);
        uint64 g = Binary64.mul(Binary64.mul(HALF, d), Binary64.add(ONE, Erf.erf(Binary64.mul(d, SQRT_HALF))));
        return Binary64.toBinary32(g);
    }
}
