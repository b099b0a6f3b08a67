// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {TaskMarketBase} from "../src/market/TaskMarketBase.sol";
import {IVerificationMode} from "../src/interfaces/IVerificationMode.sol";

/// @title Split results (a quorum, but not every seat revealed it): held for the challenge window, then
///        released by `finalize`, or challenged by a dissenting seat and resolved as no result; and the
///        reputation weights (ReputationRegistry.getSummary over the market's records).
contract SplitSettlementTest is MarketFixture {
    address internal constant REQUESTER = address(0xBEEF);
    uint256 internal constant FEE = 3e15;
    bytes32 internal constant R = keccak256("r");
    bytes32 internal constant WRONG = keccak256("wrong");
    uint256 internal escrowedAtSubmit;

    function setUp() public {
        deployAll();
        for (uint256 i; i < 3; ++i) addNode(operator(i), 2 ether);
    }

    /// @dev A k=3 task whose seats 0 and 1 reveal R and seat 2 reveals WRONG (or withholds); held.
    function _heldSplit(bool withhold) internal returns (uint256 taskId, uint32[] memory n) {
        taskId = submitDistinct(REQUESTER, 3, FEE);
        (, escrowedAtSubmit,) = market.totals(); // earlier draws of submitDistinct stay open in escrow
        n = seats(taskId);
        for (uint256 i; i < 3; ++i) commitAs(taskId, n[i], i == 2 ? WRONG : R);
        revealAs(taskId, n[0], R);
        revealAs(taskId, n[1], R);
        if (withhold) {
            vm.warp(block.timestamp + COMMIT_WINDOW + REVEAL_WINDOW + 1);
            market.finalize(taskId);
        } else {
            revealAs(taskId, n[2], WRONG);
        }
    }

    function _assertFunds() internal view {
        (, uint256 escrowed, uint256 unclaimed) = market.totals();
        assertEq(address(market).balance, escrowed + unclaimed, "market balance == escrowed + unclaimed");
    }

    function testUnanimousResultIsPaidAtOnceNotHeld() public {
        uint256 a = submitDistinct(REQUESTER, 3, FEE);
        uint32[] memory n = seats(a);
        for (uint256 i; i < 3; ++i) commitAs(a, n[i], R);
        for (uint256 i; i < 3; ++i) revealAs(a, n[i], R);
        assertEq(uint256(market.phaseOf(a)), uint256(TaskMarketBase.Phase.Accepted), "accepted at the last reveal");
        assertEq(market.claimable(n[0]), FEE / 3, "paid at once");
    }

    function testSplitIsHeldWithNothingPaidOrSlashedAndItsFeeInEscrow() public {
        (uint256 a, uint32[] memory n) = _heldSplit(false);
        TaskMarketBase.TaskView memory v = market.getTask(a);
        assertEq(v.status, uint8(TaskMarketBase.Status.Held), "held");
        assertEq(v.phase, uint8(TaskMarketBase.Phase.Held), "phase held");
        assertEq(v.acceptedMask, 3, "the held quorum");
        assertEq(v.heldUntil, block.timestamp + REVEAL_WINDOW, "held for one reveal window");
        assertEq(market.claimable(n[0]), 0, "not paid while held");
        (uint256 stake,,) = agents.stakeOf(n[2]);
        assertEq(stake, 2 ether, "not slashed while held");
        (, uint256 escrowed,) = market.totals();
        assertEq(escrowed, escrowedAtSubmit, "the fee stays in escrow");
        assertEq(market.openCommitments(n[2]), 1, "a held task still locks the stake behind it");
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.TooEarly.selector, a, block.timestamp + REVEAL_WINDOW + 1));
        market.finalize(a);
        _assertFunds();
    }

    /// @notice After the window, `finalize` applies exactly the settlement v1 applied at once: the
    ///         quorum shares the fee and half of the slash, the dissenter (or withholder) is slashed.
    function testFuzzHeldSplitIsReleasedAfterTheWindow(uint32 wait, bool withhold) public {
        (uint256 a, uint32[] memory n) = _heldSplit(withhold);
        uint256 releaseAt = market.getTask(a).heldUntil;
        vm.warp(releaseAt + 1 + uint256(wait) % 30 days);
        market.finalize(a);
        assertEq(uint256(market.phaseOf(a)), uint256(TaskMarketBase.Phase.Accepted), "accepted at release");
        uint256 pool = FEE + DISSENT_SLASH / 2;
        assertEq(market.claimable(n[0]) + market.claimable(n[1]), pool, "the quorum shares fee and half the slash");
        (uint256 stake,,) = agents.stakeOf(n[2]);
        assertEq(stake, 2 ether - DISSENT_SLASH, "the minority is slashed at release");
        assertEq(market.pendingWithdrawals(treasury), DISSENT_SLASH / 2, "the treasury's half");
        assertEq(market.openCommitments(n[2]), 0, "the stake is free once released");
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.TaskNotActive.selector, a, uint8(TaskMarketBase.Status.Accepted)));
        market.finalize(a);
        _assertFunds();
    }

    /// @notice challenge accepts exactly one call: a dissenting seat's operator, within the window, with a
    ///         bond of dissentSlash; every other call names what is wrong.
    function testFuzzChallengeNamesEveryBadInput(uint8 who, uint96 bond, uint16 wait, bool withhold) public {
        (uint256 a, uint32[] memory n) = _heldSplit(withhold);
        uint256 deadline = market.getTask(a).heldUntil;
        uint256 agentId = who % 4 == 3 ? 99 : n[who % 3];
        address caller = who % 5 == 4 ? address(0xCAFE) : (agentId == 99 ? ownerOf(n[2]) : ownerOf(agentId));
        vm.warp(block.timestamp + uint256(wait) % (2 * REVEAL_WINDOW));
        vm.deal(caller, bond);
        // in the contract's order of checks
        bytes memory expected;
        if (block.timestamp > deadline) {
            expected = abi.encodeWithSelector(TaskMarketBase.ChallengeWindowClosed.selector, a, deadline);
        } else if (agentId == 99) {
            expected = abi.encodeWithSelector(TaskMarketBase.NotAssigned.selector, a, agentId);
        } else if (agentId != n[2] || withhold) {
            expected = abi.encodeWithSelector(TaskMarketBase.NotADissenter.selector, a, agentId);
        } else if (caller != ownerOf(agentId)) {
            expected = abi.encodeWithSelector(TaskMarketBase.NotOperator.selector, agentId, caller);
        } else if (bond != DISSENT_SLASH) {
            expected = abi.encodeWithSelector(TaskMarketBase.WrongBond.selector, a, uint256(bond), DISSENT_SLASH);
        }
        vm.prank(caller);
        (bool ok, bytes memory ret) = address(market).call{value: bond}(abi.encodeCall(IVerificationMode.challenge, (a, agentId)));
        if (expected.length != 0) {
            assertTrue(!ok, "refused");
            assertTrue(keccak256(ret) == keccak256(expected), "the named error");
            assertEq(market.getTask(a).status, uint8(TaskMarketBase.Status.Held), "still held");
        } else {
            assertTrue(ok, "a dissenter's bonded challenge in the window is accepted");
            assertEq(market.getTask(a).status, uint8(TaskMarketBase.Status.Challenged), "challenged");
            vm.deal(caller, bond);
            vm.prank(caller);
            vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.AlreadyChallenged.selector, a));
            IVerificationMode(address(market)).challenge{value: bond}(a, agentId);
        }
        _assertFunds();
    }

    /// @notice The market's fallback serves only the challenge selector: a mode's other entry points
    ///         (settleRevealed, which has no checks of its own) cannot be reached through it.
    function testFallbackForwardsOnlyTheChallengeSelector() public {
        uint256 a = submitDistinct(REQUESTER, 3, FEE);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.UnknownFunction.selector, IVerificationMode.settleRevealed.selector));
        IVerificationMode(address(market)).settleRevealed(a);
        (bool ok, bytes memory ret) = address(market).call(hex"deadbeef");
        assertTrue(!ok, "unknown calldata reverts");
        assertTrue(
            keccak256(ret) == keccak256(abi.encodeWithSelector(TaskMarketBase.UnknownFunction.selector, bytes4(0xdeadbeef))),
            "UnknownFunction"
        );
    }

    function testChallengeOfAnActiveOrFinalTaskIsRefused() public {
        uint256 a = submitDistinct(REQUESTER, 3, FEE);
        uint32[] memory n = seats(a);
        vm.deal(ownerOf(n[0]), DISSENT_SLASH);
        vm.prank(ownerOf(n[0]));
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.TaskNotHeld.selector, a, uint8(TaskMarketBase.Status.Active)));
        IVerificationMode(address(market)).challenge{value: DISSENT_SLASH}(a, n[0]);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.UnknownTask.selector, uint256(999)));
        IVerificationMode(address(market)).challenge(999, n[0]);
    }

    /// @notice A challenged split is frozen until its resolution time, then resolved as no result:
    ///         refund, bond back, revealers inconclusive and unslashed.
    function testFuzzChallengedSplitIsResolvedAsNoResult(uint32 wait) public {
        (uint256 a, uint32[] memory n) = _heldSplit(false);
        address challenger = ownerOf(n[2]);
        vm.deal(challenger, DISSENT_SLASH);
        vm.prank(challenger);
        IVerificationMode(address(market)).challenge{value: DISSENT_SLASH}(a, n[2]);
        uint256 resolvableAt = market.getTask(a).heldUntil;
        assertEq(resolvableAt, block.timestamp + REVEAL_WINDOW, "resolution after one reveal window");
        assertEq(uint256(market.phaseOf(a)), uint256(TaskMarketBase.Phase.Challenged), "phase challenged");
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.TooEarly.selector, a, resolvableAt + 1));
        market.finalize(a);
        _assertFunds();
        vm.warp(resolvableAt + 1 + uint256(wait) % 30 days);
        market.finalize(a);
        assertEq(uint256(market.phaseOf(a)), uint256(TaskMarketBase.Phase.Refunded), "refunded");
        assertEq(market.pendingWithdrawals(REQUESTER), FEE, "fee refunded");
        assertEq(market.pendingWithdrawals(challenger), DISSENT_SLASH, "bond returned");
        for (uint256 i; i < 3; ++i) {
            (uint256 stake,,) = agents.stakeOf(n[i]);
            assertEq(stake, 2 ether, "no one slashed");
            assertEq(market.claimable(n[i]), 0, "no one paid");
            assertEq(uint256(market.outcomeOf(a, n[i])), 4, "inconclusive");
        }
        (, uint256 escrowed,) = market.totals();
        assertEq(escrowed, escrowedAtSubmit - FEE, "the fee and the bond left escrow");
        _assertFunds();
    }

    // ------------------------------------------------------------ reputation weights

    function _summary(uint256 agentId) internal view returns (uint64 count, int128 value) {
        address[] memory clients = new address[](1);
        clients[0] = address(market);
        (count, value,) = reputation.getSummary(agentId, clients, "", "");
    }

    /// @notice getSummary weighs an agreed record by what it paid and a fault by what it cost: after a
    ///         paid task and a released split in which it dissented, the average is 100 x paid / (paid + slashed).
    function testSummaryWeighsAgreedByPayAndFaultsBySlash() public {
        uint256 a = submitDistinct(REQUESTER, 3, FEE);
        uint32[] memory n = seats(a);
        for (uint256 i; i < 3; ++i) commitAs(a, n[i], R);
        for (uint256 i; i < 3; ++i) revealAs(a, n[i], R);
        (uint64 c0, int128 v0) = _summary(n[2]);
        assertEq(c0, 1, "one record");
        assertEq(uint256(int256(v0)), 100e18, "100");

        vm.roll(block.number + 1);
        uint256 b = submitDistinct(REQUESTER, 3, FEE);
        uint32[] memory m = seats(b);
        uint256 liar = m[2];
        for (uint256 i; i < 3; ++i) commitAs(b, m[i], i == 2 ? WRONG : R);
        for (uint256 i; i < 3; ++i) revealAs(b, m[i], i == 2 ? WRONG : R);
        vm.warp(block.timestamp + REVEAL_WINDOW + 1);
        market.finalize(b);
        uint256 paid = market.claimable(liar);
        (uint64 c1, int128 v1) = _summary(liar);
        assertEq(c1, 2, "one agreed, one fault");
        assertEq(uint256(int256(v1)), paid * 100e18 / (paid + DISSENT_SLASH), "weighed by wei");
        // the agreed-only view still counts one each
        address[] memory clients = new address[](1);
        clients[0] = address(market);
        (uint64 agreedCount, int128 agreedValue,) = reputation.getSummary(liar, clients, "", "agreed");
        assertEq(agreedCount, 1, "agreed records");
        assertEq(uint256(int256(agreedValue)), 100e18, "agreed value");
    }
}
