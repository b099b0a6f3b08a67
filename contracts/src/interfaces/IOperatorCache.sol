// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title What the agent registry tells the task market when an agent's operators change.
/// @notice The task market remembers, per agent, the last address that the registry confirmed as the
///         agent's operator (owner or agentWallet), so that a node's commit does not call the registry
///         every time. The registry calls `forgetOperator` whenever the owner or the wallet of an agent
///         changes (transfer, setAgentWallet, unsetAgentWallet), so the remembered address is never
///         stale.
interface IOperatorCache {
    /// @notice Drops the operator remembered for `agentId`. Only the agent registry may call it.
    /// @param agentId the agent whose owner or wallet changed
    function forgetOperator(uint256 agentId) external;
}
