// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The part of the agent registry that the protocol's contracts call.
/// @notice Agent ids are ERC-721 token ids, issued from 1 upwards and capped at 2^32 - 1 so that the
///         task market can pack several of them into one storage word.
interface IAgentRegistry {
    /// @notice For each id, the stake that counts as selection weight: the bonded (not unbonding)
    ///         stake in gwei (at least 1) when it is at least the minimum stake, and 0 otherwise
    ///         (also 0 for unknown ids). Weights are only compared with each other, so the unit is
    ///         free; gwei lets four of them share one storage word.
    /// @param agentIds the agents to weigh
    /// @return weights one weight per id, in gwei
    function stakeWeights(uint32[] calldata agentIds) external view returns (uint256[] memory weights);

    /// @notice Seconds between requestUnstake and the earliest withdraw (the task market checks it is
    ///         longer than a task's life).
    /// @return the delay
    function unbondingDelay() external view returns (uint256);

    /// @notice Whether `account` may act for `agentId` in the protocol: its owner or its agentWallet.
    /// @param agentId the agent
    /// @param account the address to check
    /// @return true when `account` is the owner or the agent wallet
    function isOperator(uint256 agentId, address account) external view returns (bool);

    /// @notice The address that receives the agent's payments: its agentWallet, or its owner if unset.
    /// @param agentId the agent
    /// @return the payee
    function payoutAddress(uint256 agentId) external view returns (address);

    /// @notice Takes up to `amount` from the agent's stake (bonded first, then unbonding) and sends it
    ///         to the caller. Only the bound task market may call it.
    /// @param agentId the agent to slash
    /// @param amount the most to take, in wei
    /// @return taken what was actually taken (less than `amount` when the stake is smaller)
    function slash(uint256 agentId, uint256 amount) external returns (uint256 taken);
}
