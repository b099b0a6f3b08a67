// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {Vm} from "./utils/Vm.sol";
import {TaskMarketBase} from "../src/market/TaskMarketBase.sol";
import {OptimisticSettlement} from "../src/market/OptimisticSettlement.sol";
import {OptimisticDisputes} from "../src/market/OptimisticDisputes.sol";
import {OptimisticBase} from "../src/market/OptimisticBase.sol";
import {ITaskRecords} from "../src/interfaces/ITaskRecords.sol";
import {IDisputeGame} from "../src/interfaces/IDisputeGame.sol";

/// @title The optimistic mode (OptimisticSettlement behind TaskMarket's fallback): claim, audit, challenge
///        (with a FAKE dispute game that the test resolves), finality, and the refusals.
contract OptimisticTest is MarketFixture {
    OptimisticSettlement internal mode; // the mode's ABI at the market's address
    OptimisticDisputes internal disputes; // its audit and challenge ABI, at the market's address too
    uint32 internal optModel;
    address internal constant REQUESTER = address(0xBEEF);
    uint256 internal constant FEE = 1e16;
    uint32 internal constant POSITIONS = 4;
    uint32 internal constant LAYERS = 3;

    function setUp() public {
        deployAll();
        mode = OptimisticSettlement(payable(address(market)));
        disputes = OptimisticDisputes(address(market));
        optModel = models.registerModel(keccak256("ow"), keccak256("ot"), keccak256("oa"), "opt-model", 3);
        for (uint256 i; i < 5; ++i) {
            uint256 id = addNode(operator(i), 2 ether);
            vm.prank(operator(i));
            models.declareServes(id, optModel);
        }
    }

    // ---------------------------------------------------------------- helpers

    function assertEq(bytes32 actual, bytes32 expected, string memory what) internal pure {
        if (actual != expected) revert(string.concat(what, ": hashes differ"));
    }

    function assertFalse(bool condition, string memory what) internal pure {
        if (condition) revert(what);
    }

    function submitOpt(uint16 auditBps) internal returns (uint256 taskId) {
        vm.deal(REQUESTER, REQUESTER.balance + FEE);
        vm.recordLogs();
        vm.prank(REQUESTER);
        taskId = mode.submitOptimistic{value: FEE}(optModel, keccak256("in"), "in", 1, 0, 16, 0, 0, auditBps, 0);
        capturePools();
        mine();
    }

    function workerOf(uint256 taskId) internal view returns (uint256) {
        return market.drawSeats(taskId, pools[taskId], blockhash(seedBlockOf(pools[taskId])))[0];
    }

    /// @dev The honest trace's leaf hashes for a result tag (12 leaves: 4 positions x 3 layers).
    function leavesOf(bytes32 tag) internal pure returns (bytes32[] memory l) {
        l = new bytes32[](POSITIONS * LAYERS);
        for (uint256 i; i < l.length; ++i) l[i] = keccak256(abi.encode(tag, i));
    }

    /// @dev inference's MerkleTree: node[0][i] = keccak(0x00 || leaf), inner keccak(0x01 || l || r), odd last promoted.
    function rootOf(bytes32[] memory leaves) internal pure returns (bytes32) {
        bytes32[] memory level = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; ++i) level[i] = keccak256(abi.encodePacked(bytes1(0x00), leaves[i]));
        uint256 n = level.length;
        while (n > 1) {
            uint256 m = (n + 1) / 2;
            for (uint256 j; j < m; ++j) {
                level[j] = 2 * j + 1 < n
                    ? keccak256(abi.encodePacked(bytes1(0x01), level[2 * j], level[2 * j + 1]))
                    : level[2 * j];
            }
            n = m;
        }
        return level[0];
    }

    /// @dev The siblings of leaf `index` (bottom-up, none at a promoted level), appended to `out` from `at`.
    function proofOf(bytes32[] memory leaves, uint256 index, bytes32[] memory out, uint256 next) internal pure returns (uint256) {
        bytes32[] memory level = new bytes32[](leaves.length);
        for (uint256 i; i < leaves.length; ++i) level[i] = keccak256(abi.encodePacked(bytes1(0x00), leaves[i]));
        uint256 n = level.length;
        uint256 k = index;
        while (n > 1) {
            if (!(k == n - 1 && n % 2 == 1)) out[next++] = level[k ^ 1];
            uint256 m = (n + 1) / 2;
            for (uint256 j; j < m; ++j) {
                level[j] = 2 * j + 1 < n
                    ? keccak256(abi.encodePacked(bytes1(0x01), level[2 * j], level[2 * j + 1]))
                    : level[2 * j];
            }
            n = m;
            k /= 2;
        }
        return next;
    }

    function claimAs(uint256 taskId, uint256 worker, bytes32 tag) internal {
        bytes memory output = abi.encodePacked("out:", tag);
        vm.prank(ownerOf(worker));
        mode.claimResult(taskId, worker, 7, pools[taskId], keccak256(output), rootOf(leavesOf(tag)), keccak256("tokens"),
            POSITIONS, POSITIONS * LAYERS, output);
        mine();
    }

    function claimBlockHash(uint256 taskId) internal view returns (bytes32) {
        return blockhash(mode.optimisticTask(taskId).claimBlock);
    }

    function draw(uint256 taskId) internal view returns (bool audited, uint256 validator, uint256[] memory idx) {
        return disputes.auditDraw(taskId, pools[taskId], claimBlockHash(taskId));
    }

    /// @dev The audit of the honest trace `tag` by `validator`: leaves and proofs at the drawn indices.
    function auditAs(uint256 taskId, uint256 validator, bytes32 tag, bool replayed) internal {
        (,, uint256[] memory idx) = draw(taskId);
        bytes32[] memory leaves = leavesOf(tag);
        bytes32[] memory opened = new bytes32[](idx.length);
        bytes32[] memory buf = new bytes32[](idx.length * 8);
        uint256 used;
        for (uint256 j; j < idx.length; ++j) {
            // a copier knows the claimed root but not the leaves: it makes them up
            opened[j] = replayed ? leaves[idx[j]] : keccak256(abi.encode("guess", j));
            used = proofOf(leaves, idx[j], buf, used);
        }
        bytes32[] memory proof = new bytes32[](used);
        for (uint256 j; j < used; ++j) proof[j] = buf[j];
        bytes memory output = abi.encodePacked("out:", tag);
        vm.prank(ownerOf(validator));
        disputes.audit(taskId, validator, 9, pools[taskId], keccak256(output), rootOf(leaves), opened, proof);
    }

    function pass(uint256 seconds_) internal {
        vm.warp(block.timestamp + seconds_);
        mine();
    }

    function finalizeOpt(uint256 taskId) internal {
        mode.finalizeOptimistic(taskId, pools[taskId]);
    }

    function outcome(uint256 taskId, uint256 agentId) internal view returns (ITaskRecords.NodeOutcome) {
        return market.outcomeOf(taskId, agentId);
    }

    /// @dev A claimed task whose audit decision is `wantAudit` (the decision is a function of the claim block's
    ///      hash, which the test chain fixes per block number, so the test submits until it gets the case).
    function claimedTask(uint16 auditBps, bool wantAudit, bytes32 tag)
        internal
        returns (uint256 taskId, uint256 worker, uint256 validator)
    {
        for (uint256 attempt; attempt < 40; ++attempt) {
            taskId = submitOpt(auditBps);
            worker = workerOf(taskId);
            claimAs(taskId, worker, tag);
            bool audited;
            (audited, validator,) = draw(taskId);
            if (audited == wantAudit) return (taskId, worker, validator);
        }
        revert("40 claims without the wanted audit decision");
    }

    // ---------------------------------------------------------------- the happy path

    function testUnchallengedUnauditedClaimIsFinalAfterItsWindowAndPaysTheWorkerTheFee() public {
        (uint256 id, uint256 worker,) = claimedTask(uint16(MIN_AUDIT_BPS), false, keccak256("r"));
        assertEq(uint8(market.phaseOf(id)), uint8(TaskMarketBase.Phase.Optimistic), "open during the window");
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.TooEarly.selector, id, mode.optimisticTask(id).windowEnd + 1));
        finalizeOpt(id);
        pass(DEFAULT_WINDOW + 1);
        (, uint256 escrowedBefore,) = market.totals();
        finalizeOpt(id);
        assertEq(market.claimable(worker), FEE, "the worker is paid the whole fee");
        (, uint256 escrowedAfter,) = market.totals();
        assertEq(escrowedBefore - escrowedAfter, FEE, "the fee left escrow");
        (bool accepted, bytes32 resultHash,,) = market.taskResult(id);
        assertTrue(accepted, "accepted");
        assertEq(resultHash, keccak256(abi.encodePacked("out:", keccak256("r"))), "the claimed result");
        assertEq(uint8(outcome(id, worker)), uint8(ITaskRecords.NodeOutcome.Agreed), "worker agreed");
        (bool fin, uint256 agent, uint8 response,,) = market.validationOf(id);
        assertTrue(fin && agent == worker && response == 100, "validation record: the worker, 100");
        assertEq(market.openCommitments(worker), 0, "the claim's lane no longer holds the stake");
    }

    function testPassedAuditPaysTheAuditorItsShare() public {
        (uint256 id, uint256 worker, uint256 validator) = claimedTask(10_000, true, keccak256("r"));
        assertTrue(validator != worker && validator != 0, "the validator is drawn, never the worker");
        auditAs(id, validator, keccak256("r"), true);
        assertEq(uint8(mode.optimisticTask(id).audit), uint8(OptimisticBase.AuditState.Passed), "passed");
        pass(DEFAULT_WINDOW + 1);
        finalizeOpt(id);
        uint256 auditorPay = FEE * AUDIT_SHARE_BPS / 10_000;
        assertEq(market.claimable(validator), auditorPay, "auditor's share");
        assertEq(market.claimable(worker), FEE - auditorPay, "worker: the rest");
        assertEq(uint8(outcome(id, validator)), uint8(ITaskRecords.NodeOutcome.Agreed), "validator agreed");
        (,, uint8 response,,) = market.validationOf(id);
        assertEq(response, 100, "both agreed");
    }

    // ---------------------------------------------------------------- audits that fail

    function testAuditedValidatorThatCopiesTheClaimIsCaughtAndSlashed() public {
        (uint256 id, uint256 worker, uint256 validator) = claimedTask(10_000, true, keccak256("r"));
        (uint256 bondedBefore,,) = agents.stakeOf(validator);
        auditAs(id, validator, keccak256("r"), false); // the claimed root and result, leaves made up
        assertEq(uint8(mode.optimisticTask(id).audit), uint8(OptimisticBase.AuditState.Copied), "copier caught");
        pass(DEFAULT_WINDOW + 1);
        finalizeOpt(id);
        (uint256 bondedAfter,,) = agents.stakeOf(validator);
        assertEq(bondedBefore - bondedAfter, AUDIT_SLASH, "copier slashed auditSlash");
        assertEq(market.claimable(validator), 0, "and not paid");
        assertEq(market.claimable(worker), FEE + AUDIT_SLASH * 5_000 / 10_000, "worker: fee plus its share of the slash");
        assertEq(uint8(outcome(id, validator)), uint8(ITaskRecords.NodeOutcome.Dissented), "recorded as a dissent");
    }

    function testSilentValidatorIsSlashed() public {
        (uint256 id, uint256 worker, uint256 validator) = claimedTask(10_000, true, keccak256("r"));
        (uint256 bondedBefore,,) = agents.stakeOf(validator);
        pass(DEFAULT_WINDOW + 1);
        vm.prank(ownerOf(validator));
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.AuditWindowClosed.selector, id, mode.optimisticTask(id).windowEnd));
        disputes.audit(id, validator, 9, pools[id], 0, 0, new bytes32[](0), new bytes32[](0));
        finalizeOpt(id);
        (uint256 bondedAfter,,) = agents.stakeOf(validator);
        assertEq(bondedBefore - bondedAfter, AUDIT_SLASH, "silent validator slashed");
        assertEq(uint8(outcome(id, validator)), uint8(ITaskRecords.NodeOutcome.Absent), "recorded absent");
        assertEq(market.claimable(worker), FEE + AUDIT_SLASH / 2, "the worker is paid");
    }

    function testOnlyTheDrawnValidatorAuditsAndAMalformedProofIsRefused() public {
        (uint256 id, uint256 worker, uint256 validator) = claimedTask(10_000, true, keccak256("r"));
        vm.prank(ownerOf(worker));
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.NotTheValidator.selector, id, worker, validator));
        disputes.audit(id, worker, 9, pools[id], 0, 0, new bytes32[](0), new bytes32[](0));
        bytes32 root = rootOf(leavesOf(keccak256("r")));
        bytes32 result = keccak256(abi.encodePacked("out:", keccak256("r")));
        vm.prank(ownerOf(validator));
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.MalformedAuditProof.selector, id));
        disputes.audit(id, validator, 9, pools[id], result, root, new bytes32[](3), new bytes32[](0));
    }

    // ---------------------------------------------------------------- challenges (fake game)

    function challenger(uint256 worker) internal pure returns (uint256 c) {
        for (c = 1; c == worker; ++c) {}
    }

    function testWrongClaimIsChallengedOverturnedAndTheWorkerSlashed() public {
        (uint256 id, uint256 worker,) = claimedTask(uint16(MIN_AUDIT_BPS), false, keccak256("wrong"));
        uint256 ch = challenger(worker);
        address op = ownerOf(ch);
        vm.deal(op, op.balance + CHALLENGE_BOND);
        bytes32 honestRoot = rootOf(leavesOf(keccak256("r")));
        vm.prank(op);
        disputes.challengeClaim{value: CHALLENGE_BOND}(id, ch, keccak256("honest"), honestRoot);
        OptimisticBase.Claim memory c = mode.optimisticTask(id);
        assertEq(uint8(c.stage), uint8(OptimisticBase.Stage.Challenged), "challenged");
        IDisputeGame.StartParams memory p = game.started(c.gameId);
        assertEq(p.taskId, id, "taskId");
        assertEq(p.claimerAgentId, worker, "claimerAgentId");
        assertEq(p.challengerAgentId, ch, "challengerAgentId");
        assertEq(p.challengerRoot, honestRoot, "challengerRoot");
        assertEq(p.claimerRoot, rootOf(leavesOf(keccak256("wrong"))), "claimerRoot");
        assertEq(p.positions, POSITIONS, "positions");
        assertEq(p.layers, LAYERS, "layers");
        assertEq(p.weightsRoot, keccak256("ow"), "weightsRoot");
        assertEq(p.specHash, keccak256("oa"), "specHash");
        assertEq(p.tokensHash, keccak256("tokens"), "tokensHash");
        assertEq(p.claimer, ownerOf(worker), "claimer");
        assertEq(p.challenger, op, "challenger");
        (uint256 bondedBefore,,) = agents.stakeOf(worker);
        game.resolve(c.gameId, false);
        finalizeOpt(id);
        (uint256 bondedAfter,,) = agents.stakeOf(worker);
        assertEq(bondedBefore - bondedAfter, CLAIM_BOND, "worker slashed claimBond");
        assertEq(market.pendingWithdrawals(REQUESTER), FEE, "fee refunded");
        assertEq(market.pendingWithdrawals(op), CHALLENGE_BOND + CLAIM_BOND / 2, "bond back plus half the slash");
        assertEq(market.pendingWithdrawals(treasury), CLAIM_BOND / 2, "the rest to the treasury");
        (bool accepted,,,) = market.taskResult(id);
        assertFalse(accepted, "no result");
        assertEq(uint8(outcome(id, worker)), uint8(ITaskRecords.NodeOutcome.Absent), "worker at fault");
        (, uint256 escrowed,) = market.totals();
        assertEq(escrowed, 0, "nothing left in escrow");
    }

    function testLostChallengeBondPaysTheWorker() public {
        (uint256 id, uint256 worker,) = claimedTask(uint16(MIN_AUDIT_BPS), false, keccak256("r"));
        uint256 ch = challenger(worker);
        address op = ownerOf(ch);
        vm.deal(op, op.balance + 2 * CHALLENGE_BOND);
        vm.prank(op);
        disputes.challengeClaim{value: CHALLENGE_BOND}(id, ch, keccak256("lie"), keccak256("lie root"));
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.AlreadyChallenged.selector, id));
        disputes.challengeClaim{value: CHALLENGE_BOND}(id, ch, keccak256("lie"), keccak256("lie root"));
        game.resolve(mode.optimisticTask(id).gameId, true);
        pass(DEFAULT_WINDOW + 1);
        finalizeOpt(id);
        assertEq(market.claimable(worker), FEE + CHALLENGE_BOND / 2, "fee plus half the lost bond");
        assertEq(market.pendingWithdrawals(treasury), CHALLENGE_BOND / 2, "the rest to the treasury");
        assertEq(market.pendingWithdrawals(op), 0, "the dishonest challenger gets nothing back");
        assertEq(op.balance, CHALLENGE_BOND, "it paid one bond");
        (bool accepted,,,) = market.taskResult(id);
        assertTrue(accepted, "the claim stands");
    }

    function testValidatorWithADifferentResultChallengesWithItsBond() public {
        (uint256 id, uint256 worker, uint256 validator) = claimedTask(10_000, true, keccak256("wrong"));
        address op = ownerOf(validator);
        vm.deal(op, op.balance + CHALLENGE_BOND);
        vm.prank(op);
        disputes.audit{value: CHALLENGE_BOND}(id, validator, 9, pools[id], keccak256("honest"), keccak256("honest root"),
            new bytes32[](0), new bytes32[](0));
        OptimisticBase.Claim memory c = mode.optimisticTask(id);
        assertEq(uint8(c.audit), uint8(OptimisticBase.AuditState.Disputed), "disputed");
        assertEq(c.challenger, validator, "the validator is the challenger");
        game.resolve(c.gameId, false);
        finalizeOpt(id);
        (uint256 bonded,,) = agents.stakeOf(worker);
        assertEq(bonded, 2 ether - CLAIM_BOND, "worker slashed");
        (uint256 vBonded,,) = agents.stakeOf(validator);
        assertEq(vBonded, 2 ether, "the right validator is not slashed");
        assertEq(market.pendingWithdrawals(op), CHALLENGE_BOND + CLAIM_BOND / 2, "bond back plus half the slash");
    }

    function testSameTraceWithAnotherResultEndsTheTaskAsNoResult() public {
        // the last token's sampling is outside the trace (the game v1 cannot judge it): the validator's replay
        // still disputes it, and the task ends as no result with nobody slashed
        (uint256 id, uint256 worker, uint256 validator) = claimedTask(10_000, true, keccak256("r"));
        bytes32 root = rootOf(leavesOf(keccak256("r")));
        vm.prank(ownerOf(validator));
        disputes.audit(id, validator, 9, pools[id], keccak256("another last token"), root, new bytes32[](0), new bytes32[](0));
        assertEq(uint8(mode.optimisticTask(id).audit), uint8(OptimisticBase.AuditState.Disputed), "disputed");
        pass(DEFAULT_WINDOW + 1);
        finalizeOpt(id);
        (bool accepted,,,) = market.taskResult(id);
        assertFalse(accepted, "no result");
        assertEq(market.pendingWithdrawals(REQUESTER), FEE, "refunded");
        (uint256 w,,) = agents.stakeOf(worker);
        (uint256 v,,) = agents.stakeOf(validator);
        assertEq(w + v, 4 ether, "nobody slashed");
    }

    function testChallengeRefusals() public {
        (uint256 id, uint256 worker,) = claimedTask(uint16(MIN_AUDIT_BPS), false, keccak256("r"));
        uint256 ch = challenger(worker);
        address op = ownerOf(ch);
        vm.deal(op, 10 ether);
        bytes32 root = rootOf(leavesOf(keccak256("r")));
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.SameTraceRoot.selector, id));
        disputes.challengeClaim{value: CHALLENGE_BOND}(id, ch, keccak256("x"), root);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.WrongBond.selector, id, 1, CHALLENGE_BOND));
        disputes.challengeClaim{value: 1}(id, ch, keccak256("x"), keccak256("y"));
        vm.deal(ownerOf(worker), 10 ether);
        vm.prank(ownerOf(worker));
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.WorkerCannotChallenge.selector, id));
        disputes.challengeClaim{value: CHALLENGE_BOND}(id, worker, keccak256("x"), keccak256("y"));
        pass(DEFAULT_WINDOW + 1);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.ChallengeWindowClosed.selector, id, mode.optimisticTask(id).windowEnd));
        disputes.challengeClaim{value: CHALLENGE_BOND}(id, ch, keccak256("x"), keccak256("y"));
    }

    function testGameThatNeverReportsBackEndsAsNoResultWithTheBondReturned() public {
        (uint256 id, uint256 worker,) = claimedTask(uint16(MIN_AUDIT_BPS), false, keccak256("r"));
        uint256 ch = challenger(worker);
        address op = ownerOf(ch);
        vm.deal(op, op.balance + CHALLENGE_BOND);
        vm.prank(op);
        disputes.challengeClaim{value: CHALLENGE_BOND}(id, ch, keccak256("x"), keccak256("y"));
        pass(DEFAULT_WINDOW + 1);
        vm.expectRevert();
        finalizeOpt(id); // the game still has time
        pass(GAME_TIMEOUT);
        finalizeOpt(id);
        assertEq(market.pendingWithdrawals(op), CHALLENGE_BOND, "bond back");
        assertEq(market.pendingWithdrawals(REQUESTER), FEE, "fee back");
        assertEq(uint8(outcome(id, worker)), uint8(ITaskRecords.NodeOutcome.Inconclusive), "inconclusive");
        (, uint256 escrowed,) = market.totals();
        assertEq(escrowed, 0, "nothing stuck");
    }

    function testOnlyTheGameReportsAVerdict() public {
        (uint256 id,,) = claimedTask(uint16(MIN_AUDIT_BPS), false, keccak256("r"));
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.NotDisputeGame.selector, address(this)));
        disputes.onGameResolved(1, id, false);
    }

    // ---------------------------------------------------------------- timeouts, locks and refusals

    function testNoClaimRefundsTheFeeAndSlashesTheDrawnWorker() public {
        uint256 id = submitOpt(0);
        uint256 worker = workerOf(id);
        pass(COMMIT_WINDOW + 1);
        vm.prank(ownerOf(worker));
        vm.expectRevert();
        mode.claimResult(id, worker, 7, pools[id], keccak256("o"), keccak256("t"), 0, 1, 1, "");
        finalizeOpt(id);
        (uint256 bonded,,) = agents.stakeOf(worker);
        assertEq(bonded, 2 ether - ABSENCE_SLASH, "absent worker slashed");
        assertEq(market.pendingWithdrawals(REQUESTER), FEE, "refunded");
        assertEq(uint8(outcome(id, worker)), uint8(ITaskRecords.NodeOutcome.Absent), "absent");
    }

    function testStakeBehindAnOpenClaimCannotBeWithdrawn() public {
        uint256 id = submitOpt(uint16(MIN_AUDIT_BPS));
        uint256 worker = workerOf(id);
        address op = ownerOf(worker);
        vm.prank(op);
        agents.requestUnstake(worker, 1 ether);
        claimAs(id, worker, keccak256("r"));
        assertEq(market.openCommitments(worker), 1, "the claim holds the stake");
        vm.warp(block.timestamp + UNBONDING + 1);
        vm.prank(op);
        vm.expectRevert();
        agents.withdraw(worker);
    }

    function testReplicatedEntryPointsRefuseAnOptimisticTask() public {
        uint256 id = submitOpt(0);
        uint256 worker = workerOf(id);
        address op = ownerOf(worker);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.TaskNotActive.selector, id, uint8(TaskMarketBase.Status.Optimistic)));
        market.commit(id, worker, 0, keccak256("c"), pools[id]);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.TaskNotActive.selector, id, uint8(TaskMarketBase.Status.Optimistic)));
        market.finalize(id, pools[id]);
    }

    function testSubmissionRefusals() public {
        vm.deal(REQUESTER, 1 ether);
        vm.startPrank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.AuditRateBelowFloor.selector, 99, MIN_AUDIT_BPS));
        mode.submitOptimistic{value: FEE}(optModel, keccak256("in"), "in", 1, 0, 16, 0, 0, 99, 0);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.InvalidAuditRate.selector, 10_001));
        mode.submitOptimistic{value: FEE}(optModel, keccak256("in"), "in", 1, 0, 16, 0, 0, 10_001, 0);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.InvalidChallengeWindow.selector, 5, MIN_WINDOW, MAX_WINDOW));
        mode.submitOptimistic{value: FEE}(optModel, keccak256("in"), "in", 1, 0, 16, 0, 5, 0, 0);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.ModelModeUnsupported.selector, modelId, uint8(1)));
        mode.submitOptimistic{value: FEE}(modelId, keccak256("in"), "in", 1, 0, 16, 0, 0, 0, 0);
        vm.stopPrank();
    }

    function testTheModeRefusesDirectCalls() public {
        vm.expectRevert(OptimisticBase.NotDelegated.selector);
        optimistic.finalizeOptimistic(1, "");
    }

    // ---------------------------------------------------------------- gas (forge snapshot)

    function testGasOptimisticTaskWithoutChallenge() public {
        (uint256 id,,) = claimedTask(uint16(MIN_AUDIT_BPS), false, keccak256("r"));
        pass(DEFAULT_WINDOW + 1);
        finalizeOpt(id);
        (bool accepted,,,) = market.taskResult(id);
        assertTrue(accepted, "accepted");
    }
}
