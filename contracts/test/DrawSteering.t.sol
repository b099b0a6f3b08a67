// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {MarketFixture} from "./utils/MarketFixture.sol";
import {TaskMarket} from "../src/TaskMarket.sol";
import {TaskMarketBase} from "../src/market/TaskMarketBase.sol";
import {AgentRegistry} from "../src/AgentRegistry.sol";
import {ModelRegistry} from "../src/ModelRegistry.sol";
import {DrawSteerer, SelectiveRequester} from "./testing/DrawSteerer.sol";

/// @title Issue 11 finding 1, draw steering: no one can know a task's draw while it can still change the
///        pool or its stake. The two steering tests failed against the contracts before the fix
///        (docs/attacks-v1.txt: the attacker took every seat); the others need the fix's API.
contract DrawSteeringTest is MarketFixture {
    address internal constant REQUESTER = address(0xBEEF);
    uint256 internal firstOwn;
    uint256 internal lastOwn;

    function setUp() public {
        deployAll();
        // honest: 18 ether in four agents; the attacker: 12 ether (40%) in three agents
        for (uint256 i; i < 4; ++i) addNode(operator(i), 4.5 ether);
        firstOwn = addNode(operator(50), 4 ether);
        addNode(operator(51), 4 ether);
        lastOwn = addNode(operator(52), 4 ether);
    }

    function _ownSeats(uint32[] memory nodes) internal view returns (uint256 own) {
        for (uint256 i; i < nodes.length; ++i) if (nodes[i] >= firstOwn && nodes[i] <= lastOwn) ++own;
    }

    /// @dev The attacker's share of the selection weight, in parts per million.
    function _sharePpm() internal view returns (uint256) {
        (, uint32[] memory ids) = models.drawPool(modelId);
        uint256[] memory w = agents.stakeWeights(ids);
        uint256 own;
        uint256 total;
        for (uint256 i; i < ids.length; ++i) {
            total += w[i];
            if (ids[i] >= firstOwn && ids[i] <= lastOwn) own += w[i];
        }
        return own * 1e6 / total;
    }

    /// @notice A contract that replays the draw and tops up stake in the same block, just before a victim's
    ///         submitTask, no longer takes every seat: its full captures stay what its stake gives
    ///         (before the fix: every task, where unsteered 0.4^3 = 6.4% of them).
    function testDrawSteeringBySameBlockStakeTopUpCannotChooseTheSeats() public {
        DrawSteerer steerer = new DrawSteerer();
        vm.deal(address(steerer), 100 ether);
        uint256 trials = 40;
        uint256 captured;
        uint256 steered;
        uint256 expectedPpm3; // sum over trials of share^3, in 1e-18 units
        for (uint256 i; i < trials; ++i) {
            vm.prevrandao(keccak256(abi.encode("steer", i)));
            if (steerer.steer(market, agents, models, modelId, firstOwn, lastOwn, 3, 0.5 ether, 0.005 ether)) ++steered;
            uint256 share = _sharePpm();
            expectedPpm3 += share * share * share;
            uint256 taskId = submit(REQUESTER, 3, MIN_FEE);
            if (_ownSeats(seats(taskId)) == 3) ++captured;
        }
        assertGe(steered, trials / 2, "the replay found a steering top-up");
        uint256 expected = expectedPpm3 / 1e18; // expected full captures for the stake it really holds
        // binomial with mean `expected` (about 3 of 40): 4 standard deviations and some
        assertLe(captured, expected + 4 * _sqrt(expected + 1) + 2, "full captures beyond what the stake gives");
    }

    /// @notice A requester that knows the randomness of the block it submits in, and submits only when the
    ///         draw gives its agents every seat, no longer gets them: the seats come from the hash of its
    ///         submission's own block, which it cannot know when it sends it (before the fix: every task
    ///         it submitted was fully captured).
    function testDrawSteeringByARequesterThatKnowsTheBlockRandomnessCannotChooseTheSeats() public {
        SelectiveRequester requester = new SelectiveRequester();
        vm.deal(address(requester), 1 ether);
        uint256 submitted;
        uint256 captured;
        for (uint256 i; i < 250; ++i) {
            vm.prevrandao(keccak256(abi.encode("requester", i)));
            vm.recordLogs();
            uint256 taskId = requester.trySubmit(market, agents, models, modelId, firstOwn, lastOwn, MIN_FEE);
            capturePools();
            mine();
            if (taskId == 0) continue;
            ++submitted;
            if (_ownSeats(seats(taskId)) == 3) ++captured;
        }
        assertGe(submitted, 5, "the requester found favourable blocks");
        // unsteered, a full capture is 0.4^3 = 6.4% of its tasks
        assertLe(captured * 2, submitted, "full captures of the requester's chosen blocks");
    }

    /// @notice The seats are a function of the hash of the submission's block (and the frozen pool): the
    ///         same pool with another block hash gives other seats, and the first commit stores what the
    ///         hash the chain holds gives.
    function testDrawIsAFunctionOfTheSubmissionBlockHash() public {
        uint256 differ;
        for (uint256 i; i < 20; ++i) {
            uint256 taskId = submit(REQUESTER, 3, MIN_FEE);
            uint32[] memory a = seats(taskId);
            uint256 n = seedBlockOf(pools[taskId]);
            vm.setBlockhash(n, keccak256(abi.encode("another hash", i)));
            uint32[] memory b = seats(taskId);
            if (a[0] != b[0] || a[1] != b[1] || a[2] != b[2]) ++differ;
            commitAs(taskId, b[0], keccak256("r"));
            uint32[] memory stored = market.taskNodes(taskId);
            for (uint256 p; p < 3; ++p) assertEq(stored[p], b[p], "stored seats follow the block hash");
        }
        assertGe(differ, 10, "another block hash, other seats");
        // inside the submission its own block's hash does not exist yet
        assertEq(uint256(blockhash(vm.getBlockNumber())), 0, "no hash for the current block");
    }

    /// @notice The round's first commit must carry the pool, which must be the one the submission froze.
    function testFirstCommitNeedsTheSubmissionsPool() public {
        uint256 taskId = submit(REQUESTER, 3, MIN_FEE);
        uint32[] memory s = seats(taskId);
        address op = ownerOf(s[0]);
        bytes32 c = market.commitmentOf(taskId, op, keccak256("r"), keccak256("r"), bytes32(0));
        vm.startPrank(op);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.DrawPending.selector, taskId));
        market.commit(taskId, s[0], 0, c);
        bytes memory forged = pools[taskId];
        forged[forged.length - 1] = bytes1(uint8(forged[forged.length - 1]) ^ 1); // a different weight
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.PoolMismatch.selector, taskId));
        market.commit(taskId, s[0], 0, c, forged);
        market.commit(taskId, s[0], 0, c, pools[taskId]);
        vm.stopPrank();
        assertTrue(!drawPending(taskId), "drawn");
    }

    /// @notice A draw that no one resolves while its seed block's hash is available (256 blocks) expires:
    ///         finalize refunds the fee in full and slashes no one (no one was ever assigned).
    function testExpiredDrawRefundsInFullAndSlashesNoOne() public {
        uint256 taskId = submit(REQUESTER, 3, 3e15);
        uint256 agentCount = lastOwn;
        uint256[] memory stakeBefore = new uint256[](agentCount + 1);
        for (uint256 a = 1; a <= agentCount; ++a) (stakeBefore[a],,) = agents.stakeOf(a);
        vm.roll(vm.getBlockNumber() + 300);
        uint32[] memory s = seats(taskId); // a view given the hash still previews; the chain no longer has it
        address op = ownerOf(s[0]);
        bytes32 c = market.commitmentOf(taskId, op, keccak256("r"), keccak256("r"), bytes32(0));
        uint256 seedBlock = seedBlockOf(pools[taskId]);
        vm.prank(op);
        vm.expectRevert(
            abi.encodeWithSelector(TaskMarketBase.SeedBlockUnavailable.selector, taskId, seedBlock, vm.getBlockNumber())
        );
        market.commit(taskId, s[0], 0, c, pools[taskId]);
        vm.warp(block.timestamp + COMMIT_WINDOW + 1);
        vm.expectRevert(abi.encodeWithSelector(TaskMarketBase.DrawPending.selector, taskId));
        market.finalize(taskId);
        finalizeTask(taskId);
        TaskMarketBase.TaskView memory t = market.getTask(taskId);
        assertEq(t.status, uint8(TaskMarketBase.Status.Refunded), "refunded");
        assertEq(market.pendingWithdrawals(REQUESTER), 3e15, "the whole fee back");
        for (uint256 a = 1; a <= agentCount; ++a) {
            (uint256 bonded,,) = agents.stakeOf(a);
            assertEq(bonded, stakeBefore[a], "no one slashed");
            (,,, uint256 faults) = market.accountOf(a);
            assertEq(faults, 0, "no fault recorded");
        }
        (, uint256 escrowed, uint256 unclaimed) = market.totals();
        assertEq(escrowed, 0, "nothing left in escrow");
        assertEq(address(market).balance, escrowed + unclaimed, "funds accounted");
    }

    /// @notice A commit timeout slashes the absent seat and opens a replacement round whose draw is pending
    ///         like a submission's: the pool is frozen at the finalize, later stake changes do not move it,
    ///         and the new round's first commit stores the previewed replacement (NodeReplaced).
    function testReplacementDrawIsFrozenAtTheFinalizeAndDrawnByTheNextCommit() public {
        uint256 taskId = submitDistinct(REQUESTER, 3, 3e15);
        uint32[] memory s = seats(taskId);
        commitAs(taskId, s[0], keccak256("r"));
        commitAs(taskId, s[1], keccak256("r"));
        vm.warp(block.timestamp + COMMIT_WINDOW + 1);
        (uint256 before,,) = agents.stakeOf(s[2]);
        finalizeTask(taskId);
        mine();
        (uint256 afterSlash,,) = agents.stakeOf(s[2]);
        assertEq(before - afterSlash, ABSENCE_SLASH, "absent seat slashed");
        assertTrue(drawPending(taskId), "replacement pending");
        assertEq(market.taskNodes(taskId)[2], s[2], "the replaced agent stays until the draw");
        uint32[] memory preview = seats(taskId);
        assertTrue(preview[2] != s[0] && preview[2] != s[1] && preview[2] != s[2], "a fresh agent");
        assertEq(preview[0], s[0], "committed seats kept");
        // stake moves after the finalize change nothing
        vm.deal(address(this), 100 ether);
        agents.stake{value: 100 ether}(firstOwn == preview[2] ? firstOwn + 1 : firstOwn);
        mine();
        uint32[] memory again = seats(taskId);
        assertEq(again[2], preview[2], "preview unchanged by later stake");
        commitAs(taskId, preview[2], keccak256("r"));
        assertEq(market.taskNodes(taskId)[2], preview[2], "the previewed replacement is seated");
        assertTrue(!drawPending(taskId), "drawn");
    }

    function _sqrt(uint256 x) internal pure returns (uint256 y) {
        y = x;
        uint256 z = (x + 1) / 2;
        while (z < y) {
            y = z;
            z = (x / z + z) / 2;
        }
    }

    receive() external payable {}
}
