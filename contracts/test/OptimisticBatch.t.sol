// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {Vm} from "./utils/Vm.sol";
import {TaskMarketBase} from "../src/market/TaskMarketBase.sol";
import {OptimisticBase} from "../src/market/OptimisticBase.sol";
import {OptimisticBatches} from "../src/market/OptimisticBatches.sol";
import {OptimisticBatchData} from "../src/market/OptimisticBatchData.sol";
import {OptimisticSettlement} from "../src/market/OptimisticSettlement.sol";
import {BatchTree} from "../src/market/BatchTree.sol";
import {BatchSettlement} from "../src/market/BatchSettlement.sol";
import {IDisputeGame} from "../src/interfaces/IDisputeGame.sol";

/// @dev The market's batch views (BatchSettlement's, served for optimistic batches too).
interface IBatchViews {
    function getBatch(uint256 batchId)
        external
        view
        returns (uint256 state, address requester, uint256 fee, bytes32 requestRoot, uint256 count, bytes32[4] memory roots);
    function drawBatchSeats(uint256 batchId, bytes calldata pool, bytes32 blockHash) external view returns (uint32[] memory);
    function verifyResult(uint256 batchId, uint256 index, uint256 count, bytes32 resultHash, bytes32 traceRoot, bytes32[] calldata proof)
        external
        view
        returns (bool);
}

