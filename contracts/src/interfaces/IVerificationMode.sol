// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title A verification mode's settlement, as the task market runs it.
/// @notice The market keeps a task's money, its node assignment and its commit-reveal; how a task
///         that left the happy path is settled belongs to its mode. A mode is a contract deployed by
///         the market and run by DELEGATECALL on the market's storage (TaskMarketBase's layout), so
///         the replicated mode (ReplicatedSettlement) and later ones (optimistic, batched) sit side
///         by side without touching each other's code.
interface IVerificationMode {
    /// @notice Settles or advances a task past a deadline (TaskMarket.finalize): after the commit
    ///         deadline with seats uncommitted, slash and replace them or refund; after the reveal
    ///         deadline, or once all seats revealed, settle (a split quorum is held); after a held
    ///         result's challenge window, apply it; after a challenge's resolution time, resolve it. A round
    ///         whose seats are not drawn yet is drawn from `pool` first (or refunded when its seed block's
    ///         hash has expired).
    /// @param taskId the task
    /// @param pool the pending round's pool snapshot (empty when no draw is pending)
    function finalize(uint256 taskId, bytes calldata pool) external;

    /// @notice Settles a task whose seats have all revealed but not unanimously (called by the market's
    ///         last reveal, which settles the unanimous case itself).
    /// @param taskId the task
    function settleRevealed(uint256 taskId) external;

    /// @notice Disputes a held split result (TaskMarket.challenge): freezes its payouts and slashes until
    ///         the mode resolves it. msg.value is the challenger's bond.
    /// @param taskId the held task
    /// @param agentId the challenging agent
    function challenge(uint256 taskId, uint256 agentId) external payable;
}
