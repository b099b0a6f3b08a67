// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDisputeGame, IDisputeGameMarket} from "../../src/interfaces/IDisputeGame.sol";

/// @title A fake of the task market for the dispute game's tests (the boundary those tests are not about):
///        starts games and records the one callback per game. Test-only (forge tests and chain's tests).
contract FakeGameMarket is IDisputeGameMarket {
    IDisputeGame public game;
    uint256 public calls;
    uint256 public lastGame;
    uint256 public lastTask;
    bool public lastClaimerWins;

    function setGame(IDisputeGame g) external {
        game = g;
    }

    function open(IDisputeGame.StartParams calldata p) external returns (uint256) {
        return game.start(p);
    }

    /// @notice `open` with flat arguments (agent ids 1 and 2).
    function openGame(
        uint256 taskId,
        address claimer,
        address challenger,
        bytes32 claimerRoot,
        bytes32 challengerRoot,
        uint32 positions,
        uint32 layers,
        bytes32 specHash,
        bytes32 weightsRoot,
        bytes32 tokensHash,
        uint64 clock
    ) external returns (uint256) {
        return game.start(
            IDisputeGame.StartParams(
                taskId, 1, claimer, 2, challenger, claimerRoot, challengerRoot, positions, layers, specHash, weightsRoot,
                tokensHash, clock
            )
        );
    }

    function onGameResolved(uint256 gameId, uint256 taskId, bool claimerWins) external {
        require(msg.sender == address(game), "not the game");
        calls++;
        lastGame = gameId;
        lastTask = taskId;
        lastClaimerWins = claimerWins;
    }
}
