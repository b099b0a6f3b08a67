// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The dispute game, as the task market (its optimistic mode) starts it.
/// @notice One DisputeGame contract holds many games. Only the market given at the game contract's
///         deployment may start one; the game reports its outcome back through
///         IDisputeGameMarket.onGameResolved exactly once per game. A game always ends: every level has a
///         chess clock per party, and anyone may call the timeout of a party whose clock ran out.
///         The levels and the one-step rules are in docs/DESIGN.md section 5 (SPEC-12 section 4).
interface IDisputeGame {
    /// @notice What the market fixes when it starts a game.
    /// @param taskId the disputed task (echoed back in onGameResolved)
    /// @param claimerAgentId the worker whose claim is disputed
    /// @param claimer the address allowed to move for the claimer (an operator of its agent)
    /// @param challengerAgentId the challenging agent
    /// @param challenger the address allowed to move for the challenger
    /// @param claimerRoot the claimer's trace root (inference's MerkleTree over the v2 leaves)
    /// @param challengerRoot the challenger's trace root (must differ from claimerRoot)
    /// @param positions positions covered by the trace (the claimed token sequence less its last token)
    /// @param layers the model's layers; the trace has positions * layers leaves, index p * layers + l
    /// @param specHash the model's registered spec hash (SPEC-12 section 6; ModelRegistry architectureHash)
    /// @param weightsRoot the model's registered weights commitment (SPEC-12 section 5)
    /// @param tokensHash keccak256 of the claimed token ids as uint32 little-endian, in order
    /// @param clock seconds on each party's chess clock at the start (time runs while its move is due)
    struct StartParams {
        uint256 taskId;
        uint256 claimerAgentId;
        address claimer;
        uint256 challengerAgentId;
        address challenger;
        bytes32 claimerRoot;
        bytes32 challengerRoot;
        uint32 positions;
        uint32 layers;
        bytes32 specHash;
        bytes32 weightsRoot;
        bytes32 tokensHash;
        uint64 clock;
    }

    /// @notice A game was started by the market.
    event GameStarted(uint256 indexed gameId, uint256 indexed taskId, address claimer, address challenger);

    /// @notice A game ended (by a one-step verdict, a failed check, or a timeout); the market was told.
    event GameResolved(uint256 indexed gameId, uint256 indexed taskId, bool claimerWins);

    /// @notice Starts a game. Only the market may call it.
    /// @param p the game's parameters
    /// @return gameId the new game's id (from 1 upwards)
    function start(StartParams calldata p) external returns (uint256 gameId);

    /// @notice Ends a game whose due party's clock has run out (that party loses). Anyone may call it.
    /// @param gameId the game
    function timeout(uint256 gameId) external;
}

/// @title What the dispute game calls on the market when a game ends.
interface IDisputeGameMarket {
    /// @notice The game `gameId` of task `taskId` ended; called once, by the game contract only.
    ///         The market must not revert here for a game it started (a reverting callback would leave
    ///         the game unresolvable): the game contract does not catch it.
    /// @param gameId the game
    /// @param taskId the task the game was started for
    /// @param claimerWins true when the claimer won (the claim stands), false when the challenger won
    function onGameResolved(uint256 gameId, uint256 taskId, bool claimerWins) external;
}
