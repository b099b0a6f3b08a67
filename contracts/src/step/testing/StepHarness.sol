// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {IStepReferee} from "../IStepReferee.sol";
import {StepCodec} from "../StepCodec.sol";

/**
 * @title StepHarness
 * @notice Test-only batch driver of a deployed {StepReferee}, used by node's StepRefereeParityTest and never by the
 * protocol: one eth_call runs a whole batch of vectors through the referee's external functions (the very calls a
 * dispute game makes) and returns the first whose result differs from the expected bits computed by the Java
 * engine's kernels, or measures the gas of each vector's referee calls.
 *
 * Vector layout: tightly packed; every float is 4 bytes little-endian (canonical, as the referee reads chunks); a
 * count `n` is 2 bytes little-endian. Per operation (operands, then the expected result):
 * <pre>
 *   0 DOT_ACTS     n, a[n], b[n], want            chunks of 32 through dotChunkActs from S_0, then combine16
 *   1 DOT_F32      n, a[n], w[n], want            the same through dotChunkF32
 *   2 DOT_Q8_0     n (blocks), x[32n], blocks (34 bytes each), want     dotChunkQ8_0 per block, combine16
 *   3 SUM          n, e[n], want                  sumChunk per 32, combine16
 *   4 MAX          n, s[n], want                  maxChunk per 32 from -Infinity
 *   5 WSUM         n, prob[n], v[n], want         weightedSumChunk per 8 positions from +0
 *   6 DOT_BIAS     n, a[n], w[n], bias, want      dotChunkF32 chunks, finish(op 2, hasBias, bias)
 *   7 SCORE        n, q[n], k[n], scale, want     dotChunkActs chunks, finish(op 7, attnScale = scale)
 *   8 SOFTMAX      n, x[n], want[n]               the att ops: maxChunk, softmaxExp, sumChunk, finish(10), softmaxProb
 *   9 RMSNORM      n, eps, x[n], w[n], want[n]    dotChunkActs (x.x), finish(0), rmsInv(ss, n, eps), rmsScale
 *  10 RMS_INV      ss, n (4 bytes LE), eps, want
 *  11 RMS_SCALE    x, inv, w, want
 *  12 ADD          a, b, want
 *  13 ROPE         a, b, c, s, want a', want b'
 *  14 SOFTMAX_EXP  s, m, want
 *  15 SOFTMAX_PROB e, sum, m, want
 *  16 DIV          a, b, want
 *  17 SILU_MUL     g, u, want
 *  18 DEQ_F32      raw 4 bytes, want
 *  19 DEQ_Q8_0     block (34 bytes), j (1 byte), want
 *  20 DOT_Q4_0     n (blocks), x[32n], blocks (18 bytes each), want     dotChunkQ4_0 per block, combine16
 *  21 DOT_Q4_K     n (super-blocks), x[256n], super-blocks (144 bytes each), want
 *                                                 dotChunkQ4_K per sub-block (8 per super-block), combine16
 *  22 DOT_Q6_K     n, x[256n], super-blocks (210 bytes each), want      the same through dotChunkQ6_K
 *  23 DEQ_CHUNK    ggml type (1 byte), sub (1 byte), block (34, 18, 144 or 210 bytes by type), want[32]
 *                                                 dequantChunk
 * </pre>
 * For a mismatch, `bits` is the computed float (ROPE: a' << 32 | b'; SOFTMAX, RMSNORM, DEQ_CHUNK: element << 32 |
 * value).
 */
