// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {Vm} from "./utils/Vm.sol";
import {TaskMarket} from "../src/TaskMarket.sol";
import {TaskMarketBase} from "../src/market/TaskMarketBase.sol";
import {BatchSettlement} from "../src/market/BatchSettlement.sol";
import {BatchTree} from "../src/market/BatchTree.sol";
import {ILedgermindConsumer} from "../src/interfaces/ILedgermindConsumer.sol";

/// @dev What a consumer contract sees of the market's batches (the market serves these in its fallback).
interface IBatches {
    function submitBatch(uint32 modelId, uint8 k, uint8 flags, bytes calldata items) external payable returns (uint256);
    function submitBatchRoot(uint32 modelId, uint8 k, uint8 flags, bytes32 requestRoot, uint256 count, string calldata locator)
        external
        payable
        returns (uint256);
    function declineBatch(uint256 batchId, uint256 agentId, bytes calldata pool) external;
    function commitBatch(uint256 batchId, uint256 agentId, bytes32 commitment, bytes calldata pool) external;
    function revealBatch(uint256 batchId, uint256 agentId, bytes32 resultsRoot, bytes32 salt) external;
    function finalizeBatch(uint256 batchId, bytes calldata pool) external;
    function resolveItem(
        uint256 batchId,
        uint256 position,
        uint256 index,
        bytes32[4] calldata leaves,
        bytes32[] calldata dissentProof,
        bytes32[] calldata acceptedProof,
        bytes calldata item,
        bytes32[] calldata requestProof
    ) external;
    function deliverItem(
        uint256 batchId,
        uint256 index,
        bytes32 resultHash,
        bytes32 traceRoot,
        bytes calldata output,
        bytes32[] calldata proof
    ) external;
    function verifyResult(uint256 batchId, uint256 index, uint256 count, bytes32 resultHash, bytes32 traceRoot, bytes32[] calldata proof)
        external
        view
        returns (bool);
    function getBatch(uint256 batchId)
        external
        view
        returns (uint256 state, address requester, uint256 fee, bytes32 requestRoot, uint256 count, bytes32[4] memory roots);
    function drawBatchSeats(uint256 batchId, bytes calldata pool, bytes32 blockHash) external view returns (uint32[] memory);
    function batchCommitmentOf(uint256 batchId, address node, bytes32 resultsRoot, bytes32 salt) external pure returns (bytes32);
    function lostOf(uint256 batchId, uint256 position) external view returns (uint256 fees, uint256 items);
}

/// @dev A consumer contract: verifies one item's proof against the market (and measures what it costs).
contract ItemVerifier {
    IBatches public immutable market;
    uint256 public lastGas;

    constructor(address market_) {
        market = IBatches(market_);
    }

    function check(uint256 batchId, uint256 index, uint256 count, bytes32 r, bytes32 t, bytes32[] calldata proof)
        external
        returns (bool ok)
    {
        uint256 before = gasleft();
        ok = market.verifyResult(batchId, index, count, r, t, proof);
        lastGas = before - gasleft();
    }
}

/// @dev A consumer contract that submits a callback batch and records the items pushed to it.
contract BatchConsumer is ILedgermindConsumer {
    IBatches public immutable market;
    uint256 public deliveries;
    uint256 public lastId;
    bytes32 public lastResultHash;
    bytes public lastOutput;

    constructor(address market_) {
        market = IBatches(market_);
    }

    function request(uint32 modelId, uint8 k, bytes calldata items) external payable returns (uint256) {
        return market.submitBatch{value: msg.value}(modelId, k, 1, items);
    }

    function onTaskFinalized(uint256 taskId, bool, bytes32 resultHash, bytes32, bytes calldata output) external {
        require(msg.sender == address(market), "not the market");
        deliveries += 1;
        lastId = taskId;
        lastResultHash = resultHash;
        lastOutput = output;
    }
}

