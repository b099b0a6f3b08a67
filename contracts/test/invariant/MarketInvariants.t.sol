// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MarketFixture} from "../utils/MarketFixture.sol";
import {MarketHandler} from "./MarketHandler.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {TaskMarketBase} from "../../src/market/TaskMarketBase.sol";

/// @title The market's guarantees, checked after every call of random call sequences
///        (foundry.toml: [invariant] runs x depth calls per invariant).
/// @notice - funds: the market holds exactly escrow + unclaimed rewards and balances, the agent
///           registry exactly the stake; so the two together hold stake + escrow + unclaimed;
///         - liveness: no task stays Active past its last deadline: finalize on such a task succeeds
///           (it settles, refunds, or replaces nodes with a later deadline), and rounds stay bounded;
///         - held splits: a held or challenged task past its window settles on finalize, and its fee
///           (and bond) stay in escrow until then;
///         - stake: no stake that backs a commitment of an open (or held, or challenged) task is withdrawn.
contract MarketInvariantsTest is MarketFixture {
    MarketHandler internal handler;

    function setUp() public {
        deployAll();
        uint256[] memory ids = new uint256[](7);
        for (uint256 i; i < 7; ++i) ids[i] = addNode(operator(i), 2 ether + i * 0.5 ether);
        handler = new MarketHandler(agents, market, modelId, ids);
        // the handler acts for the nodes through vm.prank; only its functions are fuzzed
        targetContract(address(handler));
    }

    function targetContract(address c) internal {
        _targets.push(c);
    }

    address[] internal _targets;

    /// @dev forge reads the fuzzed contracts from this.
    function targetContracts() public view returns (address[] memory) {
        return _targets;
    }

    function invariant_fundsAreExactlyStakeEscrowAndUnclaimed() public view {
        (, uint256 escrowed, uint256 unclaimed) = market.totals();
        assertEq(address(market).balance, escrowed + unclaimed, "market balance == escrowed + unclaimed");
        uint256 stake = agents.totalBonded() + agents.totalUnbonding();
        assertEq(address(agents).balance, stake, "registry balance == total stake");
        assertEq(address(market).balance + address(agents).balance, stake + escrowed + unclaimed, "all funds");
        _heldFundsStayInEscrowUntilReleased();
    }

    function invariant_noTaskStuckActivePastItsLastDeadline() public {
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            uint256 taskId = handler.taskIds(i);
            TaskMarketBase.TaskView memory t = market.getTask(taskId);
            assertLe(t.round, MAX_ROUNDS, "rounds bounded");
            if (t.status == uint8(TaskMarketBase.Status.Held) || t.status == uint8(TaskMarketBase.Status.Challenged)) {
                // a held split past its challenge window, or a challenge past its resolution time, settles
                if (block.timestamp <= t.heldUntil) continue;
                (bool released,) = address(market).call(abi.encodeWithSignature("finalize(uint256)", taskId));
                assertTrue(released, "finalize of a held or challenged task past its window must succeed");
                continue;
            }
            if (t.status != uint8(TaskMarketBase.Status.Active)) continue;
            bool overdue = t.committedMask != (1 << t.k) - 1
                ? block.timestamp > t.commitDeadline
                : block.timestamp > t.revealDeadline;
            if (!overdue) continue;
            assertTrue(handler.finalizeById(taskId), "finalize of an overdue task must succeed");
        }
    }

    /// @dev Held and challenged splits pay no one: their fees (and a challenge's bond) stay in escrow
    ///      until they are released or resolved, and no challenge is accepted with a wrong bond. Checked
    ///      inside the funds invariant (one campaign fewer: each invariant is its own 10,000 runs).
    function _heldFundsStayInEscrowUntilReleased() internal view {
        uint256 open;
        uint256 n = handler.taskCount();
        for (uint256 i; i < n; ++i) {
            TaskMarketBase.TaskView memory t = market.getTask(handler.taskIds(i));
            if (
                t.status == uint8(TaskMarketBase.Status.Active) || t.status == uint8(TaskMarketBase.Status.Held)
                    || t.status == uint8(TaskMarketBase.Status.Challenged)
            ) open += t.fee;
            if (t.status == uint8(TaskMarketBase.Status.Challenged)) open += DISSENT_SLASH;
        }
        (, uint256 escrowed,) = market.totals();
        assertGe(escrowed, open, "escrow holds every open, held or challenged task's fee and bond");
        assertEq(handler.acceptedWrongBonds(), 0, "no challenge with a wrong bond");
    }

    function invariant_noStakeLeavesWhileItBacksAnOpenTask() public view {
        assertEq(handler.escapedWithdrawals(), 0, "withdrawals of stake backing an open commitment");
    }
}
