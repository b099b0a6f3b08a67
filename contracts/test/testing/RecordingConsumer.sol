// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ILedgermindConsumer} from "../../src/interfaces/ILedgermindConsumer.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";

/// @title Test helper: a well-behaved consumer that requests tasks and records what it is given.
/// @notice Deployed only by tests; not part of a Ledgermind deployment.
contract RecordingConsumer is ILedgermindConsumer {
    TaskMarket public immutable market;
    uint256 public lastTaskId;
    bool public lastAccepted;
    bytes32 public lastResultHash;
    bytes32 public lastTraceRoot;
    bytes public lastOutput;
    uint256 public deliveries;

    error NotMarket(address caller);

    constructor(TaskMarket market_) {
        market = market_;
    }

    /// @notice Submits a callback task, forwarding msg.value as the fee.
    function request(uint32 modelId, bytes calldata input, uint8 k) external payable returns (uint256) {
        return market.submitTask{value: msg.value}(modelId, keccak256(input), input, 1, 0, 0, 0, k, 0, market.FLAG_CALLBACK());
    }

    /// @inheritdoc ILedgermindConsumer
    function onTaskFinalized(uint256 taskId, bool accepted, bytes32 resultHash, bytes32 traceRoot, bytes calldata output)
        external
    {
        if (msg.sender != address(market)) revert NotMarket(msg.sender);
        lastTaskId = taskId;
        lastAccepted = accepted;
        lastResultHash = resultHash;
        lastTraceRoot = traceRoot;
        lastOutput = output;
        deliveries += 1;
    }

    /// @notice Withdraws a refund into this contract.
    function withdrawRefund() external {
        market.withdrawBalance();
    }

    receive() external payable {}
}
