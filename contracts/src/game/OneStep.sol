// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IOneStep} from "./IOneStep.sol";
import {GameMerkle} from "./GameMerkle.sol";
import {StepShapes} from "./StepShapes.sol";
import {GameBytes} from "./GameBytes.sol";
import {IStepReferee} from "../step/IStepReferee.sol";

/// @title The dispute game's one-step verifier (step program v1): opens the step's inputs against what
///        both parties agreed and has the referee (contracts/src/step, IStepReferee) recompute one element
///        or one reduction chunk.
/// @notice Openings (StepInput.openings) are ABI-encoded, one per input, in the order listed per op:
///         - op chunk `(bytes chunk, bytes32[] proof)`: chunk c of this step's op k output (k below the
///           disputed op, so agreed), proved against opRoots[k];
///         - x_in chunk, layer l > 0 `(bytes32[3] leafRoots, bytes32[] traceProof, bytes chunk, bytes32[] proof)`:
///           leaf (p, l-1)'s preimage (xRoot, kRoot, vRoot) proved against the claimer's trace root,
///           then chunk c of x against xRoot; layer 0 `(bytes tokens, bytes blk, bytes32[] blockProof,
///           bytes32[] tensorProof)`: the token ids (uint32 LE, hashing to tokensHash) and block c of
///           token_embd's row token[p], dequantized;
///         - weight block `(bytes blk, bytes32[] blockProof, bytes32[] tensorProof)`: the tensor's block
///           proved against its tensor root, the tensor root against the weights root (SPEC-12 section 5).
///           The block is the one holding the chunk: F32, Q8_0, Q4_0 block c of the row; Q4_K, Q6_K the
///           256-element super-block c / 8, of which the chunk is sub-block c % 8. Norms, biases and the rope
///           table must be F32.
///         Covered: elementwise attn_norm (x_in, attn_ss, weight attn_norm), ffn_norm (x_mid, ffn_ss, weight
///         ffn_norm), q_rope / k_rope (q or k element, its pair partner, the rope table's block; only the
///         element past rotDim), x_mid (x_in, wo), x_out (x_mid, down), act (gate, up), att_exp (scores, att_max),
///         att_prob (att_exp, att_sum, att_max); reductions attn_ss (x_in), ffn_ss (x_mid), q/k/v
///         (attn_norm, weight), wo (att_out, weight), gate/up (ffn_norm, weight), down (act, weight), each
///         weight F32, Q8_0, Q4_0, Q4_K or Q6_K (x_in at layer 0: the embedding in any of them); finish
///         of every reduction (q/k/v bias: a weight block of bq/bk/bv as the openings).
///         Reductions scores (q_rope chunk, K[t]: an agreed leaf's k or this step's k_rope), att_max and
///         att_sum (the one or two chunks of scores / att_exp covering head e's slice, as `bytes[]`).
///         att_out (`(bytes[] prob, bytes[] v)`: the att_prob chunks covering the chunk's 8 positions, and
///         each position's V element chunk: an agreed leaf's v, or this step's v for t = p).
///         Not covered yet (StepNotCovered): scores when headDim % 32 != 0.
contract OneStep is IOneStep {
    /// @notice The referee that does the arithmetic.
    IStepReferee public immutable referee;

    constructor(IStepReferee referee_) {
        referee = referee_;
    }

    uint8 internal constant GGML_F32 = 0;
    uint8 internal constant GGML_Q4_0 = 2;
    uint8 internal constant GGML_Q8_0 = 8;
    uint8 internal constant GGML_Q4_K = 12;
    uint8 internal constant GGML_Q6_K = 14;

    /// @notice The step of op `op` is not re-executed by this verifier yet.
    error StepNotCovered(uint256 op);
    /// @notice A chunk opening's bytes have the wrong length.
    error OpeningLength(string what, uint256 expected, uint256 given);
    /// @notice An opening's proof does not reach the root it must.
    error WrongOpening(string what);
    /// @notice A weight tensor of a type the game does not cover (ggml type id).
    error WeightTypeNotCovered(uint8 ggmlType);
    /// @notice The token list is shorter than the disputed position needs.
    error TokensTooShort(uint256 position, uint256 tokens);

    // ---------------------------------------------------------------- IOneStep

    /// @inheritdoc IOneStep
    function elementwise(StepInput calldata s) external view returns (uint32) {
        StepShapes.ModelSpec memory m = StepShapes.decode(s.spec);
        uint256 op = s.op;
        uint256 e = s.e;
        if (op == StepShapes.X_MID || op == StepShapes.X_OUT) {
            (bytes memory o0, bytes memory o1) = abi.decode(s.openings, (bytes, bytes));
            uint32 a = op == StepShapes.X_MID
                ? _xInChunk(s, m, e / 32, o0)[e % 32]
                : _opElem(s, m, StepShapes.X_MID, e, o0);
            uint32 b = _opElem(s, m, op == StepShapes.X_MID ? StepShapes.WO : StepShapes.DOWN, e, o1);
            return referee.add(a, b);
        }
        if (op == StepShapes.ATTN_NORM || op == StepShapes.FFN_NORM) {
            (bytes memory ox, bytes memory oss, bytes memory ow) = abi.decode(s.openings, (bytes, bytes, bytes));
            bool attn = op == StepShapes.ATTN_NORM;
            uint32 x = attn ? _xInChunk(s, m, e / 32, ox)[e % 32] : _opElem(s, m, StepShapes.X_MID, e, ox);
            uint32 ss = _opElem(s, m, attn ? StepShapes.ATTN_SS : StepShapes.FFN_SS, 0, oss);
            uint256 t = uint256(s.l) * StepShapes.perLayer(m) + (attn ? 0 : (m.hasQkvBias ? 8 : 5));
            bytes memory blk = _f32Block(s, m, t, 0, e / 32, ow);
            uint32 inv = referee.rmsInv(ss, m.dim, m.rmsEpsBits);
            return referee.rmsScale(x, inv, GameBytes.word(blk, e % 32));
        }
        if (op == StepShapes.Q_ROPE || op == StepShapes.K_ROPE) return _rope(s, m, op == StepShapes.Q_ROPE ? StepShapes.Q : StepShapes.K);
        if (op == StepShapes.ACT) {
            (bytes memory o0, bytes memory o1) = abi.decode(s.openings, (bytes, bytes));
            return referee.siluMul(_opElem(s, m, StepShapes.GATE, e, o0), _opElem(s, m, StepShapes.UP, e, o1));
        }
        if (op == StepShapes.ATT_EXP) {
            (bytes memory o0, bytes memory o1) = abi.decode(s.openings, (bytes, bytes));
            uint256 h = e / (uint256(s.p) + 1);
            return referee.softmaxExp(_opElem(s, m, StepShapes.SCORES, e, o0), _opElem(s, m, StepShapes.ATT_MAX, h, o1));
        }
        if (op == StepShapes.ATT_PROB) {
            (bytes memory o0, bytes memory o1, bytes memory o2) = abi.decode(s.openings, (bytes, bytes, bytes));
            uint256 h = e / (uint256(s.p) + 1);
            return referee.softmaxProb(
                _opElem(s, m, StepShapes.ATT_EXP, e, o0),
                _opElem(s, m, StepShapes.ATT_SUM, h, o1),
                _opElem(s, m, StepShapes.ATT_MAX, h, o2)
            );
        }
        revert StepNotCovered(op);
    }

    /// @dev q_rope / k_rope element e of head-local index d = e % headDim: past rotDim the element itself
    ///      (openings: x); else the pair (NORM: d, d^1; NEOX: d, d +- rotDim/2) rotated by the rope table's
    ///      cos(p, i), sin(p, i) (columns 2i, 2i+1 of row p; openings: x, partner, the table's block).
    function _rope(StepInput calldata s, StepShapes.ModelSpec memory m, uint256 src) internal view returns (uint32) {
        uint256 e = s.e;
        uint256 d = e % m.headDim;
        if (d >= m.rotDim) return _opElem(s, m, src, e, abi.decode(s.openings, (bytes)));
        (bytes memory ox, bytes memory op_, bytes memory orope) = abi.decode(s.openings, (bytes, bytes, bytes));
        bool first;
        uint256 i;
        uint256 partner;
        if (m.ropePairing == 0) {
            first = d % 2 == 0;
            i = d / 2;
            partner = e ^ 1;
        } else {
            uint256 half = m.rotDim / 2;
            first = d < half;
            i = first ? d : d - half;
            partner = first ? e + half : e - half;
        }
        uint32 x = _opElem(s, m, src, e, ox);
        uint32 b = _opElem(s, m, src, partner, op_);
        bytes memory blk = _f32Block(s, m, StepShapes.tensorCount(m) - 1, s.p, (2 * i) / 32, orope);
        uint32 c = GameBytes.word(blk, (2 * i) % 32);
        uint32 sn = GameBytes.word(blk, (2 * i) % 32 + 1);
        if (first) {
            (uint32 a2,) = referee.ropePair(x, b, c, sn);
            return a2;
        }
        (, uint32 b2) = referee.ropePair(b, x, c, sn);
        return b2;
    }

    /// @inheritdoc IOneStep
    function reduceChunk(StepInput calldata s, bytes calldata prev) external view returns (bytes memory) {
        StepShapes.ModelSpec memory m = StepShapes.decode(s.spec);
        uint256 op = s.op;
        uint256 c = s.c;
        bytes memory st = prev.length != 0 ? prev : new bytes(64); // S_0 of Dot: 16 x +0.0f
        if (op == StepShapes.SCORES) return _scoresChunk(s, m, st);
        if (op == StepShapes.ATT_OUT) {
            uint32[] memory one = new uint32[](1);
            one[0] = _attOutChunk(s, m, prev.length != 0 ? GameBytes.word(prev, 0) : 0); // S_0: +0.0f
            return GameBytes.toBytes(one);
        }
        if (op == StepShapes.ATT_MAX || op == StepShapes.ATT_SUM) {
            bytes memory slice = _headSlice(s, m, op == StepShapes.ATT_MAX ? StepShapes.SCORES : StepShapes.ATT_EXP);
            if (op == StepShapes.ATT_SUM) return referee.sumChunk(st, slice, 32 * c);
            uint32 m0 = prev.length != 0 ? GameBytes.word(prev, 0) : 0xff800000; // S_0 of max: -Infinity
            uint32[] memory one = new uint32[](1);
            one[0] = referee.maxChunk(m0, slice);
            return GameBytes.toBytes(one);
        }
        if (op == StepShapes.ATTN_SS || op == StepShapes.FFN_SS) {
            bytes memory x = op == StepShapes.ATTN_SS
                ? GameBytes.toBytes(_xInChunk(s, m, c, s.openings))
                : _opChunk(s, m, StepShapes.X_MID, c, s.openings);
            return referee.dotChunkActs(st, x, x, 32 * c);
        }
        uint256 src;
        if (op == StepShapes.Q || op == StepShapes.K || op == StepShapes.V) src = StepShapes.ATTN_NORM;
        else if (op == StepShapes.GATE || op == StepShapes.UP) src = StepShapes.FFN_NORM;
        else if (op == StepShapes.WO) src = StepShapes.ATT_OUT;
        else if (op == StepShapes.DOWN) src = StepShapes.ACT;
        else revert StepNotCovered(op);
        (bytes memory actOpening, bytes memory wOpening) = abi.decode(s.openings, (bytes, bytes));
        bytes memory a = _opChunk(s, m, src, c, actOpening);
        (uint8 ty, bytes memory blk) = _weightBlock(s, m, _tensorOf(m, s.l, op), s.e, c, wOpening);
        if (ty == GGML_Q8_0) return referee.dotChunkQ8_0(st, a, blk);
        if (ty == GGML_Q4_0) return referee.dotChunkQ4_0(st, a, blk);
        if (ty == GGML_Q4_K) return referee.dotChunkQ4_K(st, a, blk, c % 8);
        if (ty == GGML_Q6_K) return referee.dotChunkQ6_K(st, a, blk, c % 8);
        return referee.dotChunkF32(st, a, blk, 32 * c);
    }

    /// @dev scores element e = h * (p+1) + t, chunk c: q_rope's head h dims [32c, 32c+32) against K[t]'s kv
    ///      head dims (K[t] = leaf (t, l)'s k row for t < p, this step's k_rope for t = p). Openings: the
    ///      q_rope chunk, then the K chunk (a leaf opening for t < p, an op chunk for t = p).
    function _scoresChunk(StepInput calldata s, StepShapes.ModelSpec memory m, bytes memory st)
        internal
        view
        returns (bytes memory)
    {
        uint256 hd = m.headDim;
        if (hd % 32 != 0) revert StepNotCovered(StepShapes.SCORES); // head slices would cross chunks
        uint256 pp = uint256(s.p) + 1;
        uint256 h = s.e / pp;
        uint256 t = s.e % pp;
        uint256 kvh = h / (m.heads / m.kvHeads);
        (bytes memory oq, bytes memory ok) = abi.decode(s.openings, (bytes, bytes));
        bytes memory q = _opChunk(s, m, StepShapes.Q_ROPE, (h * hd) / 32 + s.c, oq);
        uint256 kc = (kvh * hd) / 32 + s.c;
        bytes memory k = t == s.p
            ? _opChunk(s, m, StepShapes.K_ROPE, kc, ok)
            : _leafChunk(s, m, t, 1, StepShapes.kvDim(m), kc, ok);
        return referee.dotChunkActs(st, q, k, 32 * s.c);
    }

    /// @dev att_out element e = h * headDim + i, chunk c = positions t in [8c, min(8c + 8, p + 1)):
    ///      o = fma(prob[h][t], V[t][kvh * headDim + i], o) in order. Openings: `(bytes[] prob, bytes[] v)`:
    ///      the one or two att_prob chunks covering prob[h][8c ..], and per position t its V element's chunk
    ///      (an agreed leaf opening of leaf (t, l)'s v for t < p, this step's v op chunk for t = p).
    function _attOutChunk(StepInput calldata s, StepShapes.ModelSpec memory m, uint32 o) internal view returns (uint32) {
        uint256 pp = uint256(s.p) + 1;
        uint256 hd = m.headDim;
        uint256 h = s.e / hd;
        uint256 kvi = (h / (m.heads / m.kvHeads)) * hd + s.e % hd;
        uint256 t0 = 8 * s.c;
        uint256 t1 = t0 + 8 < pp ? t0 + 8 : pp;
        (bytes[] memory probOs, bytes[] memory vOs) = abi.decode(s.openings, (bytes[], bytes[]));
        if (vOs.length != t1 - t0) revert OpeningLength("att_out V rows", t1 - t0, vOs.length);
        bytes memory prob = _slice(s, m, StepShapes.ATT_PROB, h * pp + t0, h * pp + t1, probOs);
        bytes memory v = new bytes(4 * (t1 - t0));
        uint256 kvd = StepShapes.kvDim(m);
        for (uint256 t = t0; t < t1; t++) {
            bytes memory chunk = t == s.p
                ? _opChunk(s, m, StepShapes.V, kvi / 32, vOs[t - t0])
                : _leafChunk(s, m, t, 2, kvd, kvi / 32, vOs[t - t0]);
            for (uint256 b; b < 4; b++) v[4 * (t - t0) + b] = chunk[4 * (kvi % 32) + b];
        }
        return referee.weightedSumChunk(o, prob, v);
    }

    /// @dev Elements [a, b) of op k's output from the one or two op chunk openings that cover them.
    function _slice(StepInput calldata s, StepShapes.ModelSpec memory m, uint256 k, uint256 a, uint256 b, bytes[] memory os)
        internal
        pure
        returns (bytes memory out)
    {
        uint256 first = a / 32;
        uint256 last = (b - 1) / 32;
        if (os.length != last - first + 1) revert OpeningLength("slice chunks", last - first + 1, os.length);
        out = new bytes(4 * (b - a));
        uint256 o;
        for (uint256 ci = first; ci <= last; ci++) {
            bytes memory chunk = _opChunk(s, m, k, ci, os[ci - first]);
            uint256 from = ci == first ? a - 32 * ci : 0;
            uint256 to = ci == last ? b - 32 * ci : 32;
            for (uint256 i = 4 * from; i < 4 * to; i++) out[o++] = chunk[i];
        }
    }

    /// @dev Elements [32c, min(32c + 32, p + 1)) of head e's row of the heads * (p+1) vector of op k (scores
    ///      or att_exp): the one or two op chunks covering them (openings: `bytes[]` of op chunk openings).
    function _headSlice(StepInput calldata s, StepShapes.ModelSpec memory m, uint256 k) internal pure returns (bytes memory) {
        uint256 pp = uint256(s.p) + 1;
        uint256 a = s.e * pp + 32 * s.c;
        uint256 b = s.e * pp + (32 * s.c + 32 < pp ? 32 * s.c + 32 : pp);
        return _slice(s, m, k, a, b, abi.decode(s.openings, (bytes[])));
    }

    /// @dev Chunk c of component comp (0 x, 1 k, 2 v; vector length len) of agreed leaf (t, l), opened by the
    ///      leaf's preimage with a trace proof against the claimer's root, then the chunk's vecRoot proof.
    function _leafChunk(
        StepInput calldata s,
        StepShapes.ModelSpec memory m,
        uint256 t,
        uint256 comp,
        uint256 len,
        uint256 c,
        bytes memory o
    ) internal pure returns (bytes memory chunk) {
        bytes32[3] memory pre;
        bytes32[] memory traceProof;
        bytes32[] memory proof;
        (pre, traceProof, chunk, proof) = abi.decode(o, (bytes32[3], bytes32[], bytes, bytes32[]));
        bytes32 leafHash = keccak256(abi.encodePacked(bytes1(0x02), pre[0], pre[1], pre[2]));
        uint256 idx = t * m.layers + s.l;
        if (GameMerkle.root(GameMerkle.leafNode32(leafHash), idx, s.leafCount, traceProof) != s.traceRoot) {
            revert WrongOpening("agreed leaf");
        }
        _checkChunk(chunk, len, c, proof, pre[comp], "agreed leaf's chunk");
    }

    /// @inheritdoc IOneStep
    function finish(StepInput calldata s, bytes calldata state) external view returns (uint32) {
        StepShapes.ModelSpec memory m = StepShapes.decode(s.spec);
        uint256 op = s.op;
        bool bias = m.hasQkvBias && (op == StepShapes.Q || op == StepShapes.K || op == StepShapes.V);
        uint32 b;
        if (bias) {
            uint256 t = uint256(s.l) * StepShapes.perLayer(m) + (op == StepShapes.Q ? 4 : op == StepShapes.K ? 5 : 6);
            b = GameBytes.word(_f32Block(s, m, t, 0, s.e / 32, s.openings), s.e % 32);
        }
        return referee.finish(op, state, bias, b, m.attnScaleBits);
    }

    // ---------------------------------------------------------------- openings

    /// @dev Chunk c of this step's op k output, checked against opRoots[k].
    function _opChunk(StepInput calldata s, StepShapes.ModelSpec memory m, uint256 k, uint256 c, bytes memory o)
        internal
        pure
        returns (bytes memory chunk)
    {
        bytes32[] memory proof;
        (chunk, proof) = abi.decode(o, (bytes, bytes32[]));
        uint256 len = StepShapes.outLen(m, k, s.p);
        _checkChunk(chunk, len, c, proof, s.opRoots[k], "op chunk");
    }

    function _opElem(StepInput calldata s, StepShapes.ModelSpec memory m, uint256 k, uint256 i, bytes memory o)
        internal
        pure
        returns (uint32)
    {
        return GameBytes.word(_opChunk(s, m, k, i / 32, o), i % 32);
    }

    /// @dev Chunk c of the step's input x_in: leaf (p, l-1)'s x (l > 0) or token[p]'s embedding row (l = 0).
    function _xInChunk(StepInput calldata s, StepShapes.ModelSpec memory m, uint256 c, bytes memory o)
        internal
        view
        returns (uint32[] memory out)
    {
        if (s.l > 0) {
            (bytes32[3] memory pre, bytes32[] memory traceProof, bytes memory chunk, bytes32[] memory proof) =
                abi.decode(o, (bytes32[3], bytes32[], bytes, bytes32[]));
            bytes32 leafHash = keccak256(abi.encodePacked(bytes1(0x02), pre[0], pre[1], pre[2]));
            uint256 idx = uint256(s.p) * m.layers + s.l - 1;
            if (GameMerkle.root(GameMerkle.leafNode32(leafHash), idx, s.leafCount, traceProof) != s.traceRoot) {
                revert WrongOpening("x_in leaf");
            }
            _checkChunk(chunk, m.dim, c, proof, pre[0], "x_in chunk");
            return GameBytes.words(chunk);
        }
        (bytes memory tokens, bytes memory blk, bytes32[] memory blockProof, bytes32[] memory tensorProof) =
            abi.decode(o, (bytes, bytes, bytes32[], bytes32[]));
        if (keccak256(tokens) != s.tokensHash) revert WrongOpening("tokens");
        if (tokens.length < 4 * (uint256(s.p) + 1)) revert TokensTooShort(s.p, tokens.length / 4);
        uint256 token = GameBytes.word(tokens, s.p);
        uint256 embd = uint256(m.layers) * StepShapes.perLayer(m);
        (uint8 ty, bytes memory b) =
            _weightBlock(s, m, embd, token, c, abi.encode(blk, blockProof, tensorProof));
        if (ty != GGML_F32 && ty != GGML_Q8_0) {
            return GameBytes.words(referee.dequantChunk(ty, b, ty == GGML_Q4_0 ? 0 : c % 8)); // Q4_K, Q6_K: sub-block
        }
        uint256 n = ty == GGML_Q8_0 ? 32 : b.length / 4;
        out = new uint32[](n);
        for (uint256 j; j < n; j++) out[j] = ty == GGML_Q8_0 ? referee.dequantQ8_0(b, j) : referee.dequantF32(b, j);
    }

    function _checkChunk(
        bytes memory chunk,
        uint256 len,
        uint256 c,
        bytes32[] memory proof,
        bytes32 root,
        string memory what
    ) internal pure {
        uint256 chunks = (len + 31) / 32;
        uint256 n = len - 32 * c;
        if (n > 32) n = 32;
        if (chunk.length != 4 * n) revert OpeningLength(what, 4 * n, chunk.length);
        if (GameMerkle.root(GameMerkle.leafNode(chunk), c, chunks, proof) != root) revert WrongOpening(what);
    }

    /// @dev `_weightBlock` of a tensor that must be F32 (norms, biases, the rope table: read as raw floats).
    function _f32Block(
        StepInput calldata s,
        StepShapes.ModelSpec memory m,
        uint256 t,
        uint256 row,
        uint256 c,
        bytes memory o
    ) internal pure returns (bytes memory blk) {
        uint8 ty;
        (ty, blk) = _weightBlock(s, m, t, row, c, o);
        if (ty != GGML_F32) revert WeightTypeNotCovered(ty);
    }

    /// @dev The block holding 32-element chunk c of row `row` of tensor t, checked against the weights root;
    ///      returns its ggml type. A leaf is one GGUF block (SPEC-12 section 5): F32 32 elements (a row's last may
    ///      be short), Q8_0 (34 bytes) and Q4_0 (18) 32 elements, so leaf c of the row; Q4_K (144) and Q6_K (210)
    ///      super-blocks of 256, so leaf c / 8 of the row, whose sub-block c % 8 the chunk is.
    function _weightBlock(
        StepInput calldata s,
        StepShapes.ModelSpec memory m,
        uint256 t,
        uint256 row,
        uint256 c,
        bytes memory o
    ) internal pure returns (uint8 ty, bytes memory blk) {
        bytes32[] memory blockProof;
        bytes32[] memory tensorProof;
        (blk, blockProof, tensorProof) = abi.decode(o, (bytes, bytes32[], bytes32[]));
        (uint256 rows, uint256 cols) = _shape(m, t);
        ty = m.tensorTypes[t];
        uint256 per = 32; // elements per leaf
        uint256 len;
        if (ty == GGML_F32) {
            uint256 n = cols - 32 * c;
            if (n > 32) n = 32;
            len = 4 * n;
        } else {
            if (ty == GGML_Q8_0) len = 34;
            else if (ty == GGML_Q4_0) len = 18;
            else if (ty == GGML_Q4_K) (per, len) = (256, 144);
            else if (ty == GGML_Q6_K) (per, len) = (256, 210);
            else revert WeightTypeNotCovered(ty);
            if (cols % per != 0) revert WeightTypeNotCovered(ty);
        }
        if (blk.length != len) revert OpeningLength("weight block", len, blk.length);
        uint256 bpr = (cols + per - 1) / per;
        bytes32 tensorRoot = GameMerkle.root(GameMerkle.leafNode(blk), row * bpr + (32 * c) / per, rows * bpr, blockProof);
        bytes32 w = GameMerkle.root(GameMerkle.leafNode32(tensorRoot), t, StepShapes.tensorCount(m), tensorProof);
        if (w != s.weightsRoot) revert WrongOpening("weight blk");
    }

    /// @dev The tensor (section 5's canonical order) that op `op` of layer l multiplies by.
    function _tensorOf(StepShapes.ModelSpec memory m, uint256 l, uint256 op) internal pure returns (uint256) {
        uint256 base = l * StepShapes.perLayer(m);
        uint256 shift = m.hasQkvBias ? 3 : 0;
        if (op == StepShapes.Q) return base + 1;
        if (op == StepShapes.K) return base + 2;
        if (op == StepShapes.V) return base + 3;
        if (op == StepShapes.WO) return base + 4 + shift;
        if (op == StepShapes.GATE) return base + 6 + shift;
        if (op == StepShapes.UP) return base + 7 + shift;
        return base + 8 + shift; // DOWN
    }

    /// @dev (rows, cols) of tensor t (a 1-D tensor is one row).
    function _shape(StepShapes.ModelSpec memory m, uint256 t) internal pure returns (uint256, uint256) {
        uint256 per = StepShapes.perLayer(m);
        uint256 layersEnd = uint256(m.layers) * per;
        uint256 dim = m.dim;
        if (t >= layersEnd) {
            uint256 k = t - layersEnd;
            if (k == 0) return (m.vocab, dim); // token_embd
            if (k == 1) return (1, dim); // output_norm
            if (k == 2 && !m.tiedOutput) return (m.vocab, dim); // output
            return (m.ropePositions, m.rotDim); // rope table
        }
        uint256 i = t % per;
        uint256 q = StepShapes.qDim(m);
        uint256 kv = StepShapes.kvDim(m);
        if (i == 0) return (1, dim); // attn_norm
        if (i == 1) return (q, dim);
        if (i == 2 || i == 3) return (kv, dim);
        if (m.hasQkvBias) {
            if (i == 4) return (1, q);
            if (i == 5 || i == 6) return (1, kv);
            i -= 3;
        }
        if (i == 4) return (dim, q); // wo
        if (i == 5) return (1, dim); // ffn_norm
        if (i == 6 || i == 7) return (m.ffnDim, dim); // gate, up
        return (dim, m.ffnDim); // down
    }
}
