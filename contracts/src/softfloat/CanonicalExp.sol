// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Binary32} from "./Binary32.sol";
import {Binary64} from "./Binary64.sol";

/**
 * @title CanonicalExp
 * @notice The engine's own exponential, bit for bit: `Erf.exp(double)` in binary64 and softmax's
 * element function `Softmax.exp(float)` (inference/.../kernel/Erf.java and Softmax.java):
 * <pre>
 *   shifted = x * INV_LN2 + SHIFTER                 (SHIFTER = 1.5 * 2^52: rounds k to nearest)
 *   k       = shifted - SHIFTER
 *   r       = (x - k * LN2_HI) - k * LN2_LO
 *   p       = Horner over 1/n!, n = 10 .. 0, at r     (p = p * r + 1/n!, separate multiply and add)
 *   kBits   = bits(shifted) - bits(SHIFTER)           (64-bit integer, wrapping)
 *   exp(x)  = p * double((kBits + 1023) << 52)        (64-bit shift: the bits above 63 drop)
 *
 *   softmaxExp(d) = (double) d < -104 ? +0 : (float) exp((double) d)
 * </pre>
 * Every step is one binary64 operation from {Binary64} and the integer steps wrap exactly as Java's
 * long arithmetic, so the result matches on every input, including those outside the range the
 * engine feeds it (above about 709 the scale's bits wrap and Java returns what they make, and so
 * does this). NaN results are canonical; NaN never reaches the integer steps with its payload
 * mattering (a NaN `shifted` makes p NaN, and the product NaN).
 */
library CanonicalExp {
    uint64 private constant INV_LN2 = 0x3ff71547652b82fe; // 1.4426950408889634
    uint64 private constant LN2_HI = 0x3fe62e42fee00000; // 6.93147180369123816490e-01
    uint64 private constant LN2_LO = 0x3dea39ef35793c76; // 1.90821492927058770002e-10
    uint64 private constant SHIFTER = 0x4338000000000000; // 6755399441055744.0
    /// @dev 1/n! as Java computes them (1.0 / factorial, factorial exact in binary64), packed highest n first
    uint256 private constant E_9_6 = 0x3ec71de3a556c7343efa01a01a01a01a3f2a01a01a01a01a3f56c16c16c16c17;
    uint256 private constant E_5_2 = 0x3f811111111111113fa55555555555553fc55555555555553fe0000000000000;
    uint256 private constant E_1_0 = 0x3ff00000000000003ff000000000000000000000000000000000000000000000;
    /// @dev -104.0f: below it softmax's exponential is 0 without computing it
    uint32 private constant MINUS_104 = 0xc2d00000;

    /// @notice Erf.exp(x) on binary64 bit patterns.
    function exp(uint64 x) internal pure returns (uint64) {
        uint64 shifted = Binary64.add(Binary64.mul(x, INV_LN2), SHIFTER);
        uint64 k = Binary64.sub(shifted, SHIFTER);
        uint64 r = Binary64.sub(Binary64.sub(x, Binary64.mul(k, LN2_HI)), Binary64.mul(k, LN2_LO));
        // 1/n! for n = 10 .. 0, as Java computes them: 1.0 / factorial, factorial exact in binary64
        uint64 p = 0x3e927e4fb7789f5c;
        // 1/9! .. 1/0!, four to a word, highest n first, read off the top of the word
        unchecked {
            uint256 word = E_9_6;
            for (uint256 n = 0; n < 10; ++n) {
                if (n == 4) word = E_5_2;
                else if (n == 8) word = E_1_0;
                p = Binary64.add(Binary64.mul(p, r), uint64(word >> 192));
                word <<= 64;
            }
        }
        uint64 scale;
        unchecked {
            scale = ((shifted - SHIFTER) + 1023) << 52;
        }
        return Binary64.mul(p, scale);
    }

    /// @notice Softmax's exponential of one binary32 difference x[i] - max.
    function softmaxExp(uint32 d) internal pure returns (uint32) {
        // (double) d < -104 exactly when d is a negative non-NaN beyond -104 (including -infinity)
        if (d > MINUS_104 && d <= 0xff800000) return 0;
        return Binary64.toBinary32(exp(Binary64.fromBinary32(d)));
    }
}
