// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Binary64} from "./Binary64.sol";

/**
 * @title StrictExp
 * @notice Java's StrictMath.exp(double) bit for bit: fdlibm's e_exp.c as the JDK writes it
 * (java.lang.FdLibm.Exp.compute), each step one binary64 operation from {Binary64}. The engine's SiLU
 * uses it ({Silu}). NaN results are canonical.
 * <pre>
 *   |x| >= 709.78 (high word >= 0x40862e42): NaN -> NaN, +inf -> +inf, -inf -> +0,
 *                                          x > o_threshold -> +inf, x < u_threshold -> +0
 *   |x| > ln2/2:   |x| < 1.5 ln2: hi = x - ln2HI[s], lo = ln2LO[s], k = 1 - 2s
 *                  otherwise:     k = (int)(invln2 * x + half[s]), t = k, hi = x - t*ln2HI, lo = t*ln2LO
 *                  x = hi - lo
 *   |x| < 2^-28:   return 1.0 + x
 *   t = x*x;  c = x - t*(P1 + t*(P2 + t*(P3 + t*(P4 + t*P5))))
 *   k == 0:        return 1.0 - ((x*c)/(c - 2.0) - x)
 *   y = 1.0 - ((lo - (x*c)/(2.0 - c)) - hi)
 *   k >= -1021:    y with k added to its exponent field; else (y with k + 1000 added) * 2^-1000
 * </pre>
 */
library StrictExp {
    uint64 private constant ONE = 0x3ff0000000000000;
    uint64 private constant TWO = 0x4000000000000000;
    uint64 private constant O_THRESHOLD = 0x40862e42fefa39ef; // 7.09782712893383973096e+02
    uint64 private constant U_THRESHOLD = 0xc0874910d52d3051; // -7.45133219101941108420e+02
    uint64 private constant LN2_HI = 0x3fe62e42fee00000;
    uint64 private constant LN2_LO = 0x3dea39ef35793c76;
    uint64 private constant INV_LN2 = 0x3ff71547652b82fe;
    uint64 private constant HALF = 0x3fe0000000000000;
    uint64 private constant SIGN = 0x8000000000000000;
    uint64 private constant P1 = 0x3fc555555555553e;
    uint64 private constant P2 = 0xbf66c16c16bebd93;
    uint64 private constant P3 = 0x3f11566aaf25de2c;
    uint64 private constant P4 = 0xbebbbd41c5d26bf1;
    uint64 private constant P5 = 0x3e66376972bea4d0;
    uint64 private constant TWOM1000 = 0x0170000000000000; // 2^-1000

    /// @notice StrictMath.exp(x) on binary64 bit patterns.
    function exp(uint64 x) internal pure returns (uint64) {
        uint256 hx = uint256(x >> 32);
        uint256 xsb = hx >> 31;
        hx &= 0x7fffffff;
        if (hx >= 0x40862e42) {
            if (hx >= 0x7ff00000) {
                if (x & 0x7fffffffffffffff > 0x7ff0000000000000) return Binary64.NAN;
                return xsb == 0 ? x : 0;
            }
            // for a positive double the bit pattern orders as the value, for a negative its magnitude
            if (xsb == 0 && x > O_THRESHOLD) return 0x7ff0000000000000; // huge * huge
            if (xsb == 1 && x > U_THRESHOLD) return 0; // twom1000 * twom1000
        }
        uint64 hi;
        uint64 lo;
        int256 k;
        if (hx > 0x3fd62e42) {
            if (hx < 0x3ff0a2b2) {
                hi = Binary64.sub(x, xsb == 0 ? LN2_HI : LN2_HI | SIGN);
                lo = xsb == 0 ? LN2_LO : LN2_LO | SIGN;
                k = xsb == 0 ? int256(1) : int256(-1);
            } else {
                k = Binary64.toInt32(Binary64.add(Binary64.mul(INV_LN2, x), xsb == 0 ? HALF : HALF | SIGN));
                uint64 t = Binary64.fromInt(k);
                hi = Binary64.sub(x, Binary64.mul(t, LN2_HI));
                lo = Binary64.mul(t, LN2_LO);
            }
            x = Binary64.sub(hi, lo);
        } else if (hx < 0x3e300000) {
            return Binary64.add(ONE, x); // huge + x > 1 always holds here
        }
        uint64 tt = Binary64.mul(x, x);
        uint64 poly = Binary64.add(P4, Binary64.mul(tt, P5));
        poly = Binary64.add(P3, Binary64.mul(tt, poly));
        poly = Binary64.add(P2, Binary64.mul(tt, poly));
        poly = Binary64.add(P1, Binary64.mul(tt, poly));
        uint64 c = Binary64.sub(x, Binary64.mul(tt, poly));
        uint64 xc = Binary64.mul(x, c);
        if (k == 0) {
            return Binary64.sub(ONE, Binary64.sub(Binary64.div(xc, Binary64.sub(c, TWO)), x));
        }
        uint64 y = Binary64.sub(ONE, Binary64.sub(Binary64.sub(lo, Binary64.div(xc, Binary64.sub(TWO, c))), hi));
        unchecked {
            if (k >= -1021) return uint64(uint256(int256(uint256(y)) + (k << 52)));
            return Binary64.mul(uint64(uint256(int256(uint256(y)) + ((k + 1000) << 52))), TWOM1000);
        }
    }
}
