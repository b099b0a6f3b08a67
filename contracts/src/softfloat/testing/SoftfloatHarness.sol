// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Binary32} from "../Binary32.sol";
import {Binary64} from "../Binary64.sol";
import {CanonicalExp} from "../CanonicalExp.sol";

/**
 * @title SoftfloatHarness
 * @notice Test-only entry points to the softfloat libraries: one eth_call checks a whole batch of
 * vectors against expected results computed in Java, or measures the gas of each operation.
 * Deployed by chain's softfloat tests, never by the protocol.
 *
 * `vectors` is tightly packed big-endian: per vector its operands then the expected result, each
 * 4 bytes (a binary32 bit pattern) or 8 bytes (binary64). Layout by operation code:
 * <pre>
 *    0 ADD32          Binary32.add: in0:4 in1:4 out:4  (12 bytes)
 *    1 SUB32          Binary32.sub: in0:4 in1:4 out:4  (12 bytes)
 *    2 MUL32          Binary32.mul: in0:4 in1:4 out:4  (12 bytes)
 *    3 FMA32          Binary32.fma: in0:4 in1:4 in2:4 out:4  (16 bytes)
 *    4 DIV32          Binary32.div: in0:4 in1:4 out:4  (12 bytes)
 *    5 SQRT32         Binary32.sqrt: in0:4 out:4  (8 bytes)
 *    6 SOFTMAX_EXP32  CanonicalExp.softmaxExp: in0:4 out:4  (8 bytes)
 *    7 ADD64          Binary64.add: in0:8 in1:8 out:8  (24 bytes)
 *    8 SUB64          Binary64.sub: in0:8 in1:8 out:8  (24 bytes)
 *    9 MUL64          Binary64.mul: in0:8 in1:8 out:8  (24 bytes)
 *   10 EXP64          CanonicalExp.exp: in0:8 out:8  (16 bytes)
 *   11 TO64           Binary64.fromBinary32: in0:4 out:8  (12 bytes)
 *   12 TO32           Binary64.toBinary32: in0:8 out:4  (12 bytes)
 * </pre>
 * The per-operation loops are written out so that the measured span holds only the library call.
 */