/// @title Batches in replicated mode (issue 13): request batches, result roots, items proven one by one.
contract BatchTest is MarketFixture {
    address internal constant REQUESTER = address(0xBEEF);
    IBatches internal batches;
    uint256[] internal nodes;

    function setUp() public {
        deployAll();
        batches = IBatches(address(market));
        for (uint256 i; i < 6; ++i) nodes.push(addNode(operator(i), 10 ether));
    }

    // ------------------------------------------------------------------ helpers

    function item(uint256 i, uint256 fee) internal pure returns (bytes memory) {
        bytes memory input = abi.encodePacked("input ", bytes1(uint8(0x30 + i % 10)));
        return abi.encodePacked(uint8(1), uint32(16), uint32(0), uint64(i + 1), uint96(fee), uint16(input.length), input);
    }

    function items(uint256 n, uint256 fee) internal pure returns (bytes memory all, bytes[] memory each) {
        each = new bytes[](n);
        for (uint256 i; i < n; ++i) {
            each[i] = item(i, fee + i);
            all = bytes.concat(all, each[i]);
        }
    }

    function feeOf(uint256 n, uint256 fee) internal pure returns (uint256 sum) {
        for (uint256 i; i < n; ++i) sum += fee + i;
    }

    /// @dev The batch tree's levels over `leafHashes` (test-side: the vector test checks it and the library).
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

    function resultHash(uint256 i, uint256 salt) internal pure returns (bytes32) {
        return keccak256(abi.encode("result", i, salt));
    }

    function traceRoot(uint256 i) internal pure returns (bytes32) {
        return keccak256(abi.encode("trace", i));
    }

    /// @dev The results tree of a seat whose result at item `wrong` (if < n) is a lie.
    function resultsTree(uint256 batchId, uint256 n, uint256 wrong) internal pure returns (bytes32[][] memory) {
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            leaves[i] = BatchTree.resultLeaf((batchId << 32) | i, resultHash(i, i == wrong ? 1 : 0), traceRoot(i));
        }
        return levels(leaves);
    }

    function requestTree(bytes[] memory each) internal pure returns (bytes32[][] memory) {
        bytes32[] memory leaves = new bytes32[](each.length);
        for (uint256 i; i < each.length; ++i) leaves[i] = keccak256(each[i]);
        return levels(leaves);
    }

    function submitBatch(bytes memory all, uint256 fee, uint8 k) internal returns (uint256 batchId) {
        vm.deal(REQUESTER, REQUESTER.balance + fee);
        vm.recordLogs();
        vm.prank(REQUESTER);
        batchId = batches.submitBatch{value: fee}(modelId, k, 0, all);
        captureBatchPool(batchId);
        mine();
    }

    mapping(uint256 batchId => bytes) internal batchPools;

    function captureBatchPool(uint256 batchId) internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != BatchSettlement.BatchSubmitted.selector) continue;
            (,,,,,, bytes memory pool) = abi.decode(logs[i].data, (uint8, uint8, uint256, uint256, bytes32, bytes, bytes));
            batchPools[batchId] = pool;
        }
    }

    function batchSeats(uint256 batchId) internal view returns (uint32[] memory) {
        bytes memory pool = batchPools[batchId];
        return batches.drawBatchSeats(batchId, pool, blockhash(seedBlockOf(pool)));
    }

    /// @dev Submits until the draw gives k distinct agents (tests that need one agent per seat).
    function submitDistinctBatch(bytes memory all, uint256 fee, uint8 k) internal returns (uint256 batchId, uint32[] memory s) {
        for (;;) {
            batchId = submitBatch(all, fee, k);
            s = batchSeats(batchId);
            if (distinct(s).length == k) return (batchId, s);
        }
    }

    function commitAndReveal(uint256 batchId, uint32[] memory s, bytes32[] memory roots) internal {
        for (uint256 p; p < s.length; ++p) {
            address op = ownerOf(s[p]);
            bytes32 c = batches.batchCommitmentOf(batchId, op, roots[p], bytes32(p + 1));
            vm.prank(op);
            batches.commitBatch(batchId, s[p], c, p == 0 ? batchPools[batchId] : bytes(""));
        }
        for (uint256 p; p < s.length; ++p) {
            vm.prank(ownerOf(s[p]));
            batches.revealBatch(batchId, s[p], roots[p], bytes32(p + 1));
        }
    }

    function three(bytes32 a, bytes32 b, bytes32 c) internal pure returns (bytes32[] memory r) {
        r = new bytes32[](3);
        (r[0], r[1], r[2]) = (a, b, c);
    }

    function status(uint256 batchId) internal view returns (uint8) {
        (uint256 state,,,,,) = batches.getBatch(batchId);
        return uint8(state);
    }

    function assertFunds() internal view {
        (, uint256 escrowed, uint256 unclaimed) = market.totals();
        assertEq(address(market).balance, escrowed + unclaimed, "balance == escrowed + unclaimed");
    }

    // ------------------------------------------------------------------ the tree

    /// @notice The library's root and proof checks give exactly the shared vectors (docs/vectors/batch-tree.json,
    ///         computed by an independent JavaScript implementation), and so does this test's own tree.
    function testBatchTreeMatchesTheSharedVectors() public view {
        string memory json = vm.readFile("../docs/vectors/batch-tree.json");
        for (uint256 c; c < 7; ++c) {
            string memory key = string.concat(".cases[", vm.toString(c), "]");
            uint256 n = vm.parseJsonUint(json, string.concat(key, ".size"));
            bytes32 root = vm.parseJsonBytes32(json, string.concat(key, ".root"));
            bytes32[] memory rh = vm.parseJsonBytes32Array(json, string.concat(key, ".resultHashes"));
            bytes32[] memory tr = vm.parseJsonBytes32Array(json, string.concat(key, ".traceRoots"));
            bytes32[] memory leaves = vm.parseJsonBytes32Array(json, string.concat(key, ".leaves"));
            bytes32[] memory copy = new bytes32[](n);
            for (uint256 i; i < n; ++i) {
                assertTrue(BatchTree.resultLeaf((7 << 32) | i, rh[i], tr[i]) == leaves[i], "leaf hash");
                copy[i] = leaves[i];
            }
            assertTrue(rootOf(levels(leaves)) == root, "test-side tree root");
            assertTrue(BatchTree.rootInPlace(copy) == root, "library root");
            for (uint256 i; i < n; ++i) {
                bytes32[] memory proof = n == 1
                    ? new bytes32[](0)
                    : vm.parseJsonBytes32Array(json, string.concat(key, ".proofs[", vm.toString(i), "]"));
                (bytes32 r, bool ok) = this.rootOfExternal(leaves[i], i, n, proof);
                assertTrue(ok && r == root, "library proof");
                // one sibling too many or too few is refused
                bytes32[] memory longer = new bytes32[](proof.length + 1);
                for (uint256 j; j < proof.length; ++j) longer[j] = proof[j];
                (, ok) = this.rootOfExternal(leaves[i], i, n, longer);
                assertTrue(!ok, "extra sibling refused");
            }
        }
    }

    function rootOfExternal(bytes32 leaf, uint256 index, uint256 size, bytes32[] calldata proof)
        external
        pure
        returns (bytes32, bool)
    {
        return BatchTree.rootOf(leaf, index, size, proof);
    }

    // ------------------------------------------------------------------ the happy path

    /// @notice k equal roots accept all 16 items at once; one claim pays each node for all of them; any
    ///         contract verifies an item's proof; a forged proof, a wrong item, a wrong count are refused.
    function testEqualRootsAcceptEveryItemAndAConsumerVerifiesOne() public {
        uint256 n = 16;
        (bytes memory all,) = items(n, MIN_FEE);
        uint256 fee = feeOf(n, MIN_FEE);
        (uint256 batchId, uint32[] memory s) = submitDistinctBatch(all, fee, 3);
        bytes32[][] memory tree = resultsTree(batchId, n, type(uint256).max);
        bytes32 root = rootOf(tree);
        commitAndReveal(batchId, s, three(root, root, root));
        assertEq(status(batchId), uint8(TaskMarketBase.Status.Accepted), "accepted");
        assertFunds();

        uint256 share = fee / 3;
        for (uint256 p; p < 3; ++p) {
            uint256 expected = p == 0 ? fee - 2 * share : share;
            assertEq(market.claimable(s[p]), expected, "one credit for the whole batch");
            uint256 before = agents.payoutAddress(s[p]).balance;
            vm.prank(ownerOf(s[p]));
            market.claim(s[p]);
            assertEq(agents.payoutAddress(s[p]).balance - before, expected, "one claim pays all items");
        }

        ItemVerifier verifier = new ItemVerifier(address(market));
        bytes32[] memory proof = proofOf(tree, 5);
        assertTrue(verifier.check(batchId, 5, n, resultHash(5, 0), traceRoot(5), proof), "item 5 verifies");
        assertLe(verifier.lastGas(), 5_000, "verifyResult from a consumer (market warm in this test)");
        // forged: another result, another item's proof, a wrong count, another batch id
        assertTrue(!verifier.check(batchId, 5, n, resultHash(5, 1), traceRoot(5), proof), "forged result refused");
        assertTrue(!verifier.check(batchId, 6, n, resultHash(6, 0), traceRoot(6), proof), "wrong proof refused");
        assertTrue(!verifier.check(batchId, 5, n + 1, resultHash(5, 0), traceRoot(5), proof), "wrong count refused");
        assertTrue(!verifier.check(batchId + 1, 5, n, resultHash(5, 0), traceRoot(5), proof), "other batch refused");
        bytes32[] memory forged = new bytes32[](proof.length);
        for (uint256 j; j < proof.length; ++j) forged[j] = proof[j];
        forged[0] = keccak256("forged sibling");
        assertTrue(!verifier.check(batchId, 5, n, resultHash(5, 0), traceRoot(5), forged), "forged sibling refused");
    }

    /// @notice verifyResult answers in a static call (no reentrancy-guard write) and reports gas.
    function testVerifyResultWorksInAStaticCall() public {
        uint256 n = 4;
        (bytes memory all,) = items(n, MIN_FEE);
        uint256 fee = feeOf(n, MIN_FEE);
        (uint256 batchId, uint32[] memory s) = submitDistinctBatch(all, fee, 3);
        bytes32[][] memory tree = resultsTree(batchId, n, type(uint256).max);
        bytes32 root = rootOf(tree);
        // not accepted yet: false
        assertTrue(!batches.verifyResult(batchId, 1, n, resultHash(1, 0), traceRoot(1), proofOf(tree, 1)), "open batch");
        commitAndReveal(batchId, s, three(root, root, root));
        (bool ok, bytes memory ret) = address(market).staticcall(
            abi.encodeCall(IBatches.verifyResult, (batchId, 3, n, resultHash(3, 0), traceRoot(3), proofOf(tree, 3)))
        );
        assertTrue(ok && abi.decode(ret, (bool)), "static verifyResult");
    }

    // ------------------------------------------------------------------ one liar, one item

    /// @notice One seat lies about one item of 8: the batch is held, only that item is disputed, the liar is
    ///         slashed for it and loses that item's fee share only; the honest seats get the rest.
    /// @notice The market's verifyResult (its own assembly walk, not BatchTree.rootOf) proves every item of trees with
    ///         promoted levels, and refuses an index out of range, an extra or a missing sibling.
    function testVerifyResultWalksEveryItemOfOddTreesAndRefusesMalformedProofs() public {
        uint256[6] memory sizes = [uint256(1), 2, 3, 5, 9, 13];
        for (uint256 z; z < sizes.length; ++z) {
            uint256 n = sizes[z];
            (bytes memory all,) = items(n, 1e15);
            (uint256 batchId, uint32[] memory s) = submitDistinctBatch(all, feeOf(n, 1e15), 1);
            bytes32[][] memory tree = resultsTree(batchId, n, type(uint256).max);
            bytes32[] memory roots = new bytes32[](1);
            roots[0] = rootOf(tree);
            commitAndReveal(batchId, s, roots);
            for (uint256 i; i < n; ++i) {
                bytes32[] memory proof = proofOf(tree, i);
                assertTrue(batches.verifyResult(batchId, i, n, resultHash(i, 0), traceRoot(i), proof), "every item verifies");
                bytes32[] memory longer = new bytes32[](proof.length + 1);
                for (uint256 j; j < proof.length; ++j) longer[j] = proof[j];
                assertTrue(!batches.verifyResult(batchId, i, n, resultHash(i, 0), traceRoot(i), longer), "an extra sibling");
                if (proof.length != 0) {
                    bytes32[] memory shorter = new bytes32[](proof.length - 1);
                    for (uint256 j; j < shorter.length; ++j) shorter[j] = proof[j];
                    assertTrue(!batches.verifyResult(batchId, i, n, resultHash(i, 0), traceRoot(i), shorter), "a missing sibling");
                }
            }
            assertTrue(!batches.verifyResult(batchId, n, n, resultHash(n, 0), traceRoot(n), proofOf(tree, n - 1)), "index out of range");
        }
    }

    function testOneLieAboutOneItemDisputesOnlyThatItem() public {
        uint256 n = 8;
        uint256 wrong = 5;
        (bytes memory all, bytes[] memory each) = items(n, MIN_FEE);
        uint256 fee = feeOf(n, MIN_FEE);
        (uint256 batchId, uint32[] memory s) = submitDistinctBatch(all, fee, 3);
        bytes32[][] memory honest = resultsTree(batchId, n, type(uint256).max);
        bytes32[][] memory liar = resultsTree(batchId, n, wrong);
        commitAndReveal(batchId, s, three(rootOf(honest), rootOf(honest), rootOf(liar)));
        assertEq(status(batchId), uint8(TaskMarketBase.Status.Held), "held");

        // an item where the liar agrees cannot be disputed
        bytes32[][] memory req = requestTree(each);
        vm.expectRevert(abi.encodeWithSelector(BatchSettlement.NotDiffering.selector, batchId, 4, 2));
        batches.resolveItem(
            batchId, 2, 4, [resultHash(4, 0), traceRoot(4), resultHash(4, 0), traceRoot(4)], proofOf(liar, 4),
            proofOf(honest, 4), each[4], proofOf(req, 4)
        );
        // a forged request item is refused
        vm.expectRevert(abi.encodeWithSelector(BatchSettlement.BadProof.selector, batchId, wrong, "request"));
        batches.resolveItem(
            batchId, 2, wrong, [resultHash(wrong, 1), traceRoot(wrong), resultHash(wrong, 0), traceRoot(wrong)],
            proofOf(liar, wrong), proofOf(honest, wrong), item(wrong, 1 ether), proofOf(req, wrong)
        );

        (uint256 bonded,,) = agents.stakeOf(s[2]);
        vm.recordLogs();
        batches.resolveItem(
            batchId, 2, wrong, [resultHash(wrong, 1), traceRoot(wrong), resultHash(wrong, 0), traceRoot(wrong)],
            proofOf(liar, wrong), proofOf(honest, wrong), each[wrong], proofOf(req, wrong)
        );
        (uint256 after_,,) = agents.stakeOf(s[2]);
        assertEq(bonded - after_, DISSENT_SLASH, "liar slashed once, for its one item");
        assertFunds();
        (, uint256 lostItems) = batches.lostOf(batchId, 2);
        assertEq(lostItems, 1, "one item lost");
        (,,,,, bytes32[4] memory roots) = batches.getBatch(batchId);
        assertTrue(roots[2] == rootOf(honest), "the liar's root converged: no other item differs");
        // the same item cannot be disputed twice (the root converged: no dissenter left)
        vm.expectRevert(abi.encodeWithSelector(BatchSettlement.NotADissentingSeat.selector, batchId, 2));
        batches.resolveItem(
            batchId, 2, wrong, [resultHash(wrong, 1), traceRoot(wrong), resultHash(wrong, 0), traceRoot(wrong)],
            proofOf(liar, wrong), proofOf(honest, wrong), each[wrong], proofOf(req, wrong)
        );

        vm.warp(block.timestamp + REVEAL_WINDOW + 1);
        batches.finalizeBatch(batchId, "");
        assertEq(status(batchId), uint8(TaskMarketBase.Status.Accepted), "accepted after the hold");
        assertFunds();
        uint256 share = fee / 3;
        uint256 itemFee = MIN_FEE + wrong;
        uint256 liarPaid = share - itemFee / 3;
        assertEq(market.claimable(s[2]), liarPaid, "liar paid for the items it got right");
        uint256 honestBonus = DISSENT_SLASH * 5_000 / 10_000;
        uint256 pot = fee - liarPaid + honestBonus;
        assertEq(market.claimable(s[0]) + market.claimable(s[1]), pot, "honest seats share the rest and the slash share");
        assertTrue(
            batches.verifyResult(batchId, wrong, n, resultHash(wrong, 0), traceRoot(wrong), proofOf(honest, wrong)),
            "the disputed item's accepted result verifies"
        );
        assertTrue(
            !batches.verifyResult(batchId, wrong, n, resultHash(wrong, 1), traceRoot(wrong), proofOf(liar, wrong)),
            "the lie does not"
        );
    }

    /// @notice A dissenter that never settles its items is slashed for every item not shown to differ, and paid
    ///         nothing (settling item by item is always cheaper).
    function testAnUnresolvedDissenterIsSlashedPerItem() public {
        uint256 n = 4;
        (bytes memory all,) = items(n, MIN_FEE);
        uint256 fee = feeOf(n, MIN_FEE);
        (uint256 batchId, uint32[] memory s) = submitDistinctBatch(all, fee, 3);
        bytes32 honest = rootOf(resultsTree(batchId, n, type(uint256).max));
        bytes32 liar = rootOf(resultsTree(batchId, n, 1));
        commitAndReveal(batchId, s, three(liar, honest, honest));
        (uint256 bonded,,) = agents.stakeOf(s[0]);
        vm.warp(block.timestamp + REVEAL_WINDOW + 1);
        batches.finalizeBatch(batchId, "");
        (uint256 after_,,) = agents.stakeOf(s[0]);
        assertEq(bonded - after_, DISSENT_SLASH * n, "slashed for each of the 4 items");
        assertEq(market.claimable(s[0]), 0, "paid nothing");
        assertEq(market.claimable(s[1]) + market.claimable(s[2]), fee + DISSENT_SLASH * n / 2, "the quorum gets it all");
        assertFunds();
    }

    // ------------------------------------------------------------------ vanished seats

    /// @notice Seats that never commit: after the commit deadline the batch is refunded, every item's fee share
    ///         back to the requester (nothing lost), and the absent seats slashed absenceSlash.
    function testVanishedSeatsRefundEveryItem() public {
        uint256 n = 5;
        (bytes memory all,) = items(n, MIN_FEE);
        uint256 fee = feeOf(n, MIN_FEE);
        (uint256 batchId, uint32[] memory s) = submitDistinctBatch(all, fee, 3);
        // one seat commits, two vanish
        address op = ownerOf(s[1]);
        vm.prank(op);
        batches.commitBatch(batchId, s[1], keccak256("c"), batchPools[batchId]);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.TooEarly.selector, batchId, block.timestamp + COMMIT_WINDOW + 1));
        batches.finalizeBatch(batchId, "");
        vm.warp(block.timestamp + COMMIT_WINDOW + 1);
        (uint256 bonded0,,) = agents.stakeOf(s[0]);
        batches.finalizeBatch(batchId, "");
        assertEq(status(batchId), uint8(TaskMarketBase.Status.Refunded), "refunded");
        assertEq(market.pendingWithdrawals(REQUESTER), fee, "every item's fee share back");
        (uint256 after0,,) = agents.stakeOf(s[0]);
        assertEq(bonded0 - after0, ABSENCE_SLASH, "absent seat slashed");
        assertEq(market.claimable(s[1]), 0, "no one paid");
        assertFunds();
        uint256 before = REQUESTER.balance;
        vm.prank(REQUESTER);
        market.withdrawBalance();
        assertEq(REQUESTER.balance - before, fee, "refund withdrawn");
    }

    /// @notice A draw no one resolved while its seed block's hash existed: refunded in full, no one slashed.
    function testAnExpiredDrawIsRefundedWithoutSlashes() public {
        (bytes memory all,) = items(3, MIN_FEE);
        uint256 fee = feeOf(3, MIN_FEE);
        uint256 batchId = submitBatch(all, fee, 3);
        vm.roll(vm.getBlockNumber() + 300);
        vm.warp(block.timestamp + COMMIT_WINDOW + 1);
        uint256 stake = agents.totalBonded();
        batches.finalizeBatch(batchId, batchPools[batchId]);
        assertEq(status(batchId), uint8(TaskMarketBase.Status.Refunded), "refunded");
        assertEq(market.pendingWithdrawals(REQUESTER), fee, "in full");
        assertEq(agents.totalBonded(), stake, "no one slashed");
    }

    // ------------------------------------------------------------------ submission checks

    function testFeesMustSumToTheValue() public {
        (bytes memory all,) = items(3, MIN_FEE);
        uint256 fee = feeOf(3, MIN_FEE);
        vm.deal(REQUESTER, 1 ether);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(BatchSettlement.FeeSumMismatch.selector, fee, fee + 1));
        batches.submitBatch{value: fee + 1}(modelId, 3, 0, all);
    }

    function testATruncatedItemIsRefusedWithItsOffset() public {
        (bytes memory all,) = items(2, MIN_FEE);
        bytes memory cut = new bytes(all.length - 3);
        for (uint256 i; i < cut.length; ++i) cut[i] = all[i];
        vm.deal(REQUESTER, 1 ether);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(BatchSettlement.MalformedItems.selector, 1, all.length));
        batches.submitBatch{value: MIN_FEE}(modelId, 3, 0, cut);
    }

    function testBatchRedundancyIsOneThreeOrFour() public {
        (bytes memory all,) = items(1, MIN_FEE);
        vm.deal(REQUESTER, 1 ether);
        vm.prank(REQUESTER);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.InvalidRedundancy.selector, uint8(5), uint256(4)));
        batches.submitBatch{value: MIN_FEE}(modelId, 5, 0, all);
    }

    function testTheBatchModeRefusesADirectCall() public {
        BatchSettlement b = BatchSettlement(payable(BatchSettlement(payable(address(market))).batchSettlement()));
        assertTrue(address(b) != address(market) && address(b).code.length != 0, "the mode's own address");
        vm.expectRevert(BatchSettlement.NotDelegated.selector);
        b.submitBatch(modelId, 3, 0, "");
    }

    function testAnUnknownSelectorIsRefusedByName() public {
        (bool ok, bytes memory ret) = address(market).call(abi.encodeWithSignature("noSuchFunction()"));
        assertTrue(!ok, "reverted");
        assertTrue(
            keccak256(ret) == keccak256(abi.encodeWithSelector(TaskMarketBase.UnknownFunction.selector, bytes4(keccak256("noSuchFunction()")))),
            "UnknownFunction(selector)"
        );
    }

    /// @notice A commit from a node that holds no seat reverts and keeps nothing of the draw.
    function testOnlyDrawnSeatsCommit() public {
        (bytes memory all,) = items(2, MIN_FEE);
        (uint256 batchId, uint32[] memory s) = submitDistinctBatch(all, feeOf(2, MIN_FEE), 3);
        uint256 outsider;
        for (uint256 i; i < nodes.length; ++i) {
            if (nodes[i] != s[0] && nodes[i] != s[1] && nodes[i] != s[2]) outsider = nodes[i];
        }
        vm.prank(ownerOf(outsider));
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.NotAssigned.selector, batchId, outsider));
        batches.commitBatch(batchId, outsider, keccak256("c"), batchPools[batchId]);
    }

    // ------------------------------------------------------------------ the consumer callback

    /// @notice A callback batch's accepted items are pushed to the consumer one by one, with their proofs, once.
    function testCallbackDeliversABatchedItemOnce() public {
        BatchConsumer consumer = new BatchConsumer(address(market));
        uint256 n = 3;
        bytes memory output = "label: positive";
        bytes32[] memory leaves = new bytes32[](n);
        (bytes memory all,) = items(n, MIN_FEE);
        uint256 fee = feeOf(n, MIN_FEE);
        uint256 batchId;
        uint32[] memory s;
        for (;;) {
            vm.deal(address(this), fee);
            vm.recordLogs();
            batchId = consumer.request{value: fee}(modelId, 3, all);
            captureBatchPool(batchId);
            mine();
            s = batchSeats(batchId);
            if (distinct(s).length == 3) break;
        }
        for (uint256 i; i < n; ++i) leaves[i] = BatchTree.resultLeaf((batchId << 32) | i, keccak256(output), traceRoot(i));
        bytes32[][] memory tree = levels(leaves);
        commitAndReveal(batchId, s, three(rootOf(tree), rootOf(tree), rootOf(tree)));
        batches.deliverItem(batchId, 2, keccak256(output), traceRoot(2), output, proofOf(tree, 2));
        assertEq(consumer.deliveries(), 1, "delivered");
        assertEq(consumer.lastId(), (batchId << 32) | 2, "as its request id");
        vm.expectRevert(abi.encodeWithSelector(BatchSettlement.AlreadyDelivered.selector, batchId, 2));
        batches.deliverItem(batchId, 2, keccak256(output), traceRoot(2), output, proofOf(tree, 2));
        vm.expectRevert(abi.encodeWithSelector(BatchSettlement.BadProof.selector, batchId, 1, "result"));
        batches.deliverItem(batchId, 1, keccak256(output), traceRoot(2), output, proofOf(tree, 1));
    }

    // ------------------------------------------------------------------ items off-chain, declines

    /// @notice A batch whose items stay off-chain: the root and count go on-chain, nodes fetch the items; with
    ///         equal roots it is accepted like any batch, and a disputed item is settled against its request
    ///         proof exactly as an inline one.
    function testAnOffchainBatchSettlesAndResolvesItemsLikeAnInlineOne() public {
        uint256 n = 5;
        (, bytes[] memory each) = items(n, MIN_FEE);
        bytes32[][] memory req = requestTree(each);
        uint256 fee = feeOf(n, MIN_FEE);
        uint256 batchId;
        uint32[] memory s;
        for (;;) {
            vm.deal(REQUESTER, REQUESTER.balance + fee);
            vm.recordLogs();
            vm.prank(REQUESTER);
            batchId = batches.submitBatchRoot{value: fee}(modelId, 3, 0, rootOf(req), n, "https://requester.example/batch");
            captureBatchPool(batchId);
            mine();
            s = batchSeats(batchId);
            if (distinct(s).length == 3) break;
        }
        (,,, bytes32 requestRoot, uint256 count,) = batches.getBatch(batchId);
        assertTrue(requestRoot == rootOf(req) && count == n, "root and count stored");
        bytes32[][] memory honest = resultsTree(batchId, n, type(uint256).max);
        bytes32[][] memory liar = resultsTree(batchId, n, 0);
        commitAndReveal(batchId, s, three(rootOf(liar), rootOf(honest), rootOf(honest)));
        batches.resolveItem(
            batchId, 0, 0, [resultHash(0, 1), traceRoot(0), resultHash(0, 0), traceRoot(0)], proofOf(liar, 0),
            proofOf(honest, 0), each[0], proofOf(req, 0)
        );
        vm.warp(block.timestamp + REVEAL_WINDOW + 1);
        batches.finalizeBatch(batchId, "");
        assertEq(market.claimable(s[0]), fee / 3 - (MIN_FEE + 0) / 3, "the liar loses item 0's share only");
        assertFunds();
    }

    /// @notice Seats that decline (items unavailable) are not slashed; the refund keeps the decline share.
    function testDeclinedSeatsAreNotSlashedAndTheRequesterPaysTheDeclineShare() public {
        (bytes memory all,) = items(2, MIN_FEE);
        uint256 fee = feeOf(2, MIN_FEE);
        (uint256 batchId, uint32[] memory s) = submitDistinctBatch(all, fee, 3);
        vm.prank(ownerOf(s[0]));
        batches.declineBatch(batchId, s[0], batchPools[batchId]);
        vm.prank(ownerOf(s[0]));
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.AlreadyDeclined.selector, batchId, s[0]));
        batches.declineBatch(batchId, s[0], "");
        vm.warp(block.timestamp + COMMIT_WINDOW + 1);
        (uint256 bonded0,,) = agents.stakeOf(s[0]);
        (uint256 bonded1,,) = agents.stakeOf(s[1]);
        batches.finalizeBatch(batchId, "");
        (uint256 after0,,) = agents.stakeOf(s[0]);
        (uint256 after1,,) = agents.stakeOf(s[1]);
        assertEq(after0, bonded0, "the decliner is not slashed");
        assertEq(bonded1 - after1, ABSENCE_SLASH, "a vanished seat is");
        uint256 kept = fee * DECLINE_SHARE_BPS / (10_000 * 3);
        assertEq(market.pendingWithdrawals(REQUESTER), fee - kept, "refund less one seat's decline share");
        assertFunds();
    }
}
