// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IDisputeGame, IDisputeGameMarket} from "../../src/interfaces/IDisputeGame.sol";

/// @title A FAKE dispute game, for tests of the optimistic mode's challenge path only (the game itself, its
///        bisection and one-step referee, is the DisputeGame contract's, tested on its own). It records what
///        the market started and lets the test decide the verdict (`resolve`), which it reports to the market
///        exactly as the real game does (IDisputeGameMarket.onGameResolved, once per game).
contract FakeDisputeGame is IDisputeGame {
    address public immutable market;
    uint256 public games;
    mapping(uint256 gameId => StartParams) internal _started;
    mapping(uint256 gameId => bool) public resolved;

    error NotMarket(address caller);
    error AlreadyResolved(uint256 gameId);

    constructor(address market_) {
        market = market_;
    }

    function start(StartParams calldata p) external returns (uint256 gameId) {
        if (msg.sender != market) revert NotMarket(msg.sender);
        gameId = ++games;
        _started[gameId] = p;
        emit GameStarted(gameId, p.taskId, p.claimer, p.challenger);
    }

    /// @notice The test's verdict for game `gameId` (anyone may call: this is a fake).
    function resolve(uint256 gameId, bool claimerWins) external {
        if (resolved[gameId]) revert AlreadyResolved(gameId);
        resolved[gameId] = true;
        uint256 taskId = _started[gameId].taskId;
        emit GameResolved(gameId, taskId, claimerWins);
        IDisputeGameMarket(market).onGameResolved(gameId, taskId, claimerWins);
    }

    function timeout(uint256) external pure {}

    /// @notice What the market passed to `start` for game `gameId`.
    function started(uint256 gameId) external view returns (StartParams memory) {
        return _started[gameId];
    }
}
