// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OptimisticBase} from "./OptimisticBase.sol";
import {IDisputeGame, IDisputeGameMarket} from "../interfaces/IDisputeGame.sol";
import {ModelRegistry} from "../ModelRegistry.sol";

/// @title The optimistic mode's audit and challenge (see OptimisticSettlement for the protocol): the drawn
///        validator's audit with its proof that it replayed, a challenge that starts a dispute game, and the
///        game's verdict. Deployed by OptimisticSettlement, run by DELEGATECALL on the TaskMarket's storage.
contract OptimisticDisputes is OptimisticBase, IDisputeGameMarket {
    /// @param c the market's configuration
    /// @param p the mode's parameters
    constructor(Config memory c, Params memory p) OptimisticBase(c, p) {}

    /// @notice What the claim block's hash decides for a claimed task: whether it is audited, by which
    ///         agent, and which trace leaves a passing audit opens. `pool` is the TaskSubmitted pool and
    ///         `claimBlockHash` the hash of the ResultClaimed log's block (a view at the latest block cannot
    ///         read that block's own hash; checked against blockhash() when the chain still has it). Once
    ///         decided on chain, the stored decision (pool and hash are then only used for the indices).
    /// @return audited whether the claim is audited
    /// @return validator the drawn validator (0 when not audited)
    /// @return indices the leaf indices the audit opens, in order
    function auditDraw(uint256 taskId, bytes calldata pool, bytes32 claimBlockHash)
        external
        view
        returns (bool audited, uint256 validator, uint256[] memory indices)
    {
        Claim storage c = _claims()[taskId];
        if (c.stage < Stage.Claimed) revert WrongStage(taskId, uint8(c.stage));
        bytes32 chainHash = blockhash(c.claimBlock);
        if (chainHash != 0 && chainHash != claimBlockHash) revert SeedBlockHashMismatch(taskId, c.claimBlock, claimBlockHash);
        (audited, validator) = _drawValidator(taskId, c, pool, claimBlockHash);
        indices = _auditIndices(claimBlockHash, taskId, c.leafCount);
    }

    /// @notice The drawn validator's audit, before the window ends (it decides the audit first when no one
    ///         has). Same result and trace root as the claim: `leaves` are the trace leaf hashes at the
    ///         indices `auditDraw` gives and `proof` their Merkle proofs' siblings, concatenated in that order
    ///         (inference's MerkleTree walk, bottom-up; a promoted level has no sibling); proofs that verify
    ///         pass the audit, proofs that do not mark the validator as a copier (slashed at finality).
    ///         A different result: the validator challenges with msg.value = challengeBond (a game starts;
    ///         when another challenge's game already runs, the validator's dispute is judged by that game and
    ///         no bond is taken). The validator's lane `lane` keeps its stake until the task is final.
    /// @param taskId the task
    /// @param agentId the drawn validator
    /// @param lane one of the validator's commitment lanes
    /// @param pool the submission's pool snapshot (used while the audit is undecided)
    /// @param resultHash the validator's result hash
    /// @param traceRoot the validator's trace root
    /// @param leaves AUDIT_LEAVES leaf hashes (empty when the result differs)
    /// @param proof the leaves' proof siblings, concatenated
    function audit(
        uint256 taskId,
        uint256 agentId,
        uint8 lane,
        bytes calldata pool,
        bytes32 resultHash,
        bytes32 traceRoot,
        bytes32[] calldata leaves,
        bytes32[] calldata proof
    ) external payable delegated nonReentrant {
        _requireOptimistic(taskId);
        Claim storage c = _claims()[taskId];
        if (c.stage != Stage.Claimed && c.stage != Stage.Challenged) revert WrongStage(taskId, uint8(c.stage));
        if (block.timestamp > c.windowEnd) revert AuditWindowClosed(taskId, c.windowEnd);
        if (c.audit == AuditState.Undecided) _decideAudit(taskId, c, pool);
        if (c.audit != AuditState.Due) revert AuditNotDue(taskId, uint8(c.audit));
        if (agentId != c.validator) revert NotTheValidator(taskId, agentId, c.validator);
        if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
        Result storage claimed = _results[taskId][0];
        AuditState verdict;
        if (resultHash == claimed.resultHash && traceRoot == claimed.traceRoot) {
            if (msg.value != 0) revert WrongBond(taskId, msg.value, 0);
            verdict = _leavesProven(taskId, blockhash(c.claimBlock), c.leafCount, traceRoot, leaves, proof)
                ? AuditState.Passed
                : AuditState.Copied;
        } else {
            verdict = AuditState.Disputed;
            if (c.stage == Stage.Claimed && address(disputeGame) != address(0) && traceRoot != claimed.traceRoot) {
                _startChallenge(taskId, c, agentId, resultHash, traceRoot);
            } else if (msg.value != 0) {
                // judged by the running game; or nothing can judge it (no game, or the same trace with another
                // result: the last token's sampling, which the game v1 does not cover): the claim ends as no result
                revert WrongBond(taskId, msg.value, 0);
            }
        }
        c.audit = verdict;
        _lanes[agentId][lane] = bytes32((taskId << 192) | uint192(uint256(resultHash)));
        emit Audited(taskId, agentId, uint8(verdict), resultHash, traceRoot);
    }

    /// @notice Disputes a claim within its window, for an agent with selection weight (stake) that is not
    ///         the worker, with a bond of exactly `challengeBond` and a trace root other than the claim's:
    ///         starts a game (IDisputeGame.start) between the worker and the challenger. One game per task.
    /// @param taskId the claimed task
    /// @param agentId the challenging agent (the caller must operate it)
    /// @param resultHash the challenger's result hash
    /// @param traceRoot the challenger's trace root (must differ from the claim's)
    function challengeClaim(uint256 taskId, uint256 agentId, bytes32 resultHash, bytes32 traceRoot)
        external
        payable
        delegated
        nonReentrant
    {
        _requireOptimistic(taskId);
        Claim storage c = _claims()[taskId];
        if (c.stage == Stage.Challenged) revert AlreadyChallenged(taskId);
        if (c.stage != Stage.Claimed) revert WrongStage(taskId, uint8(c.stage));
        if (block.timestamp > c.windowEnd) revert ChallengeWindowClosed(taskId, c.windowEnd);
        if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
        if (traceRoot == _results[taskId][0].traceRoot) revert SameTraceRoot(taskId);
        _startChallenge(taskId, c, agentId, resultHash, traceRoot);
    }

    /// @inheritdoc IDisputeGameMarket
    function onGameResolved(uint256 gameId, uint256 taskId, bool claimerWins) external delegated nonReentrant {
        if (msg.sender != address(disputeGame)) revert NotDisputeGame(msg.sender);
        if (taskId >> 255 != 0) {
            // an optimistic batch's item (OptimisticBatches: ITEM_TAG | batchId << 32 | index): its verdict,
            // which settleItem applies
            ItemDispute storage d = _itemDisputes()[taskId];
            if (d.stage != Stage.Challenged || d.gameId != gameId) revert UnknownGame(taskId, gameId);
            d.stage = claimerWins ? Stage.Upheld : Stage.Overturned;
            emit ClaimGameResolved(taskId, gameId, claimerWins);
            return;
        }
        Claim storage c = _claims()[taskId];
        if (c.stage != Stage.Challenged || c.gameId != gameId) revert UnknownGame(taskId, gameId);
        c.stage = claimerWins ? Stage.Upheld : Stage.Overturned;
        // upheld: final once the audit window is over too; overturned: finalizable at once (the deadline is the
        // last second of an open task, so one second back)
        uint256 s = _tasks[taskId].state;
        uint256 finalAt = claimerWins && c.windowEnd >= block.timestamp ? c.windowEnd : block.timestamp - 1;
        _tasks[taskId].state = (s & ~(uint256(type(uint32).max) << S_DEADLINE)) | (finalAt << S_DEADLINE);
        emit ClaimGameResolved(taskId, gameId, claimerWins);
    }

    function _startChallenge(uint256 taskId, Claim storage c, uint256 agentId, bytes32 resultHash, bytes32 traceRoot)
        private
    {
        uint256 s = _tasks[taskId].state;
        uint256 worker = uint32(s >> S_NODES);
        if (agentId == worker) revert WorkerCannotChallenge(taskId);
        if (address(disputeGame) == address(0)) revert GameUnavailable();
        if (msg.value != challengeBond) revert WrongBond(taskId, msg.value, challengeBond);
        uint32[] memory one = new uint32[](1);
        one[0] = uint32(agentId);
        if (agentRegistry.stakeWeights(one)[0] == 0) revert NoStake(agentId);
        _addTotals(msg.value, 0); // the bond is held in escrow with the fee

        (bytes32 weightsRoot,, bytes32 specHash,,,) = ModelRegistry(address(modelRegistry)).getModel(uint32(s >> S_MODEL));
        uint256 positions = c.positions;
        uint256 gameId = disputeGame.start(
            IDisputeGame.StartParams({
                taskId: taskId,
                claimerAgentId: worker,
                claimer: _knownOperator[worker],
                challengerAgentId: agentId,
                challenger: msg.sender,
                claimerRoot: _results[taskId][0].traceRoot,
                challengerRoot: traceRoot,
                positions: uint32(positions),
                layers: uint32(c.leafCount / positions),
                specHash: specHash,
                weightsRoot: weightsRoot,
                tokensHash: c.tokensHash,
                clock: uint64(gameClock)
            })
        );
        c.stage = Stage.Challenged;
        c.challenger = uint32(agentId);
        c.gameId = uint64(gameId);
        c.challengerAddress = msg.sender;
        c.challengeResult = resultHash;
        c.challengeRoot = traceRoot;
        uint256 until = block.timestamp + gameTimeout;
        _tasks[taskId].state = (s & ~(uint256(type(uint32).max) << S_DEADLINE)) | (until << S_DEADLINE);
        emit ClaimChallenged(taskId, agentId, msg.sender, gameId, resultHash, traceRoot, msg.value);
    }
}
