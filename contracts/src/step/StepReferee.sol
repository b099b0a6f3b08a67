// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Binary32} from "../softfloat/Binary32.sol";
import {IStepReferee} from "./IStepReferee.sol";
import {StepActivations} from "./StepActivations.sol";
import {StepArithmetic} from "./StepArithmetic.sol";
import {StepCodec} from "./StepCodec.sol";

/**
 * @title StepReferee
 * @notice The deployed, stateless referee of one dispute step: {IStepReferee}'s functions, each bit for bit
 * the Java engine's kernel (docs/DESIGN.md section 5). Deployed once; the dispute game holds its address.
 * softmaxExp and siluMul run in {StepActivations}, which the constructor deploys (the two binary64 exponentials
 * would take the referee over the 24 KB code limit); the referee forwards them, so callers see one contract.
 */
contract StepReferee is IStepReferee {
    using StepCodec for bytes;

    /// @notice The companion contract with softmax's exponential and SiLU.
    StepActivations public immutable activations;

    constructor() {
        activations = new StepActivations();
    }

    // ------------------------------------------------------------------ reductions

    /// @inheritdoc IStepReferee
    function dotChunkF32(bytes calldata state, bytes calldata a, bytes calldata w, uint256 start)
        external
        pure
        returns (bytes memory)
    {
        return _dot(state, a, w, start, "w");
    }

    /// @inheritdoc IStepReferee
    function dotChunkActs(bytes calldata state, bytes calldata a, bytes calldata b, uint256 start)
        external
        pure
        returns (bytes memory)
    {
        return _dot(state, a, b, start, "b");
    }

    /// @inheritdoc IStepReferee
    function dotChunkQ8_0(bytes calldata state, bytes calldata x, bytes calldata block34)
        external
        pure
        returns (bytes memory)
    {
        uint32[16] memory s = _state16(state);
        if (x.length != 128) revert BadStateLength("x", x.length, 128);
        if (block34.length != StepCodec.Q8_0_BLOCK_BYTES) {
            revert BadStateLength("block34", block34.length, StepCodec.Q8_0_BLOCK_BYTES);
        }
        uint32 d = StepArithmetic.fromFloat16(uint256(uint8(block34[0])) | (uint256(uint8(block34[1])) << 8));
        for (uint256 m = 0; m < 16; ++m) {
            uint32 p = Binary32.mul(StepArithmetic.fromInt8(uint8(block34[2 + m])), x.f32At(m));
            p = Binary32.fma(StepArithmetic.fromInt8(uint8(block34[18 + m])), x.f32At(m + 16), p);
            s[m] = Binary32.fma(p, d, s[m]);
        }
        return _encode16(s);
    }

    /// @inheritdoc IStepReferee
    function dotChunkQ4_0(bytes calldata state, bytes calldata x, bytes calldata block18)
        external
        pure
        returns (bytes memory)
    {
        uint32[16] memory s = _state16(state);
        if (x.length != 128) revert BadStateLength("x", x.length, 128);
        if (block18.length != StepCodec.Q4_0_BLOCK_BYTES) {
            revert BadStateLength("block18", block18.length, StepCodec.Q4_0_BLOCK_BYTES);
        }
        uint32 d = _f16At(block18, 0);
        for (uint256 m = 0; m < 16; ++m) {
            uint256 v = uint8(block18[2 + m]);
            // codes (v & 15) - 8 and (v >> 4) - 8 as a two's complement byte: + 248 mod 256
            uint32 p = Binary32.mul(StepArithmetic.fromInt8((v & 15) + 248), x.f32At(m));
            p = Binary32.fma(StepArithmetic.fromInt8((v >> 4) + 248), x.f32At(m + 16), p);
            s[m] = Binary32.fma(p, d, s[m]);
        }
        return _encode16(s);
    }

    /// @inheritdoc IStepReferee
    function dotChunkQ4_K(bytes calldata state, bytes calldata x, bytes calldata block144, uint256 sub)
        external
        pure
        returns (bytes memory)
    {
        return _dotValues(state, x, _q4kValues(block144, sub));
    }

    /// @inheritdoc IStepReferee
    function dotChunkQ6_K(bytes calldata state, bytes calldata x, bytes calldata block210, uint256 sub)
        external
        pure
        returns (bytes memory)
    {
        return _dotValues(state, x, _q6kValues(block210, sub));
    }

    /// @inheritdoc IStepReferee
    function sumChunk(bytes calldata state, bytes calldata e, uint256 start) external pure returns (bytes memory) {
        uint32[16] memory s = _state16(state);
        uint256 n = _floats(e, StepCodec.CHUNK, "e");
        unchecked {
            for (uint256 j = 0; j < n; ++j) {
                uint256 k = (start + j) & 15;
                s[k] = Binary32.add(s[k], e.f32At(j));
            }
        }
        return _encode16(s);
    }

    /// @inheritdoc IStepReferee
    function maxChunk(uint32 m, bytes calldata s) external pure returns (uint32) {
        uint256 n = _floats(s, StepCodec.CHUNK, "s");
        for (uint256 j = 0; j < n; ++j) {
            uint32 v = s.f32At(j);
            if (StepArithmetic.gt(v, m)) m = v;
        }
        return m;
    }

    /// @inheritdoc IStepReferee
    function weightedSumChunk(uint32 o, bytes calldata prob, bytes calldata v) external pure returns (uint32) {
        uint256 n = _floats(prob, StepCodec.WS_CHUNK, "prob");
        if (v.length != prob.length) revert LengthMismatch("v", v.length, prob.length);
        for (uint256 t = 0; t < n; ++t) {
            o = Binary32.fma(prob.f32At(t), v.f32At(t), o);
        }
        return o;
    }

    // ------------------------------------------------------------------ finishes

    /// @inheritdoc IStepReferee
    function combine16(bytes calldata state) external pure returns (uint32) {
        return StepArithmetic.combine16(_state16(state));
    }

    /// @inheritdoc IStepReferee
    function finish(uint256 op, bytes calldata state, bool hasBias, uint32 bias, uint32 attnScale)
        external
        pure
        returns (uint32)
    {
        if (op == 8 || op == 12) {
            if (state.length != 4) revert BadStateLength("state", state.length, 4);
            return StepCodec.canonical(state.f32At(0));
        }
        if (op == 0 || op == 10 || op == 13 || op == 15 || op == 17 || op == 18 || op == 20) {
            return StepArithmetic.combine16(_state16(state));
        }
        if (op == 2 || op == 3 || op == 4) {
            uint32 r = StepArithmetic.combine16(_state16(state));
            return hasBias ? Binary32.add(r, bias) : r;
        }
        if (op == 7) return Binary32.mul(StepArithmetic.combine16(_state16(state)), attnScale);
        revert NotAReduction(op);
    }

    // ------------------------------------------------------------------ elementwise

    /// @inheritdoc IStepReferee
    function rmsInv(uint32 ss, uint256 n, uint32 eps) external pure returns (uint32) {
        if (n >= 1 << 31) revert IndexOutOfRange("n", n, 1 << 31);
        return StepArithmetic.rmsInv(ss, n, eps);
    }

    /// @inheritdoc IStepReferee
    function rmsScale(uint32 x, uint32 inv, uint32 w) external pure returns (uint32) {
        return StepArithmetic.rmsScale(x, inv, w);
    }

    /// @inheritdoc IStepReferee
    function add(uint32 a, uint32 b) external pure returns (uint32) {
        return Binary32.add(a, b);
    }

    /// @inheritdoc IStepReferee
    function ropePair(uint32 a, uint32 b, uint32 c, uint32 s) external pure returns (uint32 a2, uint32 b2) {
        return StepArithmetic.ropePair(a, b, c, s);
    }

    /// @inheritdoc IStepReferee
    function softmaxExp(uint32 s, uint32 m) external view returns (uint32) {
        return activations.softmaxExp(s, m);
    }

    /// @inheritdoc IStepReferee
    function softmaxProb(uint32 e, uint32 sum, uint32 m) external pure returns (uint32) {
        return StepArithmetic.softmaxProb(e, sum, m);
    }

    /// @inheritdoc IStepReferee
    function div(uint32 a, uint32 b) external pure returns (uint32) {
        return Binary32.div(a, b);
    }

    /// @inheritdoc IStepReferee
    function siluMul(uint32 g, uint32 u) external view returns (uint32) {
        return activations.siluMul(g, u);
    }

    /// @inheritdoc IStepReferee
    function dequantF32(bytes calldata blockLE, uint256 j) external pure returns (uint32) {
        uint256 n = _floats(blockLE, type(uint256).max, "blockLE");
        if (j >= n) revert IndexOutOfRange("j", j, n);
        return StepCodec.canonical(blockLE.f32At(j));
    }

    /// @inheritdoc IStepReferee
    function dequantQ8_0(bytes calldata block34, uint256 j) external pure returns (uint32) {
        if (block34.length != StepCodec.Q8_0_BLOCK_BYTES) {
            revert BadStateLength("block34", block34.length, StepCodec.Q8_0_BLOCK_BYTES);
        }
        if (j >= 32) revert IndexOutOfRange("j", j, 32);
        uint32 d = StepArithmetic.fromFloat16(uint256(uint8(block34[0])) | (uint256(uint8(block34[1])) << 8));
        return Binary32.mul(StepArithmetic.fromInt8(uint8(block34[2 + j])), d);
    }

    /// @inheritdoc IStepReferee
    function dequantChunk(uint8 ggmlType, bytes calldata blk, uint256 sub) external pure returns (bytes memory) {
        uint32[32] memory w;
        if (ggmlType == StepCodec.GGML_Q4_K) {
            w = _q4kValues(blk, sub);
        } else if (ggmlType == StepCodec.GGML_Q6_K) {
            w = _q6kValues(blk, sub);
        } else if (ggmlType == StepCodec.GGML_Q8_0 || ggmlType == StepCodec.GGML_Q4_0) {
            bool q8 = ggmlType == StepCodec.GGML_Q8_0;
            uint256 len = q8 ? StepCodec.Q8_0_BLOCK_BYTES : StepCodec.Q4_0_BLOCK_BYTES;
            if (blk.length != len) revert BadStateLength("blk", blk.length, len);
            if (sub != 0) revert IndexOutOfRange("sub", sub, 1);
            uint32 d = _f16At(blk, 0);
            for (uint256 j = 0; j < 32; ++j) {
                uint256 q;
                if (q8) q = uint8(blk[2 + j]);
                else q = uint256(j < 16 ? uint8(blk[2 + j]) & 15 : uint8(blk[2 + j - 16]) >> 4) + 248;
                w[j] = Binary32.mul(StepArithmetic.fromInt8(q), d);
            }
        } else {
            revert UnknownWeightType(ggmlType);
        }
        uint256 w0;
        uint256 w1;
        uint256 w2;
        uint256 w3;
        for (uint256 k = 0; k < 8; ++k) {
            w0 = (w0 << 32) | uint32(StepCodec.le(w[k]));
            w1 = (w1 << 32) | uint32(StepCodec.le(w[k + 8]));
            w2 = (w2 << 32) | uint32(StepCodec.le(w[k + 16]));
            w3 = (w3 << 32) | uint32(StepCodec.le(w[k + 24]));
        }
        return abi.encodePacked(w0, w1, w2, w3);
    }

    // ------------------------------------------------------------------ internals

    /// @dev Dot's layout over 32 decoded weights: s[j mod 16] = fma(w[j], x[j], s[j mod 16]), j increasing.
    function _dotValues(bytes calldata state, bytes calldata x, uint32[32] memory w) private pure returns (bytes memory) {
        uint32[16] memory s = _state16(state);
        if (x.length != 128) revert BadStateLength("x", x.length, 128);
        for (uint256 j = 0; j < 32; ++j) {
            s[j & 15] = Binary32.fma(w[j], x.f32At(j), s[j & 15]);
        }
        return _encode16(s);
    }

    /// @dev The f16 at b[o] (LE), widened exactly.
    function _f16At(bytes calldata b, uint256 o) private pure returns (uint32) {
        return StepArithmetic.fromFloat16(uint256(uint8(b[o])) | (uint256(uint8(b[o + 1])) << 8));
    }

    /// @dev Java's (float) n for 0 <= n < 2^24 (exact).
    function _small(uint256 n) private pure returns (uint32) {
        if (n == 0) return 0;
        uint256 k;
        for (uint256 t = n; t > 1; t >>= 1) ++k;
        return uint32(((127 + k) << 23) | ((n << (23 - k)) & 0x7fffff));
    }

    /**
     * @dev Values of sub-block `sub` (elements 32 sub .. 32 sub + 31) of a Q4_K super-block, as Q4_KTensor decodes
     * them: d1 = d * sc, m1 = dmin * mn (6-bit scale and min), value = d1 * q - m1 (q the low nibbles of bytes
     * 16 + 32 (sub / 2) .. for an even sub, the high nibbles for an odd one); one rounding per operation, no fma.
     */
    function _q4kValues(bytes calldata b, uint256 sub) private pure returns (uint32[32] memory w) {
        if (b.length != StepCodec.Q4_K_BLOCK_BYTES) revert BadStateLength("block144", b.length, StepCodec.Q4_K_BLOCK_BYTES);
        if (sub >= 8) revert IndexOutOfRange("sub", sub, 8);
        uint256 sc;
        uint256 mn;
        if (sub < 4) {
            sc = uint8(b[4 + sub]) & 63;
            mn = uint8(b[8 + sub]) & 63;
        } else {
            sc = (uint8(b[8 + sub]) & 15) | ((uint8(b[sub]) >> 6) << 4);
            mn = (uint8(b[8 + sub]) >> 4) | ((uint8(b[4 + sub]) >> 6) << 4);
        }
        uint32 d1 = Binary32.mul(_f16At(b, 0), _small(sc));
        uint32 m1 = Binary32.mul(_f16At(b, 2), _small(mn));
        uint256 q0 = 16 + 32 * (sub >> 1);
        bool high = sub & 1 == 1;
        for (uint256 l = 0; l < 32; ++l) {
            uint256 v = uint8(b[q0 + l]);
            w[l] = Binary32.sub(Binary32.mul(d1, _small(high ? v >> 4 : v & 15)), m1);
        }
    }

    /**
     * @dev Values of sub-block `sub` of a Q6_K super-block, as Q6_KTensor decodes them: with n = sub / 4,
     * k = sub % 4 and l < 32, the low 4 bits from ql[64n + l + 32 (k & 1)] (low nibble for k < 2, high otherwise),
     * the high 2 bits (qh[32n + l] >> 2k) & 3, q = bits - 32, the signed scale sc[8n + l / 16 + 2k], the f16 d at
     * byte 208; value = (d * sc) * q, two roundings.
     */
    function _q6kValues(bytes calldata b, uint256 sub) private pure returns (uint32[32] memory w) {
        if (b.length != StepCodec.Q6_K_BLOCK_BYTES) revert BadStateLength("block210", b.length, StepCodec.Q6_K_BLOCK_BYTES);
        if (sub >= 8) revert IndexOutOfRange("sub", sub, 8);
        uint256 n = sub >> 2;
        uint256 k = sub & 3;
        uint32 d = _f16At(b, 208);
        uint32 dsc0 = Binary32.mul(d, StepArithmetic.fromInt8(uint8(b[192 + 8 * n + 2 * k])));
        uint32 dsc1 = Binary32.mul(d, StepArithmetic.fromInt8(uint8(b[193 + 8 * n + 2 * k])));
        uint256 lo = 64 * n + 32 * (k & 1);
        uint256 hi = 128 + 32 * n;
        for (uint256 l = 0; l < 32; ++l) {
            uint256 lowByte = uint8(b[lo + l]);
            uint256 q = (k < 2 ? lowByte & 15 : lowByte >> 4) | (((uint8(b[hi + l]) >> (2 * k)) & 3) << 4);
            // q - 32 as a two's complement byte: + 224 mod 256
            w[l] = Binary32.mul(l < 16 ? dsc0 : dsc1, StepArithmetic.fromInt8(q + 224));
        }
    }

    function _dot(bytes calldata state, bytes calldata a, bytes calldata b, uint256 start, string memory bName)
        private
        pure
        returns (bytes memory)
    {
        uint32[16] memory s = _state16(state);
        uint256 n = _floats(a, StepCodec.CHUNK, "a");
        if (b.length != a.length) revert LengthMismatch(bName, b.length, a.length);
        unchecked {
            for (uint256 j = 0; j < n; ++j) {
                uint256 k = (start + j) & 15;
                s[k] = Binary32.fma(a.f32At(j), b.f32At(j), s[k]);
            }
        }
        return _encode16(s);
    }

    /// @dev the number of floats in `v`, which must be whole and at most `maxFloats`
    function _floats(bytes calldata v, uint256 maxFloats, string memory name) private pure returns (uint256 n) {
        n = v.length >> 2;
        if (v.length & 3 != 0 || n > maxFloats) revert BadVectorLength(name, v.length, maxFloats);
    }

    function _state16(bytes calldata state) private pure returns (uint32[16] memory s) {
        if (state.length != StepCodec.S16_BYTES) revert BadStateLength("state", state.length, StepCodec.S16_BYTES);
        for (uint256 k = 0; k < 16; ++k) {
            s[k] = state.f32At(k);
        }
    }

    /// @dev the 64 canonical bytes of a state (NaN partials canonical)
    function _encode16(uint32[16] memory s) private pure returns (bytes memory) {
        uint256 w0;
        uint256 w1;
        for (uint256 k = 0; k < 8; ++k) {
            w0 = (w0 << 32) | uint32(StepCodec.le(s[k]));
            w1 = (w1 << 32) | uint32(StepCodec.le(s[k + 8]));
        }
        return abi.encodePacked(w0, w1);
    }
}
