// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The part of the model registry that the task market calls.
interface IModelRegistry {
    /// @notice The agents that declared they serve `modelId`, in declaration order (removals swap the
    ///         last entry into the hole).
    /// @param modelId the model
    /// @return agentIds the serving agents
    function servers(uint32 modelId) external view returns (uint32[] memory agentIds);

    /// @notice The verification modes a model supports (bit 0 replicated, 1 optimistic, 2 ensemble);
    ///         0 for an unknown model.
    /// @param modelId the model
    /// @return modes the bitmask
    function modesOf(uint32 modelId) external view returns (uint8 modes);

    /// @notice What the task market needs to check a task against its model and draw its nodes, in one
    ///         call: the model's terms word and its servers (as `servers`). The terms word packs
    ///         modes (bits 0..7, as `modesOf`; 0 for an unknown model) | maxInputBytes (8..39) |
    ///         maxOutputTokens (40..71) | pricePerToken in wei (72..167).
    /// @param modelId the model
    /// @return terms the packed terms word
    /// @return agentIds the serving agents
    function drawPool(uint32 modelId) external view returns (uint256 terms, uint32[] memory agentIds);
}
