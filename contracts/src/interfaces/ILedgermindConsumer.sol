// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title A contract that requests tasks and wants their verified result pushed to it.
/// @notice The task market calls this on the requester when a task submitted with the callback flag
///         is finalized. The call gets a fixed gas allowance (the market's callbackGasLimit); if it
///         reverts or runs out of gas, the task stays finalized and the market emits
///         `CallbackResult(taskId, false)`. Reentering the market from here reverts.
interface ILedgermindConsumer {
    /// @notice Delivers a finalized task.
    /// @param taskId the task
    /// @param accepted true when a result reached the quorum; false when the fee was refunded
    /// @param resultHash the accepted result hash (zero when refunded)
    /// @param traceRoot the accepted trace root (zero when refunded)
    /// @param output the accepted inline output, whose keccak256 is `resultHash` (empty when refunded)
    function onTaskFinalized(uint256 taskId, bool accepted, bytes32 resultHash, bytes32 traceRoot, bytes calldata output)
        external;
}
