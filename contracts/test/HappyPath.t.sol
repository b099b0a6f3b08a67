// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";

/// @title The replicated happy path, for `forge snapshot` and as a check that the fixture is right.
contract HappyPathTest is MarketFixture {
    function setUp() public {
        deployAll();
        for (uint256 i; i < 7; ++i) addNode(operator(i), 2 ether);
    }

    function testK3AllAgreePaysEachNodeAThird() public {
        uint256 taskId = submitDistinct(address(0xBEEF), 3, 3e15);
        uint32[] memory nodes = seats(taskId);
        for (uint256 i; i < 3; ++i) commitAs(taskId, nodes[i], keccak256("r"));
        for (uint256 i; i < 3; ++i) revealAs(taskId, nodes[i], keccak256("r"));
        (bool accepted,,,) = market.taskResult(taskId);
        assertTrue(accepted, "accepted");
        uint256 paid;
        for (uint256 i; i < 3; ++i) paid += market.claimable(nodes[i]);
        assertEq(paid, 3e15, "fee paid out");
    }
}