contract SoftfloatHarness {
    uint256 public constant ADD32 = 0;
    uint256 public constant SUB32 = 1;
    uint256 public constant MUL32 = 2;
    uint256 public constant FMA32 = 3;
    uint256 public constant DIV32 = 4;
    uint256 public constant SQRT32 = 5;
    uint256 public constant SOFTMAX_EXP32 = 6;
    uint256 public constant ADD64 = 7;
    uint256 public constant SUB64 = 8;
    uint256 public constant MUL64 = 9;
    uint256 public constant EXP64 = 10;
    uint256 public constant TO64 = 11;
    uint256 public constant TO32 = 12;

    /// @dev the index returned when every vector matched
    uint256 public constant NONE = type(uint256).max;

    /// @notice `vectors`' length is not a whole number of vectors of the operation's size.
    error RaggedVectors(uint256 length, uint256 stride);
    /// @notice No operation has this code.
    error UnknownOperation(uint256 op);

    /**
     * @notice Runs operation `op` on every vector and returns the index of the first whose result
     * differs from its expected bits, with the bits the contract computed; (NONE, 0) if all match.
     */
    function check(uint256 op, bytes calldata vectors) external pure returns (uint256 index, uint256 bits) {
        if (op == ADD32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint32 r = Binary32.add(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == SUB32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint32 r = Binary32.sub(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == MUL32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint32 r = Binary32.mul(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == FMA32) {
            uint256 n = _count(vectors, 16);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 16;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 x2 = _u32(p + 8);
                uint32 want = _u32(p + 12);
                uint32 r = Binary32.fma(x0, x1, x2);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == DIV32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint32 r = Binary32.div(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == SQRT32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint32 r = Binary32.sqrt(x0);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == SOFTMAX_EXP32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint32 r = CanonicalExp.softmaxExp(x0);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == ADD64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint64 r = Binary64.add(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == SUB64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint64 r = Binary64.sub(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == MUL64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint64 r = Binary64.mul(x0, x1);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == EXP64) {
            uint256 n = _count(vectors, 16);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 16;
                uint64 x0 = _u64(p + 0);
                uint64 want = _u64(p + 8);
                uint64 r = CanonicalExp.exp(x0);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == TO64) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint64 want = _u64(p + 4);
                uint64 r = Binary64.fromBinary32(x0);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        if (op == TO32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint64 x0 = _u64(p + 0);
                uint32 want = _u32(p + 8);
                uint32 r = Binary64.toBinary32(x0);
                if (r != want) return (i, r);
            }
            return (NONE, 0);
        }
        revert UnknownOperation(op);
    }

    /**
     * @notice Gas of operation `op` on each vector, measured by gasleft() just around the library call
     * (so it includes about 10 gas of the measurement itself): the sum, the largest, and how many
     * results differed from the expected bits (which must be 0 for the figures to mean anything).
     */
    function gasOf(uint256 op, bytes calldata vectors)
        external
        view
        returns (uint256 total, uint256 most, uint256 mismatches)
    {
        if (op == ADD32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint256 g = gasleft();
                uint32 r = Binary32.add(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == SUB32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint256 g = gasleft();
                uint32 r = Binary32.sub(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == MUL32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint256 g = gasleft();
                uint32 r = Binary32.mul(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == FMA32) {
            uint256 n = _count(vectors, 16);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 16;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 x2 = _u32(p + 8);
                uint32 want = _u32(p + 12);
                uint256 g = gasleft();
                uint32 r = Binary32.fma(x0, x1, x2);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == DIV32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint32 x1 = _u32(p + 4);
                uint32 want = _u32(p + 8);
                uint256 g = gasleft();
                uint32 r = Binary32.div(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == SQRT32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint256 g = gasleft();
                uint32 r = Binary32.sqrt(x0);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == SOFTMAX_EXP32) {
            uint256 n = _count(vectors, 8);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 8;
                uint32 x0 = _u32(p + 0);
                uint32 want = _u32(p + 4);
                uint256 g = gasleft();
                uint32 r = CanonicalExp.softmaxExp(x0);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == ADD64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint256 g = gasleft();
                uint64 r = Binary64.add(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == SUB64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint256 g = gasleft();
                uint64 r = Binary64.sub(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == MUL64) {
            uint256 n = _count(vectors, 24);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 24;
                uint64 x0 = _u64(p + 0);
                uint64 x1 = _u64(p + 8);
                uint64 want = _u64(p + 16);
                uint256 g = gasleft();
                uint64 r = Binary64.mul(x0, x1);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == EXP64) {
            uint256 n = _count(vectors, 16);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 16;
                uint64 x0 = _u64(p + 0);
                uint64 want = _u64(p + 8);
                uint256 g = gasleft();
                uint64 r = CanonicalExp.exp(x0);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == TO64) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint32 x0 = _u32(p + 0);
                uint64 want = _u64(p + 4);
                uint256 g = gasleft();
                uint64 r = Binary64.fromBinary32(x0);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        if (op == TO32) {
            uint256 n = _count(vectors, 12);
            uint256 base = _base(vectors);
            for (uint256 i = 0; i < n; ++i) {
                uint256 p = base + i * 12;
                uint64 x0 = _u64(p + 0);
                uint32 want = _u32(p + 8);
                uint256 g = gasleft();
                uint32 r = Binary64.toBinary32(x0);
                g -= gasleft();
                total += g;
                if (g > most) most = g;
                if (r != want) ++mismatches;
            }
            return (total, most, mismatches);
        }
        revert UnknownOperation(op);
    }

    function _count(bytes calldata vectors, uint256 stride) private pure returns (uint256) {
        if (vectors.length % stride != 0) revert RaggedVectors(vectors.length, stride);
        return vectors.length / stride;
    }

    function _base(bytes calldata vectors) private pure returns (uint256 offset) {
        assembly ("memory-safe") {
            offset := vectors.offset
        }
    }

    function _u32(uint256 p) private pure returns (uint32 x) {
        assembly ("memory-safe") {
            x := shr(224, calldataload(p))
        }
    }

    function _u64(uint256 p) private pure returns (uint64 x) {
        assembly ("memory-safe") {
            x := shr(192, calldataload(p))
        }
    }
}
