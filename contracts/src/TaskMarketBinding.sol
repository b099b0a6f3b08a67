// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

/// @title The one-time link from a registry to the TaskMarket it trusts.
/// @notice AgentRegistry (slashing), ReputationRegistry and ValidationRegistry (protocol records) each
///         accept calls from exactly one task market. The deployer binds it once after deploying the
///         market; nobody can change it afterwards, and the deployer has no other power.
abstract contract TaskMarketBinding {
    address private immutable _deployer;

    /// @notice The task market this contract trusts; zero until bound.
    address public taskMarket;

    event TaskMarketBound(address indexed taskMarket);

    error NotDeployer(address caller);
    error TaskMarketAlreadyBound(address taskMarket);
    error NotTaskMarket(address caller);
    error InvalidConfig(string field);

    constructor() {
        _deployer = msg.sender;
    }

    /// @notice Binds the task market. Callable once, by the deployer.
    /// @param market the TaskMarket address
    function bindTaskMarket(address market) external {
        if (msg.sender != _deployer) revert NotDeployer(msg.sender);
        if (taskMarket != address(0)) revert TaskMarketAlreadyBound(taskMarket);
        if (market == address(0)) revert InvalidConfig("taskMarket");
        taskMarket = market;
        emit TaskMarketBound(market);
    }
}
