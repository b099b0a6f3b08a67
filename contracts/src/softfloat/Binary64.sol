// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Rounding} from "./Rounding.sol";

/**
 * @title Binary64
 * @notice The IEEE 754 binary64 operations the engine's canonical functions use in double precision
 * (the exp of softmax, see {CanonicalExp}), on uint64 bit patterns: add, sub, mul and the conversions
 * to and from binary32. Same rules as {Binary32}: round to nearest even, subnormals, signed zeros,
 * infinities, and every NaN result is canonical (0x7ff8000000000000 here, 0x7fc00000 after conversion
 * to binary32). Decoding: E = bits 52..62, m = f | (E != 0) << 52, e = max(E, 1) - 1075.
 */
library Binary64 {
    uint64 internal constant NAN = 0x7ff8000000000000;
    uint64 internal constant SIGN = 0x8000000000000000;

    /// @notice a + b.
    function add(uint64 a, uint64 b) internal pure returns (uint64 r) {
        bool fast;
        assembly ("memory-safe") {
            a := and(a, 0xffffffffffffffff)
            b := and(b, 0xffffffffffffffff)
            let ea := and(shr(52, a), 0x7ff)
            let eb := and(shr(52, b), 0x7ff)
            // fast path: both normal, no cancellation, a normal result (as Binary32.add, with 53 bits)
            if and(lt(sub(ea, 1), 2046), lt(sub(eb, 1), 2046)) {
                let ma := or(and(a, 0xfffffffffffff), 0x10000000000000)
                let mb := or(and(b, 0xfffffffffffff), 0x10000000000000)
                let sa := shr(63, a)
                let same := eq(sa, shr(63, b))
                if lt(ea, eb) {
                    let t := ea
                    ea := eb
                    eb := t
                    t := ma
                    ma := mb
                    mb := t
                    sa := xor(sa, iszero(same))
                }
                let d := sub(ea, eb)
                let base := eb
                if gt(d, 64) {
                    mb := 1
                    d := 3
                    base := sub(ea, 3)
                }
                ma := shl(d, ma)
                let m
                let n
                switch same
                case 1 {
                    m := add(ma, mb)
                    n := add(add(53, d), shr(add(53, d), m))
                }
                default {
                    m := sub(ma, mb)
                    n := add(add(52, d), shr(add(52, d), m))
                }
                if or(same, gt(d, 1)) { r, fast := roundNormal(sa, m, base, n) }
            }

            // m * 2^(base - 1075) rounded to nearest even, when the result is a normal binary64 (n = m's bit
            // length, at least 54); ok = 0 sends the caller to the general path (subnormal or overflow)
            function roundNormal(sg, mm, bs, nn) -> bits, ok {
                let be := add(bs, sub(nn, 53))
                ok := and(sgt(be, 0), slt(be, 2047))
                let sh := sub(nn, 53)
                let q := shr(sh, add(add(mm, sub(shl(sub(sh, 1), 1), 1)), and(shr(sh, mm), 1)))
                bits := or(add(shl(52, sub(be, 1)), q), shl(63, sg))
            }
        }
        if (!fast) r = _add(a, b);
    }

    /// @dev a + b, every case (the fast path's fallback).
    function _add(uint64 a, uint64 b) private pure returns (uint64 r) {
        uint256 sign;
        uint256 m;
        int256 e;
        uint256 n;
        bool done;
        assembly ("memory-safe") {
            a := and(a, 0xffffffffffffffff)
            b := and(b, 0xffffffffffffffff)
            let ea := and(shr(52, a), 0x7ff)
            let eb := and(shr(52, b), 0x7ff)
            let aa := and(a, 0x7fffffffffffffff)
            let ab := and(b, 0x7fffffffffffffff)
            let sa := shr(63, a)
            let sb := shr(63, b)
            switch or(eq(ea, 0x7ff), eq(eb, 0x7ff))
            case 1 {
                done := 1
                switch or(
                    or(gt(aa, 0x7ff0000000000000), gt(ab, 0x7ff0000000000000)),
                    and(and(eq(aa, 0x7ff0000000000000), eq(ab, 0x7ff0000000000000)), xor(sa, sb))
                )
                case 1 { r := 0x7ff8000000000000 }
                default {
                    r := a
                    if eq(eb, 0x7ff) { r := b }
                }
            }
            default {
                let za := iszero(aa)
                let zb := iszero(ab)
                switch or(za, zb)
                case 1 {
                    done := 1
                    r := a
                    if za {
                        r := b
                        if zb { r := and(a, b) }
                    }
                }
                default {
                    // both normal: the leading bits are at 2^52 and the result's length is known but for
                    // a cancelling difference (n stays 0 then, and for subnormal operands)
                    let normal := and(iszero(iszero(ea)), iszero(iszero(eb)))
                    let ma := or(and(a, 0xfffffffffffff), shl(52, iszero(iszero(ea))))
                    let mb := or(and(b, 0xfffffffffffff), shl(52, iszero(iszero(eb))))
                    if iszero(ea) { ea := 1 }
                    if iszero(eb) { eb := 1 }
                    if lt(ea, eb) {
                        let t := ea
                        ea := eb
                        eb := t
                        t := ma
                        ma := mb
                        mb := t
                        t := sa
                        sa := sb
                        sb := t
                    }
                    // beyond 64 places the smaller operand lies below the larger's last place: sticky bit
                    let d := sub(ea, eb)
                    switch gt(d, 64)
                    case 1 {
                        ma := shl(3, ma)
                        mb := 1
                        e := sub(ea, 1078)
                        d := 3
                    }
                    default {
                        ma := shl(d, ma)
                        e := sub(eb, 1075)
                    }
                    switch eq(sa, sb)
                    case 1 {
                        m := add(ma, mb)
                        sign := sa
                        // the leading bit of ma is at 52 + d; a sum has it there or one higher
                        if normal { n := add(add(53, d), shr(add(53, d), m)) }
                    }
                    default {
                        // a difference, for d >= 2, there or one lower (mb < 2^53 <= 2^(51 + d))
                        if and(normal, gt(d, 1)) { n := add(add(52, d), shr(add(52, d), sub(ma, mb))) }
                        switch lt(ma, mb)
                        case 1 {
                            m := sub(mb, ma)
                            sign := sb
                        }
                        default {
                            m := sub(ma, mb)
                            sign := sa
                        }
                        if iszero(m) { done := 1 }
                    }
                }
            }
        }
        if (!done) r = Rounding.round64(sign, m, e, n);
    }

    /// @notice a - b.
    function sub(uint64 a, uint64 b) internal pure returns (uint64) {
        return add(a, b ^ SIGN);
    }

    /// @notice a * b.
    function mul(uint64 a, uint64 b) internal pure returns (uint64 r) {
        bool fast;
        assembly ("memory-safe") {
            a := and(a, 0xffffffffffffffff)
            b := and(b, 0xffffffffffffffff)
            let ea := and(shr(52, a), 0x7ff)
            let eb := and(shr(52, b), 0x7ff)
            // fast path: both normal, a normal result; the significands' product has 105 or 106 bits
            if and(lt(sub(ea, 1), 2046), lt(sub(eb, 1), 2046)) {
                let m := mul(or(and(a, 0xfffffffffffff), 0x10000000000000), or(and(b, 0xfffffffffffff), 0x10000000000000))
                r, fast := roundNormal(xor(shr(63, a), shr(63, b)), m, sub(add(ea, eb), 1075), add(105, shr(105, m)))
            }

            // m * 2^(base - 1075) rounded to nearest even, when the result is a normal binary64 (n = m's bit
            // length, at least 54); ok = 0 sends the caller to the general path (subnormal or overflow)
            function roundNormal(sg, mm, bs, nn) -> bits, ok {
                let be := add(bs, sub(nn, 53))
                ok := and(sgt(be, 0), slt(be, 2047))
                let sh := sub(nn, 53)
                let q := shr(sh, add(add(mm, sub(shl(sub(sh, 1), 1), 1)), and(shr(sh, mm), 1)))
                bits := or(add(shl(52, sub(be, 1)), q), shl(63, sg))
            }
        }
        if (!fast) r = _mul(a, b);
    }

    /// @dev a * b, every case.
    function _mul(uint64 a, uint64 b) private pure returns (uint64 r) {
        uint256 sign;
        uint256 m;
        int256 e;
        uint256 n;
        bool done;
        assembly ("memory-safe") {
            a := and(a, 0xffffffffffffffff)
            b := and(b, 0xffffffffffffffff)
            let ea := and(shr(52, a), 0x7ff)
            let eb := and(shr(52, b), 0x7ff)
            let aa := and(a, 0x7fffffffffffffff)
            let ab := and(b, 0x7fffffffffffffff)
            sign := xor(shr(63, a), shr(63, b))
            switch or(eq(ea, 0x7ff), eq(eb, 0x7ff))
            case 1 {
                done := 1
                r := or(0x7ff0000000000000, shl(63, sign))
                if or(or(gt(aa, 0x7ff0000000000000), gt(ab, 0x7ff0000000000000)), or(iszero(aa), iszero(ab))) {
                    r := 0x7ff8000000000000
                }
            }
            default {
                switch or(iszero(aa), iszero(ab))
                case 1 {
                    done := 1
                    r := shl(63, sign)
                }
                default {
                    let ma := or(and(a, 0xfffffffffffff), shl(52, iszero(iszero(ea))))
                    let mb := or(and(b, 0xfffffffffffff), shl(52, iszero(iszero(eb))))
                    // both normal: the product has 105 or 106 bits
                    if and(iszero(iszero(ea)), iszero(iszero(eb))) { n := 105 }
                    if iszero(ea) { ea := 1 }
                    if iszero(eb) { eb := 1 }
                    m := mul(ma, mb)
                    e := sub(add(ea, eb), 2150)
                    if n { n := add(105, shr(105, m)) }
                }
            }
        }
        if (!done) r = Rounding.round64(sign, m, e, n);
    }

    /// @notice a / b.
    function div(uint64 a, uint64 b) internal pure returns (uint64 r) {
        uint256 sign;
        uint256 m;
        int256 e;
        uint256 n;
        bool done;
        assembly ("memory-safe") {
            a := and(a, 0xffffffffffffffff)
            b := and(b, 0xffffffffffffffff)
            let ea := and(shr(52, a), 0x7ff)
            let eb := and(shr(52, b), 0x7ff)
            let aa := and(a, 0x7fffffffffffffff)
            let ab := and(b, 0x7fffffffffffffff)
            sign := xor(shr(63, a), shr(63, b))
            switch or(or(eq(ea, 0x7ff), eq(eb, 0x7ff)), or(iszero(aa), iszero(ab)))
            case 1 {
                done := 1
                switch or(
                    or(gt(aa, 0x7ff0000000000000), gt(ab, 0x7ff0000000000000)),
                    or(and(eq(aa, 0x7ff0000000000000), eq(ab, 0x7ff0000000000000)), and(iszero(aa), iszero(ab)))
                )
                case 1 { r := 0x7ff8000000000000 }
                default {
                    // inf / finite and finite / 0 are infinite; 0 / x and finite / inf are zero
                    r := shl(63, sign)
                    if or(eq(aa, 0x7ff0000000000000), iszero(ab)) { r := or(r, 0x7ff0000000000000) }
                }
            }
            default {
                // significands normalised to [2^52, 2^53): (ma << 55) / mb lies in (2^54, 2^56), so the
                // quotient, one more bit and a sticky bit for a nonzero remainder make 56 or 57 bits
                let ma := or(and(a, 0xfffffffffffff), 0x10000000000000)
                let mb := or(and(b, 0xfffffffffffff), 0x10000000000000)
                if iszero(ea) {
                    let k := sub(53, bitLength(aa))
                    ma := shl(k, aa)
                    ea := sub(1, k)
                }
                if iszero(eb) {
                    let k := sub(53, bitLength(ab))
                    mb := shl(k, ab)
                    eb := sub(1, k)
                }
                let num := shl(55, ma)
                m := or(shl(1, div(num, mb)), iszero(iszero(mod(num, mb))))
                e := sub(sub(ea, eb), 56)
                n := add(56, shr(56, m))
            }

            function bitLength(v) -> k {
                k := shl(5, lt(0xffffffff, v))
                k := or(k, shl(4, lt(0xffff, shr(k, v))))
                k := or(k, shl(3, lt(0xff, shr(k, v))))
                k := or(k, shl(2, lt(0xf, shr(k, v))))
                k := or(k, shl(1, lt(0x3, shr(k, v))))
                k := add(or(k, lt(0x1, shr(k, v))), 1)
            }
        }
        if (!done) r = Rounding.round64(sign, m, e, n);
    }

    /// @notice (int) a, Java's narrowing conversion: toward zero, NaN to 0, saturating at the int range.
    function toInt32(uint64 a) internal pure returns (int256 r) {
        assembly ("memory-safe") {
            a := and(a, 0xffffffffffffffff)
            let ea := and(shr(52, a), 0x7ff)
            let aa := and(a, 0x7fffffffffffffff)
            switch gt(aa, 0x7ff0000000000000)
            case 1 { r := 0 }
            default {
                switch lt(ea, 1023)
                case 1 { r := 0 } // |a| < 1
                default {
                    switch gt(ea, 1053) // |a| >= 2^31
                    case 1 { r := 0x80000000 }
                    default { r := shr(sub(1075, ea), or(and(a, 0xfffffffffffff), 0x10000000000000)) }
                    if shr(63, a) {
                        r := sub(0, r)
                    }
                    if eq(r, 0x80000000) { r := 0x7fffffff } // positive saturation
                }
            }
        }
    }

    /// @notice (double) k for |k| < 2^53: exact.
    function fromInt(int256 k) internal pure returns (uint64 r) {
        if (k == 0) return 0;
        uint256 sign = k < 0 ? 1 : 0;
        uint256 mag;
        unchecked {
            mag = k < 0 ? uint256(-k) : uint256(k);
        }
        r = Rounding.round64(sign, mag, 0, 0);
    }

    /// @notice (double) a: exact.
    function fromBinary32(uint32 a) internal pure returns (uint64 r) {
        assembly ("memory-safe") {
            a := and(a, 0xffffffff)
            let ea := and(shr(23, a), 0xff)
            let f := and(a, 0x7fffff)
            let s := shl(63, shr(31, a))
            switch ea
            case 0xff {
                r := or(s, 0x7ff0000000000000)
                if f { r := 0x7ff8000000000000 }
            }
            case 0 {
                r := s
                if f {
                    // subnormal: normalise f (below 2^23) to a leading bit at 2^52
                    let n := bitLength(f)
                    r := or(s, or(shl(52, add(n, 873)), and(shl(sub(53, n), f), 0xfffffffffffff)))
                }
            }
            default { r := or(s, or(shl(52, add(ea, 896)), shl(29, f))) }

            function bitLength(v) -> k {
                k := shl(4, lt(0xffff, v))
                k := or(k, shl(3, lt(0xff, shr(k, v))))
                k := or(k, shl(2, lt(0xf, shr(k, v))))
                k := or(k, shl(1, lt(0x3, shr(k, v))))
                k := add(or(k, lt(0x1, shr(k, v))), 1)
            }
        }
    }

    /// @notice (float) a: rounded to nearest even once, as Java's double-to-float conversion.
    function toBinary32(uint64 a) internal pure returns (uint32 r) {
        bool fast;
        assembly ("memory-safe") {
            a := and(a, 0xffffffffffffffff)
            let ea := and(shr(52, a), 0x7ff)
            // fast path: a normal binary32 result (biased exponent ea - 896 in 1..254, 253 before a carry)
            let be := sub(ea, 896)
            if lt(sub(be, 1), 253) {
                let m := or(and(a, 0xfffffffffffff), 0x10000000000000)
                let q := shr(29, add(add(m, 0xfffffff), and(shr(29, m), 1)))
                r := or(add(shl(23, sub(be, 1)), q), shl(31, shr(63, a)))
                fast := 1
            }
        }
        if (!fast) r = _toBinary32(a);
    }

    /// @dev (float) a, every case.
    function _toBinary32(uint64 a) private pure returns (uint32 r) {
        uint256 sign;
        uint256 m;
        int256 e;
        uint256 n;
        bool done;
        assembly ("memory-safe") {
            a := and(a, 0xffffffffffffffff)
            let ea := and(shr(52, a), 0x7ff)
            let aa := and(a, 0x7fffffffffffffff)
            sign := shr(63, a)
            switch or(eq(ea, 0x7ff), iszero(aa))
            case 1 {
                done := 1
                r := shl(31, sign)
                if ea { r := or(r, 0x7f800000) }
                if gt(aa, 0x7ff0000000000000) { r := 0x7fc00000 }
            }
            default {
                m := or(and(a, 0xfffffffffffff), shl(52, iszero(iszero(ea))))
                if ea { n := 53 }
                if iszero(ea) { ea := 1 }
                e := sub(ea, 1075)
            }
        }
        if (!done) r = Rounding.round32(sign, m, e, n);
    }
}
