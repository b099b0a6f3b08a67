// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDisputeGame} from "../../src/interfaces/IDisputeGame.sol";
import {DisputeGame} from "../../src/game/DisputeGame.sol";
import {GameFixture} from "./GameFixture.sol";
import {Trees} from "./GameWorld.sol";

/// @title Whole dispute games on a tiny model (2 layers, 3 positions, dim 64, ffn 64): honest parties
///        beat liars at the exact op, element and chunk; the clocks end stalled games.
contract DisputeGameTest is GameFixture {
    function _assertEnd(uint256 id, bool claimerWins, uint8 op, uint256 elem) internal view {
        DisputeGame.Game memory g = game.gameOf(id);
        assertTrue(g.phase == DisputeGame.Phase.Resolved, "resolved");
        assertTrue(g.claimerWon == claimerWins, "winner");
        assertEq(g.op, op, "disputed op");
        assertEq(g.elem, elem, "disputed element");
        assertEq(market.calls(), 1, "market told once");
        assertEq(market.lastGame(), id, "market told the game");
        assertEq(market.lastTask(), TASK, "market told the task");
        assertTrue(market.lastClaimerWins() == claimerWins, "market told the winner");
    }

    // ---------------------------------------------------------------- elementwise steps

    /// A claimer that changed x_out[37] at (p 2, layer 1) loses at op 21, element 37, on the one step.
    function testLyingClaimerLosesAtXOut() public {
        Side memory h = honest(2, 1);
        Side memory c = liar(2, 1, 21, 37, 0, 1);
        uint256 id = startGame(c, h);
        playToStep(id, c, h, true);
        DisputeGame.Game memory g = game.gameOf(id);
        assertTrue(g.phase == DisputeGame.Phase.Step, "at the step");
        assertEq(g.leaf, 5, "leaf (2, 1)");
        assertEq(g.value0, Trees.f(c.ops[21][37]), "claimer's value");
        assertEq(g.value1, Trees.f(h.ops[21][37]), "challenger's value");
        honestStep(id, h, c, false);
        _assertEnd(id, false, 21, 37);
    }

    /// A lying challenger (x_mid[5] changed at (p 1, layer 1)) loses against an honest claimer, the
    /// challenger moving first in every level.
    function testHonestClaimerBeatsLyingChallengerAtXMid() public {
        Side memory h = honest(1, 1);
        Side memory ch = liar(1, 1, 14, 5, 0, -3);
        uint256 id = startGame(h, ch);
        playToStep(id, h, ch, false);
        honestStep(id, h, h, true);
        _assertEnd(id, true, 14, 5);
    }

    /// Layer 0: x_in is token[p]'s embedding row (Q8_0), opened from the tokens list and the weights.
    function testLayerZeroEmbeddingOpened() public {
        Side memory h = honest(1, 0);
        Side memory c = liar(1, 0, 14, 40, 0, 2);
        uint256 id = startGame(c, h);
        playToStep(id, c, h, true);
        honestStep(id, h, c, false);
        _assertEnd(id, false, 14, 40);
    }

    // ---------------------------------------------------------------- reduction steps

    /// ffn_ss (one element, 2 chunks of x_mid . x_mid): the liar's states go wrong at chunk 1.
    function testLyingClaimerLosesAtFfnSsChunk() public {
        Side memory h = honest(2, 0);
        Side memory c = liar(2, 0, 15, 0, 1, 1);
        uint256 id = startGame(c, h);
        playToStep(id, c, h, true);
        DisputeGame.Game memory g = game.gameOf(id);
        assertTrue(g.phase == DisputeGame.Phase.Step, "at the step");
        assertEq(g.index, 1, "states chunk 1");
        honestStep(id, h, c, false);
        _assertEnd(id, false, 15, 0);
    }

    /// gate row 45 (Q8_0 weights): the liar's states go wrong at chunk 0 (initial state).
    function testLyingClaimerLosesAtGateQ8Chunk0() public {
        Side memory h = honest(0, 1);
        Side memory c = liar(0, 1, 17, 45, 0, 4);
        uint256 id = startGame(c, h);
        playToStep(id, c, h, true);
        assertEq(game.gameOf(id).index, 0, "states chunk 0");
        honestStep(id, h, c, false);
        _assertEnd(id, false, 17, 45);
    }

    /// up (F32 weights) row 9, a lying challenger wrong from chunk 1.
    function testLyingChallengerLosesAtUpF32() public {
        Side memory h = honest(1, 1);
        Side memory ch = liar(1, 1, 18, 9, 1, -1);
        uint256 id = startGame(h, ch);
        playToStep(id, h, ch, true);
        honestStep(id, h, h, true);
        _assertEnd(id, true, 18, 9);
    }

    /// down (Q8_0, row length ffn) row 63; attn_ss at layer 0 (x_in = embedding).
    function testDownAndAttnSs() public {
        Side memory h = honest(2, 1);
        Side memory c = liar(2, 1, 20, 63, 1, 1);
        uint256 id = startGame(c, h);
        playToStep(id, c, h, false);
        honestStep(id, h, c, false);
        _assertEnd(id, false, 20, 63);

        Side memory h0 = honest(0, 0);
        Side memory c0 = liar(0, 0, 0, 0, 1, 1);
        uint256 id0 = startGame(c0, h0);
        playToStep(id0, c0, h0, true);
        honestStep(id0, h0, c0, false);
        DisputeGame.Game memory g0 = game.gameOf(id0);
        assertTrue(g0.phase == DisputeGame.Phase.Resolved && !g0.claimerWon, "attn_ss liar lost");
        assertEq(g0.op, 0, "attn_ss");
    }

    /// A liar whose final state does not finish to its own element value loses when it posts it.
    function testFinishMismatchLosesAtOnce() public {
        Side memory h = honest(2, 0);
        Side memory c = liar(2, 0, 15, 0, 1, 1);
        c.lieDelta = 0; // states honest, element value still wrong
        uint256 id = startGame(c, h);
        while (game.gameOf(id).phase != DisputeGame.Phase.States) playLevel(id, c, h, true);
        _postStates(id, CLAIMER, c, game.gameOf(id));
        DisputeGame.Game memory g = game.gameOf(id);
        assertTrue(g.phase == DisputeGame.Phase.Resolved && !g.claimerWon, "claimer lost on finish");
        assertEq(market.calls(), 1, "market told");
    }
}
