// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Test} from "../utils/Vm.sol";
import {IDisputeGame} from "../../src/interfaces/IDisputeGame.sol";
import {DisputeGame} from "../../src/game/DisputeGame.sol";
import {OneStep} from "../../src/game/OneStep.sol";
import {IOneStep} from "../../src/game/IOneStep.sol";
import {StepReferee} from "../../src/step/StepReferee.sol";
import {FakeGameMarket, Trees, Console} from "./GameWorld.sol";

/// @title Whole games at Llama-3.2-1B's shapes (16 layers, dim 2048, 32 heads, 8 KV heads, head dim 64,
///        ffn 8192, Q8_0 matrices, a 256-position claim: 4096 trace leaves), every move's gas printed.
/// @notice The trees have the real sizes (trace 4096 leaves, vectors of 2048 and 8192 floats, 256 states,
///         the down matrix's 524,288-block tree, 147 tensors); what no move reads is opaque hashes. Only the
///         disputed element's inputs are real numbers (small integers: exact sums). Run with -vv to see the
///         figures (docs/gas.md): forge test --match-contract GameGasLlamaTest -vv
contract GameGasLlamaTest is Test {
    uint32 internal constant LAYERS = 16;
    uint32 internal constant POSITIONS = 256;
    uint32 internal constant DIM = 2048;
    uint32 internal constant FFN = 8192;
    uint256 internal constant TENSORS = 16 * 9 + 3;
    address internal constant CLAIMER = address(0xC1A1);
    address internal constant CHALLENGER = address(0xC4A1);

    FakeGameMarket internal market;
    DisputeGame internal game;
    bytes internal spec;
    uint256 internal totalGas;
    uint256 internal moves;

    struct Party {
        bytes32[] leaves;
        bytes32[22] opRoots;
        uint32[] vec; // the disputed op's output vector
        bytes[] states; // S_1..S_T of the disputed element (reductions)
    }

    function setUp() public {
        market = new FakeGameMarket();
        game = new DisputeGame(address(market), new OneStep(new StepReferee()));
        market.setGame(game);
        uint8[] memory types = new uint8[](TENSORS);
        for (uint256 l; l < LAYERS; l++) {
            uint8[9] memory t = [0, 8, 8, 8, 8, 0, 8, 8, 8];
            for (uint256 k; k < 9; k++) types[l * 9 + k] = t[k];
        }
        types[TENSORS - 3] = 8; // token_embd (output tied)
        spec = abi.encode(
            uint32(1), LAYERS, DIM, uint32(32), uint32(8), uint32(64), FFN, uint32(128256), uint32(0x3727c5ac),
            uint32(0x3e000000), uint8(0), uint32(64), uint32(2048), false, true, types
        );
        vm.warp(1_000_000);
    }

    // ---------------------------------------------------------------- building

    function _w(uint256 r, uint256 c) internal pure returns (int256) {
        return int256((r * 3 + c) % 5) - 2;
    }

    function _act(uint256 i) internal pure returns (int256) {
        return int256((i * 7) % 9) - 4;
    }

    function _q8Block(uint256 r, uint256 b) internal pure returns (bytes memory out) {
        out = new bytes(34);
        out[1] = 0x3c; // f16 1.0
        for (uint256 j; j < 32; j++) out[2 + j] = bytes1(uint8(int8(_w(r, 32 * b + j))));
    }

    /// @dev The root reached from `node` at `index` of a `size`-leaf tree with opaque siblings (seeded).
    function _opaqueRoot(bytes32 node, uint256 index, uint256 size, bytes32 seed)
        internal
        pure
        returns (bytes32, bytes32[] memory proof)
    {
        bytes32[] memory tmp = new bytes32[](64);
        uint256 n;
        while (size > 1) {
            if (!(index == size - 1 && size % 2 == 1)) {
                bytes32 sib = keccak256(abi.encode(seed, n));
                tmp[n++] = sib;
                node = index % 2 == 0 ? Trees.inner(node, sib) : Trees.inner(sib, node);
            }
            index /= 2;
            size = (size + 1) / 2;
        }
        proof = new bytes32[](n);
        for (uint256 k; k < n; k++) proof[k] = tmp[k];
        return (node, proof);
    }

    function _leafHash(bytes32[22] memory r) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(bytes1(0x02), r[21], r[6], r[4]));
    }

    function _traceLevels(Party memory s) internal pure returns (bytes32[][] memory) {
        bytes32[] memory nodes = new bytes32[](s.leaves.length);
        for (uint256 i; i < nodes.length; i++) nodes[i] = Trees.leafNode32(s.leaves[i]);
        return Trees.build(nodes);
    }

    /// @dev Both parties at leaf i: opaque agreed op roots, op `op`'s real vector `vec` (the liar's with
    ///      element e + 1), x_out's root different for the liar; leaves after i differ.
    function _parties(uint256 i, uint256 op, uint32[] memory honestVec, uint32[] memory liarVec)
        internal
        pure
        returns (Party memory h, Party memory c)
    {
        for (uint256 k; k < 22; k++) {
            h.opRoots[k] = keccak256(abi.encode("op", k));
            c.opRoots[k] = h.opRoots[k];
        }
        h.vec = honestVec;
        c.vec = liarVec;
        h.opRoots[op] = Trees.root(Trees.vec(honestVec));
        c.opRoots[op] = Trees.root(Trees.vec(liarVec));
        if (op != 21) c.opRoots[21] = keccak256("liar's x_out");
        h.leaves = new bytes32[](POSITIONS * LAYERS);
        c.leaves = new bytes32[](POSITIONS * LAYERS);
        for (uint256 k; k < h.leaves.length; k++) {
            h.leaves[k] = keccak256(abi.encode("leaf", k));
            c.leaves[k] = k < i ? h.leaves[k] : keccak256(abi.encode("liar", k));
        }
        h.leaves[i] = _leafHash(h.opRoots);
        c.leaves[i] = _leafHash(c.opRoots);
    }

    function _start(Party memory c, Party memory h, bytes32 weightsRoot) internal returns (uint256) {
        return market.open(
            IDisputeGame.StartParams({
                taskId: 1,
                claimerAgentId: 1,
                claimer: CLAIMER,
                challengerAgentId: 2,
                challenger: CHALLENGER,
                claimerRoot: Trees.root(_traceLevels(c)),
                challengerRoot: Trees.root(_traceLevels(h)),
                positions: POSITIONS,
                layers: LAYERS,
                specHash: keccak256(spec),
                weightsRoot: weightsRoot,
                tokensHash: keccak256("tokens"),
                clock: 3600
            })
        );
    }

    // ---------------------------------------------------------------- playing, with gas

    function _call(address who, bytes memory data, string memory what) internal {
        uint256 cd = 21000;
        for (uint256 i; i < data.length; i++) cd += data[i] == 0 ? 4 : 16;
        vm.prank(who);
        uint256 g0 = gasleft();
        (bool ok, bytes memory ret) = address(game).call(data);
        uint256 used = g0 - gasleft();
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        // transaction gas = execution (measured) + 21,000 + calldata (16 per non-zero byte, 4 per zero byte)
        Console.log(string.concat(what, ": tx gas"), used + cd);
        totalGas += used + cd;
        moves++;
    }

    function _levels(Party memory s, DisputeGame.Game memory g) internal pure returns (bytes32[][] memory) {
        if (g.phase == DisputeGame.Phase.Trace) return _traceLevels(s);
        if (g.phase == DisputeGame.Phase.Vec) return Trees.vec(s.vec);
        bytes32[] memory nodes = new bytes32[](s.states.length);
        for (uint256 i; i < nodes.length; i++) nodes[i] = Trees.leafNode(s.states[i]);
        return Trees.build(nodes);
    }

    /// @dev Plays levels until the Step; returns the rounds (levels) played.
    function _play(uint256 id, Party memory c, Party memory h) internal returns (uint256 rounds) {
        while (true) {
            DisputeGame.Game memory g = game.gameOf(id);
            if (g.phase == DisputeGame.Phase.Step || g.phase == DisputeGame.Phase.Resolved) return rounds;
            rounds++;
            if (g.phase == DisputeGame.Phase.Leaf) {
                bytes32[22] memory none;
                _call(CLAIMER, abi.encodeCall(DisputeGame.revealLeaf, (id, c.opRoots, none, "")), "leaf reveal (first)");
                _call(CHALLENGER, abi.encodeCall(DisputeGame.revealLeaf, (id, h.opRoots, c.opRoots, spec)), "leaf reveal (second, finds the op)");
            } else if (g.phase == DisputeGame.Phase.Chunk) {
                bytes memory kc = Trees.chunk(c.vec, g.index);
                _call(CLAIMER, abi.encodeCall(DisputeGame.revealChunk, (id, kc, "")), "chunk reveal (first)");
                _call(CHALLENGER, abi.encodeCall(DisputeGame.revealChunk, (id, Trees.chunk(h.vec, g.index), kc)), "chunk reveal (second, finds the element)");
            } else if (g.phase == DisputeGame.Phase.States) {
                _post(id, CLAIMER, c);
                _post(id, CHALLENGER, h);
            } else {
                uint256 d = g.level < 3 ? g.level : 3;
                bytes32[] memory nc = Trees.below(_levels(c, g), g.level, g.index, d);
                bytes32[] memory empty;
                string memory what = string.concat(
                    g.phase == DisputeGame.Phase.Trace ? "trace" : g.phase == DisputeGame.Phase.Vec ? "vector" : "states",
                    " bisect at level ", _s(g.level), ", ", _s(nc.length), " nodes"
                );
                _call(CLAIMER, abi.encodeCall(DisputeGame.bisect, (id, nc, empty)), string.concat(what, " (first)"));
                _call(CHALLENGER, abi.encodeCall(DisputeGame.bisect, (id, Trees.below(_levels(h, g), g.level, g.index, d), nc)), string.concat(what, " (second)"));
            }
        }
    }

    function _post(uint256 id, address who, Party memory s) internal {
        bytes32[] memory nodes = new bytes32[](s.states.length);
        for (uint256 i; i < nodes.length; i++) nodes[i] = Trees.leafNode(s.states[i]);
        bytes32[][] memory lv = Trees.build(nodes);
        uint256 t = s.states.length;
        _call(
            who,
            abi.encodeCall(DisputeGame.postStates, (id, Trees.root(lv), s.states[t - 1], Trees.proof(lv, t - 1), spec, "")),
            "states post (with finish)"
        );
    }

    function _s(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory b;
        while (v != 0) {
            b = bytes.concat(bytes1(uint8(48 + v % 10)), b);
            v /= 10;
        }
        return string(b);
    }

    // ---------------------------------------------------------------- the games

    /// A lying claimer at down[e] (op 20, Q8_0 row of 8192: 256 chunks), wrong from state chunk 137.
    function testLlama1BGameEndingInADownChunk() public {
        uint256 p = 200;
        uint256 l = 9;
        uint256 i = p * LAYERS + l;
        uint256 e = 1234;
        uint256 cl = 137;
        // the act vector (op 19, agreed) and the honest states of down[e]
        uint32[] memory act = new uint32[](FFN);
        for (uint256 k; k < FFN; k++) act[k] = Trees.f(_act(k));
        bytes[] memory hs = new bytes[](FFN / 32);
        bytes[] memory ls = new bytes[](FFN / 32);
        int256[16] memory acc;
        for (uint256 c; c < FFN / 32; c++) {
            for (uint256 k = 32 * c; k < 32 * c + 32; k++) acc[k % 16] += _w(e, k) * _act(k);
            hs[c] = Trees.stateBytes(acc);
            int256[16] memory lie;
            for (uint256 m; m < 16; m++) lie[m] = acc[m];
            if (c >= cl) lie[3] += 1;
            ls[c] = Trees.stateBytes(lie);
        }
        int256 total;
        for (uint256 m; m < 16; m++) total += acc[m];
        uint32[] memory hv = new uint32[](DIM);
        uint32[] memory lv = new uint32[](DIM);
        for (uint256 k; k < DIM; k++) {
            hv[k] = Trees.f(int256(k % 11) - 5);
            lv[k] = hv[k];
        }
        hv[e] = Trees.f(total);
        lv[e] = Trees.f(total + 1);
        (Party memory h, Party memory c) = _parties(i, 20, hv, lv);
        h.opRoots[19] = Trees.root(Trees.vec(act));
        c.opRoots[19] = h.opRoots[19];
        h.leaves[i] = _leafHash(h.opRoots);
        c.leaves[i] = _leafHash(c.opRoots);
        h.states = hs;
        c.states = ls;
        // the weights: the down tensor of layer l (2048 x 8192 Q8_0: 524,288 blocks) with block (e, cl)
        bytes memory blk = _q8Block(e, cl);
        (bytes32 tensorRoot, bytes32[] memory blockProof) = _opaqueRoot(Trees.leafNode(blk), e * 256 + cl, DIM * 256, "down");
        uint256 t = l * 9 + 8;
        (bytes32 weightsRoot, bytes32[] memory tensorProof) = _opaqueRoot(Trees.leafNode32(tensorRoot), t, TENSORS, "tensors");

        uint256 id = _start(c, h, weightsRoot);
        uint256 rounds = _play(id, c, h);
        DisputeGame.Game memory g = game.gameOf(id);
        assertTrue(g.phase == DisputeGame.Phase.Step, "at the step");
        assertEq(g.leaf, i, "leaf");
        assertEq(g.op, 20, "down");
        assertEq(g.elem, e, "element");
        assertEq(g.index, cl, "state chunk");
        // the challenger steps: it proves the agreed state S_cl against its own states root
        bytes32[] memory nodes = new bytes32[](hs.length);
        for (uint256 k; k < nodes.length; k++) nodes[k] = Trees.leafNode(hs[k]);
        bytes memory openings = abi.encode(
            abi.encode(Trees.chunk(act, cl), Trees.proof(Trees.vec(act), cl)), abi.encode(blk, blockProof, tensorProof)
        );
        _call(
            CHALLENGER,
            abi.encodeCall(DisputeGame.step, (id, spec, c.opRoots, hs[cl - 1], Trees.proof(Trees.build(nodes), cl - 1), openings)),
            "one step (down chunk, Q8_0)"
        );
        g = game.gameOf(id);
        assertTrue(g.phase == DisputeGame.Phase.Resolved && !g.claimerWon, "the liar lost");
        Console.log("down game: rounds (levels) before the step", rounds);
        Console.log("down game: transactions", moves);
        Console.log("down game: total tx gas, both parties", totalGas);
    }

    /// @dev Llama-3.2-1B's spec with every matrix and the (tied) token embedding of ggml type `ty`.
    function _specOfType(uint8 ty) internal pure returns (bytes memory) {
        uint8[] memory types = new uint8[](TENSORS);
        for (uint256 l; l < LAYERS; l++) {
            uint8[9] memory t = [0, ty, ty, ty, ty, 0, ty, ty, ty];
            for (uint256 k; k < 9; k++) types[l * 9 + k] = t[k];
        }
        types[TENSORS - 3] = ty;
        return abi.encode(
            uint32(1), LAYERS, DIM, uint32(32), uint32(8), uint32(64), FFN, uint32(128256), uint32(0x3727c5ac),
            uint32(0x3e000000), uint8(0), uint32(64), uint32(2048), false, true, types
        );
    }

    /// @dev Super-block sb of down's row r whose 256 values are exactly _w(r, col): Q4_K with d = dmin = 1.0 and
    ///      every sub-block's scale 1 and min 2 (value = 1 * q - 2, q = w + 2); Q6_K with d = 1.0 and every
    ///      scale 1 (value = 1 * (q - 32), q = w + 32), codes placed as the tensor classes read them.
    function _kBlock(uint8 ty, uint256 r, uint256 sb) internal pure returns (bytes memory out) {
        if (ty == 12) {
            out = new bytes(144);
            (out[1], out[3]) = (0x3c, 0x3c);
            for (uint256 j; j < 4; j++) (out[4 + j], out[8 + j], out[12 + j]) = (0x01, 0x02, 0x21);
            for (uint256 sub; sub < 8; sub++) {
                for (uint256 l; l < 32; l++) {
                    uint8 q = uint8(uint256(_w(r, 256 * sb + 32 * sub + l) + 2));
                    uint256 at = 16 + 32 * (sub / 2) + l;
                    out[at] = bytes1(uint8(out[at]) | (sub % 2 == 0 ? q : q << 4));
                }
            }
        } else {
            out = new bytes(210);
            out[209] = 0x3c;
            for (uint256 j = 192; j < 208; j++) out[j] = 0x01;
            for (uint256 sub; sub < 8; sub++) {
                (uint256 n, uint256 k) = (sub / 4, sub % 4);
                for (uint256 l; l < 32; l++) {
                    uint8 q = uint8(uint256(_w(r, 256 * sb + 32 * sub + l) + 32));
                    uint256 lo = 64 * n + l + 32 * (k & 1);
                    out[lo] = bytes1(uint8(out[lo]) | (k < 2 ? q & 15 : (q & 15) << 4));
                    out[128 + 32 * n + l] = bytes1(uint8(out[128 + 32 * n + l]) | uint8(uint256(q >> 4) << (2 * k)));
                }
            }
        }
    }

    // the K-quant down games' disputed step: leaf (200, 9), down[1234], state chunk 137
    uint256 internal constant KP = 200;
    uint256 internal constant KL = 9;
    uint256 internal constant KE = 1234;
    uint256 internal constant KC = 137;

    /// @dev The parties of the K-quant down games (as testLlama1BGameEndingInADownChunk's), and the act vector.
    function _downParties() internal pure returns (Party memory h, Party memory c, uint32[] memory act) {
        act = new uint32[](FFN);
        for (uint256 k; k < FFN; k++) act[k] = Trees.f(_act(k));
        bytes[] memory hs = new bytes[](FFN / 32);
        bytes[] memory ls = new bytes[](FFN / 32);
        int256[16] memory acc;
        for (uint256 ci; ci < FFN / 32; ci++) {
            for (uint256 k = 32 * ci; k < 32 * ci + 32; k++) acc[k % 16] += _w(KE, k) * _act(k);
            hs[ci] = Trees.stateBytes(acc);
            int256[16] memory lie;
            for (uint256 m; m < 16; m++) lie[m] = acc[m];
            if (ci >= KC) lie[3] += 1;
            ls[ci] = Trees.stateBytes(lie);
        }
        int256 total;
        for (uint256 m; m < 16; m++) total += acc[m];
        uint32[] memory hv = new uint32[](DIM);
        uint32[] memory lv = new uint32[](DIM);
        for (uint256 k; k < DIM; k++) {
            hv[k] = Trees.f(int256(k % 11) - 5);
            lv[k] = hv[k];
        }
        hv[KE] = Trees.f(total);
        lv[KE] = Trees.f(total + 1);
        uint256 i = KP * LAYERS + KL;
        (h, c) = _parties(i, 20, hv, lv);
        h.opRoots[19] = Trees.root(Trees.vec(act));
        c.opRoots[19] = h.opRoots[19];
        h.leaves[i] = _leafHash(h.opRoots);
        c.leaves[i] = _leafHash(c.opRoots);
        h.states = hs;
        c.states = ls;
    }

    /// @dev The down tensor of layer KL in type ty (2048 rows of 32 super-blocks: 65,536 leaves) under a
    ///      147-tensor weights root: the root and the opening of the super-block holding chunk KC of row KE.
    function _kWeights(uint8 ty) internal pure returns (bytes32 weightsRoot, bytes memory opening) {
        bytes memory blk = _kBlock(ty, KE, KC / 8);
        (bytes32 tensorRoot, bytes32[] memory blockProof) =
            _opaqueRoot(Trees.leafNode(blk), KE * (FFN / 256) + KC / 8, DIM * (FFN / 256), "down");
        bytes32[] memory tensorProof;
        (weightsRoot, tensorProof) = _opaqueRoot(Trees.leafNode32(tensorRoot), KL * 9 + 8, TENSORS, "tensors");
        opening = abi.encode(blk, blockProof, tensorProof);
    }

    /// @dev testLlama1BGameEndingInADownChunk with the down matrix in Q4_K (12) or Q6_K (14): the step opens the
    ///      super-block holding chunk 137 (super-block 17 of the row, sub-block 1) against a 65,536-leaf tensor.
    function _downGameK(uint8 ty, string memory label) internal {
        spec = _specOfType(ty);
        (Party memory h, Party memory c, uint32[] memory act) = _downParties();
        (bytes32 weightsRoot, bytes memory wOpening) = _kWeights(ty);
        uint256 id = _start(c, h, weightsRoot);
        uint256 rounds = _play(id, c, h);
        DisputeGame.Game memory g = game.gameOf(id);
        assertTrue(g.phase == DisputeGame.Phase.Step, "at the step");
        assertEq(g.op, 20, "down");
        assertEq(g.elem, KE, "element");
        assertEq(g.index, KC, "state chunk");
        bytes memory openings = abi.encode(abi.encode(Trees.chunk(act, KC), Trees.proof(Trees.vec(act), KC)), wOpening);
        _checkKChunk(h, c, weightsRoot, openings);
        bytes32[] memory nodes = new bytes32[](h.states.length);
        for (uint256 k; k < nodes.length; k++) nodes[k] = Trees.leafNode(h.states[k]);
        _call(
            CHALLENGER,
            abi.encodeCall(
                DisputeGame.step, (id, spec, c.opRoots, h.states[KC - 1], Trees.proof(Trees.build(nodes), KC - 1), openings)
            ),
            label
        );
        g = game.gameOf(id);
        assertTrue(g.phase == DisputeGame.Phase.Resolved && !g.claimerWon, "the liar lost");
        Console.log("down game: rounds (levels) before the step", rounds);
        Console.log("down game: total tx gas, both parties", totalGas);
    }

    /// @dev The referee's S_(KC+1) must be the honest state exactly: a wrong decoding would make both parties
    ///      differ from it, and the claimer would lose for that reason alone.
    function _checkKChunk(Party memory h, Party memory c, bytes32 weightsRoot, bytes memory openings) internal {
        IOneStep.StepInput memory si = IOneStep.StepInput({
            op: 20,
            p: uint32(KP),
            l: uint32(KL),
            e: uint32(KE),
            c: uint32(KC),
            traceRoot: Trees.root(_traceLevels(h)),
            leafCount: POSITIONS * LAYERS,
            weightsRoot: weightsRoot,
            tokensHash: keccak256("tokens"),
            opRoots: c.opRoots,
            spec: spec,
            openings: openings
        });
        bytes memory computed = new OneStep(new StepReferee()).reduceChunk(si, h.states[KC - 1]);
        assertTrue(keccak256(computed) == keccak256(h.states[KC]), "the referee's state is the honest S_(cl+1)");
    }

    function testLlama1BGameEndingInADownChunkQ4_K() public {
        _downGameK(12, "one step (down chunk, Q4_K super-block)");
    }

    function testLlama1BGameEndingInADownChunkQ6_K() public {
        _downGameK(14, "one step (down chunk, Q6_K super-block)");
    }

    /// A lying claimer at x_out[e] (elementwise): trace, leaf, vector (64 chunks), chunk, one step.
    function testLlama1BGameEndingInAnXOutElement() public {
        uint256 p = 255;
        uint256 l = 15;
        uint256 i = p * LAYERS + l;
        uint256 e = 2047;
        uint32[] memory xm = new uint32[](DIM);
        uint32[] memory dn = new uint32[](DIM);
        uint32[] memory hv = new uint32[](DIM);
        for (uint256 k; k < DIM; k++) {
            xm[k] = Trees.f(int256(k % 13) - 6);
            dn[k] = Trees.f(int256(k % 7) - 3);
            hv[k] = Trees.f(int256(k % 13) - 6 + int256(k % 7) - 3);
        }
        uint32[] memory lv = new uint32[](DIM);
        for (uint256 k; k < DIM; k++) lv[k] = hv[k];
        lv[e] = Trees.f(int256(e % 13) - 6 + int256(e % 7) - 3 + 1);
        (Party memory h, Party memory c) = _parties(i, 21, hv, lv);
        h.opRoots[14] = Trees.root(Trees.vec(xm));
        h.opRoots[20] = Trees.root(Trees.vec(dn));
        c.opRoots[14] = h.opRoots[14];
        c.opRoots[20] = h.opRoots[20];
        h.leaves[i] = _leafHash(h.opRoots);
        c.leaves[i] = _leafHash(c.opRoots);
        uint256 id = _start(c, h, keccak256("weights"));
        uint256 rounds = _play(id, c, h);
        assertEq(game.gameOf(id).elem, e, "element");
        bytes memory openings = abi.encode(
            abi.encode(Trees.chunk(xm, e / 32), Trees.proof(Trees.vec(xm), e / 32)),
            abi.encode(Trees.chunk(dn, e / 32), Trees.proof(Trees.vec(dn), e / 32))
        );
        bytes32[] memory none;
        _call(CHALLENGER, abi.encodeCall(DisputeGame.step, (id, spec, c.opRoots, "", none, openings)), "one step (x_out element)");
        DisputeGame.Game memory g = game.gameOf(id);
        assertTrue(g.phase == DisputeGame.Phase.Resolved && !g.claimerWon, "the liar lost");
        Console.log("x_out game: rounds (levels) before the step", rounds);
        Console.log("x_out game: transactions", moves);
        Console.log("x_out game: total tx gas, both parties", totalGas);
    }
}