/// @title Optimistic batches (issue 13; OptimisticBatches behind BatchSettlement's fallback): one worker, one
///        root, audits and challenges of single items with their proofs, a challenged item's game alone (a FAKE
///        dispute game that the test resolves), the rest final at the window's end.
contract OptimisticBatchTest is MarketFixture {
    OptimisticBatches internal ob; // its ABI at the market's address
    OptimisticBatchData internal obd; // the data-withholding challenge's ABI at the market's address
    IBatchViews internal views;
    uint32 internal optModel;
    address internal constant REQUESTER = address(0xBEEF);
    uint256 internal constant ITEM_FEE = 1e15;
    uint32 internal constant POSITIONS = 4;
    uint32 internal constant LAYERS = 3;
    uint256 internal constant N = 8;

    function setUp() public {
        deployAll();
        ob = OptimisticBatches(payable(address(market)));
        obd = OptimisticBatchData(address(market));
        views = IBatchViews(address(market));
        optModel = models.registerModel(keccak256("ow"), keccak256("ot"), keccak256("oa"), "opt-model", 3);
        for (uint256 i; i < 5; ++i) {
            uint256 id = addNode(operator(i), 2 ether);
            vm.prank(operator(i));
            models.declareServes(id, optModel);
        }
    }

    // ---------------------------------------------------------------- the batch's data (test side)

    function item(uint256 i) internal pure returns (bytes memory) {
        bytes memory input = abi.encodePacked("input ", bytes1(uint8(0x30 + i % 10)));
        return abi.encodePacked(uint8(1), uint32(16), uint32(0), uint64(i + 1), uint96(ITEM_FEE + i), uint16(input.length), input);
    }

    function feeOf(uint256 n) internal pure returns (uint256 sum) {
        for (uint256 i; i < n; ++i) sum += ITEM_FEE + i;
    }

    /// @dev The trace leaves of item i's honest trace (or a lie's, tag 1).
    function traceLeaves(uint256 i, uint256 tag) internal pure returns (bytes32[] memory l) {
        l = new bytes32[](POSITIONS * LAYERS);
        for (uint256 j; j < l.length; ++j) l[j] = keccak256(abi.encode("leaf", i, j, tag));
    }

    function traceRoot(uint256 i, uint256 tag) internal pure returns (bytes32) {
        return rootOf(levels(traceLeaves(i, tag)));
    }

    function resultHash(uint256 i, uint256 tag) internal pure returns (bytes32) {
        return keccak256(abi.encode("result", i, tag));
    }

    function tokensHash(uint256 i) internal pure returns (bytes32) {
        return keccak256(abi.encode("tokens", i));
    }

    function shape() internal pure returns (uint64) {
        return (uint64(POSITIONS) << 32) | (POSITIONS * LAYERS);
    }

    /// @dev The tree rule (BatchTree / inference's MerkleTree), level by level.
    function levels(bytes32[] memory leafHashes) internal pure returns (bytes32[][] memory lv) {
        uint256 depth = 1;
        for (uint256 w = leafHashes.length; w > 1; w = (w + 1) / 2) ++depth;
        lv = new bytes32[][](depth);
        lv[0] = new bytes32[](leafHashes.length);
        for (uint256 i; i < leafHashes.length; ++i) lv[0][i] = keccak256(abi.encodePacked(bytes1(0x00), leafHashes[i]));
        for (uint256 d = 1; d < depth; ++d) {
            bytes32[] memory prev = lv[d - 1];
            lv[d] = new bytes32[]((prev.length + 1) / 2);
            for (uint256 j; j < lv[d].length; ++j) {
                lv[d][j] = 2 * j + 1 < prev.length
                    ? keccak256(abi.encodePacked(bytes1(0x01), prev[2 * j], prev[2 * j + 1]))
                    : prev[2 * j];
            }
        }
    }

    function proofOf(bytes32[][] memory lv, uint256 index) internal pure returns (bytes32[] memory p) {
        p = new bytes32[](lv.length);
        uint256 n;
        for (uint256 d; d + 1 < lv.length; ++d) {
            bool promoted = index == lv[d].length - 1 && lv[d].length % 2 == 1;
            if (!promoted) p[n++] = lv[d][index ^ 1];
            index /= 2;
        }
        assembly ("memory-safe") {
            mstore(p, n)
        }
    }

    function rootOf(bytes32[][] memory lv) internal pure returns (bytes32) {
        return lv[lv.length - 1][0];
    }

    /// @dev The worker's result leaves: item `wrong` (if < n) computed wrong; items in `struck` replaced by the
    ///      (0, 0) leaf (the live tree after challenges).
    function resultLeaves(uint256 batchId, uint256 n, uint256 wrong, uint256 struckMask) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            uint256 tag = i == wrong ? 1 : 0;
            leaves[i] = struckMask & (1 << i) != 0
                ? BatchTree.resultLeaf((batchId << 32) | i, 0, 0)
                : BatchTree.resultLeaf((batchId << 32) | i, resultHash(i, tag), traceRoot(i, tag));
        }
    }

    function shapeLeaves(uint256 batchId, uint256 n) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            leaves[i] = keccak256(abi.encode((batchId << 32) | i, tokensHash(i), uint256(POSITIONS), uint256(POSITIONS * LAYERS)));
        }
    }

    function requestLeaves(uint256 n) internal pure returns (bytes32[] memory leaves) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) leaves[i] = keccak256(item(i));
    }

    // ---------------------------------------------------------------- steps

    mapping(uint256 batchId => bytes) internal batchPools;

    function submitOptBatch(uint256 n, uint16 auditBps) internal returns (uint256 batchId) {
        uint256 fee = feeOf(n);
        vm.deal(REQUESTER, REQUESTER.balance + fee);
        vm.recordLogs();
        vm.prank(REQUESTER);
        batchId = ob.submitOptimisticBatch{value: fee}(optModel, 0, 0, auditBps, rootOf(levels(requestLeaves(n))), n, "http://r/items");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != OptimisticBatches.BatchSubmitted.selector) continue;
            (,,,,,, bytes memory pool) = abi.decode(logs[i].data, (uint8, uint8, uint256, uint256, bytes32, bytes, bytes));
            batchPools[batchId] = pool;
        }
        mine();
    }

    function workerOf(uint256 batchId) internal view returns (uint256) {
        bytes memory pool = batchPools[batchId];
        return views.drawBatchSeats(batchId, pool, blockhash(seedBlockOf(pool)))[0];
    }

    function claim(uint256 batchId, uint256 worker, uint256 n, uint256 wrong) internal {
        vm.prank(ownerOf(worker));
        ob.claimBatch(batchId, worker, batchPools[batchId], rootOf(levels(resultLeaves(batchId, n, wrong, 0))),
            rootOf(levels(shapeLeaves(batchId, n))));
        mine();
    }

    function claimBlockHash(uint256 batchId) internal view returns (bytes32) {
        return blockhash(ob.optimisticBatch(batchId).claimBlock);
    }

    function auditDraw(uint256 batchId) internal view returns (bool audited, uint256 validator, uint256 index, uint256[] memory idx) {
        return ob.batchAuditDraw(batchId, batchPools[batchId], claimBlockHash(batchId), POSITIONS * LAYERS);
    }

    /// @dev A claimed batch of n items (item `wrong` a lie) whose audit decision is `wantAudit`.
    function claimedBatch(uint256 n, uint16 auditBps, bool wantAudit, uint256 wrong) internal returns (uint256 batchId, uint256 worker) {
        for (uint256 attempt; attempt < 40; ++attempt) {
            batchId = submitOptBatch(n, auditBps);
            worker = workerOf(batchId);
            claim(batchId, worker, n, wrong);
            (bool audited,,,) = auditDraw(batchId);
            if (audited == wantAudit) return (batchId, worker);
        }
        revert("40 claims without the wanted audit decision");
    }

    function challengerOf(uint256 worker) internal pure returns (uint256 c) {
        for (c = 1; c == worker; ++c) {}
    }

    /// @dev agent `ch` challenges item `index` with the honest result, the claimed leaf proven under the live
    ///      tree (items in `struckMask` already struck).
    function challenge(uint256 batchId, uint256 ch, uint256 index, uint256 wrong, uint256 struckMask) internal {
        uint256 tag = index == wrong ? 1 : 0;
        bytes32[4] memory leaves = [resultHash(index, tag), traceRoot(index, tag), resultHash(index, 0), traceRoot(index, 0)];
        if (tag == 0) (leaves[2], leaves[3]) = (keccak256("a lie"), keccak256("a lie's trace"));
        address op = ownerOf(ch);
        vm.deal(op, op.balance + CHALLENGE_BOND);
        vm.prank(op);
        ob.challengeItem{value: CHALLENGE_BOND}(batchId, index, ch, leaves,
            proofOf(levels(resultLeaves(batchId, N, wrong, struckMask)), index), tokensHash(index), shape(),
            proofOf(levels(shapeLeaves(batchId, N)), index), item(index), proofOf(levels(requestLeaves(N)), index));
    }

    function pass(uint256 seconds_) internal {
        vm.warp(block.timestamp + seconds_);
        mine();
    }

    function verifies(uint256 batchId, uint256 index, uint256 tag, uint256 struckMask) internal view returns (bool) {
        return views.verifyResult(batchId, index, N, resultHash(index, tag), traceRoot(index, tag),
            proofOf(levels(resultLeaves(batchId, N, tag == 1 ? index : type(uint256).max, struckMask)), index));
    }

    function status(uint256 batchId) internal view returns (uint8) {
        (uint256 state,,,,,) = views.getBatch(batchId);
        return uint8(state);
    }

    function assertFunds() internal view {
        (, uint256 escrowed, uint256 unclaimed) = market.totals();
        assertEq(address(market).balance, escrowed + unclaimed, "balance == escrowed + unclaimed");
    }

    function assertFalse(bool condition, string memory what) internal pure {
        if (condition) revert(what);
    }

    // ---------------------------------------------------------------- tests

    function testAnUnchallengedBatchIsFinalAtItsWindowsEndAndOneClaimPaysTheWorker() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, type(uint256).max);
        assertEq(status(id), uint8(TaskMarketBase.Status.Optimistic), "open in its window");
        assertFalse(verifies(id, 5, 0, 0), "not verifiable before the window ends");
        vm.expectRevert();
        ob.finalizeOptimisticBatch(id, "");
        pass(DEFAULT_WINDOW + 1);
        ob.finalizeOptimisticBatch(id, "");
        assertEq(status(id), uint8(TaskMarketBase.Status.Accepted), "accepted");
        for (uint256 i; i < N; ++i) assertTrue(verifies(id, i, 0, 0), "every item verifies");
        assertFalse(verifies(id, 3, 1, 0), "a result other than the claimed one does not");
        assertEq(market.claimable(worker), feeOf(N), "the worker is owed the whole fee");
        address payout = agents.payoutAddress(worker);
        uint256 before = payout.balance;
        vm.prank(ownerOf(worker));
        market.claim(worker);
        assertEq(payout.balance - before, feeOf(N), "one claim pays it for the batch");
        (, uint256 escrowed,) = market.totals();
        assertEq(escrowed, 0, "nothing left in escrow");
        assertFunds();
    }

    function testOneWrongItemIsChallengedAloneTheRestIsFinalAndTheWorkerIsSlashedForIt() public {
        uint256 wrong = 3;
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, wrong);
        uint256 ch = challengerOf(worker);
        challenge(id, ch, wrong, wrong, 0);
        OptimisticBase.ItemDispute memory d = ob.itemDispute(id, wrong);
        assertEq(uint8(d.stage), uint8(OptimisticBase.Stage.Challenged), "challenged");
        IDisputeGame.StartParams memory p = game.started(d.gameId);
        assertEq(p.taskId, ob.ITEM_TAG() | (id << 32) | wrong, "the game's task id names the item");
        assertEq(p.claimerAgentId, worker, "claimer");
        assertEq(p.challengerAgentId, ch, "challenger");
        assertTrue(p.claimerRoot == traceRoot(wrong, 1), "the claimed trace root");
        assertTrue(p.challengerRoot == traceRoot(wrong, 0), "the challenger's trace root");
        assertEq(p.positions, POSITIONS, "positions");
        assertEq(p.layers, LAYERS, "layers");
        assertTrue(p.tokensHash == tokensHash(wrong), "tokens hash");
        assertEq(game.games(), 1, "one game: the other items are not played");

        pass(DEFAULT_WINDOW + 1);
        ob.finalizeOptimisticBatch(id, "");
        uint256 struck = 1 << wrong;
        for (uint256 i; i < N; ++i) {
            if (i != wrong) assertTrue(verifies(id, i, 0, struck), "every other item is final");
        }
        assertFalse(verifies(id, wrong, 1, struck), "the challenged item's claimed result is not verifiable");
        assertEq(market.claimable(worker), feeOf(N) - (ITEM_FEE + wrong), "paid for every item but the challenged one");

        vm.expectRevert(abi.encodeWithSelector(OptimisticBatches.ItemNotSettleable.selector, id, wrong, uint8(OptimisticBase.Stage.Challenged)));
        ob.settleItem(id, wrong, new bytes32[](0));
        (uint256 bondedBefore,,) = agents.stakeOf(worker);
        game.resolve(d.gameId, false);
        ob.settleItem(id, wrong, new bytes32[](0));
        (uint256 bondedAfter,,) = agents.stakeOf(worker);
        assertEq(bondedBefore - bondedAfter, CLAIM_BOND, "the worker is slashed claimBond for the item");
        assertEq(market.pendingWithdrawals(REQUESTER), ITEM_FEE + wrong, "the item's share is refunded");
        assertEq(market.pendingWithdrawals(ownerOf(ch)), CHALLENGE_BOND + CLAIM_BOND / 2, "bond back plus half the slash");
        assertEq(market.pendingWithdrawals(treasury), CLAIM_BOND / 2, "the rest to the treasury");
        assertEq(market.claimable(worker), feeOf(N) - (ITEM_FEE + wrong), "nothing for the wrong item");
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatches.ItemNotSettleable.selector, id, wrong, uint8(OptimisticBase.Stage.Final)));
        ob.settleItem(id, wrong, new bytes32[](0));
        (, uint256 escrowed,) = market.totals();
        assertEq(escrowed, 0, "nothing left in escrow");
        assertFunds();
    }

    function testALostItemChallengePaysTheWorkerAndPutsTheItemBackIntoTheRoot() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, type(uint256).max);
        uint256 ch = challengerOf(worker);
        challenge(id, ch, 6, type(uint256).max, 0);
        pass(DEFAULT_WINDOW + 1);
        ob.finalizeOptimisticBatch(id, "");
        assertFalse(verifies(id, 6, 0, 0), "held out while its game runs");
        game.resolve(ob.itemDispute(id, 6).gameId, true);
        bytes32[] memory bad = proofOf(levels(resultLeaves(id, N, type(uint256).max, 1 << 6)), 6);
        bad[0] = keccak256("forged sibling");
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatches.BadProof.selector, id, 6, "live"));
        ob.settleItem(id, 6, bad);
        ob.settleItem(id, 6, proofOf(levels(resultLeaves(id, N, type(uint256).max, 1 << 6)), 6));
        for (uint256 i; i < N; ++i) assertTrue(verifies(id, i, 0, 0), "every item verifies, the upheld one too");
        assertEq(market.claimable(worker), feeOf(N) + CHALLENGE_BOND / 2, "the whole fee and half the lost bond");
        assertEq(market.pendingWithdrawals(ownerOf(ch)), 0, "the false challenger gets nothing back");
        assertFunds();
    }

    function testTwoChallengesEachProveAgainstTheLiveRoot() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, type(uint256).max);
        uint256 ch = challengerOf(worker);
        challenge(id, ch, 1, type(uint256).max, 0);
        // a proof under the claimed tree no longer matches: item 1 is struck
        bytes32[4] memory leaves = [resultHash(2, 0), traceRoot(2, 0), keccak256("x"), keccak256("y")];
        bytes32[] memory stale = proofOf(levels(resultLeaves(id, N, type(uint256).max, 0)), 2);
        bytes32[] memory shapeProof = proofOf(levels(shapeLeaves(id, N)), 2);
        bytes32[] memory requestProof = proofOf(levels(requestLeaves(N)), 2);
        address op = ownerOf(ch);
        vm.deal(op, op.balance + CHALLENGE_BOND);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatches.BadProof.selector, id, 2, "result"));
        ob.challengeItem{value: CHALLENGE_BOND}(id, 2, ch, leaves, stale, tokensHash(2), shape(), shapeProof, item(2), requestProof);
        challenge(id, ch, 2, type(uint256).max, 1 << 1);
        assertEq(game.games(), 2, "two items, two games");
        pass(DEFAULT_WINDOW + 1);
        ob.finalizeOptimisticBatch(id, "");
        assertTrue(verifies(id, 0, 0, 6), "an unchallenged item verifies under the live root");
        assertEq(market.claimable(worker), feeOf(N) - (ITEM_FEE + 1) - (ITEM_FEE + 2), "less the two held shares");
        assertFunds();
    }

    function testForgedProofsAndBadChallengesAreRefusedByName() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, 3);
        uint256 ch = challengerOf(worker);
        bytes32[4] memory leaves = [resultHash(3, 1), traceRoot(3, 1), resultHash(3, 0), traceRoot(3, 0)];
        bytes32[] memory proof = proofOf(levels(resultLeaves(id, N, 3, 0)), 3);
        bytes32[] memory shapeProof = proofOf(levels(shapeLeaves(id, N)), 3);
        bytes32[] memory requestProof = proofOf(levels(requestLeaves(N)), 3);
        address op = ownerOf(ch);
        vm.deal(op, op.balance + 10 * CHALLENGE_BOND);
        uint256 key = ob.ITEM_TAG() | (id << 32) | 3; // read before a prank: the external call would use it up
        // a forged leaf: the honest result presented as the claimed one
        bytes32[4] memory forged = [resultHash(3, 0), traceRoot(3, 0), resultHash(3, 0), keccak256("other")];
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatches.BadProof.selector, id, 3, "result"));
        ob.challengeItem{value: CHALLENGE_BOND}(id, 3, ch, forged, proof, tokensHash(3), shape(), shapeProof, item(3), requestProof);
        // a forged shape
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatches.BadProof.selector, id, 3, "shape"));
        ob.challengeItem{value: CHALLENGE_BOND}(id, 3, ch, leaves, proof, keccak256("t"), shape(), shapeProof, item(3), requestProof);
        // another item's bytes (its fee share)
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatches.BadProof.selector, id, 3, "request"));
        ob.challengeItem{value: CHALLENGE_BOND}(id, 3, ch, leaves, proof, tokensHash(3), shape(), shapeProof, item(4), requestProof);
        // the same trace root
        bytes32[4] memory same = [resultHash(3, 1), traceRoot(3, 1), keccak256("r"), traceRoot(3, 1)];
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.SameTraceRoot.selector, key));
        ob.challengeItem{value: CHALLENGE_BOND}(id, 3, ch, same, proof, tokensHash(3), shape(), shapeProof, item(3), requestProof);
        // the worker itself
        address wop = ownerOf(worker);
        vm.deal(wop, wop.balance + CHALLENGE_BOND);
        vm.prank(wop);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.WorkerCannotChallenge.selector, key));
        ob.challengeItem{value: CHALLENGE_BOND}(id, 3, worker, leaves, proof, tokensHash(3), shape(), shapeProof, item(3), requestProof);
        // a wrong bond
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.WrongBond.selector, key, CHALLENGE_BOND - 1, CHALLENGE_BOND));
        ob.challengeItem{value: CHALLENGE_BOND - 1}(id, 3, ch, leaves, proof, tokensHash(3), shape(), shapeProof, item(3), requestProof);
        // twice
        challenge(id, ch, 3, 3, 0);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.AlreadyChallenged.selector, key));
        ob.challengeItem{value: CHALLENGE_BOND}(id, 3, ch, leaves, proof, tokensHash(3), shape(), shapeProof, item(3), requestProof);
        // after the window
        pass(DEFAULT_WINDOW + 1);
        bytes32[] memory p5 = proofOf(levels(resultLeaves(id, N, 3, 1 << 3)), 5);
        bytes32[4] memory l5 = [resultHash(5, 0), traceRoot(5, 0), keccak256("x"), keccak256("y")];
        bytes32[] memory s5 = proofOf(levels(shapeLeaves(id, N)), 5);
        bytes32[] memory r5 = proofOf(levels(requestLeaves(N)), 5);
        uint256 windowEnd = ob.optimisticBatch(id).windowEnd;
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.ChallengeWindowClosed.selector, id, windowEnd));
        ob.challengeItem{value: CHALLENGE_BOND}(id, 5, ch, l5, p5, tokensHash(5), shape(), s5, item(5), r5);
        // verifyResult refuses a forged proof of a final batch
        ob.finalizeOptimisticBatch(id, "");
        bytes32[] memory forgedProof = proofOf(levels(resultLeaves(id, N, 3, 1 << 3)), 5);
        forgedProof[1] = keccak256("forged");
        assertFalse(views.verifyResult(id, 5, N, resultHash(5, 0), traceRoot(5, 0), forgedProof), "a forged proof is refused");
        assertTrue(verifies(id, 5, 0, 1 << 3), "the real proof verifies");
    }

    function testAGameThatNeverReportsBackRefundsTheItemAndReturnsTheBond() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, type(uint256).max);
        uint256 ch = challengerOf(worker);
        challenge(id, ch, 0, type(uint256).max, 0);
        pass(DEFAULT_WINDOW + 1);
        ob.finalizeOptimisticBatch(id, "");
        pass(GAME_TIMEOUT);
        ob.settleItem(id, 0, new bytes32[](0));
        assertEq(market.pendingWithdrawals(REQUESTER), ITEM_FEE, "the item's share refunded");
        assertEq(market.pendingWithdrawals(ownerOf(ch)), CHALLENGE_BOND, "the bond returned");
        (uint256 bonded,,) = agents.stakeOf(worker);
        assertEq(bonded, 2 ether, "nobody slashed");
        (, uint256 escrowed,) = market.totals();
        assertEq(escrowed, 0, "no bond or fee stuck");
        assertFunds();
    }

    function _auditLeaves(uint256 batchId, bool replayed)
        internal
        view
        returns (uint256 validator, uint256 index, bytes32[] memory opened, bytes32[] memory proof)
    {
        uint256[] memory idx;
        (, validator, index, idx) = auditDraw(batchId);
        bytes32[][] memory lv = levels(traceLeaves(index, 0));
        bytes32[] memory leaves = traceLeaves(index, 0);
        opened = new bytes32[](idx.length);
        bytes32[] memory buf = new bytes32[](idx.length * 8);
        uint256 used;
        for (uint256 j; j < idx.length; ++j) {
            opened[j] = replayed ? leaves[idx[j]] : keccak256(abi.encode("guess", j));
            bytes32[] memory one = proofOf(lv, idx[j]);
            for (uint256 q; q < one.length; ++q) buf[used++] = one[q];
        }
        proof = new bytes32[](used);
        for (uint256 j; j < used; ++j) proof[j] = buf[j];
    }

    function _audit(uint256 batchId, bool replayed) internal returns (uint256 validator, uint256 index) {
        bytes32[] memory opened;
        bytes32[] memory proof;
        (validator, index, opened, proof) = _auditLeaves(batchId, replayed);
        bytes32[2] memory result = [resultHash(index, 0), traceRoot(index, 0)];
        bytes32[] memory resultProof = proofOf(levels(resultLeaves(batchId, N, type(uint256).max, 0)), index);
        bytes32[] memory shapeProof = proofOf(levels(shapeLeaves(batchId, N)), index);
        bytes memory pool = batchPools[batchId];
        vm.prank(ownerOf(validator));
        ob.auditItem(batchId, validator, pool, result, resultProof, tokensHash(index), shape(), shapeProof, opened, proof);
    }

    function testAnAuditChecksOneDrawnItemAndPaysTheValidatorItsShare() public {
        (uint256 id, uint256 worker) = claimedBatch(N, 10_000, true, type(uint256).max);
        (uint256 validator,) = _audit(id, true);
        assertEq(uint8(ob.optimisticBatch(id).audit), uint8(OptimisticBase.AuditState.Passed), "passed");
        pass(DEFAULT_WINDOW + 1);
        ob.finalizeOptimisticBatch(id, "");
        uint256 share = feeOf(N) * AUDIT_SHARE_BPS / 10_000 / N;
        assertEq(market.claimable(validator), share, "the validator is paid the share of one item");
        assertEq(market.claimable(worker), feeOf(N) - share, "the worker the rest");
        assertFunds();
    }

    function testAValidatorThatCopiesOrStaysSilentIsSlashed() public {
        (uint256 id, uint256 worker) = claimedBatch(N, 10_000, true, type(uint256).max);
        (uint256 validator,) = _audit(id, false);
        assertEq(uint8(ob.optimisticBatch(id).audit), uint8(OptimisticBase.AuditState.Copied), "copied");
        pass(DEFAULT_WINDOW + 1);
        ob.finalizeOptimisticBatch(id, "");
        (uint256 bonded,,) = agents.stakeOf(validator);
        assertEq(bonded, 2 ether - AUDIT_SLASH, "the copier is slashed");
        assertEq(market.claimable(worker), feeOf(N) + AUDIT_SLASH / 2, "the worker gets half the slash");

        (uint256 id2,) = claimedBatch(N, 10_000, true, type(uint256).max);
        (, uint256 v2,,) = auditDraw(id2);
        pass(DEFAULT_WINDOW + 1);
        (uint256 before,,) = agents.stakeOf(v2);
        ob.finalizeOptimisticBatch(id2, batchPools[id2]);
        (uint256 afterSilent,,) = agents.stakeOf(v2);
        assertEq(before - afterSilent, AUDIT_SLASH, "a silent validator is slashed");
        assertFunds();
    }

    function testAValidatorThatChallengesItsAuditedItemIsNotSlashedAsSilent() public {
        uint256 id = submitOptBatch(N, 10_000);
        uint256 worker = workerOf(id);
        // the audited item is drawn from the claim block's hash, which this test chain sets to
        // keccak256("block", number) when the block ends (MarketFixture.mine): the worker lies about exactly it
        bytes32 h = keccak256(abi.encode("block", vm.getBlockNumber()));
        uint256 r = uint256(keccak256(abi.encode(h, id | (1 << 255))));
        uint256 wrongItem = uint256(keccak256(abi.encode(r, 2))) % N;
        claim(id, worker, N, wrongItem);
        (bool audited, uint256 validator, uint256 index,) = auditDraw(id);
        assertTrue(audited, "audited at 100%");
        assertEq(index, wrongItem, "the draw this test predicted");
        challenge(id, validator, wrongItem, wrongItem, 0);
        pass(DEFAULT_WINDOW + 1);
        ob.finalizeOptimisticBatch(id, batchPools[id]);
        assertEq(uint8(ob.optimisticBatch(id).audit), uint8(OptimisticBase.AuditState.Disputed), "disputed, not silent");
        (uint256 vBonded,,) = agents.stakeOf(validator);
        assertEq(vBonded, 2 ether, "the validator that challenged is not slashed");
        game.resolve(ob.itemDispute(id, wrongItem).gameId, false);
        ob.settleItem(id, wrongItem, new bytes32[](0));
        (uint256 wBonded,,) = agents.stakeOf(worker);
        assertEq(wBonded, 2 ether - CLAIM_BOND, "the worker lost its item");
        assertFunds();
    }

    function testNoClaimRefundsEveryItemAndSlashesTheDrawnWorker() public {
        uint256 id = submitOptBatch(N, uint16(MIN_AUDIT_BPS));
        uint256 worker = workerOf(id);
        pass(COMMIT_WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.DrawPending.selector, id));
        ob.finalizeOptimisticBatch(id, "");
        ob.finalizeOptimisticBatch(id, batchPools[id]);
        assertEq(status(id), uint8(TaskMarketBase.Status.Refunded), "refunded");
        assertEq(market.pendingWithdrawals(REQUESTER), feeOf(N), "every item's share back");
        (uint256 bonded,,) = agents.stakeOf(worker);
        assertEq(bonded, 2 ether - ABSENCE_SLASH, "the drawn worker slashed absenceSlash");
        assertFunds();
    }

    function testOnlyTheDrawnWorkerClaimsAndReplicatedEntryPointsRefuseTheBatch() public {
        uint256 id = submitOptBatch(N, uint16(MIN_AUDIT_BPS));
        uint256 worker = workerOf(id);
        uint256 other = challengerOf(worker);
        bytes memory pool = batchPools[id];
        vm.prank(ownerOf(other));
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.NotAssigned.selector, id, other));
        ob.claimBatch(id, other, pool, keccak256("r"), keccak256("s"));
        claim(id, worker, N, type(uint256).max);
        vm.prank(ownerOf(worker));
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.WrongStage.selector, id, uint8(OptimisticBase.Stage.Claimed)));
        ob.claimBatch(id, worker, pool, keccak256("r"), keccak256("s"));
        // the replicated batch's entry points see a batch that is not theirs
        (bool ok, bytes memory ret) = address(market).call(
            abi.encodeWithSignature("revealBatch(uint256,uint256,bytes32,bytes32)", id, worker, keccak256("r"), bytes32(0))
        );
        assertFalse(ok, "revealBatch refuses it");
        assertEq(uint32(bytes4(ret)), uint32(bytes4(keccak256("BatchNotActive(uint256,uint8)"))), "BatchNotActive");
    }

    function testTheModeRefusesDirectCallsAndAnUnknownSelectorByName() public {
        // one deployed as the market's is, called at its own address
        OptimisticBatches fresh = new OptimisticBatches(marketConfig(defaults()), optimistic);
        vm.expectRevert(OptimisticBase.NotDelegated.selector);
        fresh.submitOptimisticBatch(optModel, 0, 0, 0, keccak256("r"), 1, "");
        (bool ok, bytes memory ret) = address(market).call(abi.encodeWithSignature("noSuchFunction()"));
        assertFalse(ok, "unknown selector refused");
        assertEq(uint32(bytes4(ret)), uint32(TaskMarketBase.UnknownFunction.selector), "by name");
    }

    // ---------------------------------------------------------------- the data-withholding challenge

    function requestData(uint256 batchId, uint256 agent, uint256 index) internal {
        address op = ownerOf(agent);
        vm.deal(op, op.balance + CHALLENGE_BOND);
        vm.prank(op);
        obd.requestItemData{value: CHALLENGE_BOND}(batchId, index, agent);
    }

    /// @dev The worker's answer for item `index` with the claim's data (item `wrong` the lie), in the live tree of
    ///      the items in `struckMask`.
    function answerData(uint256 batchId, uint256 worker, uint256 index, uint256 wrong, uint256 struckMask) internal {
        uint256 tag = index == wrong ? 1 : 0;
        bytes32[] memory proof = proofOf(levels(resultLeaves(batchId, N, wrong, struckMask)), index);
        bytes32[] memory shapeProof = proofOf(levels(shapeLeaves(batchId, N)), index);
        bytes32 r = resultHash(index, tag);
        bytes32 t = traceRoot(index, tag);
        bytes32 k = tokensHash(index);
        vm.prank(ownerOf(worker));
        obd.answerItemData(batchId, index, r, t, k, POSITIONS, POSITIONS * LAYERS, proof, shapeProof);
    }

    struct Answered {
        bytes32 resultHash;
        bytes32 traceRoot;
        bytes32 tokensHash;
        uint32 positions;
        uint32 leafCount;
        bytes32[] proof;
        bytes32[] shapeProof;
        uint256 until;
        uint256 compensation;
    }

    function answeredData(Vm.Log[] memory logs) internal pure returns (Answered memory a) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != OptimisticBatchData.ItemDataAnswered.selector) continue;
            (a.resultHash, a.traceRoot, a.tokensHash, a.positions, a.leafCount, a.proof, a.shapeProof, a.until, a.compensation) =
                abi.decode(logs[i].data, (bytes32, bytes32, bytes32, uint32, uint32, bytes32[], bytes32[], uint256, uint256));
            return a;
        }
        revert("no ItemDataAnswered");
    }

    function testAWithholdingWorkerThatDoesNotAnswerLosesTheBatchAndIsSlashed() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, 3);
        uint256 ch = challengerOf(worker);
        // the worker serves nobody its leaves: a watcher asks for item 3's on-chain, another agent for item 5's
        requestData(id, ch, 3);
        uint256 other = 1;
        while (other == worker || other == ch) ++other;
        requestData(id, other, 5);
        OptimisticBase.DataRequest memory r = obd.itemDataRequest(id, 3);
        assertEq(uint8(r.stage), uint8(OptimisticBase.DataStage.Open), "open");
        assertEq(ob.optimisticBatch(id).dataOpen, 2, "two open requests");
        pass(DEFAULT_WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatches.ItemDataOpen.selector, id, 2));
        ob.finalizeOptimisticBatch(id, "");
        uint256 key = ob.ITEM_TAG() | (id << 32) | 3;
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.TooEarly.selector, key, uint256(r.deadline) + 1));
        obd.finalizeItemData(id, 3);
        vm.warp(uint256(r.deadline) + 1);
        mine();
        // too late to answer now
        bytes32[] memory proof = proofOf(levels(resultLeaves(id, N, 3, 0)), 3);
        bytes32[] memory shapeProof = proofOf(levels(shapeLeaves(id, N)), 3);
        bytes32 rh = resultHash(3, 1);
        bytes32 tr = traceRoot(3, 1);
        bytes32 th = tokensHash(3);
        vm.prank(ownerOf(worker));
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatchData.AnswerWindowClosed.selector, id, 3, uint256(r.deadline)));
        obd.answerItemData(id, 3, rh, tr, th, POSITIONS, POSITIONS * LAYERS, proof, shapeProof);

        (uint256 bondedBefore,,) = agents.stakeOf(worker);
        obd.finalizeItemData(id, 3);
        (uint256 bondedAfter,,) = agents.stakeOf(worker);
        assertEq(bondedBefore - bondedAfter, CLAIM_BOND, "the withholding worker is slashed claimBond");
        assertEq(status(id), uint8(TaskMarketBase.Status.Refunded), "the batch is void");
        assertEq(market.openCommitments(worker), 0, "the void batch holds no stake");
        assertEq(uint8(obd.itemDataRequest(id, 3).stage), uint8(OptimisticBase.DataStage.Failed), "failed");
        for (uint256 i; i < N; ++i) assertFalse(verifies(id, i, i == 3 ? 1 : 0, 0), "no item of a void batch verifies");
        assertEq(market.pendingWithdrawals(REQUESTER), feeOf(N), "every item's share refunded");
        assertEq(market.pendingWithdrawals(ownerOf(ch)), CHALLENGE_BOND + CLAIM_BOND / 2, "the bond back and half the slash");
        assertEq(market.pendingWithdrawals(treasury), CLAIM_BOND / 2, "the rest to the treasury");
        assertEq(market.claimable(worker), 0, "the worker is paid nothing");
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatches.NotOptimisticBatch.selector, id, uint8(TaskMarketBase.Status.Refunded)));
        ob.finalizeOptimisticBatch(id, "");
        // the other request is moot: closed with its bond back, no second slash
        obd.finalizeItemData(id, 5);
        assertEq(uint8(obd.itemDataRequest(id, 5).stage), uint8(OptimisticBase.DataStage.Closed), "closed");
        assertEq(market.pendingWithdrawals(ownerOf(other)), CHALLENGE_BOND, "its bond back");
        (uint256 bondedLast,,) = agents.stakeOf(worker);
        assertEq(bondedLast, bondedAfter, "slashed once per batch");
        (, uint256 escrowed,) = market.totals();
        assertEq(escrowed, 0, "nothing left in escrow");
        assertFunds();
    }

    function testAnHonestWorkerAnswersOnChainAndTheItemCanThenBeChallengedWithTheData() public {
        uint256 wrong = 3;
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, wrong);
        uint256 ch = challengerOf(worker);
        // the request at the window's last second: the worker still has gameClock to answer
        uint256 windowEnd = ob.optimisticBatch(id).windowEnd;
        vm.warp(windowEnd);
        mine();
        requestData(id, ch, wrong);
        pass(GAME_CLOCK - 5);
        vm.fee(1 gwei);
        vm.recordLogs();
        answerData(id, worker, wrong, wrong, 0);
        Answered memory a = answeredData(vm.getRecordedLogs());
        assertTrue(a.resultHash == resultHash(wrong, 1) && a.traceRoot == traceRoot(wrong, 1), "the claimed leaf is in the log");
        assertTrue(a.tokensHash == tokensHash(wrong) && a.positions == POSITIONS && a.leafCount == POSITIONS * LAYERS, "and the shape");
        assertEq(a.until, block.timestamp + DEFAULT_WINDOW, "one more window for this item");
        assertGe(a.compensation, 50_000 gwei, "the answer's gas paid from the bond");
        assertLe(a.compensation, 400_000 gwei, "at the base fee");
        assertEq(market.pendingWithdrawals(ownerOf(worker)), a.compensation, "to the answerer");
        assertEq(market.pendingWithdrawals(ownerOf(ch)), CHALLENGE_BOND - a.compensation, "the rest of the bond back");
        assertEq(uint8(obd.itemDataRequest(id, wrong).stage), uint8(OptimisticBase.DataStage.Answered), "answered");
        vm.fee(0);
        // the batch waits for the answered item's window
        pass(2);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.TooEarly.selector, id, a.until + 1));
        ob.finalizeOptimisticBatch(id, "");
        // another item is past its window; the answered one is challenged with the data from the log alone
        bytes32[4] memory l5 = [resultHash(5, 0), traceRoot(5, 0), keccak256("x"), keccak256("y")];
        bytes32[] memory p5 = proofOf(levels(resultLeaves(id, N, wrong, 0)), 5);
        bytes32[] memory s5 = proofOf(levels(shapeLeaves(id, N)), 5);
        bytes32[] memory r5 = proofOf(levels(requestLeaves(N)), 5);
        address op = ownerOf(ch);
        vm.deal(op, op.balance + 2 * CHALLENGE_BOND);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.ChallengeWindowClosed.selector, id, windowEnd));
        ob.challengeItem{value: CHALLENGE_BOND}(id, 5, ch, l5, p5, tokensHash(5), shape(), s5, item(5), r5);
        bytes32[4] memory leaves = [a.resultHash, a.traceRoot, resultHash(wrong, 0), traceRoot(wrong, 0)];
        uint64 claimedShape = (uint64(a.positions) << 32) | a.leafCount;
        bytes32[] memory rp = proofOf(levels(requestLeaves(N)), wrong);
        vm.prank(op);
        ob.challengeItem{value: CHALLENGE_BOND}(id, wrong, ch, leaves, a.proof, a.tokensHash, claimedShape, a.shapeProof, item(wrong), rp);
        OptimisticBase.ItemDispute memory d = ob.itemDispute(id, wrong);
        assertEq(uint8(d.stage), uint8(OptimisticBase.Stage.Challenged), "challenged after the window, in its own");
        vm.warp(a.until + 1);
        mine();
        ob.finalizeOptimisticBatch(id, "");
        uint256 struck = 1 << wrong;
        for (uint256 i; i < N; ++i) {
            if (i != wrong) assertTrue(verifies(id, i, 0, struck), "every other item is final");
        }
        (uint256 bondedBefore,,) = agents.stakeOf(worker);
        game.resolve(d.gameId, false);
        ob.settleItem(id, wrong, new bytes32[](0));
        (uint256 bondedAfter,,) = agents.stakeOf(worker);
        assertEq(bondedBefore - bondedAfter, CLAIM_BOND, "the lie is slashed as any challenged item");
        (, uint256 escrowed,) = market.totals();
        assertEq(escrowed, 0, "nothing left in escrow");
        assertFunds();
    }

    function testAWrongAnswerIsRefusedByName() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, 3);
        uint256 ch = challengerOf(worker);
        requestData(id, ch, 3);
        bytes32[] memory proof = proofOf(levels(resultLeaves(id, N, 3, 0)), 3);
        bytes32[] memory shapeProof = proofOf(levels(shapeLeaves(id, N)), 3);
        address wop = ownerOf(worker);
        // the honest result in place of the claimed one: not the claimed leaf
        bytes32 honest = resultHash(3, 0);
        bytes32 honestTrace = traceRoot(3, 0);
        bytes32 claimed = resultHash(3, 1);
        bytes32 claimedTrace = traceRoot(3, 1);
        bytes32 th = tokensHash(3);
        vm.prank(wop);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatchData.BadProof.selector, id, 3, "result"));
        obd.answerItemData(id, 3, honest, honestTrace, th, POSITIONS, POSITIONS * LAYERS, proof, shapeProof);
        // a forged sibling
        bytes32[] memory forged = proofOf(levels(resultLeaves(id, N, 3, 0)), 3);
        forged[0] = keccak256("forged");
        vm.prank(wop);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatchData.BadProof.selector, id, 3, "result"));
        obd.answerItemData(id, 3, claimed, claimedTrace, th, POSITIONS, POSITIONS * LAYERS, forged, shapeProof);
        // another shape
        vm.prank(wop);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatchData.BadProof.selector, id, 3, "shape"));
        obd.answerItemData(id, 3, claimed, claimedTrace, keccak256("t"), POSITIONS, POSITIONS * LAYERS, proof, shapeProof);
        vm.prank(wop);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.InvalidTraceShape.selector, uint256(0), uint256(12)));
        obd.answerItemData(id, 3, claimed, claimedTrace, th, 0, 12, proof, shapeProof);
        // an item nobody asked for
        vm.prank(wop);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatchData.ItemDataNotOpen.selector, id, 4, uint8(0)));
        obd.answerItemData(id, 4, claimed, claimedTrace, th, POSITIONS, POSITIONS * LAYERS, proof, shapeProof);
        assertEq(uint8(obd.itemDataRequest(id, 3).stage), uint8(OptimisticBase.DataStage.Open), "still open");
        // the right answer closes it
        answerData(id, worker, 3, 3, 0);
        assertEq(uint8(obd.itemDataRequest(id, 3).stage), uint8(OptimisticBase.DataStage.Answered), "answered");
        vm.prank(wop);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatchData.ItemDataNotOpen.selector, id, 3, uint8(OptimisticBase.DataStage.Answered)));
        obd.answerItemData(id, 3, claimed, claimedTrace, th, POSITIONS, POSITIONS * LAYERS, proof, shapeProof);
        assertEq(market.pendingWithdrawals(ownerOf(ch)), CHALLENGE_BOND, "no base fee here: the whole bond back");
        assertFunds();
    }

    function testDataRequestsOutsideTheRulesAreRefusedByName() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, type(uint256).max);
        uint256 ch = challengerOf(worker);
        uint256 key = ob.ITEM_TAG() | (id << 32) | 2;
        address wop = ownerOf(worker);
        address op = ownerOf(ch);
        vm.deal(wop, wop.balance + CHALLENGE_BOND);
        vm.deal(op, op.balance + 10 * CHALLENGE_BOND);
        // by the worker itself
        vm.prank(wop);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.WorkerCannotChallenge.selector, key));
        obd.requestItemData{value: CHALLENGE_BOND}(id, 2, worker);
        // a wrong bond
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.WrongBond.selector, key, CHALLENGE_BOND - 1, CHALLENGE_BOND));
        obd.requestItemData{value: CHALLENGE_BOND - 1}(id, 2, ch);
        // an item out of range
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatchData.ItemOutOfRange.selector, id, N, N));
        obd.requestItemData{value: CHALLENGE_BOND}(id, N, ch);
        // for an agent the caller does not operate
        uint256 notMine = 1;
        while (notMine == worker || notMine == ch) ++notMine;
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.NotOperator.selector, notMine, op));
        obd.requestItemData{value: CHALLENGE_BOND}(id, 2, notMine);
        // twice
        requestData(id, ch, 2);
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBatchData.DataAlreadyRequested.selector, id, 2, uint8(OptimisticBase.DataStage.Open)));
        obd.requestItemData{value: CHALLENGE_BOND}(id, 2, ch);
        // an item already challenged (the challenge posted its claimed leaf)
        challenge(id, ch, 6, type(uint256).max, 0);
        uint256 key6 = ob.ITEM_TAG() | (id << 32) | 6;
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.AlreadyChallenged.selector, key6));
        obd.requestItemData{value: CHALLENGE_BOND}(id, 6, ch);
        // after the window
        uint256 windowEnd = ob.optimisticBatch(id).windowEnd;
        vm.warp(windowEnd + 1);
        mine();
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.ChallengeWindowClosed.selector, id, windowEnd));
        obd.requestItemData{value: CHALLENGE_BOND}(id, 4, ch);
        // before a claim
        uint256 open = submitOptBatch(N, uint16(MIN_AUDIT_BPS));
        vm.prank(op);
        vm.expectRevert(abi.encodeWithSelector(OptimisticBase.WrongStage.selector, open, uint8(OptimisticBase.Stage.Open)));
        obd.requestItemData{value: CHALLENGE_BOND}(open, 2, ch);
        // an unknown selector still reverts by name through the new forward
        (bool ok, bytes memory ret) = address(market).call(abi.encodeWithSignature("noSuchFunction(uint256)", 1));
        assertFalse(ok, "unknown selector refused");
        assertEq(uint32(bytes4(ret)), uint32(TaskMarketBase.UnknownFunction.selector), "by name");
    }

    function testTheDrawnValidatorThatCannotGetItsItemIsNotSlashedAsSilent() public {
        (uint256 id, uint256 worker) = claimedBatch(N, 10_000, true, type(uint256).max);
        (, uint256 validator, uint256 index,) = auditDraw(id);
        requestData(id, validator, index);
        pass(DEFAULT_WINDOW + GAME_CLOCK + 1);
        (uint256 vBefore,,) = agents.stakeOf(validator);
        obd.finalizeItemData(id, index);
        (uint256 vAfter,,) = agents.stakeOf(validator);
        assertEq(vAfter, vBefore, "the validator that asked for its item and got nothing is excused");
        assertEq(market.pendingWithdrawals(ownerOf(validator)), CHALLENGE_BOND + CLAIM_BOND / 2, "and paid for the alarm");
        (uint256 wBonded,,) = agents.stakeOf(worker);
        assertEq(wBonded, 2 ether - CLAIM_BOND, "the withholding worker is slashed");
        assertEq(status(id), uint8(TaskMarketBase.Status.Refunded), "void");
        assertFunds();
    }

    function testAValidatorWhoseItemIsAnsweredAfterTheWindowAuditsInTheItemsOwnWindow() public {
        (uint256 id, uint256 worker) = claimedBatch(N, 10_000, true, type(uint256).max);
        (, uint256 validator, uint256 index,) = auditDraw(id);
        uint256 windowEnd = ob.optimisticBatch(id).windowEnd;
        vm.warp(windowEnd);
        mine();
        requestData(id, validator, index);
        pass(GAME_CLOCK - 5);
        answerData(id, worker, index, type(uint256).max, 0);
        _audit(id, true);
        assertEq(uint8(ob.optimisticBatch(id).audit), uint8(OptimisticBase.AuditState.Passed), "audited after the batch's window");
        uint256 until = obd.itemDataRequest(id, index).deadline;
        vm.warp(until + 1);
        mine();
        ob.finalizeOptimisticBatch(id, "");
        uint256 share = feeOf(N) * AUDIT_SHARE_BPS / 10_000 / N;
        assertEq(market.claimable(validator), share, "the validator is paid");
        assertEq(market.claimable(worker), feeOf(N) - share, "the worker the rest");
        assertFunds();
    }

    function testARequestOnAnItemChallengedMeanwhileIsClosedWithItsBondBack() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, 3);
        uint256 ch = challengerOf(worker);
        requestData(id, ch, 3);
        // someone who had the data challenges the item: its claimed leaf is posted; the request is moot
        challenge(id, ch, 3, 3, 0);
        answerData(id, worker, 3, 3, 1 << 3);
        assertEq(uint8(obd.itemDataRequest(id, 3).stage), uint8(OptimisticBase.DataStage.Closed), "closed, not answered");
        assertEq(market.pendingWithdrawals(ownerOf(ch)), CHALLENGE_BOND, "the bond back");
        pass(DEFAULT_WINDOW + 1);
        ob.finalizeOptimisticBatch(id, "");
        assertEq(status(id), uint8(TaskMarketBase.Status.Accepted), "the batch finalizes");
        assertFunds();
    }

    function testBatchSettlementRefusesAnAddressThatIsNotItsOptimisticBatchesByName() public {
        TaskMarketBase.Config memory c = marketConfig(defaults());
        OptimisticBatches fresh = new OptimisticBatches(c, optimistic);
        new BatchSettlement(c, address(fresh)); // the right one is taken
        // a contract without the views (before: an empty revert), the optimistic mode (configHash, but no
        // optimisticBatches()), the batches' own data contract (the same), an account without code
        address[4] memory wrong = [address(agents), address(optimistic), fresh.itemData(), address(0x1234)];
        for (uint256 i; i < wrong.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.InvalidConfig.selector, "optimisticBatches"));
            new BatchSettlement(c, wrong[i]);
        }
    }

    function testPaddedCalldataDoesNotInflateTheAnswersCompensation() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, type(uint256).max);
        uint256 ch = challengerOf(worker);
        requestData(id, ch, 1);
        requestData(id, ch, 2);
        vm.fee(1 gwei);
        vm.recordLogs();
        answerData(id, worker, 1, type(uint256).max, 0);
        uint256 plain = answeredData(vm.getRecordedLogs()).compensation;
        // the same answer for item 2 (as many siblings) with 20,000 zero bytes after it: 4 gas a byte to send, and
        // counted at 24 a byte it would have paid 480,000 gas more
        bytes memory call = abi.encodeCall(OptimisticBatchData.answerItemData, (id, 2, resultHash(2, 0), traceRoot(2, 0), tokensHash(2),
            POSITIONS, POSITIONS * LAYERS, proofOf(levels(resultLeaves(id, N, type(uint256).max, 0)), 2),
            proofOf(levels(shapeLeaves(id, N)), 2)));
        bytes memory padded = abi.encodePacked(call, new bytes(20_000));
        vm.recordLogs();
        vm.prank(ownerOf(worker));
        (bool ok,) = address(market).call(padded);
        assertTrue(ok, "the padded answer is taken");
        uint256 inflated = answeredData(vm.getRecordedLogs()).compensation;
        assertLe(inflated, plain + 20_000 gwei, "the padding is not paid for");
        vm.fee(0);
        assertFunds();
    }

    function testAWorkerWithAnOpenBatchClaimCannotWithdrawTheStakeBehindIt() public {
        (uint256 id, uint256 worker) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, 3);
        assertEq(market.openCommitments(worker), 1, "the claim is an open commitment");
        address wop = ownerOf(worker);
        vm.prank(wop);
        agents.requestUnstake(worker, 2 ether);
        vm.warp(block.timestamp + UNBONDING + 1);
        mine();
        // before: batches were not counted and the worker walked away with the stake behind its claim
        vm.prank(wop);
        (bool escaped,) = address(agents).call(abi.encodeCall(agents.withdraw, (worker)));
        assertFalse(escaped, "withdraw refused while the batch is open");
        ob.finalizeOptimisticBatch(id, "");
        assertEq(market.openCommitments(worker), 0, "released when final");
        vm.prank(wop);
        agents.withdraw(worker);
    }

    function testABatchLifeLongerThanTheUnbondingDelayIsRefusedAtDeployment() public {
        // the mode's own bound (commit + window + game timeout) holds, the batches' longer one (a request's
        // answer time and an answered item's window on top) does not
        OptimisticBase.Params memory p = optimisticParams(address(game));
        p.maxWindow = 40_000;
        p.gameTimeout = 40_000;
        TaskMarketBase.Config memory c = marketConfig(defaults());
        OptimisticSettlement mode = new OptimisticSettlement(c, p);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.InvalidConfig.selector, "unbondingDelay"));
        new OptimisticBatches(c, mode);
    }

    function testGasOptimisticBatchWithoutChallenge() public {
        (uint256 id,) = claimedBatch(N, uint16(MIN_AUDIT_BPS), false, type(uint256).max);
        pass(DEFAULT_WINDOW + 1);
        uint256 before = gasleft();
        ob.finalizeOptimisticBatch(id, "");
        uint256 used = before - gasleft();
        assertTrue(used < 150_000, "finalize stays small");
    }
}
