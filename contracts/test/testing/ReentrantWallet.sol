// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IERC1271} from "@openzeppelin/contracts/interfaces/IERC1271.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";

/// @title Test helper: a hostile agent wallet (ERC-1271, approves any signature). When the market
///        pays it a reward it tries to claim again and to withdraw balances from inside the payment.
/// @notice Deployed only by tests; not part of a Ledgermind deployment.
contract ReentrantWallet is IERC1271 {
    TaskMarket public immutable market;
    uint256 public agentId;
    uint256 public received;
    uint256 public payments;
    uint256 public reentrySuccesses;
    uint256 public reentryFailures;

    constructor(TaskMarket market_) {
        market = market_;
    }

    function setAgent(uint256 agentId_) external {
        agentId = agentId_;
    }

    function isValidSignature(bytes32, bytes memory) external pure returns (bytes4) {
        return IERC1271.isValidSignature.selector;
    }

    receive() external payable {
        received += msg.value;
        payments += 1;
        (bool ok,) = address(market).call(abi.encodeCall(TaskMarket.claim, (agentId)));
        if (ok) reentrySuccesses += 1;
        else reentryFailures += 1;
        (ok,) = address(market).call(abi.encodeCall(TaskMarket.withdrawBalance, ()));
        if (ok) reentrySuccesses += 1;
        else reentryFailures += 1;
    }
}
