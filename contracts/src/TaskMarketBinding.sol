// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The fixed link from a registry to the TaskMarket it trusts.
/// @notice AgentRegistry (slashing), ReputationRegistry and ValidationRegistry (protocol records) each
///         accept calls from exactly one task market, fixed at construction and never changeable.
/// @dev The market is deployed after the registries (its constructor needs their addresses), so the
///      deployer passes the market's future address: the CREATE address of the deployer at the nonce
///      it will deploy the market with. The deployment tool checks that the market landed there
///      (LedgermindContracts.deploy). An immutable costs nothing to read, where a bound storage word
///      cost a cold SLOAD (2,100 gas) in every protocol call of every task's settlement.
abstract contract TaskMarketBinding {
    /// @notice The task market this contract trusts.
    address public immutable taskMarket;

    error NotTaskMarket(address caller);
    error InvalidConfig(string field);

    /// @param taskMarket_ the TaskMarket address (possibly not deployed yet)
    constructor(address taskMarket_) {
        if (taskMarket_ == address(0)) revert InvalidConfig("taskMarket");
        taskMarket = taskMarket_;
    }
}
