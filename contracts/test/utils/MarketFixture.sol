// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Test, Vm} from "./Vm.sol";
import {AgentRegistry} from "../../src/AgentRegistry.sol";
import {ModelRegistry} from "../../src/ModelRegistry.sol";
import {ReputationRegistry} from "../../src/ReputationRegistry.sol";
import {ValidationRegistry} from "../../src/ValidationRegistry.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {TaskMarketBase} from "../../src/market/TaskMarketBase.sol";
import {BatchSettlement} from "../../src/market/BatchSettlement.sol";
import {OptimisticSettlement} from "../../src/market/OptimisticSettlement.sol";
import {OptimisticBase} from "../../src/market/OptimisticBase.sol";
import {OptimisticBatches} from "../../src/market/OptimisticBatches.sol";
import {FakeDisputeGame} from "../testing/FakeDisputeGame.sol";

/// @title A whole deployment (the five contracts, wired as LedgermindContracts.deploy wires them)
///        and the node-side steps of a task, for the forge tests.
abstract contract MarketFixture is Test {
    AgentRegistry internal agents;
    ModelRegistry internal models;
    ReputationRegistry internal reputation;
    ValidationRegistry internal validation;
    TaskMarket internal market;
    OptimisticSettlement internal optimistic;
    FakeDisputeGame internal game;
    address internal treasury = address(0x7EA5);
    uint32 internal modelId;

    uint256 internal constant MIN_STAKE = 1 ether;
    uint256 internal constant UNBONDING = 1 days;
    uint256 internal constant COMMIT_WINDOW = 60;
    uint256 internal constant REVEAL_WINDOW = 60;
    uint256 internal constant MIN_FEE = 1e12;
    uint256 internal constant DISSENT_SLASH = 0.1 ether;
    uint256 internal constant ABSENCE_SLASH = 0.01 ether;
    uint256 internal constant MAX_ROUNDS = 2;
    uint256 internal constant CALLBACK_GAS = 200_000;
    uint256 internal constant DECLINE_SHARE_BPS = 2_000;
    // the optimistic mode's parameters (OptimisticBase.Params)
    uint256 internal constant DEFAULT_AUDIT_BPS = 1_000;
    uint256 internal constant MIN_AUDIT_BPS = 100;
    uint256 internal constant DEFAULT_WINDOW = 120;
    uint256 internal constant MIN_WINDOW = 10;
    uint256 internal constant MAX_WINDOW = 3_600;
    uint256 internal constant CLAIM_BOND = 0.5 ether;
    uint256 internal constant CHALLENGE_BOND = 0.2 ether;
    uint256 internal constant AUDIT_SLASH = 0.3 ether;
    uint256 internal constant AUDIT_SHARE_BPS = 3_000;
    uint256 internal constant GAME_CLOCK = 600;
    uint256 internal constant GAME_TIMEOUT = 7_200;

    struct Params {
        uint256 unbondingDelay;
        uint256 commitWindow;
        uint256 revealWindow;
        uint256 maxRounds;
        uint256 maxServers;
    }

    function defaults() internal pure returns (Params memory) {
        return Params(UNBONDING, COMMIT_WINDOW, REVEAL_WINDOW, MAX_ROUNDS, 64);
    }

    function deployAll() internal {
        deployAll(defaults());
    }

    function deployAll(Params memory p) internal {
        uint256 nonce = vm.getNonce(address(this));
        // registries, the (fake) dispute game, then deployMarket: the optimistic mode, its batches, the
        // BatchSettlement, the market
        address predicted = vm.computeCreateAddress(address(this), nonce + 8);
        agents = new AgentRegistry(MIN_STAKE, p.unbondingDelay, predicted);
        models = new ModelRegistry(agents, p.maxServers);
        reputation = new ReputationRegistry(address(agents), predicted);
        validation = new ValidationRegistry(address(agents), predicted);
        game = new FakeDisputeGame(predicted);
        market = deployMarket(p);
        assertEq(address(market), predicted, "market address");
        modelId = models.registerModel(keccak256("w"), keccak256("t"), keccak256("a"), "model", 1);
    }

    function deployMarket(Params memory p) internal returns (TaskMarket) {
        TaskMarketBase.Config memory c = marketConfig(p);
        optimistic = new OptimisticSettlement(c, optimisticParams(address(game)));
        // a test that expects the configuration to be refused (vm.expectRevert) saw the mode's constructor refuse it,
        // with the same error the market's would give: the market is not deployed then
        if (address(optimistic).code.length == 0) return TaskMarket(payable(address(0)));
        OptimisticBatches optimisticBatches = new OptimisticBatches(c, optimistic);
        return new TaskMarket(c, new BatchSettlement(c, address(optimisticBatches)), address(optimistic));
    }

    /// @dev The market alone, with no BatchSettlement and no optimistic mode: for the configuration checks, which
    ///      the market's base constructor makes before it looks at its modes (under expectRevert a reverted
    ///      creation returns address(0), so deployMarket would go on to a second creation).
    function deployMarketAlone(Params memory p) internal returns (TaskMarket) {
        return new TaskMarket(marketConfig(p), BatchSettlement(payable(address(0))), address(0));
    }

    function optimisticParams(address disputeGame) internal pure returns (OptimisticBase.Params memory) {
        return OptimisticBase.Params({
            disputeGame: disputeGame,
            defaultAuditBps: DEFAULT_AUDIT_BPS,
            minAuditBps: MIN_AUDIT_BPS,
            defaultWindow: DEFAULT_WINDOW,
            minWindow: MIN_WINDOW,
            maxWindow: MAX_WINDOW,
            claimBond: CLAIM_BOND,
            challengeBond: CHALLENGE_BOND,
            auditSlash: AUDIT_SLASH,
            auditShareBps: AUDIT_SHARE_BPS,
            gameClock: GAME_CLOCK,
            gameTimeout: GAME_TIMEOUT
        });
    }

    function marketConfig(Params memory p) internal view returns (TaskMarketBase.Config memory) {
        return TaskMarketBase.Config({
                agentRegistry: address(agents),
                modelRegistry: address(models),
                reputationRegistry: address(reputation),
                validationRegistry: address(validation),
                treasury: treasury,
                commitWindow: p.commitWindow,
                revealWindow: p.revealWindow,
                maxInputBytes: 4096,
                maxOutputBytes: 4096,
                maxK: 7,
                maxRounds: p.maxRounds,
                minFee: MIN_FEE,
                dissentSlash: DISSENT_SLASH,
                absenceSlash: ABSENCE_SLASH,
                slashHonestBps: 5_000,
                callbackGasLimit: CALLBACK_GAS,
                declineShareBps: DECLINE_SHARE_BPS
            });
    }

    /// @dev An operator address for agent slot i (distinct EOAs).
    function operator(uint256 i) internal pure returns (address) {
        return address(uint160(0x10000 + i));
    }

    /// @dev Registers an agent owned by `owner`, stakes `amount` and declares it serves the model.
    function addNode(address owner, uint256 amount) internal returns (uint256 agentId) {
        vm.deal(owner, owner.balance + amount);
        vm.startPrank(owner);
        agentId = agents.register("");
        agents.stake{value: amount}(agentId);
        models.declareServes(agentId, modelId);
        vm.stopPrank();
    }

    /// @dev Per task, the pool snapshot of its latest round (TaskSubmitted.pool, then ReplacementPending.pool).
    mapping(uint256 taskId => bytes) internal pools;

    /// @dev Submits a task and mines its block (as anvil's automine does): the seed block's hash is then
    ///      available, set by the test chain to keccak256("block", number) (no actor of these tests reads it).
    function submit(address requester, uint8 k, uint256 fee) internal returns (uint256 taskId) {
        vm.deal(requester, requester.balance + fee);
        vm.recordLogs();
        vm.prank(requester);
        taskId = market.submitTask{value: fee}(modelId, keccak256("in"), "in", 1, 0, 16, 0, k, 0, 0);
        capturePools();
        mine();
    }

    /// @dev Ends the current block: the next calls run in a new one, and the ended block's hash is set.
    function mine() internal {
        uint256 n = vm.getBlockNumber();
        vm.roll(n + 1);
        vm.setBlockhash(n, keccak256(abi.encode("block", n)));
    }

    /// @dev Reads the pools of the recorded TaskSubmitted and ReplacementPending events (vm.recordLogs).
    function capturePools() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(market)) continue;
            bytes32 topic = logs[i].topics[0];
            if (topic == TaskMarketBase.TaskSubmitted.selector) {
                (,,,,,,,,,, bytes memory pool) = abi.decode(
                    logs[i].data, (bytes32, bytes, uint64, uint32, uint32, uint8, uint8, uint8, uint8, uint256, bytes)
                );
                pools[uint256(logs[i].topics[1])] = pool;
            } else if (topic == TaskMarketBase.ReplacementPending.selector) {
                (,,, bytes memory pool) = abi.decode(logs[i].data, (uint8, uint8, uint256, bytes));
                pools[uint256(logs[i].topics[1])] = pool;
            }
        }
    }

    /// @dev The block whose hash seeds a pool's draw (its 8-byte header).
    function seedBlockOf(bytes memory pool) internal pure returns (uint256 n) {
        assembly ("memory-safe") {
            n := shr(192, mload(add(pool, 0x20)))
        }
    }

    /// @dev The task's seats: drawn, or, while its draw is pending, what the draw gives (drawSeats).
    function seats(uint256 taskId) internal view returns (uint32[] memory) {
        if (!drawPending(taskId)) return market.taskNodes(taskId);
        bytes memory pool = pools[taskId];
        return market.drawSeats(taskId, pool, blockhash(seedBlockOf(pool)));
    }

    function drawPending(uint256 taskId) internal view returns (bool) {
        return market.getTask(taskId).flags & market.FLAG_DRAW_PENDING() != 0;
    }

    /// @dev finalize, with the pending round's pool when it has one; records a replacement round's pool.
    function finalizeTask(uint256 taskId) internal {
        vm.recordLogs();
        if (drawPending(taskId)) market.finalize(taskId, pools[taskId]);
        else market.finalize(taskId);
        capturePools();
    }

    /// @dev Submits until a draw gives k distinct agents (seats are drawn with replacement, so one agent
    ///      may hold several); tests that need one agent per seat use this. Earlier draws stay open.
    function submitDistinct(address requester, uint8 k, uint256 fee) internal returns (uint256 taskId) {
        for (;;) {
            taskId = submit(requester, k, fee);
            if (distinct(seats(taskId)).length == k) return taskId;
        }
    }

    /// @dev The distinct agent ids of a node list, in order of first seat.
    function distinct(uint32[] memory nodes) internal pure returns (uint32[] memory out) {
        out = new uint32[](nodes.length);
        uint256 n;
        for (uint256 i; i < nodes.length; ++i) {
            bool seen;
            for (uint256 j; j < n; ++j) if (out[j] == nodes[i]) seen = true;
            if (!seen) out[n++] = nodes[i];
        }
        assembly ("memory-safe") {
            mstore(out, n)
        }
    }

    function ownerOf(uint256 agentId) internal view returns (address) {
        return agents.ownerOf(agentId);
    }

    function commitAs(uint256 taskId, uint256 agentId, bytes32 result) internal {
        address op = ownerOf(agentId);
        bytes32 c = market.commitmentOf(taskId, op, result, result, bytes32(agentId));
        bool pending = drawPending(taskId);
        vm.prank(op);
        if (pending) market.commit(taskId, agentId, uint8(taskId), c, pools[taskId]);
        else market.commit(taskId, agentId, uint8(taskId), c);
    }

    function declineAs(uint256 taskId, uint256 agentId) internal {
        vm.prank(ownerOf(agentId));
        market.decline(taskId, agentId, pools[taskId]); // the pool draws the seats first when they are pending
    }

    function revealAs(uint256 taskId, uint256 agentId, bytes32 result) internal {
        vm.prank(ownerOf(agentId));
        market.reveal(taskId, agentId, uint8(taskId), result, result, bytes32(agentId), "");
    }
}
