// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ILedgermindConsumer} from "../../src/interfaces/ILedgermindConsumer.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";

/// @title Test helper: a hostile consumer. In its callback it tries to reenter every state-changing
///        market function (finalize, claim, withdrawBalance, submitTask, commit, reveal), then either
///        reverts, burns all its gas, or returns, as configured. When it receives a refund it tries
///        to withdraw again.
/// @notice Deployed only by tests; not part of a Ledgermind deployment.
contract ReentrantConsumer is ILedgermindConsumer {
    enum Behaviour {
        Return,
        Revert,
        BurnGas
    }

    TaskMarket public immutable market;
    Behaviour public behaviour;
    uint256 public targetAgentId;
    /// @notice How many reentry attempts succeeded (must stay 0).
    uint256 public reentrySuccesses;
    /// @notice How many reentry attempts were made and failed.
    uint256 public reentryFailures;
    uint256 public callbacks;
    uint256 public received;

    constructor(TaskMarket market_) {
        market = market_;
    }

    function setBehaviour(Behaviour b, uint256 agentId) external {
        behaviour = b;
        targetAgentId = agentId;
    }

    function request(uint32 modelId, bytes calldata input, uint8 k) external payable returns (uint256) {
        return market.submitTask{value: msg.value}(modelId, keccak256(input), input, 1, 0, 0, 0, k, 0, market.FLAG_CALLBACK());
    }

    function withdrawRefund() external {
        market.withdrawBalance();
    }

    /// @inheritdoc ILedgermindConsumer
    function onTaskFinalized(uint256 taskId, bool, bytes32, bytes32, bytes calldata) external {
        callbacks += 1;
        _attempt(abi.encodeWithSignature("finalize(uint256)", taskId));
        _attempt(abi.encodeCall(TaskMarket.claim, (targetAgentId)));
        _attempt(abi.encodeCall(TaskMarket.withdrawBalance, ()));
        _attempt(abi.encodeWithSignature("commit(uint256,uint256,uint8,bytes32)", taskId, targetAgentId, uint8(0), bytes32(uint256(1))));
        _attempt(abi.encodeCall(TaskMarket.reveal, (taskId, targetAgentId, 0, 0, 0, 0, "")));
        if (behaviour == Behaviour.Revert) revert("hostile consumer");
        if (behaviour == Behaviour.BurnGas) {
            while (true) {}
        }
    }

    receive() external payable {
        received += msg.value;
        _attempt(abi.encodeCall(TaskMarket.withdrawBalance, ()));
    }

    function _attempt(bytes memory data) private {
        (bool ok,) = address(market).call(data);
        if (ok) reentrySuccesses += 1;
        else reentryFailures += 1;
    }
}
