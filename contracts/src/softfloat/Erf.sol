// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Binary64} from "./Binary64.sol";
import {CanonicalExp} from "./CanonicalExp.sol";

/**
 * @title Erf
 * @notice The engine's error function (inference/.../kernel/Erf.java, `Erf.erf(double)`) bit for bit, in
 * binary64, with z = |v| and the sign put back for v < 0 (so erf(-0) = +0, as in Java):
 * <pre>
 *   z < 2.5:      z2 = z*z; p = C[18]; for n = 17 .. 0: p = p*z2 + C[n]; r = z*p
 *   2.5 <= z < 6: t = z; for k = 24 .. 1: t = z + (k/2)/t; r = 1 - Erf.exp(-(z*z)) / (sqrt(pi)*t)
 *   z >= 6:       r = 1 (infinity too);  NaN -> NaN
 * </pre>
 * The coefficients are Erf.C's binary64 bit patterns; sqrt(pi) is Math.sqrt(Math.PI), correctly rounded.
 */
library Erf {
    uint64 private constant ONE = 0x3ff0000000000000;
    uint64 private constant SQRT_PI = 0x3ffc5bf891b4ef6a;
    uint64 private constant SERIES_LIMIT = 0x4004000000000000; // 2.5
    uint64 private constant ONE_LIMIT = 0x4018000000000000; // 6.0
    /// @dev Erf.C[17] .. Erf.C[0], the series coefficients below the leading C[18], four to a word
    uint256 private constant C_17_14 = 0xbc76dc45b7c759383ccb4026672559c7bd15d351bc7e990f3d5af66548fccada;
    uint256 private constant C_13_10 = 0xbd9be5951d037bac3dd9703a56dbd37ebe1502e5064192c13e4fc30435df4bec;
    uint256 private constant C_9_6 = 0xbe85f5fc60a5e0083ebb9e27b4305480beef4d1ab860ffcf3f1f9a311f0be15a;
    uint256 private constant C_5_2 = 0xbf4c02db23326be63f7565bccf349ce1bf9b82ce3107c8f43fbce2f21a02c008;
    uint256 private constant C_1_0 = 0xbfd812746b0372743ff20dd750429b6100000000000000000000000000000000;
    /// @dev k/2 for k = 24 .. 1, four to a word
    uint256 private constant HALVES_24_21 = 0x4028000000000000402700000000000040260000000000004025000000000000;
    uint256 private constant HALVES_20_17 = 0x4024000000000000402300000000000040220000000000004021000000000000;
    uint256 private constant HALVES_16_13 = 0x4020000000000000401e000000000000401c000000000000401a000000000000;
    uint256 private constant HALVES_12_9 = 0x4018000000000000401600000000000040140000000000004012000000000000;
    uint256 private constant HALVES_8_5 = 0x4010000000000000400c00000000000040080000000000004004000000000000;
    uint256 private constant HALVES_4_1 = 0x40000000000000003ff80000000000003ff00000000000003fe0000000000000;

    /// @notice Erf.erf(v) on binary64 bit patterns.
    function erf(uint64 v) internal pure returns (uint64) {
        uint64 z = v & 0x7fffffffffffffff;
        if (z > 0x7ff0000000000000) return Binary64.NAN;
        uint64 r;
        // for non-negative doubles the bit pattern orders as the value
        if (z < SERIES_LIMIT) {
            uint64 z2 = Binary64.mul(z, z);
            // C[17] .. C[0], four to a word, highest degree first (C[18] starts p), read off the top
            uint64 p = 0x3c12fcbaa3b17461;
            unchecked {
                uint256 word = C_17_14;
                for (uint256 n = 0; n < 18; ++n) {
                    if (n == 4) word = C_13_10;
                    else if (n == 8) word = C_9_6;
                    else if (n == 12) word = C_5_2;
                    else if (n == 16) word = C_1_0;
                    p = Binary64.add(Binary64.mul(p, z2), uint64(word >> 192));
                    word <<= 64;
                }
            }
            r = Binary64.mul(z, p);
        } else if (z < ONE_LIMIT) {
            // t = z + (k/2)/t for k = 24 .. 1 (k/2 exact in binary64), the halves read off the top of a word
            uint64 t = z;
            unchecked {
                uint256 word = HALVES_24_21;
                for (uint256 n = 0; n < 24; ++n) {
                    if (n == 4) word = HALVES_20_17;
                    else if (n == 8) word = HALVES_16_13;
                    else if (n == 12) word = HALVES_12_9;
                    else if (n == 16) word = HALVES_8_5;
                    else if (n == 20) word = HALVES_4_1;
                    t = Binary64.add(z, Binary64.div(uint64(word >> 192), t));
                    word <<= 64;
                }
            }
            uint64 e = CanonicalExp.exp(Binary64.mul(z, z) ^ Binary64.SIGN);
            r = Binary64.sub(ONE, Binary64.div(e, Binary64.mul(SQRT_PI, t)));
        } else {
            r = ONE;
        }
        // v < 0: negative and not -0
        if (v > Binary64.SIGN) r ^= Binary64.SIGN;
        return r;
    }
}
