// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {Test} from "./Vm.sol";
import {AgentRegistry} from "../../src/AgentRegistry.sol";
import {ModelRegistry} from "../../src/ModelRegistry.sol";
import {ReputationRegistry} from "../../src/ReputationRegistry.sol";
import {ValidationRegistry} from "../../src/ValidationRegistry.sol";
import {TaskMarket} from "../../src/TaskMarket.sol";
import {TaskMarketBase} from "../../src/market/TaskMarketBase.sol";

/// @title A whole deployment (the five contracts, wired as LedgermindContracts.deploy wires them)
///        and the node-side steps of a task, for the forge tests.
abstract contract MarketFixture is Test {
    AgentRegistry internal agents;
    ModelRegistry internal models;
    ReputationRegistry internal reputation;
    ValidationRegistry internal validation;
    TaskMarket internal market;
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
        address predicted = vm.computeCreateAddress(address(this), nonce + 4);
        agents = new AgentRegistry(MIN_STAKE, p.unbondingDelay, predicted);
        models = new ModelRegistry(agents, p.maxServers);
        reputation = new ReputationRegistry(address(agents), predicted);
        validation = new ValidationRegistry(address(agents), predicted);
        market = deployMarket(p);
        assertEq(address(market), predicted, "market address");
        modelId = models.registerModel(keccak256("w"), keccak256("t"), keccak256("a"), "model", 1);
    }

    function deployMarket(Params memory p) internal returns (TaskMarket) {
        return new TaskMarket(
            TaskMarketBase.Config({
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
            })
        );
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

    function submit(address requester, uint8 k, uint256 fee) internal returns (uint256 taskId) {
        vm.deal(requester, requester.balance + fee);
        vm.prank(requester);
        taskId = market.submitTask{value: fee}(modelId, keccak256("in"), "in", 1, 0, 16, 0, k, 0, 0);
    }

    /// @dev Submits until a draw gives k distinct agents (seats are drawn with replacement, so one agent
    ///      may hold several); tests that need one agent per seat use this. Earlier draws stay open.
    function submitDistinct(address requester, uint8 k, uint256 fee) internal returns (uint256 taskId) {
        for (uint256 attempt;; ++attempt) {
            vm.prevrandao(keccak256(abi.encode("distinct", attempt)));
            taskId = submit(requester, k, fee);
            if (distinct(market.taskNodes(taskId)).length == k) return taskId;
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
        vm.prank(op);
        market.commit(taskId, agentId, uint8(taskId), c);
    }

    function declineAs(uint256 taskId, uint256 agentId) internal {
        vm.prank(ownerOf(agentId));
        market.decline(taskId, agentId);
    }

    function revealAs(uint256 taskId, uint256 agentId, bytes32 result) internal {
        vm.prank(ownerOf(agentId));
        market.reveal(taskId, agentId, uint8(taskId), result, result, bytes32(agentId), "");
    }
}
