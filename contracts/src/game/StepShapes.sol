// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The model spec (SPEC-12 section 6) and the shapes of step program v1 (section 3).
/// @notice A spec travels in calldata as its hash preimage: `abi.encode(uint32 stepProgramVersion,
///         uint32 layers, uint32 dim, uint32 heads, uint32 kvHeads, uint32 headDim, uint32 ffnDim,
///         uint32 vocab, uint32 rmsEpsBits, uint32 attnScaleBits, uint8 ropePairing, uint32 rotDim,
///         uint32 ropePositions, bool hasQkvBias, bool tiedOutput, uint8[] tensorTypes)`, so its hash is
///         keccak256 of the bytes as they are.
library StepShapes {
    uint32 internal constant STEP_PROGRAM_VERSION = 1;
    uint256 internal constant OPS = 22;
    uint256 internal constant CHUNK = 32;

    // op indexes of step program v1
    uint8 internal constant ATTN_SS = 0;
    uint8 internal constant ATTN_NORM = 1;
    uint8 internal constant Q = 2;
    uint8 internal constant K = 3;
    uint8 internal constant V = 4;
    uint8 internal constant Q_ROPE = 5;
    uint8 internal constant K_ROPE = 6;
    uint8 internal constant SCORES = 7;
    uint8 internal constant ATT_MAX = 8;
    uint8 internal constant ATT_EXP = 9;
    uint8 internal constant ATT_SUM = 10;
    uint8 internal constant ATT_PROB = 11;
    uint8 internal constant ATT_OUT = 12;
    uint8 internal constant WO = 13;
    uint8 internal constant X_MID = 14;
    uint8 internal constant FFN_SS = 15;
    uint8 internal constant FFN_NORM = 16;
    uint8 internal constant GATE = 17;
    uint8 internal constant UP = 18;
    uint8 internal constant ACT = 19;
    uint8 internal constant DOWN = 20;
    uint8 internal constant X_OUT = 21;

    struct ModelSpec {
        uint32 version;
        uint32 layers;
        uint32 dim;
        uint32 heads;
        uint32 kvHeads;
        uint32 headDim;
        uint32 ffnDim;
        uint32 vocab;
        uint32 rmsEpsBits;
        uint32 attnScaleBits;
        uint8 ropePairing;
        uint32 rotDim;
        uint32 ropePositions;
        bool hasQkvBias;
        bool tiedOutput;
        uint8[] tensorTypes;
    }

    /// @notice A spec this game cannot use: not step program v1, or shapes that do not fit.
    error BadSpec(string what);

    function decode(bytes memory spec) internal pure returns (ModelSpec memory s) {
        (s.version, s.layers, s.dim, s.heads, s.kvHeads, s.headDim, s.ffnDim, s.vocab) =
            abi.decode(spec, (uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32));
        // the second half: skip the first eight words of the head
        (,,,,,,,, s.rmsEpsBits, s.attnScaleBits, s.ropePairing, s.rotDim, s.ropePositions, s.hasQkvBias, s.tiedOutput,
            s.tensorTypes) = abi.decode(
            spec,
            (uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint32, uint8, uint32, uint32, bool,
                bool, uint8[])
        );
        if (s.version != STEP_PROGRAM_VERSION) revert BadSpec("stepProgramVersion");
        if (s.layers == 0 || s.dim == 0 || s.heads == 0 || s.kvHeads == 0 || s.headDim == 0 || s.ffnDim == 0) {
            revert BadSpec("zero dimension");
        }
        if (s.heads % s.kvHeads != 0) revert BadSpec("heads % kvHeads");
        if (s.tensorTypes.length != tensorCount(s)) revert BadSpec("tensorTypes length");
    }

    function qDim(ModelSpec memory s) internal pure returns (uint256) {
        return uint256(s.heads) * s.headDim;
    }

    function kvDim(ModelSpec memory s) internal pure returns (uint256) {
        return uint256(s.kvHeads) * s.headDim;
    }

    /// @notice Whether op `op` is a reduction with chunked states (section 4.3), else elementwise.
    function isReduction(uint256 op) internal pure returns (bool) {
        // 0 2 3 4 7 8 10 12 13 15 17 18 20
        return (0x16B59D >> op) & 1 == 1;
    }

    /// @notice The output length of op `op` at position `p`.
    function outLen(ModelSpec memory s, uint256 op, uint256 p) internal pure returns (uint256) {
        if (op == ATTN_SS || op == FFN_SS) return 1;
        if (op == ATTN_NORM || op == WO || op == X_MID || op == FFN_NORM || op == DOWN || op == X_OUT) return s.dim;
        if (op == Q || op == Q_ROPE || op == ATT_OUT) return qDim(s);
        if (op == K || op == V || op == K_ROPE) return kvDim(s);
        if (op == SCORES || op == ATT_EXP || op == ATT_PROB) return uint256(s.heads) * (p + 1);
        if (op == ATT_MAX || op == ATT_SUM) return s.heads;
        return s.ffnDim; // GATE, UP, ACT
    }

    /// @notice The chunks T of one element's reduction of op `op` at position `p` (0 for elementwise).
    function reductionChunks(ModelSpec memory s, uint256 op, uint256 p) internal pure returns (uint256) {
        uint256 n;
        if (op == ATTN_SS || op == FFN_SS || op == Q || op == K || op == V || op == GATE || op == UP) n = s.dim;
        else if (op == SCORES) n = s.headDim;
        else if (op == ATT_MAX || op == ATT_SUM) n = p + 1;
        else if (op == ATT_OUT) return (p + 1 + 7) / 8;
        else if (op == WO) n = qDim(s);
        else if (op == DOWN) n = s.ffnDim;
        else return 0;
        return (n + CHUNK - 1) / CHUNK;
    }

    /// @notice Bytes of one reduction state of op `op`: 16 floats (Dot, Sum) or 1 (max, WeightedSum).
    function stateBytes(uint256 op) internal pure returns (uint256) {
        return op == ATT_MAX || op == ATT_OUT ? 4 : 64;
    }

    /// @notice Tensors per layer in the canonical order of section 5.
    function perLayer(ModelSpec memory s) internal pure returns (uint256) {
        return s.hasQkvBias ? 12 : 9;
    }

    /// @notice The weights commitment's tensor count (layers, token_embd, output_norm, output, rope).
    function tensorCount(ModelSpec memory s) internal pure returns (uint256) {
        return uint256(s.layers) * perLayer(s) + (s.tiedOutput ? 3 : 4);
    }
}
