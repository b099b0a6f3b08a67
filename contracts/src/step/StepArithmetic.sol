// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Binary32} from "../softfloat/Binary32.sol";
import {CanonicalExp} from "../softfloat/CanonicalExp.sol";
import {Rounding} from "../softfloat/Rounding.sol";
import {Silu} from "../softfloat/Silu.sol";

/**
 * @title StepArithmetic
 * @notice The scalar formulas of step program v1 on binary32 bit patterns, each one the Java engine's own
 * sequence of binary32 operations (see {IStepReferee} for which kernel each mirrors). {StepReferee} exposes them
 * with the chunk loops; they are `internal`, so a contract that uses them carries their code.
 */
library StepArithmetic {
    uint32 internal constant ONE = 0x3f800000;
    uint32 internal constant NEGATIVE_INFINITY = 0xff800000;

    /// @notice Java's `a > b` on floats: false when either is NaN, and +0 and -0 are equal.
    function gt(uint32 a, uint32 b) internal pure returns (bool) {
        if ((a & 0x7fffffff) > 0x7f800000 || (b & 0x7fffffff) > 0x7f800000) return false;
        if ((a | b) & 0x7fffffff == 0) return false;
        bool na = a >> 31 != 0;
        bool nb = b >> 31 != 0;
        if (na != nb) return nb;
        return na ? a < b : a > b;
    }

    /// @notice Java's `(float) n` for an integer n >= 0 (exact below 2^24, rounded to nearest even above).
    function fromUint(uint256 n) internal pure returns (uint32) {
        if (n == 0) return 0;
        return Rounding.round32(0, n, 0, 0);
    }

    /// @notice Java's `(float) q` for a signed byte q (two's complement in the low 8 bits): exact.
    function fromInt8(uint256 byteValue) internal pure returns (uint32) {
        byteValue &= 0xff;
        if (byteValue == 0) return 0;
        if (byteValue < 0x80) return Rounding.round32(0, byteValue, 0, 0);
        return Rounding.round32(1, 0x100 - byteValue, 0, 0);
    }

    /// @notice Float.float16ToFloat on an IEEE binary16 bit pattern: exact; NaN becomes the canonical NaN.
    function fromFloat16(uint256 h) internal pure returns (uint32) {
        h &= 0xffff;
        uint256 sign = h >> 15;
        uint256 e = (h >> 10) & 0x1f;
        uint256 f = h & 0x3ff;
        if (e == 0x1f) return f == 0 ? uint32((sign << 31) | 0x7f800000) : Binary32.NAN;
        if (e == 0) {
            if (f == 0) return uint32(sign << 31);
            return Rounding.round32(sign, f, -24, 0);
        }
        return uint32((sign << 31) | ((e + 112) << 23) | (f << 13));
    }

    /// @notice Dot.combine: (((s0+s1)+(s2+s3))+((s4+s5)+(s6+s7))) + (((s8+s9)+(s10+s11))+((s12+s13)+(s14+s15))).
    function combine16(uint32[16] memory s) internal pure returns (uint32) {
        uint32 a = Binary32.add(
            Binary32.add(Binary32.add(s[0], s[1]), Binary32.add(s[2], s[3])),
            Binary32.add(Binary32.add(s[4], s[5]), Binary32.add(s[6], s[7]))
        );
        uint32 b = Binary32.add(
            Binary32.add(Binary32.add(s[8], s[9]), Binary32.add(s[10], s[11])),
            Binary32.add(Binary32.add(s[12], s[13]), Binary32.add(s[14], s[15]))
        );
        return Binary32.add(a, b);
    }

    /// @notice RmsNorm: 1.0f / (float) Math.sqrt(ss / n + eps).
    function rmsInv(uint32 ss, uint256 n, uint32 eps) internal pure returns (uint32) {
        return Binary32.div(ONE, Binary32.sqrt(Binary32.add(Binary32.div(ss, fromUint(n)), eps)));
    }

    /// @notice RmsNorm: (x * inv) * w.
    function rmsScale(uint32 x, uint32 inv, uint32 w) internal pure returns (uint32) {
        return Binary32.mul(Binary32.mul(x, inv), w);
    }

    /// @notice Rope: a' = a*c - b*s, b' = a*s + b*c, each product rounded.
    function ropePair(uint32 a, uint32 b, uint32 c, uint32 s) internal pure returns (uint32, uint32) {
        return (
            Binary32.sub(Binary32.mul(a, c), Binary32.mul(b, s)),
            Binary32.add(Binary32.mul(a, s), Binary32.mul(b, c))
        );
    }

    /// @notice Softmax: exp(s - m), or +0 when m is -Infinity (Softmax's all-masked rule).
    function softmaxExp(uint32 s, uint32 m) internal pure returns (uint32) {
        if (m == NEGATIVE_INFINITY) return 0;
        return CanonicalExp.softmaxExp(Binary32.sub(s, m));
    }

    /// @notice Softmax: e / sum, or +0 when m is -Infinity.
    function softmaxProb(uint32 e, uint32 sum, uint32 m) internal pure returns (uint32) {
        if (m == NEGATIVE_INFINITY) return 0;
        return Binary32.div(e, sum);
    }

    /// @notice LlamaState's FFN activation: Silu.apply(g) * u.
    function siluMul(uint32 g, uint32 u) internal pure returns (uint32) {
        return Binary32.mul(Silu.silu(g), u);
    }
}
