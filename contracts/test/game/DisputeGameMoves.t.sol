// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDisputeGame} from "../../src/interfaces/IDisputeGame.sol";
import {DisputeGame} from "../../src/game/DisputeGame.sol";
import {OneStep} from "../../src/game/OneStep.sol";
import {GameMerkle} from "../../src/game/GameMerkle.sol";
import {GameFixture} from "./GameFixture.sol";
import {Trees} from "./GameWorld.sol";

/// @title Every bad move reverts with its named error; the chess clocks end every stalled game.
contract DisputeGameMovesTest is GameFixture {
    Side internal hs;
    Side internal cs;

    function _pair() internal pure returns (Side memory h, Side memory c) {
        h = honest(2, 1);
        c = liar(2, 1, 21, 37, 0, 1);
    }

    function _nodes(Side memory s, uint256 id) internal view returns (bytes32[] memory) {
        DisputeGame.Game memory g = game.gameOf(id);
        uint256 d = g.level < 3 ? g.level : 3;
        return Trees.below(_levelsOf(s, g), g.level, g.index, d);
    }

    function _bisect(address who, uint256 id, bytes32[] memory nodes, bytes32[] memory other) internal {
        vm.prank(who);
        game.bisect(id, nodes, other);
    }

    // ---------------------------------------------------------------- start

    function testOnlyTheMarketStartsAGame() public {
        (Side memory h, Side memory c) = _pair();
        IDisputeGame.StartParams memory p = _params(c, h);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotMarket.selector, address(this)));
        game.start(p);
    }

    function testStartRefusesEqualRootsAndEmptyTracesAndNoClock() public {
        (Side memory h,) = _pair();
        IDisputeGame.StartParams memory p = _params(h, h);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.BadStart.selector, "equal trace roots"));
        market.open(p);
        (Side memory h2, Side memory c2) = _pair();
        p = _params(c2, h2);
        p.positions = 0;
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.BadStart.selector, "leaf count"));
        market.open(p);
        p = _params(c2, h2);
        p.clock = 0;
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.BadStart.selector, "clock"));
        market.open(p);
        p = _params(c2, h2);
        p.challenger = CLAIMER;
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.BadStart.selector, "claimer == challenger"));
        market.open(p);
    }

    function _params(Side memory c, Side memory ch) internal view returns (IDisputeGame.StartParams memory) {
        return IDisputeGame.StartParams({
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
    }

    // ---------------------------------------------------------------- descent moves

    function testDescentMoveErrors() public {
        (Side memory h, Side memory c) = _pair();
        uint256 id = startGame(c, h);
        bytes32[] memory none;
        bytes32[] memory mine = _nodes(c, id);
        // a stranger
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotParty.selector, address(0xBAD)));
        _bisect(address(0xBAD), id, mine, none);
        // the wrong number of nodes
        bytes32[] memory short = new bytes32[](mine.length - 1);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NodeCount.selector, mine.length, short.length));
        _bisect(CLAIMER, id, short, none);
        // nodes that are not the party's node's descendants (the challenger's, posted by the claimer)
        bytes32[] memory theirs = _nodes(h, id);
        vm.expectRevert(DisputeGame.WrongNodes.selector);
        _bisect(CLAIMER, id, theirs, none);
        // out of phase
        bytes32[22] memory roots = opRootsOf(c);
        vm.prank(CLAIMER);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.WrongPhase.selector, DisputeGame.Phase.Trace));
        game.revealLeaf(id, roots, roots, spec);
        // a good move, then the same party again
        _bisect(CLAIMER, id, mine, none);
        vm.expectRevert(DisputeGame.AlreadyMoved.selector);
        _bisect(CLAIMER, id, mine, none);
        // the second mover passes a forged first post
        vm.expectRevert(DisputeGame.WrongOtherPost.selector);
        _bisect(CHALLENGER, id, theirs, theirs);
        _bisect(CHALLENGER, id, theirs, mine);
        assertTrue(game.gameOf(id).phase == DisputeGame.Phase.Leaf, "6 leaves: one move reaches the leaf");
        assertEq(game.gameOf(id).index, 5, "first differing leaf");
    }

    function testLeafRevealErrors() public {
        (Side memory h, Side memory c) = _pair();
        uint256 id = startGame(c, h);
        playLevel(id, c, h, true);
        bytes32[22] memory rc = opRootsOf(c);
        bytes32[22] memory rh = opRootsOf(h);
        bytes32[22] memory none;
        vm.prank(CLAIMER);
        vm.expectRevert(DisputeGame.WrongLeaf.selector);
        game.revealLeaf(id, rh, none, "");
        vm.prank(CLAIMER);
        game.revealLeaf(id, rc, none, "");
        vm.prank(CHALLENGER);
        vm.expectRevert(DisputeGame.WrongOtherPost.selector);
        game.revealLeaf(id, rh, rh, spec);
        vm.prank(CHALLENGER);
        vm.expectRevert(DisputeGame.WrongSpec.selector);
        game.revealLeaf(id, rh, rc, bytes.concat(spec, bytes1(0)));
        vm.prank(CHALLENGER);
        game.revealLeaf(id, rh, rc, spec);
        assertEq(game.gameOf(id).op, 21, "x_out differs first");
    }

    function testMalformedChunkErrors() public {
        (Side memory h, Side memory c) = _pair();
        uint256 id = startGame(c, h);
        while (game.gameOf(id).phase != DisputeGame.Phase.Chunk) playLevel(id, c, h, true);
        uint256 ci = game.gameOf(id).index;
        bytes memory kc = Trees.chunk(_f(c.ops[21]), ci);
        bytes memory kh = Trees.chunk(_f(h.ops[21]), ci);
        bytes memory shortChunk = new bytes(kc.length - 4);
        vm.prank(CLAIMER);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.ChunkLength.selector, 128, 124));
        game.revealChunk(id, shortChunk, "");
        vm.prank(CLAIMER);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.WrongChunk.selector, true));
        game.revealChunk(id, kh, "");
        vm.prank(CLAIMER);
        game.revealChunk(id, kc, "");
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.WrongChunk.selector, true));
        game.revealChunk(id, kh, kh);
        vm.prank(CHALLENGER);
        game.revealChunk(id, kh, kc);
        assertEq(game.gameOf(id).elem, 37, "element 37");
    }

    function testStatesAndStepErrors() public {
        Side memory h = honest(2, 0);
        Side memory c = liar(2, 0, 15, 0, 1, 1);
        uint256 id = startGame(c, h);
        while (game.gameOf(id).phase != DisputeGame.Phase.States) playLevel(id, c, h, true);
        bytes[] memory st = states(c, 15, 0);
        bytes32[][] memory lv = stateLevels(st);
        bytes32[] memory badProof = new bytes32[](1);
        vm.prank(CLAIMER);
        vm.expectRevert(DisputeGame.WrongStatesProof.selector);
        game.postStates(id, Trees.root(lv), st[1], badProof, spec, "");
        vm.prank(CLAIMER);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.StateLength.selector, 64, 4));
        game.postStates(id, Trees.root(lv), new bytes(4), badProof, spec, "");
        while (playLevel(id, c, h, true)) {}
        assertTrue(game.gameOf(id).phase == DisputeGame.Phase.Step, "at the step");
        // the step's errors: a wrong previous state, foreign op roots, a wrong opening. The challenger
        // steps, so it proves S_1 against its own states root
        lv = stateLevels(states(h, 15, 0));
        bytes32[] memory proof1 = Trees.proof(lv, 0);
        bytes memory openings = stepOpenings(h, h, 15, 0, 1);
        bytes32[22] memory rc = opRootsOf(c);
        vm.prank(CHALLENGER);
        vm.expectRevert(DisputeGame.WrongPrevState.selector);
        game.step(id, spec, rc, st[1], proof1, openings);
        vm.prank(CHALLENGER);
        vm.expectRevert(DisputeGame.WrongOpRoots.selector);
        game.step(id, spec, opRootsOf(h), st[0], proof1, openings);
        bytes memory wrongOpening = opChunkOpening(h, 13, 1); // wo's chunk posing as x_mid's
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(OneStep.WrongOpening.selector, "op chunk"));
        game.step(id, spec, rc, st[0], proof1, wrongOpening);
        vm.prank(address(0xBAD));
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotParty.selector, address(0xBAD)));
        game.step(id, spec, rc, st[0], proof1, openings);
        vm.prank(CHALLENGER);
        game.step(id, spec, rc, st[0], proof1, openings);
        assertTrue(!game.gameOf(id).claimerWon, "the liar lost");
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.WrongPhase.selector, DisputeGame.Phase.Resolved));
        game.timeout(id);
    }

    /// A step nobody can (or will) play, here with openings that do not decode: it reverts, and the clocks
    /// still end the game.
    function testUnplayedStepStillEndsByTheClock() public {
        Side memory h = honest(1, 1);
        Side memory c = liar(1, 1, 12, 1, 0, 1); // att_out (p = 1: one chunk of 2 positions)
        uint256 id = startGame(c, h);
        while (game.gameOf(id).phase != DisputeGame.Phase.States) playLevel(id, c, h, true);
        // a weighted sum's state is its one float, and T = 1: each party's S_1 is its value, the root its
        // level-0 node
        bytes memory sc = Trees.chunk(_f(c.ops[12]), 0);
        bytes memory sh = Trees.chunk(_f(h.ops[12]), 0);
        bytes memory vc = new bytes(4);
        bytes memory vh = new bytes(4);
        for (uint256 k; k < 4; k++) {
            vc[k] = sc[4 + k];
            vh[k] = sh[4 + k];
        }
        bytes32[] memory none;
        vm.prank(CLAIMER);
        game.postStates(id, Trees.leafNode(vc), vc, none, spec, "");
        vm.prank(CHALLENGER);
        game.postStates(id, Trees.leafNode(vh), vh, none, spec, "");
        assertTrue(game.gameOf(id).phase == DisputeGame.Phase.Step, "T = 1: straight to the step");
        bytes32[22] memory rc = opRootsOf(c);
        vm.prank(CHALLENGER);
        vm.expectRevert();
        game.step(id, spec, rc, "", none, "");
        vm.warp(block.timestamp + CLOCK + 1);
        game.timeout(id);
        assertTrue(game.gameOf(id).phase == DisputeGame.Phase.Resolved, "ended by the clock");
        assertEq(market.calls(), 1, "market told");
    }

    // ---------------------------------------------------------------- clocks

    function testClaimerSilentInTheTraceLosesOnTime() public {
        (Side memory h, Side memory c) = _pair();
        uint256 id = startGame(c, h);
        bytes32[] memory none;
        _bisect(CHALLENGER, id, _nodes(h, id), none);
        (uint256 d0, uint256 d1) = game.deadlines(id);
        assertEq(d0, block.timestamp + CLOCK, "claimer's deadline");
        assertEq(d1, 0, "the challenger moved");
        vm.warp(block.timestamp + CLOCK);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.NotTimedOut.selector, d0));
        game.timeout(id);
        vm.warp(block.timestamp + 1);
        bytes32[] memory mine = _nodes(c, id);
        bytes32[] memory theirs = _nodes(h, id);
        vm.prank(CLAIMER);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.Late.selector, d0));
        game.bisect(id, mine, theirs);
        vm.prank(address(0xA11CE)); // anyone
        game.timeout(id);
        assertTrue(!game.gameOf(id).claimerWon, "claimer lost on time");
        assertTrue(market.calls() == 1 && !market.lastClaimerWins(), "market told: challenger wins");
    }

    function testChallengerSilentAtTheLeafRevealLosesOnTimeAndClocksAreCumulative() public {
        (Side memory h, Side memory c) = _pair();
        uint256 id = startGame(c, h);
        bytes32[] memory none;
        bytes32[] memory nc = _nodes(c, id);
        _bisect(CLAIMER, id, nc, none);
        vm.warp(block.timestamp + 3000); // the challenger spends 3000 s of its hour
        _bisect(CHALLENGER, id, _nodes(h, id), nc);
        DisputeGame.Game memory g = game.gameOf(id);
        assertEq(g.challengerLeft, CLOCK - 3000, "challenger's clock charged");
        assertEq(g.claimerLeft, CLOCK, "claimer's clock untouched");
        bytes32[22] memory none22;
        vm.prank(CLAIMER);
        game.revealLeaf(id, opRootsOf(c), none22, "");
        vm.warp(block.timestamp + 601);
        vm.prank(CHALLENGER);
        vm.expectRevert(abi.encodeWithSelector(DisputeGame.Late.selector, block.timestamp - 1));
        game.revealLeaf(id, opRootsOf(h), opRootsOf(c), spec);
        game.timeout(id);
        assertTrue(game.gameOf(id).claimerWon, "challenger lost on time");
        assertTrue(market.lastClaimerWins(), "market told: claimer wins");
    }

    /// At the step both clocks run; nobody steps: the party whose clock runs out first loses.
    function testNobodyStepsThePartyWithLessTimeLoses() public {
        (Side memory h, Side memory c) = _pair();
        uint256 id = startGame(c, h);
        bytes32[] memory none;
        bytes32[] memory nh = _nodes(h, id);
        _bisect(CHALLENGER, id, nh, none);
        vm.warp(block.timestamp + 100); // the claimer is 100 s slower once
        _bisect(CLAIMER, id, _nodes(c, id), nh);
        playToStep(id, c, h, true);
        (uint256 d0, uint256 d1) = game.deadlines(id);
        assertEq(d1 - d0, 100, "claimer's deadline first");
        vm.warp(d0 + 1);
        game.timeout(id);
        assertTrue(!game.gameOf(id).claimerWon, "claimer ran out first");
    }
}
