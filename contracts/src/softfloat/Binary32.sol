// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Rounding} from "./Rounding.sol";

/**
 * @title Binary32
 * @notice IEEE 754 binary32 arithmetic on uint32 bit patterns, as Java computes it: add, sub, mul, fma
 * (one rounding), div and sqrt, rounded to nearest with ties to even, with subnormals, signed zeros
 * and infinities. The dispute game's referee re-executes one chunk of the engine's canonical kernels
 * with these (docs/DESIGN.md section 5).
 *
 * Results equal Java's `a + b`, `a - b`, `a * b`, `Math.fma(a, b, c)`, `a / b` and
 * `(float) Math.sqrt(a)` bit for bit, with one exception that is a choice: **every NaN result is the
 * canonical quiet NaN 0x7fc00000** (Java's `Float.floatToIntBits` of any NaN). Java only promises "a
 * NaN"; its payload and sign come from the CPU (x86 makes 0xffc00000 for 0/0, ARM 0x7fc00000) and
 * from which operand was a NaN, so no contract could match them everywhere. Parity is checked on
 * `Float.floatToIntBits`, and whatever hashes engine state for a dispute must canonicalise NaN too.
 * NaN inputs with any payload are accepted.
 *
 * Method: each operation decodes its operands to integers m * 2^e (m has no implicit bit for
 * subnormals), handles NaN, infinity and zero first, computes the finite result exactly (or with a
 * sticky bit where it cannot keep every bit, see {Rounding}) in a 256-bit word and rounds once.
 * Decoding: E = bits 23..30, f = bits 0..22; m = f | (E != 0) << 23; e = max(E, 1) - 150.
 */
