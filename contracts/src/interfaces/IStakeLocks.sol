// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title What the agent registry asks the task market before stake leaves.
/// @notice Stake that backs a commitment of a task that has not settled must stay slashable, so the
///         agent registry refuses `withdraw` while the market reports open commitments for the agent.
interface IStakeLocks {
    /// @notice The tasks the agent has committed to that have not settled yet.
    /// @param agentId the agent
    /// @return the count (0 when its stake may leave after the unbonding delay)
    function openCommitments(uint256 agentId) external view returns (uint256);
}
