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

    /// @notice Erf.erf(v) on binary64 bit patterns.
    function erf(uint64 v) internal pure returns (uint64) {
        uint64 z = v & 0x7fffffffffffffff;
        if (z > 0x7ff0000000000000) return Binary64.NAN;
        uint64 r;
        // for non-negative doubles the bit pattern orders as the value
        if (z < SERIES_LIMIT) {
            uint64 z2 = Binary64.mul(z, z);
            // C[17] .. C[0], four to a word, highest degree first (C[18] starts p)
            uint256[5] memory cs = [
                uint256(0xbc76dc45b7c759383ccb4026672559c7bd15d351bc7e990f3d5af66548fccada),
                0xbd9be5951d037bac3dd9703a56dbd37ebe1502e5064192c13e4fc30435df4bec,
                0xbe85f5fc60a5e0083ebb9e27b4305480beef4d1ab860ffcf3f1f9a311f0be15a,
                0xbf4c02db23326be63f7565bccf349ce1bf9b82ce3107c8f43fbce2f21a02c008,
                0xbfd812746b0372743ff20dd750429b6100000000000000000000000000000000
            ];
            uint64 p = 0x3c12fcbaa3b17461;
            for (uint256 n = 0; n < 18; ++n) {
                p = Binary64.add(Binary64.mul(p, z2), uint64(cs[n >> 2] >> (192 - 64 * (n & 3))));
            }
            r = Binary64.mul(z, p);
        } else if (z < ONE_LIMIT) {
            // k/2 for k = 24 .. 1, exact in binary64, packed four to a word, highest k first
            uint256[6] memory halves = [
                uint256(0x4028000000000000402700000000000040260000000000004025000000000000),
                0x4024000000000000402300000000000040220000000000004021000000000000,
                0x4020000000000000401e000000000000401c000000000000401a000000000000,
                0x4018000000000000401600000000000040140000000000004012000000000000,
                0x4010000000000000400c00000000000040080000000000004004000000000000,
                0x40000000000000003ff80000000000003ff00000000000003fe0000000000000
            ];
            uint64 t = z;
            for (uint256 w = 0; w < 6; ++w) {
                uint256 word = halves[w];
                for (uint256 j = 0; j < 4; ++j) {
                    t = Binary64.add(z, Binary64.div(uint64(word >> (192 - 64 * j)), t));
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
