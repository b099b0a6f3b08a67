// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Vm} from "../utils/Vm.sol";
import {AgentRegistry} from "../../src/AgentRegistry.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {TaskMarketBase} from "../../src/market/TaskMarketBase.sol";
import {IVerificationMode} from "../../src/interfaces/IVerificationMode.sol";

/// @title The actors of the invariant run: requesters, honest and lying nodes, unstakers, claimers
///        and the clock. forge calls its functions in random order with random arguments; each
///        function turns its arguments into a valid-looking call (so that most calls reach the
///        contracts' state machine), and keeps ghost records the invariants check.
contract MarketHandler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    AgentRegistry public immutable agents;
    TaskMarket public immutable market;
    uint32 public immutable modelId;
    uint256[] public agentIds;
    uint256[] public taskIds;
    /// @dev what each agent committed to in each task (0: not committed by this handler)
    mapping(uint256 taskId => mapping(uint256 agentId => bytes32)) public committedResult;
    /// @notice withdrawals of stake that backed a commitment of a task still open (must stay 0)
    uint256 public escapedWithdrawals;
    /// @notice per task, the pool snapshot of its latest round (TaskSubmitted.pool, ReplacementPending.pool)
    mapping(uint256 taskId => bytes) public poolOf;
    /// @notice draws that expired (no commit while the seed block's hash was available): refunded
    uint256 public expiredDraws;
    /// @notice challenges accepted with a bond other than dissentSlash (must stay 0)
    uint256 public acceptedWrongBonds;
    uint256 public challenges;
    uint256 public calls;

    address internal constant REQUESTER = address(0xBEEF);

    constructor(AgentRegistry agents_, TaskMarket market_, uint32 modelId_, uint256[] memory agentIds_) {
        agents = agents_;
        market = market_;
        modelId = modelId_;
        agentIds = agentIds_;
    }

    function taskCount() external view returns (uint256) {
        return taskIds.length;
    }

    function submit(uint256 kSeed, uint256 feeSeed) external {
        ++calls;
        uint8 k = [1, 3, 3, 5][kSeed % 4] == 1 ? 1 : uint8([1, 3, 3, 5][kSeed % 4]);
        uint256 fee = 1e12 + feeSeed % 1e16;
        vm.deal(REQUESTER, REQUESTER.balance + fee);
        vm.prank(REQUESTER);
        vm.recordLogs();
        try market.submitTask{value: fee}(modelId, keccak256("in"), "in", 1, 0, 16, 0, k, 0, 0) returns (uint256 id) {
            taskIds.push(id);
        } catch {}
        _capturePools();
        _mine(1);
    }

    /// @dev Ends the block (the seed block's hash becomes available, as after an anvil automine).
    function _mine(uint256 blocks) internal {
        uint256 n = vm.getBlockNumber();
        vm.roll(n + blocks);
        vm.setBlockhash(n, keccak256(abi.encode("block", n)));
    }

    function _capturePools() internal {
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter != address(market)) continue;
            bytes32 topic = logs[i].topics[0];
            if (topic == TaskMarketBase.TaskSubmitted.selector) {
                (,,,,,,,,,, bytes memory pool) = abi.decode(
                    logs[i].data, (bytes32, bytes, uint64, uint32, uint32, uint8, uint8, uint8, uint8, uint256, bytes)
                );
                poolOf[uint256(logs[i].topics[1])] = pool;
            } else if (topic == TaskMarketBase.ReplacementPending.selector) {
                (,,, bytes memory pool) = abi.decode(logs[i].data, (uint8, uint8, uint256, bytes));
                poolOf[uint256(logs[i].topics[1])] = pool;
            } else if (topic == TaskMarketBase.DrawExpired.selector) {
                ++expiredDraws;
            }
        }
    }

    function _task(uint256 seed) internal view returns (uint256) {
        return taskIds.length == 0 ? 0 : taskIds[seed % taskIds.length];
    }

    /// @dev An assigned agent of the task (by seed; while the draw is pending, one that the draw gives), or 0.
    function _node(uint256 taskId, uint256 seed) internal view returns (uint256) {
        if (taskId == 0) return 0;
        bytes memory pool = poolOf[taskId];
        uint256 seedBlock;
        assembly ("memory-safe") {
            seedBlock := shr(192, mload(add(pool, 0x20)))
        }
        try market.drawSeats(taskId, pool, blockhash(seedBlock)) returns (uint32[] memory nodes) {
            return nodes.length == 0 ? 0 : nodes[seed % nodes.length];
        } catch {
            return 0;
        }
    }

    function commit(uint256 taskSeed, uint256 nodeSeed, bool lie) external {
        ++calls;
        uint256 taskId = _task(taskSeed);
        uint256 agentId = _node(taskId, nodeSeed);
        if (agentId == 0) return;
        bytes32 result = lie ? keccak256(abi.encode("lie", agentId)) : keccak256("truth");
        address op = agents.ownerOf(agentId);
        bytes32 c = market.commitmentOf(taskId, op, result, result, bytes32(taskId));
        vm.prank(op);
        try market.commit(taskId, agentId, uint8(taskId), c, poolOf[taskId]) {
            committedResult[taskId][agentId] = result;
        } catch {}
    }

    function decline(uint256 taskSeed, uint256 nodeSeed) external {
        ++calls;
        uint256 taskId = _task(taskSeed);
        uint256 agentId = _node(taskId, nodeSeed);
        if (agentId == 0) return;
        vm.prank(agents.ownerOf(agentId));
        try market.decline(taskId, agentId, poolOf[taskId]) {} catch {}
    }

    function reveal(uint256 taskSeed, uint256 nodeSeed) external {
        ++calls;
        uint256 taskId = _task(taskSeed);
        uint256 agentId = _node(taskId, nodeSeed);
        bytes32 result = committedResult[taskId][agentId];
        if (result == 0) return;
        vm.prank(agents.ownerOf(agentId));
        try market.reveal(taskId, agentId, uint8(taskId), result, result, bytes32(taskId), "") {} catch {}
    }

    /// @dev A dissenting seat's operator disputes a held split (with the right bond, or, by `wrongBond`,
    ///      a wrong one that must be refused).
    function challenge(uint256 taskSeed, uint256 nodeSeed, bool wrongBond) external {
        ++calls;
        uint256 taskId = _task(taskSeed);
        uint256 agentId = _node(taskId, nodeSeed);
        if (agentId == 0) return;
        address op = agents.ownerOf(agentId);
        uint256 bond = market.dissentSlash() + (wrongBond ? 1 : 0);
        vm.deal(op, op.balance + bond);
        vm.prank(op);
        try IVerificationMode(address(market)).challenge{value: bond}(taskId, agentId) {
            if (wrongBond) ++acceptedWrongBonds;
            ++challenges;
        } catch {}
    }

    function finalize(uint256 taskSeed) external {
        ++calls;
        uint256 taskId = _task(taskSeed);
        if (taskId == 0) return;
        vm.recordLogs();
        try market.finalize(taskId, poolOf[taskId]) {} catch {}
        _capturePools();
    }

    /// @notice finalize of one task by id with its latest pool, recording a replacement round's pool (the
    ///         liveness invariant calls it; returns whether finalize succeeded).
    function finalizeById(uint256 taskId) external returns (bool ok) {
        // on a chain, a deadline past means a later block than the one that opened the round (forge moves
        // the clock and the block number apart): mine it, so the seed block's hash exists
        bytes memory pool = poolOf[taskId];
        uint256 seedBlock;
        assembly ("memory-safe") {
            seedBlock := shr(192, mload(add(pool, 0x20)))
        }
        if (pool.length >= 8 && vm.getBlockNumber() <= seedBlock) _mine(1);
        vm.recordLogs();
        try market.finalize(taskId, poolOf[taskId]) {
            ok = true;
        } catch {}
        _capturePools();
    }

    function warp(uint256 secondsSeed) external {
        ++calls;
        vm.warp(block.timestamp + secondsSeed % 200);
        // now and then a long quiet spell: pending draws outlive their seed block's hash (256 blocks)
        _mine(secondsSeed % 16 == 0 ? 300 : 1);
    }

    function stake(uint256 agentSeed, uint256 amountSeed) external {
        ++calls;
        uint256 agentId = agentIds[agentSeed % agentIds.length];
        uint256 amount = 1 + amountSeed % 3 ether;
        vm.deal(address(this), address(this).balance + amount);
        try agents.stake{value: amount}(agentId) {} catch {}
    }

    function unstake(uint256 agentSeed, uint256 amountSeed) external {
        ++calls;
        uint256 agentId = agentIds[agentSeed % agentIds.length];
        (uint256 bonded,,) = agents.stakeOf(agentId);
        if (bonded == 0) return;
        vm.prank(agents.ownerOf(agentId));
        try agents.requestUnstake(agentId, 1 + amountSeed % bonded) {} catch {}
    }

    function withdraw(uint256 agentSeed, uint256 waitSeed) external {
        ++calls;
        uint256 agentId = agentIds[agentSeed % agentIds.length];
        (, uint256 unbonding, uint256 readyAt) = agents.stakeOf(agentId);
        if (unbonding == 0) return;
        if (waitSeed % 2 == 0 && readyAt > block.timestamp) vm.warp(readyAt); // often wait out the delay
        bool backsOpenTask = _backsOpenCommitment(agentId);
        vm.prank(agents.ownerOf(agentId));
        try agents.withdraw(agentId) {
            if (backsOpenTask) ++escapedWithdrawals;
        } catch {}
    }

    function claim(uint256 agentSeed) external {
        ++calls;
        uint256 agentId = agentIds[agentSeed % agentIds.length];
        vm.prank(agents.ownerOf(agentId));
        try market.claim(agentId) {} catch {}
    }

    function withdrawBalance(bool treasury) external {
        ++calls;
        vm.prank(treasury ? market.treasury() : REQUESTER);
        try market.withdrawBalance() {} catch {}
    }

    /// @dev Whether the agent committed in a task that is still open (Active, or a held or challenged split).
    function _backsOpenCommitment(uint256 agentId) internal view returns (bool) {
        for (uint256 i; i < taskIds.length; ++i) {
            uint256 t = taskIds[i];
            if (committedResult[t][agentId] == 0) continue;
            uint8 status = market.getTask(t).status;
            if (
                status == uint8(TaskMarketBase.Status.Active) || status == uint8(TaskMarketBase.Status.Held)
                    || status == uint8(TaskMarketBase.Status.Challenged)
            ) return true;
        }
        return false;
    }

    receive() external payable {}
}