contract StepHarness {
    uint256 public constant NONE = type(uint256).max;

    IStepReferee public immutable referee;

    /// @notice This harness has no operation with this code.
    error UnknownOperation(uint256 op);
    /// @notice The vectors end inside a vector (or a count runs past the end).
    error RaggedVectors(uint256 index, uint256 offset, uint256 length);

    constructor(IStepReferee referee_) {
        referee = referee_;
    }

    /// @notice Runs op on every vector; the index of the first whose result differs with the computed bits, or
    /// (NONE, 0) when all match.
    function check(uint256 op, bytes calldata vectors) external view returns (uint256 index, uint256 bits) {
        uint256 p = 0;
        for (uint256 i = 0; p < vectors.length; ++i) {
            (uint256 next, bool ok, uint256 got,) = _run(op, vectors, p, i);
            if (!ok) return (i, got);
            p = next;
        }
        return (NONE, 0);
    }

    /// @notice Gas of each vector's referee calls (external calls included, as a game pays them): the sum, the
    /// largest, the vector count, and how many results differed (0 for the figures to mean anything).
    function gasOf(uint256 op, bytes calldata vectors)
        external
        view
        returns (uint256 total, uint256 most, uint256 count, uint256 mismatches)
    {
        uint256 p = 0;
        for (; p < vectors.length; ++count) {
            (uint256 next, bool ok,, uint256 g) = _run(op, vectors, p, count);
            if (!ok) ++mismatches;
            total += g;
            if (g > most) most = g;
            p = next;
        }
    }

    /**
     * @notice Gas of single referee calls: each `calls[i]` is ABI-encoded calldata for the referee (any of its
     * functions), run by a staticcall; gas[i] is measured by gasleft() around the call (the CALL itself, the
     * referee's ABI decoding and encoding and its arithmetic: what a game pays for it, less the game's own
     * encoding). Reverts with the referee's error if a call reverts.
     */
    function gasOfCalls(bytes[] calldata calls) external view returns (uint256[] memory gas, bytes[] memory results) {
        gas = new uint256[](calls.length);
        results = new bytes[](calls.length);
        address target = address(referee);
        for (uint256 i = 0; i < calls.length; ++i) {
            bytes calldata data = calls[i];
            uint256 g0 = gasleft();
            (bool ok, bytes memory ret) = target.staticcall(data);
            uint256 g = g0 - gasleft();
            if (!ok) {
                assembly ("memory-safe") {
                    revert(add(ret, 32), mload(ret))
                }
            }
            gas[i] = g;
            results[i] = ret;
        }
    }

    // ------------------------------------------------------------------ one vector

    function _run(uint256 op, bytes calldata v, uint256 p, uint256 i)
        private
        view
        returns (uint256 next, bool ok, uint256 got, uint256 gasUsed)
    {
        if (op <= 7) return _reduction(op, v, p, i);
        if (op == 8) return _softmax(v, p, i);
        if (op == 9) return _rmsNorm(v, p, i);
        if (op <= 19) return _scalar(op, v, p, i);
        if (op <= 22) return _quantDot(op, v, p, i);
        if (op == 23) return _dequantChunk(v, p, i);
        revert UnknownOperation(op);
    }

    function _quantDot(uint256 op, bytes calldata v, uint256 p, uint256 i)
        private
        view
        returns (uint256, bool, uint256, uint256)
    {
        uint256 n = _u16(v, p, i);
        p += 2;
        uint256 elems = op == 20 ? 32 : 256;
        uint256 bb = op == 20 ? 18 : op == 21 ? 144 : 210;
        bytes calldata x = _take(v, p, 4 * elems * n, i);
        bytes calldata blocks = _take(v, p + 4 * elems * n, bb * n, i);
        p += (4 * elems + bb) * n;
        uint32 want = _f32(v, p, i);
        p += 4;
        uint256 g0 = gasleft();
        bytes memory s = new bytes(64);
        for (uint256 b = 0; b < n; ++b) {
            bytes calldata blk = blocks[bb * b:bb * b + bb];
            if (op == 20) {
                s = referee.dotChunkQ4_0(s, x[128 * b:128 * b + 128], blk);
            } else {
                for (uint256 sub = 0; sub < 8; ++sub) {
                    uint256 o = 1024 * b + 128 * sub;
                    s = op == 21
                        ? referee.dotChunkQ4_K(s, x[o:o + 128], blk, sub)
                        : referee.dotChunkQ6_K(s, x[o:o + 128], blk, sub);
                }
            }
        }
        uint32 r = referee.combine16(s);
        uint256 g = g0 - gasleft();
        return (p, r == want, r, g);
    }

    function _dequantChunk(bytes calldata v, uint256 p, uint256 i) private view returns (uint256, bool, uint256, uint256) {
        uint8 ty = uint8(_take(v, p, 1, i)[0]);
        uint256 sub = uint8(_take(v, p + 1, 1, i)[0]);
        uint256 bb = ty == 8 ? 34 : ty == 2 ? 18 : ty == 12 ? 144 : 210;
        bytes calldata blk = _take(v, p + 2, bb, i);
        bytes calldata want = _take(v, p + 2 + bb, 128, i);
        uint256 g0 = gasleft();
        bytes memory got = referee.dequantChunk(ty, blk, sub);
        uint256 g = g0 - gasleft();
        for (uint256 j = 0; j < 32; ++j) {
            uint32 r = StepCodec.f32AtMem(got, j);
            if (r != StepCodec.f32At(want, j)) return (p + 130 + bb, false, (j << 32) | r, g);
        }
        return (p + 130 + bb, true, 0, g);
    }

    function _reduction(uint256 op, bytes calldata v, uint256 p, uint256 i)
        private
        view
        returns (uint256, bool, uint256, uint256)
    {
        uint256 n = _u16(v, p, i);
        p += 2;
        bytes calldata a;
        bytes calldata b;
        if (op == 2) {
            a = _take(v, p, 128 * n, i);
            b = _take(v, p + 128 * n, 34 * n, i);
            p += 162 * n;
        } else if (op == 3 || op == 4) {
            a = _take(v, p, 4 * n, i);
            b = a;
            p += 4 * n;
        } else {
            a = _take(v, p, 4 * n, i);
            b = _take(v, p + 4 * n, 4 * n, i);
            p += 8 * n;
        }
        uint32 param;
        if (op == 6 || op == 7) {
            param = _f32(v, p, i);
            p += 4;
        }
        uint32 want = _f32(v, p, i);
        p += 4;
        uint256 g0 = gasleft();
        uint32 r;
        if (op == 4) {
            r = StepCodec.NEGATIVE_INFINITY;
            for (uint256 c = 0; c < n; c += 32) r = referee.maxChunk(r, a[4 * c:4 * _min(n, c + 32)]);
        } else if (op == 5) {
            for (uint256 c = 0; c < n; c += 8) {
                r = referee.weightedSumChunk(r, a[4 * c:4 * _min(n, c + 8)], b[4 * c:4 * _min(n, c + 8)]);
            }
        } else {
            bytes memory s = new bytes(64);
            if (op == 2) {
                for (uint256 c = 0; c < n; ++c) s = referee.dotChunkQ8_0(s, a[128 * c:128 * c + 128], b[34 * c:34 * c + 34]);
            } else {
                for (uint256 c = 0; c < n; c += 32) {
                    bytes calldata ac = a[4 * c:4 * _min(n, c + 32)];
                    bytes calldata bc = b[4 * c:4 * _min(n, c + 32)];
                    if (op == 0 || op == 7) s = referee.dotChunkActs(s, ac, bc, c);
                    else if (op == 3) s = referee.sumChunk(s, ac, c);
                    else s = referee.dotChunkF32(s, ac, bc, c);
                }
            }
            if (op == 6) r = referee.finish(2, s, true, param, 0);
            else if (op == 7) r = referee.finish(7, s, false, 0, param);
            else r = referee.combine16(s);
        }
        uint256 g = g0 - gasleft();
        return (p, r == want, r, g);
    }

    function _softmax(bytes calldata v, uint256 p, uint256 i) private view returns (uint256, bool, uint256, uint256) {
        uint256 n = _u16(v, p, i);
        bytes calldata x = _take(v, p + 2, 4 * n, i);
        bytes calldata want = _take(v, p + 2 + 4 * n, 4 * n, i);
        uint256 g0 = gasleft();
        uint32 m = StepCodec.NEGATIVE_INFINITY;
        for (uint256 c = 0; c < n; c += 32) m = referee.maxChunk(m, x[4 * c:4 * _min(n, c + 32)]);
        uint32[] memory e = new uint32[](n);
        for (uint256 j = 0; j < n; ++j) e[j] = referee.softmaxExp(StepCodec.f32At(x, j), m);
        bytes memory s = new bytes(64);
        for (uint256 c = 0; c < n; c += 32) s = referee.sumChunk(s, _pack(e, c, _min(n, c + 32)), c);
        uint32 sum = referee.finish(10, s, false, 0, 0);
        uint256 bad = NONE;
        uint32 badBits;
        for (uint256 j = 0; j < n; ++j) {
            uint32 r = referee.softmaxProb(e[j], sum, m);
            if (r != StepCodec.f32At(want, j) && bad == NONE) (bad, badBits) = (j, r);
        }
        uint256 g = g0 - gasleft();
        return (p + 2 + 8 * n, bad == NONE, bad == NONE ? 0 : (bad << 32) | badBits, g);
    }

    function _rmsNorm(bytes calldata v, uint256 p, uint256 i) private view returns (uint256, bool, uint256, uint256) {
        uint256 n = _u16(v, p, i);
        uint32 eps = _f32(v, p + 2, i);
        bytes calldata x = _take(v, p + 6, 4 * n, i);
        bytes calldata w = _take(v, p + 6 + 4 * n, 4 * n, i);
        bytes calldata want = _take(v, p + 6 + 8 * n, 4 * n, i);
        uint256 g0 = gasleft();
        bytes memory s = new bytes(64);
        for (uint256 c = 0; c < n; c += 32) {
            s = referee.dotChunkActs(s, x[4 * c:4 * _min(n, c + 32)], x[4 * c:4 * _min(n, c + 32)], c);
        }
        uint32 inv = referee.rmsInv(referee.finish(0, s, false, 0, 0), n, eps);
        uint256 bad = NONE;
        uint32 badBits;
        for (uint256 j = 0; j < n; ++j) {
            uint32 r = referee.rmsScale(StepCodec.f32At(x, j), inv, StepCodec.f32At(w, j));
            if (r != StepCodec.f32At(want, j) && bad == NONE) (bad, badBits) = (j, r);
        }
        uint256 g = g0 - gasleft();
        return (p + 6 + 12 * n, bad == NONE, bad == NONE ? 0 : (bad << 32) | badBits, g);
    }

    function _scalar(uint256 op, bytes calldata v, uint256 p, uint256 i)
        private
        view
        returns (uint256, bool, uint256, uint256)
    {
        uint256 g0;
        uint256 r;
        uint256 want;
        uint256 next;
        if (op == 19) {
            bytes calldata blk = _take(v, p, 34, i);
            uint256 j = uint8(_take(v, p + 34, 1, i)[0]);
            want = _f32(v, p + 35, i);
            g0 = gasleft();
            r = referee.dequantQ8_0(blk, j);
            next = p + 39;
        } else if (op == 18) {
            bytes calldata raw = _take(v, p, 4, i);
            want = _f32(v, p + 4, i);
            g0 = gasleft();
            r = referee.dequantF32(raw, 0);
            next = p + 8;
        } else if (op == 13) {
            uint32 a = _f32(v, p, i);
            uint32 b = _f32(v, p + 4, i);
            uint32 c = _f32(v, p + 8, i);
            uint32 s = _f32(v, p + 12, i);
            want = (uint256(_f32(v, p + 16, i)) << 32) | _f32(v, p + 20, i);
            g0 = gasleft();
            (uint32 a2, uint32 b2) = referee.ropePair(a, b, c, s);
            r = (uint256(a2) << 32) | b2;
            next = p + 24;
        } else if (op == 10 || op == 11 || op == 15) {
            uint32 x0 = _f32(v, p, i);
            uint32 x1 = _f32(v, p + 4, i);
            uint32 x2 = _f32(v, p + 8, i);
            want = _f32(v, p + 12, i);
            g0 = gasleft();
            if (op == 10) r = referee.rmsInv(x0, _le32(x1), x2);
            else if (op == 11) r = referee.rmsScale(x0, x1, x2);
            else r = referee.softmaxProb(x0, x1, x2);
            next = p + 16;
        } else {
            uint32 x0 = _f32(v, p, i);
            uint32 x1 = _f32(v, p + 4, i);
            want = _f32(v, p + 8, i);
            g0 = gasleft();
            if (op == 12) r = referee.add(x0, x1);
            else if (op == 14) r = referee.softmaxExp(x0, x1);
            else if (op == 16) r = referee.div(x0, x1);
            else r = referee.siluMul(x0, x1);
            next = p + 12;
        }
        uint256 g = g0 - gasleft();
        return (next, r == want, r, g);
    }

    // ------------------------------------------------------------------ decoding

    function _take(bytes calldata v, uint256 p, uint256 len, uint256 i) private pure returns (bytes calldata) {
        if (p + len > v.length) revert RaggedVectors(i, p, v.length);
        return v[p:p + len];
    }

    function _u16(bytes calldata v, uint256 p, uint256 i) private pure returns (uint256) {
        bytes calldata b = _take(v, p, 2, i);
        return uint256(uint8(b[0])) | (uint256(uint8(b[1])) << 8);
    }

    function _f32(bytes calldata v, uint256 p, uint256 i) private pure returns (uint32) {
        return StepCodec.f32At(_take(v, p, 4, i), 0);
    }

    /// @dev a float slot read as a little-endian uint32 count (RMS_INV's n)
    function _le32(uint32 x) private pure returns (uint256) {
        return x;
    }

    function _pack(uint32[] memory e, uint256 from, uint256 to) private pure returns (bytes memory out) {
        out = new bytes(4 * (to - from));
        for (uint256 j = from; j < to; ++j) {
            bytes4 b = StepCodec.le(e[j]);
            uint256 o = 4 * (j - from);
            out[o] = b[0];
            out[o + 1] = b[1];
            out[o + 2] = b[2];
            out[o + 3] = b[3];
        }
    }

    function _min(uint256 a, uint256 b) private pure returns (uint256) {
        return a < b ? a : b;
    }
}
