// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {TaskMarket} from "../../src/TaskMarket.sol";
import {AgentRegistry} from "../../src/AgentRegistry.sol";
import {ModelRegistry} from "../../src/ModelRegistry.sol";

// The draw-steering attackers of issue 11 finding 1, for the forge attack tests (test/DrawSteering.t.sol)
// and the chain module's attack test on anvil (DrawSteeringAttackTest). They replay the draw the market made
// inside submitTask before the fix; against the fixed market their replay is meaningless.

/// @dev Replays the draw as the market made it inside submitTask before issue 11's fix:
///      seed = keccak256(abi.encode(block.prevrandao, taskId, 0)), k stake-weighted seats with replacement
///      over the model's servers, seat d at keccak256(abi.encode(seed, d)) mod total weight. `topUp` wei
///      are added to agent `topped` (weights are bonded stake in gwei).
library DrawReplay {
    function allSeatsOwn(
        TaskMarket market,
        AgentRegistry agents,
        ModelRegistry models,
        uint32 modelId,
        uint256 firstOwn,
        uint256 lastOwn,
        uint8 k,
        uint256 topped,
        uint256 topUp
    ) internal view returns (bool) {
        (uint256 taskCount,,) = market.totals();
        uint256 seed = uint256(keccak256(abi.encode(block.prevrandao, taskCount + 1, uint256(0))));
        (, uint32[] memory ids) = models.drawPool(modelId);
        uint256[] memory w = agents.stakeWeights(ids);
        uint256 total;
        for (uint256 i; i < ids.length; ++i) {
            if (ids[i] == topped && w[i] != 0) w[i] += topUp / 1 gwei;
            total += w[i];
        }
        for (uint256 d; d < k; ++d) {
            uint256 r = uint256(keccak256(abi.encode(seed, d))) % total;
            uint256 acc;
            for (uint256 i; i < ids.length; ++i) {
                acc += w[i];
                if (r < acc) {
                    if (ids[i] < firstOwn || ids[i] > lastOwn) return false;
                    break;
                }
            }
        }
        return true;
    }
}

/// @dev The steering contract of issue 11: in the block of a victim's submitTask, just before it, it finds
///      the top-up of one of its agents that makes the replayed draw give its agents every seat, and stakes it.
contract DrawSteerer {
    function steer(
        TaskMarket market,
        AgentRegistry agents,
        ModelRegistry models,
        uint32 modelId,
        uint256 firstOwn,
        uint256 lastOwn,
        uint8 k,
        uint256 maxTopUp,
        uint256 step
    ) external returns (bool found) {
        for (uint256 topUp; topUp <= maxTopUp; topUp += step) {
            if (DrawReplay.allSeatsOwn(market, agents, models, modelId, firstOwn, lastOwn, k, firstOwn, topUp)) {
                if (topUp != 0) agents.stake{value: topUp}(firstOwn);
                return true;
            }
        }
    }

    /// @notice The colluding requester and operator in one transaction: steer (as above), then submit its own
    ///         task in the same block, right after the top-up.
    function steerAndSubmit(
        TaskMarket market,
        AgentRegistry agents,
        ModelRegistry models,
        uint32 modelId,
        uint256 firstOwn,
        uint256 lastOwn,
        uint256 maxTopUp,
        uint256 step,
        uint256 fee
    ) external returns (uint256 taskId) {
        this.steer(market, agents, models, modelId, firstOwn, lastOwn, 3, maxTopUp, step);
        return market.submitTask{value: fee}(modelId, keccak256("in"), "in", 1, 0, 16, 0, 3, 0, 0);
    }

    receive() external payable {}
}

/// @dev A requester that knows the block's randomness (it runs inside the block): it submits only in the
///      blocks where the replayed draw gives its own agents every seat of its task.
contract SelectiveRequester {
    function trySubmit(
        TaskMarket market,
        AgentRegistry agents,
        ModelRegistry models,
        uint32 modelId,
        uint256 firstOwn,
        uint256 lastOwn,
        uint256 fee
    ) external returns (uint256 taskId) {
        if (!DrawReplay.allSeatsOwn(market, agents, models, modelId, firstOwn, lastOwn, 3, 0, 0)) return 0;
        return market.submitTask{value: fee}(modelId, keccak256("in"), "in", 1, 0, 16, 0, 3, 0, 0);
    }

    receive() external payable {}
}

