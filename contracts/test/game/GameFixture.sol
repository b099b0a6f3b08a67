// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Test, Vm} from "../utils/Vm.sol";
import {IDisputeGame} from "../../src/interfaces/IDisputeGame.sol";
import {DisputeGame} from "../../src/game/DisputeGame.sol";
import {OneStep} from "../../src/game/OneStep.sol";
import {StepReferee} from "../../src/step/StepReferee.sol";
import {FakeGameMarket, Trees, Console} from "./GameWorld.sol";

/// @title A small hand-built model world for whole games: a tiny llama spec, a weights commitment with
///        real Q8_0 and F32 tensors where the covered steps read them, token ids, and two parties' traces.
/// @notice Every vector is small integers, so every binary32 sum and product here is exact: the expected
///         values are integer arithmetic (Trees.f converts), never the contract's softfloat.
abstract contract GameFixture is Test {
    uint32 internal constant LAYERS = 2;
    uint32 internal constant POSITIONS = 3;
    uint32 internal constant DIM = 64;
    uint32 internal constant HEADS = 2;
    uint32 internal constant KV_HEADS = 1;
    uint32 internal constant HEAD_DIM = 32;
    uint32 internal constant FFN = 64;
    uint32 internal constant VOCAB = 8;
    uint64 internal constant CLOCK = 3600;
    address internal constant CLAIMER = address(0xC1A1);
    address internal constant CHALLENGER = address(0xC4A1);
    uint256 internal constant TASK = 77;

    FakeGameMarket internal market;
    OneStep internal oneStep;
    DisputeGame internal game;
    bytes internal spec;
    bytes internal tokens;
    bytes32 internal weightsRoot;
    bool internal logGas;

    /// @dev One party's view: the disputed step's op vectors (integers) and all trace leaves.
    struct Side {
        uint256 leaf; // the disputed leaf i = p * LAYERS + l
        int256[][22] ops;
        int256[] xIn;
        bytes32[] leaves;
        int256 lieDelta; // the liar's change of its disputed element (0 for the honest party)
        uint256 lieOp;
        uint256 lieElem;
        uint256 lieChunk; // first state chunk the liar changes (reductions)
    }

    function setUp() public virtual {
        market = new FakeGameMarket();
        oneStep = new OneStep(new StepReferee());
        game = new DisputeGame(address(market), oneStep);
        market.setGame(game);
        uint8[] memory types = new uint8[](LAYERS * 9 + 3);
        for (uint256 l; l < LAYERS; l++) {
            // attn_norm F32, wq wk wv Q8_0, wo Q8_0, ffn_norm F32, gate Q8_0, up F32, down Q8_0
            uint8[9] memory t = [0, 8, 8, 8, 8, 0, 8, 0, 8];
            for (uint256 k; k < 9; k++) types[l * 9 + k] = t[k];
        }
        types[LAYERS * 9] = 8; // token_embd
        types[LAYERS * 9 + 1] = 0; // output_norm
        types[LAYERS * 9 + 2] = 0; // rope (output tied)
        spec = abi.encode(
            uint32(1), LAYERS, DIM, HEADS, KV_HEADS, HEAD_DIM, FFN, VOCAB, uint32(0x3727c5ac), uint32(0x3e3504f3),
            uint8(0), uint32(32), uint32(8), false, true, types
        );
        tokens = abi.encodePacked(_le(1), _le(5), _le(3), _le(7));
        bytes32[] memory nodes = new bytes32[](types.length);
        for (uint256 t; t < types.length; t++) nodes[t] = Trees.leafNode32(_tensorRoot(t));
        weightsRoot = Trees.root(Trees.build(nodes));
        vm.warp(1_000_000);
    }

    // ---------------------------------------------------------------- weights

    function _le(uint32 v) internal pure returns (bytes4) {
        return bytes4(uint32(uint8(v)) << 24 | uint32(uint8(v >> 8)) << 16 | uint32(uint8(v >> 16)) << 8 | v >> 24);
    }

    /// @dev Tensor t's (rows, cols, Q8_0?) for the tensors built for real; others are opaque roots.
    function _real(uint256 t) internal pure returns (bool real, uint256 rows, uint256 cols, bool q8) {
        if (t == LAYERS * 9) return (true, VOCAB, DIM, true); // token_embd
        if (t >= LAYERS * 9) return (false, 0, 0, false);
        uint256 i = t % 9;
        if (i == 6) return (true, FFN, DIM, true); // gate
        if (i == 7) return (true, FFN, DIM, false); // up
        if (i == 8) return (true, DIM, FFN, true); // down
        return (false, 0, 0, false);
    }

    /// @dev The integer weight (row r, column c) of tensor t.
    function _w(uint256 t, uint256 r, uint256 c) internal pure returns (int256) {
        return int256((r * 3 + c + t) % 5) - 2;
    }

    function _block(uint256 t, uint256 r, uint256 b) internal pure returns (bytes memory out) {
        (, , uint256 cols, bool q8) = _real(t);
        if (q8) {
            out = new bytes(34);
            out[0] = 0x00;
            out[1] = 0x3c; // f16 1.0
            for (uint256 j; j < 32; j++) out[2 + j] = bytes1(uint8(int8(_w(t, r, 32 * b + j))));
            return out;
        }
        uint256 n = cols - 32 * b;
        if (n > 32) n = 32;
        uint32[] memory w = new uint32[](n);
        for (uint256 j; j < n; j++) w[j] = Trees.f(_w(t, r, 32 * b + j));
        return Trees.chunk(w, 0);
    }

    function _tensorLevels(uint256 t) internal pure returns (bytes32[][] memory) {
        (, uint256 rows, uint256 cols,) = _real(t);
        uint256 bpr = (cols + 31) / 32;
        bytes32[] memory nodes = new bytes32[](rows * bpr);
        for (uint256 r; r < rows; r++) {
            for (uint256 b; b < bpr; b++) nodes[r * bpr + b] = Trees.leafNode(_block(t, r, b));
        }
        return Trees.build(nodes);
    }

    function _tensorRoot(uint256 t) internal pure returns (bytes32) {
        (bool real,,,) = _real(t);
        if (!real) return keccak256(abi.encode("tensor", t));
        return Trees.root(_tensorLevels(t));
    }

    /// @dev A weight opening (block, blockProof, tensorProof) of block b of row r of tensor t.
    function weightOpening(uint256 t, uint256 r, uint256 b) internal pure returns (bytes memory) {
        (, , uint256 cols,) = _real(t);
        uint256 bpr = (cols + 31) / 32;
        bytes32[] memory nodes = new bytes32[](LAYERS * 9 + 3);
        for (uint256 k; k < nodes.length; k++) nodes[k] = Trees.leafNode32(_tensorRoot(k));
        return abi.encode(
            _block(t, r, b), Trees.proof(_tensorLevels(t), r * bpr + b), Trees.proof(Trees.build(nodes), t)
        );
    }

    // ---------------------------------------------------------------- the step's vectors

    function _len(uint256 op, uint256 p) internal pure returns (uint256) {
        if (op == 0 || op == 15) return 1;
        if (op == 1 || op == 13 || op == 14 || op == 16 || op == 20 || op == 21) return DIM;
        if (op == 2 || op == 5 || op == 12) return HEADS * HEAD_DIM;
        if (op == 3 || op == 4 || op == 6) return KV_HEADS * HEAD_DIM;
        if (op == 7 || op == 9 || op == 11) return HEADS * (p + 1);
        if (op == 8 || op == 10) return HEADS;
        return FFN;
    }

    function _pattern(uint256 k, uint256 n, uint256 seed) internal pure returns (int256[] memory v) {
        v = new int256[](n);
        for (uint256 i; i < n; i++) v[i] = int256((k * 7 + i * 3 + seed) % 9) - 4;
    }

    /// @dev The honest party at leaf (p, l): op vectors consistent where the covered steps check them.
    function honest(uint256 p, uint256 l) internal pure returns (Side memory s) {
        s.leaf = p * LAYERS + l;
        if (l > 0) {
            s.xIn = _pattern(99, DIM, p);
        } else {
            uint256 tok = [uint256(1), 5, 3, 7][p];
            s.xIn = new int256[](DIM);
            for (uint256 i; i < DIM; i++) s.xIn[i] = _w(LAYERS * 9, tok, i);
        }
        for (uint256 k; k < 22; k++) s.ops[k] = _pattern(k, _len(k, p), p + l);
        uint256 base = l * 9;
        s.ops[0] = _sumSquares(s.xIn);
        for (uint256 i; i < DIM; i++) s.ops[14][i] = s.xIn[i] + s.ops[13][i];
        s.ops[15] = _sumSquares(s.ops[14]);
        s.ops[17] = _matvec(base + 6, FFN, DIM, s.ops[16]);
        s.ops[18] = _matvec(base + 7, FFN, DIM, s.ops[16]);
        s.ops[20] = _matvec(base + 8, DIM, FFN, s.ops[19]);
        for (uint256 i; i < DIM; i++) s.ops[21][i] = s.ops[14][i] + s.ops[20][i];
        s.leaves = new bytes32[](POSITIONS * LAYERS);
        for (uint256 i; i < s.leaves.length; i++) s.leaves[i] = keccak256(abi.encode("leaf", i));
        s.leaves[s.leaf] = leafHashOf(s);
        if (l > 0) s.leaves[s.leaf - 1] = _xInLeaf(s);
    }

    /// @dev The same world, with one element of op `op` wrong by `delta` (a reduction's states wrong from
    ///      chunk `chunk` on), x_out[0] changed too when op < 21 (what it computes after is different), and
    ///      every later leaf different.
    function liar(uint256 p, uint256 l, uint256 op, uint256 e, uint256 chunk, int256 delta)
        internal
        pure
        returns (Side memory s)
    {
        s = honest(p, l);
        s.lieDelta = delta;
        s.lieOp = op;
        s.lieElem = e;
        s.lieChunk = chunk;
        s.ops[op][e] += delta;
        if (op != 21) s.ops[21][0] += 1;
        s.leaves[s.leaf] = leafHashOf(s);
        for (uint256 i = s.leaf + 1; i < s.leaves.length; i++) s.leaves[i] = keccak256(abi.encode("liar", i));
    }

    function _sumSquares(int256[] memory x) internal pure returns (int256[] memory r) {
        r = new int256[](1);
        for (uint256 i; i < x.length; i++) r[0] += x[i] * x[i];
    }

    function _matvec(uint256 t, uint256 rows, uint256 cols, int256[] memory x) internal pure returns (int256[] memory y) {
        y = new int256[](rows);
        for (uint256 r; r < rows; r++) {
            for (uint256 c; c < cols; c++) y[r] += _w(t, r, c) * x[c];
        }
    }

    function _xInLeaf(Side memory s) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x02), Trees.root(Trees.vec(_f(s.xIn))), keccak256("k"), keccak256("v")));
    }

    function _f(int256[] memory v) internal pure returns (uint32[] memory out) {
        out = new uint32[](v.length);
        for (uint256 i; i < v.length; i++) out[i] = Trees.f(v[i]);
    }

    function opRootsOf(Side memory s) internal pure returns (bytes32[22] memory r) {
        for (uint256 k; k < 22; k++) r[k] = Trees.root(Trees.vec(_f(s.ops[k])));
    }

    function leafHashOf(Side memory s) internal pure returns (bytes32) {
        bytes32[22] memory r = opRootsOf(s);
        return keccak256(abi.encodePacked(bytes1(0x02), r[21], r[6], r[4]));
    }

    function traceLevels(Side memory s) internal pure returns (bytes32[][] memory) {
        bytes32[] memory nodes = new bytes32[](s.leaves.length);
        for (uint256 i; i < nodes.length; i++) nodes[i] = Trees.leafNode32(s.leaves[i]);
        return Trees.build(nodes);
    }

    // ---------------------------------------------------------------- reduction states

    /// @dev The products of element e's reduction of op `op` (element i goes to partial i mod 16).
    function _products(Side memory s, uint256 op, uint256 e) internal pure returns (int256[] memory pr) {
        uint256 l = s.leaf % LAYERS;
        if (op == 0 || op == 15) {
            int256[] memory x = op == 0 ? s.xIn : s.ops[14];
            pr = new int256[](x.length);
            for (uint256 i; i < x.length; i++) pr[i] = x[i] * x[i];
            return pr;
        }
        uint256 t = l * 9 + (op == 17 ? 6 : op == 18 ? 7 : 8);
        int256[] memory a = op == 20 ? s.ops[19] : s.ops[16];
        pr = new int256[](a.length);
        for (uint256 i; i < a.length; i++) pr[i] = _w(t, e, i) * a[i];
    }

    /// @dev States S_1..S_T (index c = after chunk c) of the party's reduction of element e.
    function states(Side memory s, uint256 op, uint256 e) internal pure returns (bytes[] memory out) {
        int256[] memory pr = _products(s, op, e);
        uint256 chunks = (pr.length + 31) / 32;
        out = new bytes[](chunks);
        int256[16] memory acc;
        for (uint256 c; c < chunks; c++) {
            for (uint256 i = 32 * c; i < pr.length && i < 32 * c + 32; i++) acc[i % 16] += pr[i];
            int256[16] memory shown;
            for (uint256 m; m < 16; m++) shown[m] = acc[m];
            if (s.lieDelta != 0 && op == s.lieOp && e == s.lieElem && c >= s.lieChunk) shown[0] += s.lieDelta;
            out[c] = Trees.stateBytes(shown);
        }
    }

    function stateLevels(bytes[] memory st) internal pure returns (bytes32[][] memory) {
        bytes32[] memory nodes = new bytes32[](st.length);
        for (uint256 i; i < st.length; i++) nodes[i] = Trees.leafNode(st[i]);
        return Trees.build(nodes);
    }

    // ---------------------------------------------------------------- openings

    function opChunkOpening(Side memory s, uint256 k, uint256 c) internal pure returns (bytes memory) {
        uint32[] memory v = _f(s.ops[k]);
        return abi.encode(Trees.chunk(v, c), Trees.proof(Trees.vec(v), c));
    }

    /// @dev x_in chunk c; the trace proof comes from the claimer's tree (`claimerSide`).
    function xInOpening(Side memory s, Side memory claimerSide, uint256 c) internal pure returns (bytes memory) {
        uint256 l = s.leaf % LAYERS;
        uint256 p = s.leaf / LAYERS;
        if (l > 0) {
            uint32[] memory v = _f(s.xIn);
            bytes32[3] memory pre = [Trees.root(Trees.vec(v)), keccak256("k"), keccak256("v")];
            return abi.encode(
                pre, Trees.proof(traceLevels(claimerSide), s.leaf - 1), Trees.chunk(v, c), Trees.proof(Trees.vec(v), c)
            );
        }
        uint256 tok = [uint256(1), 5, 3, 7][p];
        (bytes memory blk, bytes32[] memory bp, bytes32[] memory tp) =
            abi.decode(weightOpening(LAYERS * 9, tok, c), (bytes, bytes32[], bytes32[]));
        return abi.encode(tokens_(), blk, bp, tp);
    }

    function tokens_() internal pure returns (bytes memory) {
        return abi.encodePacked(_le(1), _le(5), _le(3), _le(7));
    }

    /// @dev The openings of the step at (op, element e, state chunk c) from the honest party's data.
    function stepOpenings(Side memory h, Side memory claimerSide, uint256 op, uint256 e, uint256 c)
        internal
        pure
        returns (bytes memory)
    {
        uint256 l = h.leaf % LAYERS;
        if (op == 21) return abi.encode(opChunkOpening(h, 14, e / 32), opChunkOpening(h, 20, e / 32));
        if (op == 14) return abi.encode(xInOpening(h, claimerSide, e / 32), opChunkOpening(h, 13, e / 32));
        if (op == 0) return xInOpening(h, claimerSide, c);
        if (op == 15) return opChunkOpening(h, 14, c);
        uint256 t = l * 9 + (op == 17 ? 6 : op == 18 ? 7 : 8);
        return abi.encode(opChunkOpening(h, op == 20 ? 19 : 16, c), weightOpening(t, e, c));
    }

    // ---------------------------------------------------------------- playing

    function startGame(Side memory c, Side memory ch) internal returns (uint256) {
        IDisputeGame.StartParams memory p = IDisputeGame.StartParams({
            taskId: TASK,
            claimerAgentId: 1,
            claimer: CLAIMER,
            challengerAgentId: 2,
            challenger: CHALLENGER,
            claimerRoot: Trees.root(traceLevels(c)),
            challengerRoot: Trees.root(traceLevels(ch)),
            positions: POSITIONS,
            layers: LAYERS,
            specHash: keccak256(spec),
            weightsRoot: weightsRoot,
            tokensHash: keccak256(tokens),
            clock: CLOCK
        });
        return market.open(p);
    }

    function _g(uint256 id) internal view returns (DisputeGame.Game memory) {
        return game.gameOf(id);
    }

    /// @dev Plays the current level's two moves (claimer first when `claimerFirst`). Returns false once the
    ///      game is at its Step or over.
    function playLevel(uint256 id, Side memory c, Side memory ch, bool claimerFirst) internal returns (bool) {
        DisputeGame.Game memory g = _g(id);
        if (g.phase == DisputeGame.Phase.Step || g.phase == DisputeGame.Phase.Resolved) return false;
        (Side memory a, Side memory b) = claimerFirst ? (c, ch) : (ch, c);
        (address ma, address mb) = claimerFirst ? (CLAIMER, CHALLENGER) : (CHALLENGER, CLAIMER);
        if (g.phase == DisputeGame.Phase.Leaf) {
            bytes32[22] memory ra = opRootsOf(a);
            bytes32[22] memory none;
            _call(ma, abi.encodeCall(DisputeGame.revealLeaf, (id, ra, none, "")), "leaf reveal, first");
            _call(mb, abi.encodeCall(DisputeGame.revealLeaf, (id, opRootsOf(b), ra, spec)), "leaf reveal, second");
            return true;
        }
        if (g.phase == DisputeGame.Phase.Chunk) {
            bytes memory ka = Trees.chunk(_f(a.ops[g.op]), g.index);
            _call(ma, abi.encodeCall(DisputeGame.revealChunk, (id, ka, "")), "chunk reveal, first");
            _call(mb, abi.encodeCall(DisputeGame.revealChunk, (id, Trees.chunk(_f(b.ops[g.op]), g.index), ka)), "chunk reveal, second");
            return true;
        }
        if (g.phase == DisputeGame.Phase.States) {
            _postStates(id, ma, a, g);
            if (_g(id).phase == DisputeGame.Phase.Resolved) return false;
            _postStates(id, mb, b, g);
            return true;
        }
        uint256 d = g.level < 3 ? g.level : 3;
        bytes32[] memory na = Trees.below(_levelsOf(a, g), g.level, g.index, d);
        bytes32[] memory empty;
        string memory what = g.phase == DisputeGame.Phase.Trace ? "trace" : g.phase == DisputeGame.Phase.Vec ? "vector" : "states";
        _call(ma, abi.encodeCall(DisputeGame.bisect, (id, na, empty)), string.concat(what, " bisect, first"));
        _call(mb, abi.encodeCall(DisputeGame.bisect, (id, Trees.below(_levelsOf(b, g), g.level, g.index, d), na)), string.concat(what, " bisect, second"));
        return true;
    }

    function _postStates(uint256 id, address mover, Side memory s, DisputeGame.Game memory g) internal {
        bytes[] memory st = states(s, g.op, g.elem);
        bytes32[][] memory lv = stateLevels(st);
        _call(
            mover,
            abi.encodeCall(
                DisputeGame.postStates, (id, Trees.root(lv), st[st.length - 1], Trees.proof(lv, st.length - 1), spec, "")
            ),
            "states post"
        );
    }

    function _levelsOf(Side memory s, DisputeGame.Game memory g) internal pure returns (bytes32[][] memory) {
        if (g.phase == DisputeGame.Phase.Trace) return traceLevels(s);
        if (g.phase == DisputeGame.Phase.Vec) return Trees.vec(_f(s.ops[g.op]));
        return stateLevels(states(s, g.op, g.elem));
    }

    /// @dev The honest party's step call; returns whether the recomputed value matched each party.
    function stepCall(uint256 id, Side memory h, Side memory claimerSide, address mover)
        internal
        returns (bool claimerMatches, bool challengerMatches)
    {
        DisputeGame.Game memory g = _g(id);
        uint256 c = g.index;
        bytes memory prev;
        bytes32[] memory prevProof;
        // the mover (h) proves the agreed state and leaves against its own trees: DisputeGame checks them
        // against the mover's roots (a proof's right-hand siblings may exist in the mover's tree only)
        if (c > 0) {
            bytes[] memory st = states(h, g.op, g.elem);
            prev = st[c - 1];
            prevProof = Trees.proof(stateLevels(st), c - 1);
        }
        vm.recordLogs();
        _call(
            mover,
            abi.encodeCall(
                DisputeGame.step,
                (id, spec, opRootsOf(claimerSide), prev, prevProof, stepOpenings(h, h, g.op, g.elem, c))
            ),
            "one step"
        );
        Vm.Log[] memory logs = vm.getRecordedLogs();
        bytes32 topic = DisputeGame.StepChecked.selector;
        for (uint256 i; i < logs.length; i++) {
            if (logs[i].emitter == address(game) && logs[i].topics[0] == topic) {
                (,,, claimerMatches, challengerMatches) = abi.decode(logs[i].data, (uint256, uint256, uint256, bool, bool));
                return (claimerMatches, challengerMatches);
            }
        }
        revert("no StepChecked event");
    }

    /// @dev The step by the honest side; asserts the verifier recomputed exactly the honest value and
    ///      not the liar's.
    function honestStep(uint256 id, Side memory h, Side memory claimerSide, bool honestIsClaimer) internal {
        (bool cm, bool chm) = stepCall(id, h, claimerSide, honestIsClaimer ? CLAIMER : CHALLENGER);
        assertTrue(cm == honestIsClaimer, "claimer's value vs the recomputed one");
        assertTrue(chm == !honestIsClaimer, "challenger's value vs the recomputed one");
    }

    function playToStep(uint256 id, Side memory c, Side memory ch, bool claimerFirst) internal {
        while (playLevel(id, c, ch, claimerFirst)) {}
    }

    function _call(address who, bytes memory data, string memory what) internal {
        vm.prank(who);
        uint256 g0 = gasleft();
        (bool ok, bytes memory ret) = address(game).call(data);
        uint256 used = g0 - gasleft();
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        if (logGas) Console.log(what, used);
    }
}
