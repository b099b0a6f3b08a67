// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/**
 * @title Rounding
 * @notice The one rounding step behind every softfloat operation: an exact value m * 2^e (m a positive
 * integer below 2^255, e a signed exponent) becomes the nearest IEEE 754 binary32 or binary64, ties to
 * even, with gradual underflow (subnormals), overflow to infinity and the given sign.
 *
 * Notation, binary32 (binary64 in brackets): p = 24 [53] significand bits, bias 127 [1023].
 * n = bit length of m, so the value's leading bit has exponent e + n - 1 and its biased exponent is
 * b = e + n + 126 [e + n + 1022]. Below b = 1 the result is subnormal and has the fixed quantum
 * 2^-149 [2^-1074]; clamping b to 1 makes one formula cover both cases:
 *   shift = b - 150 - e   [b - 1075 - e]      (bits of m below the result's last place)
 *   q     = round-half-even(m / 2^shift)       (q < 2^p normal, < 2^(p-1) subnormal, may carry to 2^p)
 *   bits  = (b - 1) << (p - 1) + q            (the carry of q into 2^p lands in the exponent field:
 *                                              2^p - 1 rounding up to 2^p is the next binade, the largest
 *                                              subnormal rounding up is the smallest normal)
 *   bits >= the infinity pattern  ->  infinity.
 * Rounding: q = (m + 2^(shift-1) - 1 + lsb) >> shift with lsb = bit `shift` of m: it carries exactly
 * when the dropped bits exceed half, or equal half and q is odd. For shift >= 256 every EVM shift
 * gives 0 and so does q (m < 2^255 lies below half the smallest subnormal then), so no branch guards
 * tiny values. For shift <= 0 the value is exact: q = m << -shift.
 *
 * Callers that cannot keep every bit of their exact result (an addend far below the other, a
 * quotient or a square root) pass m with at least two bits below the result's half-ulp, with the
 * lowest bit set when anything nonzero was dropped ("sticky"). Rounding to nearest then sees the same
 * interval between grid points and midpoints as the exact value, so the result is the same.
 */
library Rounding {
    /// @dev m * 2^e rounded to binary32 with sign bit `sign` (0 or 1); requires 0 < m < 2^255. n is m's bit
    /// length when the caller knows it (its fast paths do), or 0 to have it computed.
    function round32(uint256 sign, uint256 m, int256 e, uint256 n) internal pure returns (uint32 r) {
        assembly ("memory-safe") {
            if iszero(n) { n := bitLength(m) }
            let b := add(add(e, n), 126)
            if slt(b, 1) { b := 1 }
            let shift := sub(sub(b, 150), e)
            let q
            switch sgt(shift, 0)
            case 1 {
                q := shr(shift, add(add(m, sub(shl(sub(shift, 1), 1), 1)), and(shr(shift, m), 1)))
            }
            default { q := shl(sub(0, shift), m) }
            let bits := add(shl(23, sub(b, 1)), q)
            if gt(bits, 0x7f7fffff) { bits := 0x7f800000 }
            r := or(bits, shl(31, sign))

            function bitLength(x) -> k {
                k := shl(7, lt(0xffffffffffffffffffffffffffffffff, x))
                k := or(k, shl(6, lt(0xffffffffffffffff, shr(k, x))))
                k := or(k, shl(5, lt(0xffffffff, shr(k, x))))
                k := or(k, shl(4, lt(0xffff, shr(k, x))))
                k := or(k, shl(3, lt(0xff, shr(k, x))))
                k := or(k, shl(2, lt(0xf, shr(k, x))))
                k := or(k, shl(1, lt(0x3, shr(k, x))))
                k := add(or(k, lt(0x1, shr(k, x))), 1)
            }
        }
    }

    /// @dev m * 2^e rounded to binary64, as {round32}.
    function round64(uint256 sign, uint256 m, int256 e, uint256 n) internal pure returns (uint64 r) {
        assembly ("memory-safe") {
            if iszero(n) { n := bitLength(m) }
            let b := add(add(e, n), 1022)
            if slt(b, 1) { b := 1 }
            let shift := sub(sub(b, 1075), e)
            let q
            switch sgt(shift, 0)
            case 1 {
                q := shr(shift, add(add(m, sub(shl(sub(shift, 1), 1), 1)), and(shr(shift, m), 1)))
            }
            default { q := shl(sub(0, shift), m) }
            let bits := add(shl(52, sub(b, 1)), q)
            if gt(bits, 0x7fefffffffffffff) { bits := 0x7ff0000000000000 }
            r := or(bits, shl(63, sign))

            function bitLength(x) -> k {
                k := shl(7, lt(0xffffffffffffffffffffffffffffffff, x))
                k := or(k, shl(6, lt(0xffffffffffffffff, shr(k, x))))
                k := or(k, shl(5, lt(0xffffffff, shr(k, x))))
                k := or(k, shl(4, lt(0xffff, shr(k, x))))
                k := or(k, shl(3, lt(0xff, shr(k, x))))
                k := or(k, shl(2, lt(0xf, shr(k, x))))
                k := or(k, shl(1, lt(0x3, shr(k, x))))
                k := add(or(k, lt(0x1, shr(k, x))), 1)
            }
        }
    }
}
