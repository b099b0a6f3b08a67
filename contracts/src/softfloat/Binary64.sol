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
        uint256 sign;
        uint256 m;
        int256 e;
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
                    }
                    default {
                        ma := shl(d, ma)
                        e := sub(eb, 1075)
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
        if (!done) r = Rounding.round64(sign, m, e);
    }

    /// @notice a - b.
    function sub(uint64 a, uint64 b) internal pure returns (uint64) {
        return add(a, b ^ SIGN);
    }

    /// @notice a * b.
    function mul(uint64 a, uint64 b) internal pure returns (uint64 r) {
        uint256 sign;
        uint256 m;
        int256 e;
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
                    if iszero(ea) { ea := 1 }
                    if iszero(eb) { eb := 1 }
                    m := mul(ma, mb)
                    e := sub(add(ea, eb), 2150)
                }
            }
        }
        if (!done) r = Rounding.round64(sign, m, e);
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
        uint256 sign;
        uint256 m;
        int256 e;
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
                if iszero(ea) { ea := 1 }
                e := sub(ea, 1075)
            }
        }
        if (!done) r = Rounding.round32(sign, m, e);
    }
}
