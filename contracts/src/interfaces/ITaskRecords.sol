// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title What the ERC-8004 reputation and validation registries read back from the task market.
/// @notice The market writes ERC-8004 records as events only, to keep a verified task cheap; the
///         registries answer the ERC-8004 read functions for the market's records from the market's
///         own task and account storage through this interface.
interface ITaskRecords {
    /// @notice How one node fared in one finalized task.
    enum NodeOutcome {
        None, // not assigned to this task, or the task is not finalized
        Agreed, // revealed the accepted result and was paid
        Dissented, // revealed a different result than the accepted one and was slashed
        Absent, // never committed or never revealed, and was slashed
        Inconclusive // revealed, but no result reached the quorum (fee refunded)
    }

    /// @notice The outcome of `agentId` in `taskId`.
    function outcomeOf(uint256 taskId, uint256 agentId) external view returns (NodeOutcome);

    /// @notice The market's verdict on a finalized task, as an ERC-8004 validation status.
    /// @return finalized false while the task is open or unknown
    /// @return agentId the first agent that revealed the accepted result (0 when refunded)
    /// @return response percentage of the k nodes that agreed with the accepted result (0 when refunded)
    /// @return responseHash keccak256(abi.encode(resultHash, traceRoot)) of the accepted result
    /// @return lastUpdate the finalization timestamp
    function validationOf(uint256 taskId)
        external
        view
        returns (bool finalized, uint256 agentId, uint8 response, bytes32 responseHash, uint256 lastUpdate);

    /// @notice Counts of an agent's protocol outcomes, one per reputation record the market wrote for it:
    ///         tasks agreed, faults (dissent or absence), and inconclusive tasks (revealed, no quorum); and
    ///         what they weigh (ReputationRegistry.getSummary counts only what cost something): the agreed
    ///         outcomes of self-requested tasks (requested from the address the agent committed with) and
    ///         the wei they paid it, all wei ever paid to it (fee shares and slash shares), and the wei
    ///         slashed from it. Agreed records weigh what they paid, less the self-requested ones; faults
    ///         weigh what they cost.
    /// @return agreed agreed outcomes (self-requested included)
    /// @return faults dissent and absence outcomes
    /// @return inconclusive revealed, no quorum (or a challenged split)
    /// @return selfRequested agreed outcomes of self-requested tasks
    /// @return earnedWei wei ever paid to the agent
    /// @return selfRequestedWei wei paid to it in self-requested tasks
    /// @return slashedWei wei slashed from it
    function outcomeCounts(uint256 agentId)
        external
        view
        returns (
            uint32 agreed,
            uint32 faults,
            uint32 inconclusive,
            uint32 selfRequested,
            uint256 earnedWei,
            uint256 selfRequestedWei,
            uint256 slashedWei
        );
}