library Binary32 {
    uint32 internal constant NAN = 0x7fc00000;
    uint32 internal constant POSITIVE_INFINITY = 0x7f800000;
    uint32 internal constant SIGN = 0x80000000;

    /// @notice a + b.
    function add(uint32 a, uint32 b) internal pure returns (uint32 r) {
        bool fast;
        assembly ("memory-safe") {
            a := and(a, 0xffffffff)
            b := and(b, 0xffffffff)
            let ea := and(shr(23, a), 0xff)
            let eb := and(shr(23, b), 0xff)
            // fast path: both operands normal, no cancellation, a normal result
            if and(lt(sub(ea, 1), 254), lt(sub(eb, 1), 254)) {
                let ma := or(and(a, 0x7fffff), 0x800000)
                let mb := or(and(b, 0x7fffff), 0x800000)
                let sa := shr(31, a)
                let same := eq(sa, shr(31, b))
                if lt(ea, eb) {
                    let t := ea
                    ea := eb
                    eb := t
                    t := ma
                    ma := mb
                    mb := t
                    sa := xor(sa, iszero(same))
                }
                // (ma, ea) has the larger exponent. Beyond 40 places the other lies wholly below its last
                // place and stands in as a sticky bit under three guard bits. The leading bit of ma is then
                // at 23 + d: a sum has it there or one higher, a difference (d >= 2: mb < 2^(22 + d)) there
                // or one lower.
                let d := sub(ea, eb)
                let base := eb
                if gt(d, 40) {
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
                    n := add(add(24, d), shr(add(24, d), m))
                }
                default {
                    m := sub(ma, mb)
                    n := add(add(23, d), shr(add(23, d), m))
                }
                if or(same, gt(d, 1)) { r, fast := roundNormal(sa, m, base, n) }
            }

            // m * 2^(base - 150) rounded to nearest even, when the result is a normal binary32 (n = m's bit
            // length, at least 25); ok = 0 sends the caller to the general path (subnormal or overflow)
            function roundNormal(sg, mm, bs, nn) -> bits, ok {
                let be := add(bs, sub(nn, 24))
                ok := and(sgt(be, 0), slt(be, 255))
                let sh := sub(nn, 24)
                let q := shr(sh, add(add(mm, sub(shl(sub(sh, 1), 1), 1)), and(shr(sh, mm), 1)))
                bits := or(add(shl(23, sub(be, 1)), q), shl(31, sg))
            }
        }
        if (!fast) r = _add(a, b);
    }

    /// @dev a + b, every case (the fast path's fallback).
    function _add(uint32 a, uint32 b) private pure returns (uint32 r) {
        uint256 sign;
        uint256 m;
        int256 e;
        uint256 n;
        bool done;
        assembly ("memory-safe") {
            a := and(a, 0xffffffff)
            b := and(b, 0xffffffff)
            let ea := and(shr(23, a), 0xff)
            let eb := and(shr(23, b), 0xff)
            let sa := shr(31, a)
            let sb := shr(31, b)
            switch and(lt(sub(ea, 1), 254), lt(sub(eb, 1), 254))
            case 1 {
                // fast path: both finite and normal, so both have their leading bit at 2^23
                let ma := or(and(a, 0x7fffff), 0x800000)
                let mb := or(and(b, 0x7fffff), 0x800000)
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
                // (ma, ea) has the larger exponent; beyond 40 places the other one lies wholly below its
                // last place, and stands in as a sticky bit under three guard bits
                let d := sub(ea, eb)
                switch gt(d, 40)
                case 1 {
                    ma := shl(3, ma)
                    mb := 1
                    e := sub(ea, 153)
                    d := 3
                }
                default {
                    ma := shl(d, ma)
                    e := sub(eb, 150)
                }
                sign := sa
                // the leading bit of ma is at 23 + d: a sum has it there or one higher; a difference, for
                // d >= 2, there or one lower (mb < 2^24 <= 2^(22 + d)); for d <= 1 it can cancel to anything
                switch eq(sa, sb)
                case 1 {
                    m := add(ma, mb)
                    n := add(add(24, d), shr(add(24, d), m))
                }
                default {
                    switch gt(d, 1)
                    case 1 {
                        m := sub(ma, mb)
                        n := add(add(23, d), shr(add(23, d), m))
                    }
                    default {
                        switch lt(ma, mb)
                        case 1 {
                            m := sub(mb, ma)
                            sign := sb
                        }
                        default { m := sub(ma, mb) }
                        // an exact zero difference is +0 under round to nearest
                        if iszero(m) { done := 1 }
                    }
                }
            }
            default {
                switch or(eq(ea, 0xff), eq(eb, 0xff))
                case 1 {
                    done := 1
                    // a NaN operand, or infinities of opposite signs
                    switch or(
                        or(gt(and(a, 0x7fffffff), 0x7f800000), gt(and(b, 0x7fffffff), 0x7f800000)),
                        and(and(eq(and(a, 0x7fffffff), 0x7f800000), eq(and(b, 0x7fffffff), 0x7f800000)), xor(sa, sb))
                    )
                    case 1 { r := 0x7fc00000 }
                    default {
                        r := a
                        if eq(eb, 0xff) { r := b }
                    }
                }
                default {
                    let za := iszero(and(a, 0x7fffffff))
                    let zb := iszero(and(b, 0x7fffffff))
                    switch or(za, zb)
                    case 1 {
                        // x + 0 = x exactly; (-0) + (-0) = -0, any other sum of zeros is +0
                        done := 1
                        r := a
                        if za {
                            r := b
                            if zb { r := and(a, b) }
                        }
                    }
                    default {
                        // a subnormal operand: no implicit bit, exponent 1; then as above, but the
                        // difference of the aligned operands can have any length (n = 0: Rounding finds it)
                        let ma := or(and(a, 0x7fffff), shl(23, iszero(iszero(ea))))
                        let mb := or(and(b, 0x7fffff), shl(23, iszero(iszero(eb))))
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
                        let d := sub(ea, eb)
                        switch gt(d, 40)
                        case 1 {
                            ma := shl(3, ma)
                            mb := 1
                            e := sub(ea, 153)
                        }
                        default {
                            ma := shl(d, ma)
                            e := sub(eb, 150)
                        }
                        switch eq(sa, sb)
                        case 1 {
                            m := add(ma, mb)
                            sign := sa
                        }
                        default {
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
        }
        if (!done) r = Rounding.round32(sign, m, e, n);
    }

    /// @notice a - b.
    function sub(uint32 a, uint32 b) internal pure returns (uint32) {
        return add(a, b ^ SIGN);
    }

    /// @notice a * b.
    function mul(uint32 a, uint32 b) internal pure returns (uint32 r) {
        bool fast;
        assembly ("memory-safe") {
            a := and(a, 0xffffffff)
            b := and(b, 0xffffffff)
            let ea := and(shr(23, a), 0xff)
            let eb := and(shr(23, b), 0xff)
            // fast path: both normal, a normal result; the product of the significands has 47 or 48 bits
            if and(lt(sub(ea, 1), 254), lt(sub(eb, 1), 254)) {
                let m := mul(or(and(a, 0x7fffff), 0x800000), or(and(b, 0x7fffff), 0x800000))
                r, fast := roundNormal(xor(shr(31, a), shr(31, b)), m, sub(add(ea, eb), 150), add(47, shr(47, m)))
            }

            // m * 2^(base - 150) rounded to nearest even, when the result is a normal binary32 (n = m's bit
            // length, at least 25); ok = 0 sends the caller to the general path (subnormal or overflow)
            function roundNormal(sg, mm, bs, nn) -> bits, ok {
                let be := add(bs, sub(nn, 24))
                ok := and(sgt(be, 0), slt(be, 255))
                let sh := sub(nn, 24)
                let q := shr(sh, add(add(mm, sub(shl(sub(sh, 1), 1), 1)), and(shr(sh, mm), 1)))
                bits := or(add(shl(23, sub(be, 1)), q), shl(31, sg))
            }
        }
        if (!fast) r = _mul(a, b);
    }

    /// @dev a * b, every case.
    function _mul(uint32 a, uint32 b) private pure returns (uint32 r) {
        uint256 sign;
        uint256 m;
        int256 e;
        uint256 n;
        bool done;
        assembly ("memory-safe") {
            a := and(a, 0xffffffff)
            b := and(b, 0xffffffff)
            let ea := and(shr(23, a), 0xff)
            let eb := and(shr(23, b), 0xff)
            let aa := and(a, 0x7fffffff)
            let ab := and(b, 0x7fffffff)
            sign := xor(shr(31, a), shr(31, b))
            switch or(eq(ea, 0xff), eq(eb, 0xff))
            case 1 {
                done := 1
                r := or(0x7f800000, shl(31, sign))
                // a NaN operand, or infinity times zero
                if or(or(gt(aa, 0x7f800000), gt(ab, 0x7f800000)), or(iszero(aa), iszero(ab))) { r := 0x7fc00000 }
            }
            default {
                switch or(iszero(aa), iszero(ab))
                case 1 {
                    done := 1
                    r := shl(31, sign)
                }
                default {
                    // significands normalised to [2^23, 2^24): the product has 47 or 48 bits
                    let ma := or(and(a, 0x7fffff), 0x800000)
                    let mb := or(and(b, 0x7fffff), 0x800000)
                    if iszero(ea) {
                        let k := sub(24, bitLength(aa))
                        ma := shl(k, aa)
                        ea := sub(1, k)
                    }
                    if iszero(eb) {
                        let k := sub(24, bitLength(ab))
                        mb := shl(k, ab)
                        eb := sub(1, k)
                    }
                    m := mul(ma, mb)
                    e := sub(add(ea, eb), 300)
                    n := add(47, shr(47, m))
                }
            }

            function bitLength(v) -> k {
                k := shl(4, lt(0xffff, v))
                k := or(k, shl(3, lt(0xff, shr(k, v))))
                k := or(k, shl(2, lt(0xf, shr(k, v))))
                k := or(k, shl(1, lt(0x3, shr(k, v))))
                k := add(or(k, lt(0x1, shr(k, v))), 1)
            }
        }
        if (!done) r = Rounding.round32(sign, m, e, n);
    }

    /// @notice a * b + c with one rounding (Java's Math.fma(float, float, float)).
    function fma(uint32 a, uint32 b, uint32 c) internal pure returns (uint32 r) {
        bool fast;
        assembly ("memory-safe") {
            a := and(a, 0xffffffff)
            b := and(b, 0xffffffff)
            c := and(c, 0xffffffff)
            let ea := and(shr(23, a), 0xff)
            let eb := and(shr(23, b), 0xff)
            let ec := and(shr(23, c), 0xff)
            // fast path: all three normal, the exponents of p = a * b and c within 150 places, no
            // cancellation (same signs, or leading bits two or more places apart), a normal result
            if and(and(lt(sub(ea, 1), 254), lt(sub(eb, 1), 254)), lt(sub(ec, 1), 254)) {
                let mp := mul(or(and(a, 0x7fffff), 0x800000), or(and(b, 0x7fffff), 0x800000))
                let mc := or(and(c, 0x7fffff), 0x800000)
                let sp := xor(shr(31, a), shr(31, b))
                let sc := shr(31, c)
                let ep := sub(add(ea, eb), 300) // last-place exponents
                ec := sub(ec, 150)
                let lp := add(add(ep, 46), shr(47, mp)) // leading-bit exponents
                let lc := add(ec, 23)
                let d := sub(ep, ec)
                if slt(d, 151) {
                    if sgt(d, sub(0, 151)) {
                        // align both to the lower last place; the larger operand (by leading bit) is (m1, s1)
                        let base := ec
                        switch sgt(d, 0)
                        case 1 { mp := shl(d, mp) }
                        default {
                            mc := shl(sub(0, d), mc)
                            base := ep
                        }
                        let m1 := mp
                        let s1 := sp
                        let m2 := mc
                        let l := lp
                        let gap := sub(lp, lc)
                        if slt(lp, lc) {
                            m1 := mc
                            s1 := sc
                            m2 := mp
                            l := lc
                            gap := sub(0, gap)
                        }
                        let top := add(sub(l, base), 1) // the larger operand's bit length
                        let m
                        let n
                        switch eq(sp, sc)
                        case 1 {
                            m := add(m1, m2)
                            n := add(top, shr(top, m))
                        }
                        default {
                            m := sub(m1, m2)
                            n := add(sub(top, 1), shr(sub(top, 1), m))
                        }
                        if or(eq(sp, sc), sgt(gap, 1)) { r, fast := roundNormal(s1, m, add(base, 150), n) }
                    }
                }
            }

            // m * 2^(base - 150) rounded to nearest even, when the result is a normal binary32 (n = m's bit
            // length, at least 25); ok = 0 sends the caller to the general path (subnormal or overflow)
            function roundNormal(sg, mm, bs, nn) -> bits, ok {
                let be := add(bs, sub(nn, 24))
                ok := and(sgt(be, 0), slt(be, 255))
                let sh := sub(nn, 24)
                let q := shr(sh, add(add(mm, sub(shl(sub(sh, 1), 1), 1)), and(shr(sh, mm), 1)))
                bits := or(add(shl(23, sub(be, 1)), q), shl(31, sg))
            }
        }
        if (!fast) r = _fma(a, b, c);
    }

    /// @dev a * b + c, every case.
    function _fma(uint32 a, uint32 b, uint32 c) private pure returns (uint32 r) {
        uint256 sign;
        uint256 m;
        int256 e;
        bool done;
        assembly ("memory-safe") {
            a := and(a, 0xffffffff)
            b := and(b, 0xffffffff)
            c := and(c, 0xffffffff)
            let ea := and(shr(23, a), 0xff)
            let eb := and(shr(23, b), 0xff)
            let ec := and(shr(23, c), 0xff)
            let aa := and(a, 0x7fffffff)
            let ab := and(b, 0x7fffffff)
            let ac := and(c, 0x7fffffff)
            let sp := xor(shr(31, a), shr(31, b))
            let sc := shr(31, c)
            switch or(or(eq(ea, 0xff), eq(eb, 0xff)), eq(ec, 0xff))
            case 1 {
                done := 1
                switch or(or(gt(aa, 0x7f800000), gt(ab, 0x7f800000)), gt(ac, 0x7f800000))
                case 1 { r := 0x7fc00000 }
                default {
                    switch or(eq(ea, 0xff), eq(eb, 0xff))
                    case 1 {
                        // the product is infinite, unless it is infinity times zero
                        r := or(0x7f800000, shl(31, sp))
                        if or(or(iszero(aa), iszero(ab)), and(eq(ac, 0x7f800000), xor(sp, sc))) { r := 0x7fc00000 }
                    }
                    default { r := c }
                }
            }
            default {
                switch or(iszero(aa), iszero(ab))
                case 1 {
                    // an exact zero product: (+-0) + c
                    done := 1
                    r := c
                    if iszero(ac) { r := shl(31, and(sp, sc)) }
                }
                default {
                    let ma := or(and(a, 0x7fffff), shl(23, iszero(iszero(ea))))
                    let mb := or(and(b, 0x7fffff), shl(23, iszero(iszero(eb))))
                    if iszero(ea) { ea := 1 }
                    if iszero(eb) { eb := 1 }
                    let mp := mul(ma, mb)
                    let ep := sub(add(ea, eb), 300)
                    switch iszero(ac)
                    case 1 {
                        // p + (+-0) = p, exactly; p is nonzero
                        m := mp
                        e := ep
                        sign := sp
                    }
                    default {
                        let mc := or(and(c, 0x7fffff), shl(23, iszero(iszero(ec))))
                        if iszero(ec) { ec := 1 }
                        ec := sub(ec, 150)
                        // (m1, s1) is the operand with the larger last-place exponent, aligned to the other
                        let m1 := mp
                        let s1 := sp
                        let m2 := mc
                        let s2 := sc
                        let d := sub(ep, ec)
                        if slt(d, 0) {
                            m1 := mc
                            s1 := sc
                            m2 := mp
                            s2 := sp
                            d := sub(0, d)
                            let t := ep
                            ep := ec
                            ec := t
                        }
                        // now ep = the larger last-place exponent, ec = the smaller, d = ep - ec >= 0.
                        // Beyond 150 places the smaller operand (at most 48 bits) lies below the larger's
                        // last place and the larger has a leading bit at 2^23 or above (a subnormal
                        // cannot have the larger exponent that far up): a sticky bit under 3 guard bits.
                        switch gt(d, 150)
                        case 1 {
                            m1 := shl(3, m1)
                            m2 := 1
                            e := sub(ep, 3)
                        }
                        default {
                            m1 := shl(d, m1)
                            e := ec
                        }
                        switch eq(s1, s2)
                        case 1 {
                            m := add(m1, m2)
                            sign := s1
                        }
                        default {
                            switch lt(m1, m2)
                            case 1 {
                                m := sub(m2, m1)
                                sign := s2
                            }
                            default {
                                m := sub(m1, m2)
                                sign := s1
                            }
                            if iszero(m) {
                                done := 1
                                r := 0
                            }
                        }
                    }
                }
            }
        }
        if (!done) r = Rounding.round32(sign, m, e, 0);
    }

    /// @notice a / b.
    function div(uint32 a, uint32 b) internal pure returns (uint32 r) {
        bool fast;
        assembly ("memory-safe") {
            a := and(a, 0xffffffff)
            b := and(b, 0xffffffff)
            let ea := and(shr(23, a), 0xff)
            let eb := and(shr(23, b), 0xff)
            // fast path: both normal, a normal result. (ma << 26) / mb lies in (2^25, 2^27): the quotient,
            // one more bit and a sticky bit for a nonzero remainder make 27 or 28 bits
            if and(lt(sub(ea, 1), 254), lt(sub(eb, 1), 254)) {
                let num := shl(26, or(and(a, 0x7fffff), 0x800000))
                let mb := or(and(b, 0x7fffff), 0x800000)
                let m := or(shl(1, div(num, mb)), iszero(iszero(mod(num, mb))))
                r, fast := roundNormal(xor(shr(31, a), shr(31, b)), m, add(sub(ea, eb), 123), add(27, shr(27, m)))
            }

            // m * 2^(base - 150) rounded to nearest even, when the result is a normal binary32 (n = m's bit
            // length, at least 25); ok = 0 sends the caller to the general path (subnormal or overflow)
            function roundNormal(sg, mm, bs, nn) -> bits, ok {
                let be := add(bs, sub(nn, 24))
                ok := and(sgt(be, 0), slt(be, 255))
                let sh := sub(nn, 24)
                let q := shr(sh, add(add(mm, sub(shl(sub(sh, 1), 1), 1)), and(shr(sh, mm), 1)))
                bits := or(add(shl(23, sub(be, 1)), q), shl(31, sg))
            }
        }
        if (!fast) r = _div(a, b);
    }

    /// @dev a / b, every case.
    function _div(uint32 a, uint32 b) private pure returns (uint32 r) {
        uint256 sign;
        uint256 m;
        int256 e;
        uint256 n;
        bool done;
        assembly ("memory-safe") {
            a := and(a, 0xffffffff)
            b := and(b, 0xffffffff)
            let ea := and(shr(23, a), 0xff)
            let eb := and(shr(23, b), 0xff)
            let aa := and(a, 0x7fffffff)
            let ab := and(b, 0x7fffffff)
            sign := xor(shr(31, a), shr(31, b))
            switch or(or(eq(ea, 0xff), eq(eb, 0xff)), or(iszero(aa), iszero(ab)))
            case 1 {
                done := 1
                switch or(
                    or(gt(aa, 0x7f800000), gt(ab, 0x7f800000)),
                    or(and(eq(aa, 0x7f800000), eq(ab, 0x7f800000)), and(iszero(aa), iszero(ab)))
                )
                case 1 { r := 0x7fc00000 }
                default {
                    // inf / finite and finite / 0 are infinite; 0 / x and finite / inf are zero
                    r := shl(31, sign)
                    if or(eq(aa, 0x7f800000), iszero(ab)) { r := or(r, 0x7f800000) }
                }
            }
            default {
                // significands normalised to [2^23, 2^24): (ma << 26) / mb lies in (2^25, 2^27), so
                // m = quotient, one more bit, and a sticky bit for a nonzero remainder has 27 or 28 bits
                let ma := or(and(a, 0x7fffff), 0x800000)
                let mb := or(and(b, 0x7fffff), 0x800000)
                if iszero(ea) {
                    let k := sub(24, bitLength(aa))
                    ma := shl(k, aa)
                    ea := sub(1, k)
                }
                if iszero(eb) {
                    let k := sub(24, bitLength(ab))
                    mb := shl(k, ab)
                    eb := sub(1, k)
                }
                let num := shl(26, ma)
                m := or(shl(1, div(num, mb)), iszero(iszero(mod(num, mb))))
                e := sub(sub(ea, eb), 27)
                n := add(27, shr(27, m))
            }

            function bitLength(v) -> k {
                k := shl(4, lt(0xffff, v))
                k := or(k, shl(3, lt(0xff, shr(k, v))))
                k := or(k, shl(2, lt(0xf, shr(k, v))))
                k := or(k, shl(1, lt(0x3, shr(k, v))))
                k := add(or(k, lt(0x1, shr(k, v))), 1)
            }
        }
        if (!done) r = Rounding.round32(sign, m, e, n);
    }

    /// @notice The square root of a, correctly rounded (Java's (float) Math.sqrt(a)); sqrt(-0) = -0.
    function sqrt(uint32 a) internal pure returns (uint32 r) {
        uint256 m;
        int256 e;
        uint256 n;
        bool done;
        assembly ("memory-safe") {
            a := and(a, 0xffffffff)
            let ea := and(shr(23, a), 0xff)
            let aa := and(a, 0x7fffffff)
            switch or(or(eq(ea, 0xff), iszero(aa)), shr(31, a))
            case 1 {
                done := 1
                // NaN stays NaN; +-0 and +inf are their own roots; any other negative has none
                r := a
                if or(gt(aa, 0x7f800000), and(shr(31, a), iszero(iszero(aa)))) { r := 0x7fc00000 }
            }
            default {
                // significand normalised to [2^23, 2^24), then doubled if needed to make the exponent even
                let ma := or(and(a, 0x7fffff), 0x800000)
                if iszero(ea) {
                    let k := sub(24, bitLength(aa))
                    ma := shl(k, aa)
                    ea := sub(1, k)
                }
                let ex := sub(ea, 150)
                if and(ex, 1) {
                    ma := shl(1, ma)
                    ex := sub(ex, 1)
                }
                // s = isqrt(ma << 52), ma << 52 in [2^75, 2^77): s in [2^37, 2^39). Newton's iteration from
                // x0 = 2^39 >= sqrt (x0 / sqrt < 2^1.5): relative errors 1.83, 0.59, 0.11, 5.5e-3, 1.5e-5,
                // 1.1e-10, 6e-21, so 6 steps land on s or s + 1 (integer Newton from above never drops
                // below s); the last line takes the floor
                let num := shl(52, ma)
                let x := 0x8000000000
                x := shr(1, add(x, div(num, x)))
                x := shr(1, add(x, div(num, x)))
                x := shr(1, add(x, div(num, x)))
                x := shr(1, add(x, div(num, x)))
                x := shr(1, add(x, div(num, x)))
                x := shr(1, add(x, div(num, x)))
                if gt(mul(x, x), num) { x := sub(x, 1) }
                // the root, one more bit, and a sticky bit for a nonzero remainder: 39 or 40 bits
                m := or(shl(1, x), iszero(eq(mul(x, x), num)))
                e := sub(sar(1, ex), 27)
                n := add(39, shr(39, m))
                // a root is always normal (sqrt(2^-149) = 2^-74.5)
                r, done := roundNormal(0, m, add(e, 150), n)
            }

            // m * 2^(base - 150) rounded to nearest even, when the result is a normal binary32 (n = m's bit
            // length, at least 25); ok = 0 sends the caller to the general path (subnormal or overflow)
            function roundNormal(sg, mm, bs, nn) -> bits, ok {
                let be := add(bs, sub(nn, 24))
                ok := and(sgt(be, 0), slt(be, 255))
                let sh := sub(nn, 24)
                let q := shr(sh, add(add(mm, sub(shl(sub(sh, 1), 1), 1)), and(shr(sh, mm), 1)))
                bits := or(add(shl(23, sub(be, 1)), q), shl(31, sg))
            }

            function bitLength(v) -> k {
                k := shl(4, lt(0xffff, v))
                k := or(k, shl(3, lt(0xff, shr(k, v))))
                k := or(k, shl(2, lt(0xf, shr(k, v))))
                k := or(k, shl(1, lt(0x3, shr(k, v))))
                k := add(or(k, lt(0x1, shr(k, v))), 1)
            }
        }
        if (!done) r = Rounding.round32(0, m, e, n);
    }
}
