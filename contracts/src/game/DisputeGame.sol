// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDisputeGame, IDisputeGameMarket} from "../interfaces/IDisputeGame.sol";
import {IOneStep} from "./IOneStep.sol";
import {GameMerkle} from "./GameMerkle.sol";
import {StepShapes} from "./StepShapes.sol";

/// @title The optimistic mode's dispute game: many two-party games, from trace roots to one step.
/// @notice A game (docs/DESIGN.md section 5, SPEC-12 section 4) walks, level by level:
///         1. `Trace`: descent of the trace tree (positions * layers leaves) to the first differing leaf i;
///         2. `Leaf`: each party reveals the 22 op roots of step i (checked against its leaf); the lowest
///            differing op j is found;
///         3. `Vec`: descent of op j's output vector tree to the first differing chunk c;
///         4. `Chunk`: each party reveals chunk c's bytes; the first differing element e is found;
///         5. `States` (a reduction op only): each party posts the root of its chunk states of e's
///            reduction and its final state, whose finish must give its element value (or it loses);
///         6. `StateTree`: descent of the states tree to the first differing state S_c;
///         7. `Step`: a party opens the step's inputs and the verifier recomputes the element (elementwise
///            op) or S_c from the agreed S_(c-1) (reduction); a party whose value differs loses (both
///            differ: the claimer loses).
///         A descent move posts the current node's descendants LEVELS_PER_MOVE levels down (fewer near the
///         bottom), rebuilt here to the party's node; the two parties of a level move in either order,
///         the second supplies the first's nodes (from its event), checked against their stored hash.
///         Chess clock: each party's clock runs from the start of a level until its move of that level
///         (both run in the Step level until one party steps); a move after its clock ran out reverts
///         `Late`, and anyone may call `timeout`, which ends the game against the party whose clock ran
///         out first (the challenger on a tie). Every level ends after both parties' moves, so every game
///         ends within the two clocks.
contract DisputeGame is IDisputeGame {
    /// @notice Tree levels one descent move covers (8 descendants per move).
    uint256 public constant LEVELS_PER_MOVE = 3;

    enum Phase {
        None,
        Trace,
        Leaf,
        Vec,
        Chunk,
        States,
        StateTree,
        Step,
        Resolved
    }

    /// @notice Why a game ended (GameEnded.reason).
    enum Reason {
        Timeout,
        FinishMismatch,
        OneStep
    }

    struct Game {
        address claimer;
        uint64 claimerLeft;
        uint32 positions;
        address challenger;
        uint64 challengerLeft;
        uint32 layers;
        uint64 levelStart;
        Phase phase;
        uint8 posted; // bit 0: the claimer moved in this level, bit 1: the challenger
        uint8 level;
        uint32 index;
        uint32 size; // leaves of the tree being walked (the states tree's T from States on)
        uint8 op;
        uint32 elem;
        uint32 leaf;
        uint32 len; // output length of op
        uint32 value0; // the claimer's value of element elem
        uint32 value1; // the challenger's
        bool claimerWon;
        uint256 taskId;
        bytes32 specHash;
        bytes32 weightsRoot;
        bytes32 tokensHash;
        bytes32 traceRoot0;
        bytes32 traceRoot1;
        bytes32 node0; // the claimer's current node
        bytes32 node1; // the challenger's current node
        bytes32 pending; // hash of the first mover's post of this level
        bytes32 ops0; // keccak256 of the claimer's 22 op roots
        bytes32 statesRoot0; // the claimer's states root
        bytes32 statesRoot1; // the challenger's states root
    }

    /// @notice The market that starts games and is told their outcome.
    address public immutable market;
    /// @notice The one-step verifier.
    IOneStep public immutable verifier;
    /// @notice Games started so far (ids 1..gameCount).
    uint256 public gameCount;
    mapping(uint256 => Game) internal _games;

    // ---------------------------------------------------------------- events

    /// @notice A party's descent move: its node's descendants `nodes` below (level, index).
    event Bisected(uint256 indexed gameId, bool claimer, uint256 level, uint256 index, bytes32[] nodes);
    /// @notice A party revealed its step commitment at the disputed leaf.
    event LeafRevealed(uint256 indexed gameId, bool claimer, bytes32[22] opRoots);
    /// @notice A party revealed its chunk of the disputed op's output.
    event ChunkRevealed(uint256 indexed gameId, bool claimer, bytes chunk);
    /// @notice A party posted its states root and final state of the disputed element's reduction.
    event StatesPosted(uint256 indexed gameId, bool claimer, bytes32 statesRoot, bytes finalState);
    /// @notice Both parties moved: the game now stands at `phase`, node (level, index) of its tree.
    event Advanced(uint256 indexed gameId, Phase phase, uint256 level, uint256 index);
    /// @notice The first differing leaf and op were found.
    event OpFound(uint256 indexed gameId, uint256 leaf, uint256 position, uint256 layer, uint256 op);
    /// @notice The first differing element was found, with both parties' values (binary32 bits).
    event ElementFound(uint256 indexed gameId, uint256 element, uint32 claimerValue, uint32 challengerValue);
    /// @notice The one step's verdict: whether each party's value (or state) equals the recomputed one.
    event StepChecked(
        uint256 indexed gameId, uint256 op, uint256 element, uint256 chunk, bool claimerMatches, bool challengerMatches
    );
    /// @notice How the game ended (beside IDisputeGame.GameResolved).
    event GameEnded(uint256 indexed gameId, Reason reason, bool claimerWins);

    // ---------------------------------------------------------------- errors

    error NotMarket(address caller);
    error BadStart(string what);
    error NoGame(uint256 gameId);
    error WrongPhase(Phase phase);
    error NotParty(address caller);
    error AlreadyMoved();
    /// @notice The mover's clock ran out at `deadline`.
    error Late(uint256 deadline);
    /// @notice A descent move posted `given` nodes where `expected` are due.
    error NodeCount(uint256 expected, uint256 given);
    /// @notice The posted descendants do not rebuild the mover's node.
    error WrongNodes();
    /// @notice The first mover's post, as the second mover supplied it, is not what it posted.
    error WrongOtherPost();
    /// @notice The op roots do not hash to the mover's leaf.
    error WrongLeaf();
    error WrongSpec();
    /// @notice The spec's layers are not the game's.
    error SpecLayers(uint256 spec, uint256 game);
    /// @notice A chunk has the wrong length for its position in the vector.
    error ChunkLength(uint256 expected, uint256 given);
    /// @notice A chunk's bytes are not the party's level-0 node.
    error WrongChunk(bool claimers);
    error StateLength(uint256 expected, uint256 given);
    /// @notice The final state is not leaf T-1 of the posted states root.
    error WrongStatesProof();
    error WrongOpRoots();
    /// @notice The agreed previous state is not leaf c-1 of the claimer's states root.
    error WrongPrevState();
    /// @notice No party's clock has run out; the earliest due deadline is `deadline`.
    error NotTimedOut(uint256 deadline);

    constructor(address market_, IOneStep verifier_) {
        market = market_;
        verifier = verifier_;
    }

    // ---------------------------------------------------------------- start, timeout

    /// @inheritdoc IDisputeGame
    function start(StartParams calldata p) external returns (uint256 gameId) {
        if (msg.sender != market) revert NotMarket(msg.sender);
        if (p.claimer == address(0) || p.challenger == address(0)) revert BadStart("zero party");
        if (p.claimer == p.challenger) revert BadStart("claimer == challenger");
        if (p.claimerRoot == p.challengerRoot) revert BadStart("equal trace roots");
        uint256 n = uint256(p.positions) * p.layers;
        if (n == 0 || n > type(uint32).max) revert BadStart("leaf count");
        if (p.clock == 0) revert BadStart("clock");
        gameId = ++gameCount;
        Game storage g = _games[gameId];
        g.claimer = p.claimer;
        g.challenger = p.challenger;
        g.claimerLeft = p.clock;
        g.challengerLeft = p.clock;
        g.positions = p.positions;
        g.layers = p.layers;
        g.taskId = p.taskId;
        g.specHash = p.specHash;
        g.weightsRoot = p.weightsRoot;
        g.tokensHash = p.tokensHash;
        g.traceRoot0 = p.claimerRoot;
        g.traceRoot1 = p.challengerRoot;
        g.phase = Phase.Trace;
        g.size = uint32(n);
        emit GameStarted(gameId, p.taskId, p.claimer, p.challenger);
        _descend(g, gameId, GameMerkle.topLevel(n), 0, p.claimerRoot, p.challengerRoot);
    }

    /// @inheritdoc IDisputeGame
    function timeout(uint256 gameId) external {
        Game storage g = _live(gameId);
        uint256 t0 = uint256(g.levelStart) + g.claimerLeft;
        uint256 t1 = uint256(g.levelStart) + g.challengerLeft;
        bool out0 = g.posted & 1 == 0 && block.timestamp > t0;
        bool out1 = g.posted & 2 == 0 && block.timestamp > t1;
        if (!out0 && !out1) {
            uint256 d = type(uint256).max;
            if (g.posted & 1 == 0) d = t0;
            if (g.posted & 2 == 0 && t1 < d) d = t1;
            revert NotTimedOut(d);
        }
        bool claimerLoses = out0 && (!out1 || t0 < t1);
        _resolve(g, gameId, !claimerLoses, Reason.Timeout);
    }

    // ---------------------------------------------------------------- moves

    /// @notice A descent move (phases Trace, Vec, StateTree): the mover's node's descendants
    ///         min(LEVELS_PER_MOVE, level) levels down, left to right (every one that exists). The second
    ///         mover of the level passes the first mover's nodes as `other` (ignored for the first).
    function bisect(uint256 gameId, bytes32[] calldata nodes, bytes32[] calldata other) external {
        Game storage g = _live(gameId);
        Phase ph = g.phase;
        if (ph != Phase.Trace && ph != Phase.Vec && ph != Phase.StateTree) revert WrongPhase(ph);
        bool isClaimer = _move(g);
        uint256 k = g.level;
        uint256 d = k < LEVELS_PER_MOVE ? k : LEVELS_PER_MOVE;
        uint256 first = uint256(g.index) << d;
        uint256 m = GameMerkle.levelSize(g.size, k - d) - first;
        if (m > 1 << d) m = 1 << d;
        if (nodes.length != m) revert NodeCount(m, nodes.length);
        if (_subtreeRoot(nodes) != (isClaimer ? g.node0 : g.node1)) revert WrongNodes();
        emit Bisected(gameId, isClaimer, k, g.index, nodes);
        bytes32 h = keccak256(abi.encodePacked(nodes));
        if (g.posted != 3) {
            // the first mover of the level
            g.pending = h;
            return;
        }
        if (other.length != m || keccak256(abi.encodePacked(other)) != g.pending) revert WrongOtherPost();
        uint256 i;
        while (nodes[i] == other[i]) i++; // the subtree roots differ, so some descendant does
        (bytes32 a, bytes32 b) = isClaimer ? (nodes[i], other[i]) : (other[i], nodes[i]);
        _descend(g, gameId, k - d, first + i, a, b);
    }

    /// @notice Phase Leaf: reveals the mover's step commitment at the disputed leaf (its leaf is
    ///         keccak256(0x02 || opRoots[21] || opRoots[6] || opRoots[4])). The second mover passes the
    ///         first mover's op roots as `other` and the model spec (both ignored for the first).
    function revealLeaf(uint256 gameId, bytes32[22] calldata opRoots, bytes32[22] calldata other, bytes calldata spec)
        external
    {
        Game storage g = _live(gameId);
        if (g.phase != Phase.Leaf) revert WrongPhase(g.phase);
        bool isClaimer = _move(g);
        bytes32 leafHash = keccak256(abi.encodePacked(bytes1(0x02), opRoots[21], opRoots[6], opRoots[4]));
        if (GameMerkle.leafNode32(leafHash) != (isClaimer ? g.node0 : g.node1)) revert WrongLeaf();
        emit LeafRevealed(gameId, isClaimer, opRoots);
        bytes32 h = keccak256(abi.encodePacked(opRoots));
        if (isClaimer) g.ops0 = h;
        if (g.posted != 3) {
            g.pending = h;
            return;
        }
        if (keccak256(abi.encodePacked(other)) != g.pending) revert WrongOtherPost();
        if (keccak256(spec) != g.specHash) revert WrongSpec();
        StepShapes.ModelSpec memory s = StepShapes.decode(spec);
        if (s.layers != g.layers) revert SpecLayers(s.layers, g.layers);
        uint256 j;
        while (opRoots[j] == other[j]) j++; // the leaves differ, so some op root does
        uint256 leaf = g.index;
        uint256 p = leaf / g.layers;
        uint256 len = StepShapes.outLen(s, j, p);
        g.leaf = uint32(leaf);
        g.op = uint8(j);
        g.len = uint32(len);
        emit OpFound(gameId, leaf, p, leaf % g.layers, j);
        (bytes32 r0, bytes32 r1) = isClaimer ? (opRoots[j], other[j]) : (other[j], opRoots[j]);
        g.phase = Phase.Vec;
        uint256 chunks = (len + StepShapes.CHUNK - 1) / StepShapes.CHUNK;
        g.size = uint32(chunks);
        _descend(g, gameId, GameMerkle.topLevel(chunks), 0, r0, r1);
    }

    /// @notice Phase Chunk: reveals the mover's bytes of the disputed chunk (binary32 LE, 32 elements or
    ///         the vector's short tail). The second mover passes the first mover's chunk as `other`.
    function revealChunk(uint256 gameId, bytes calldata chunk, bytes calldata other) external {
        Game storage g = _live(gameId);
        if (g.phase != Phase.Chunk) revert WrongPhase(g.phase);
        bool isClaimer = _move(g);
        uint256 c = g.index;
        uint256 n = g.len - c * StepShapes.CHUNK;
        if (n > StepShapes.CHUNK) n = StepShapes.CHUNK;
        if (chunk.length != 4 * n) revert ChunkLength(4 * n, chunk.length);
        if (GameMerkle.leafNode(chunk) != (isClaimer ? g.node0 : g.node1)) revert WrongChunk(isClaimer);
        emit ChunkRevealed(gameId, isClaimer, chunk);
        if (g.posted != 3) return;
        if (other.length != 4 * n) revert ChunkLength(4 * n, other.length);
        if (GameMerkle.leafNode(other) != (isClaimer ? g.node1 : g.node0)) revert WrongChunk(!isClaimer);
        uint256 i;
        while (_word(chunk, i) == _word(other, i)) i++;
        (uint32 v0, uint32 v1) = isClaimer ? (_word(chunk, i), _word(other, i)) : (_word(other, i), _word(chunk, i));
        g.elem = uint32(c * StepShapes.CHUNK + i);
        g.value0 = v0;
        g.value1 = v1;
        emit ElementFound(gameId, g.elem, v0, v1);
        g.phase = StepShapes.isReduction(g.op) ? Phase.States : Phase.Step;
        _nextLevel(g);
        emit Advanced(gameId, g.phase, 0, 0);
    }

    /// @notice Phase States: the mover's states tree over [S_1..S_T] of the disputed element's reduction,
    ///         its final state S_T with its proof (leaf T-1), the spec, and the openings finish needs
    ///         (a bias block for q/k/v with bias). A final state whose finish is not the mover's element
    ///         value ends the game against the mover.
    function postStates(
        uint256 gameId,
        bytes32 statesRoot,
        bytes calldata finalState,
        bytes32[] calldata proof,
        bytes calldata spec,
        bytes calldata openings
    ) external {
        Game storage g = _live(gameId);
        if (g.phase != Phase.States) revert WrongPhase(g.phase);
        bool isClaimer = _move(g);
        if (keccak256(spec) != g.specHash) revert WrongSpec();
        uint256 want = StepShapes.stateBytes(g.op);
        if (finalState.length != want) revert StateLength(want, finalState.length);
        uint256 t = StepShapes.reductionChunks(StepShapes.decode(spec), g.op, g.leaf / g.layers);
        if (GameMerkle.root(GameMerkle.leafNode(finalState), t - 1, t, proof) != statesRoot) revert WrongStatesProof();
        emit StatesPosted(gameId, isClaimer, statesRoot, finalState);
        uint32 v = verifier.finish(_input(g, uint32(t - 1), spec, openings), finalState);
        if (v != (isClaimer ? g.value0 : g.value1)) {
            _resolve(g, gameId, !isClaimer, Reason.FinishMismatch);
            return;
        }
        if (isClaimer) {
            g.node0 = statesRoot;
            g.statesRoot0 = statesRoot;
        } else {
            g.node1 = statesRoot;
            g.statesRoot1 = statesRoot;
        }
        if (g.posted != 3) return;
        g.phase = Phase.StateTree;
        g.size = uint32(t);
        _descend(g, gameId, GameMerkle.topLevel(t), 0, g.node0, g.node1);
    }

    /// @notice Phase Step: opens the step's inputs (`openings`, as the verifier documents them per op)
    ///         and recomputes the disputed element (elementwise op) or state S_c (reduction, from the
    ///         agreed S_(c-1) = `prevState`, leaf c-1 of the mover's own states root by `prevProof`; empty
    ///         for c = 0). `opRoots` are the claimer's (checked against its reveal). Ends the game.
    ///         Either party may step, and each proves what it opens against its own roots: the agreed
    ///         leaves, states and op outputs lie before the first disagreement, so they are the same in
    ///         both parties' trees, while a proof's siblings to the right of it may be in only one of
    ///         them (an honest challenger cannot prove leaf i-1 against a lying claimer's root).
    function step(
        uint256 gameId,
        bytes calldata spec,
        bytes32[22] calldata opRoots,
        bytes calldata prevState,
        bytes32[] calldata prevProof,
        bytes calldata openings
    ) external {
        Game storage g = _live(gameId);
        if (g.phase != Phase.Step) revert WrongPhase(g.phase);
        bool isClaimer = _move(g);
        if (keccak256(spec) != g.specHash) revert WrongSpec();
        if (keccak256(abi.encodePacked(opRoots)) != g.ops0) revert WrongOpRoots();
        bool claimerOk;
        bool challengerOk;
        if (StepShapes.isReduction(g.op)) {
            uint256 c = g.index;
            if (c == 0) {
                if (prevState.length != 0) revert WrongPrevState();
            } else {
                if (prevState.length != StepShapes.stateBytes(g.op)) revert WrongPrevState();
                bytes32 r = GameMerkle.root(GameMerkle.leafNode(prevState), c - 1, g.size, prevProof);
                if (r != (isClaimer ? g.statesRoot0 : g.statesRoot1)) revert WrongPrevState();
            }
            IOneStep.StepInput memory input = _input(g, uint32(c), spec, openings);
            if (!isClaimer) input.traceRoot = g.traceRoot1;
            for (uint256 k; k < 22; k++) input.opRoots[k] = opRoots[k];
            bytes memory out = verifier.reduceChunk(input, prevState);
            bytes32 node = GameMerkle.leafNode(out);
            claimerOk = node == g.node0;
            challengerOk = node == g.node1;
        } else {
            IOneStep.StepInput memory input = _input(g, 0, spec, openings);
            if (!isClaimer) input.traceRoot = g.traceRoot1;
            for (uint256 k; k < 22; k++) input.opRoots[k] = opRoots[k];
            uint32 v = verifier.elementwise(input);
            claimerOk = v == g.value0;
            challengerOk = v == g.value1;
        }
        emit StepChecked(gameId, g.op, g.elem, g.index, claimerOk, challengerOk);
        _resolve(g, gameId, claimerOk, Reason.OneStep);
    }

    // ---------------------------------------------------------------- views

    /// @notice Where a game stands.
    function gameOf(uint256 gameId) external view returns (Game memory) {
        return _games[gameId];
    }

    /// @notice Each party's deadline for its move of the current level (0 when it has moved or the game
    ///         is over).
    function deadlines(uint256 gameId) external view returns (uint256 claimer, uint256 challenger) {
        Game storage g = _games[gameId];
        if (g.phase == Phase.None || g.phase == Phase.Resolved) return (0, 0);
        if (g.posted & 1 == 0) claimer = uint256(g.levelStart) + g.claimerLeft;
        if (g.posted & 2 == 0) challenger = uint256(g.levelStart) + g.challengerLeft;
    }

    // ---------------------------------------------------------------- internals

    function _live(uint256 gameId) private view returns (Game storage g) {
        g = _games[gameId];
        if (g.phase == Phase.None) revert NoGame(gameId);
        if (g.phase == Phase.Resolved) revert WrongPhase(Phase.Resolved);
    }

    /// @dev Checks the sender is a party that has not moved in this level and whose clock has not run
    ///      out; charges its clock and marks its move.
    function _move(Game storage g) private returns (bool isClaimer) {
        if (msg.sender == g.claimer) isClaimer = true;
        else if (msg.sender != g.challenger) revert NotParty(msg.sender);
        uint8 bit = isClaimer ? 1 : 2;
        if (g.posted & bit != 0) revert AlreadyMoved();
        uint256 elapsed = block.timestamp - g.levelStart;
        uint64 left = isClaimer ? g.claimerLeft : g.challengerLeft;
        if (elapsed > left) revert Late(uint256(g.levelStart) + left);
        if (isClaimer) g.claimerLeft = left - uint64(elapsed);
        else g.challengerLeft = left - uint64(elapsed);
        g.posted |= bit;
    }

    function _nextLevel(Game storage g) private {
        g.posted = 0;
        g.levelStart = uint64(block.timestamp);
    }

    /// @dev Moves to node (k, j) with the parties' nodes a, b, down any promoted chain, and into the next
    ///      phase at level 0.
    function _descend(Game storage g, uint256 gameId, uint256 k, uint256 j, bytes32 a, bytes32 b) private {
        uint256 n = g.size;
        while (k > 0 && 2 * j + 1 >= GameMerkle.levelSize(n, k - 1)) {
            k--;
            j *= 2;
        }
        g.level = uint8(k);
        g.index = uint32(j);
        g.node0 = a;
        g.node1 = b;
        if (k == 0) {
            Phase ph = g.phase;
            if (ph == Phase.Trace) g.phase = Phase.Leaf;
            else if (ph == Phase.Vec) g.phase = Phase.Chunk;
            else if (ph == Phase.StateTree) g.phase = Phase.Step;
        }
        _nextLevel(g);
        emit Advanced(gameId, g.phase, k, j);
    }

    /// @dev The root of a subtree from its nodes `d` levels down (the last, when their count is odd at a
    ///      level, is promoted: the subtree starts at an even index, so its parity is its level's).
    function _subtreeRoot(bytes32[] calldata nodes) private pure returns (bytes32) {
        uint256 m = nodes.length;
        bytes32[] memory level = new bytes32[](m);
        for (uint256 i; i < m; i++) level[i] = nodes[i];
        while (m > 1) {
            uint256 half = (m + 1) >> 1;
            for (uint256 i; i < half; i++) {
                level[i] = 2 * i + 1 < m ? GameMerkle.inner(level[2 * i], level[2 * i + 1]) : level[2 * i];
            }
            m = half;
        }
        return level[0];
    }

    /// @dev Element i of a binary32 LE chunk, as its bit pattern.
    function _word(bytes calldata b, uint256 i) private pure returns (uint32) {
        uint256 o = 4 * i;
        return uint32(uint8(b[o])) | uint32(uint8(b[o + 1])) << 8 | uint32(uint8(b[o + 2])) << 16
            | uint32(uint8(b[o + 3])) << 24;
    }

    function _input(
        Game storage g,
        uint32 c,
        bytes calldata spec,
        bytes calldata openings
    )
        private
        view
        returns (IOneStep.StepInput memory input)
    {
        input.op = g.op;
        input.p = g.leaf / g.layers;
        input.l = g.leaf % g.layers;
        input.e = g.elem;
        input.c = c;
        input.traceRoot = g.traceRoot0;
        input.leafCount = uint32(uint256(g.positions) * g.layers);
        input.weightsRoot = g.weightsRoot;
        input.tokensHash = g.tokensHash;
        input.spec = spec;
        input.openings = openings;
    }

    function _resolve(Game storage g, uint256 gameId, bool claimerWins, Reason reason) private {
        g.phase = Phase.Resolved;
        g.claimerWon = claimerWins;
        emit GameEnded(gameId, reason, claimerWins);
        emit GameResolved(gameId, g.taskId, claimerWins);
        IDisputeGameMarket(market).onGameResolved(gameId, g.taskId, claimerWins);
    }
}
