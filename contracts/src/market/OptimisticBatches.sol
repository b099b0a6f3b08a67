// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OptimisticBase} from "./OptimisticBase.sol";
import {BatchLayout} from "./BatchLayout.sol";
import {BatchTree} from "./BatchTree.sol";
import {IDisputeGame} from "../interfaces/IDisputeGame.sol";
import {ModelRegistry} from "../ModelRegistry.sol";
import {OptimisticBatchData} from "./OptimisticBatchData.sol";

/// @dev The optimistic mode's parameters as `mode` (an OptimisticSettlement) was deployed with, so that a batch
///      and a task of the mode are bonded, audited and judged alike.
function optimisticParamsOf(OptimisticBase mode) view returns (OptimisticBase.Params memory p) {
    p.disputeGame = address(mode.disputeGame());
    p.defaultAuditBps = mode.defaultAuditBps();
    p.minAuditBps = mode.minAuditBps();
    p.defaultWindow = mode.defaultWindow();
    p.minWindow = mode.minWindow();
    p.maxWindow = mode.maxWindow();
    p.claimBond = mode.claimBond();
    p.challengeBond = mode.challengeBond();
    p.auditSlash = mode.auditSlash();
    p.auditShareBps = mode.auditShareBps();
    p.gameClock = mode.gameClock();
    p.gameTimeout = mode.gameTimeout();
}

/// @title Batches in the optimistic mode (issue 13; docs/DESIGN.md section 6.4): one drawn worker posts one
///        results root for a whole batch; audits and challenges name single items with their Merkle proofs,
///        and a challenged item goes through the dispute game alone while the rest of the batch is final at
///        the end of its window.
/// @notice Runs only by DELEGATECALL on the TaskMarket's storage: the market's fallback forwards every selector
///         it does not serve to BatchSettlement, whose fallback forwards the rest here. A batch lives in
///         BatchLayout's `Batch` like a replicated one (so `getBatch`, `drawBatchSeats`, `deliverItem` and the
///         market's `verifyResult` serve it unchanged; batch ids are shared); what the mode adds lives in the
///         optimistic namespace (OptimisticBase: `BatchClaim`, `ItemDispute`).
///
///         A batch, step by step:
///         1. `submitOptimisticBatch`: the model (it must list the optimistic mode), the request root and count
///            of items kept off-chain at `locator` (as submitBatchRoot), the window and audit rate (as a task's).
///         2. `claimBatch`, before the claim deadline (the market's commit window): the first call draws the one
///            worker (the batch draw: TaskMarketBase's _drawSeats with the tagged batch id); the worker posts the
///            **results root** (BatchTree over keccak256(abi.encode(requestId, resultHash, traceRoot)), the same
///            leaves as a replicated batch) and the **shapes root** (BatchTree over keccak256(abi.encode(
///            requestId, tokensHash, positions, leafCount)): what a game checks an item's claim against).
///         3. The audit: the claim block's hash decides, as for a task, whether the batch is audited
///            (auditBps) and draws the validator (never the worker), and it draws the one audited item
///            (keccak256(r, 2) mod count). The validator `auditItem`s it before the window ends: its own
///            result, proven to be the claimed leaf, and AUDIT_LEAVES trace leaves of the item with their proofs
///            (Passed: paid auditShareBps of the average item's fee; leaves that do not verify: Copied, slashed
///            auditSlash; silent: slashed auditSlash). A validator with a different result challenges the item.
///         4. `challengeItem`, before the window ends, by any staked agent but the worker, with the challenge
///            bond: names one item with the claimed leaf and its proof under the batch's *live* root, the
///            claimed shape with its proof, the item with its proof under the request root (its fee share);
///            the item is struck from the live root (its leaf replaced by the "no result" leaf of (0, 0)) and a
///            game starts for it alone (game task id ITEM_TAG | batchId << 32 | index).
///         5. `finalizeOptimisticBatch` after the window: every item not challenged is accepted
///            (`verified` := keccak256(abi.encode(liveRoot, count)), what verifyResult checks), the worker is
///            credited the fee less the challenged items' shares and the auditor's pay (one reward claim pays
///            it for the batch). No claim by the deadline: refund, the drawn worker slashed absenceSlash.
///         6. `settleItem` after an item's game: upheld, the worker is credited the item's share and half the
///            lost bond, and the item's leaf goes back into the live root; overturned, the share is refunded,
///            the worker slashed claimBond (slashHonestBps of it to the challenger, with its bond back); a game
///            that never reported back within gameTimeout: the share refunded and the bond returned.
///         7. The data-withholding challenge (OptimisticBatchData, behind this contract's fallback): a bonded
///            request for one item's leaf and shape that the worker must answer on-chain within gameClock, or the
///            batch is void and the worker slashed claimBond. The batch does not finalize while a request is open,
///            and an answered item may be challenged and audited for one window from its answer.
contract OptimisticBatches is OptimisticBase {
    /// @notice The tag of a batch item's id in the dispute game (its task id there).
    uint256 public constant ITEM_TAG = 1 << 255;
    uint256 internal constant DRAW_TAG = 1 << 255;
    uint256 public constant MAX_BATCH_ITEMS = 4096;
    /// @dev Batch.seat's words in an optimistic batch: the claimed results root, the live root (0 until the
    ///      first challenge strikes an item: the claimed one), the shapes root.
    uint256 internal constant CLAIMED = 0;
    uint256 internal constant LIVE = 1;
    uint256 internal constant SHAPES = 2;

    event OptimisticBatchSubmitted(uint256 indexed batchId, uint256 challengeWindow, uint256 auditBps, uint256 claimDeadline);
    // the same events as BatchSettlement's (same signatures: one decoder reads both modes' batches)
    event BatchSubmitted(
        uint256 indexed batchId,
        address indexed requester,
        uint32 indexed modelId,
        uint8 k,
        uint8 flags,
        uint256 count,
        uint256 fee,
        bytes32 requestRoot,
        bytes items,
        bytes pool
    );
    event BatchItemsOffchain(uint256 indexed batchId, string locator);
    event BatchSlashed(uint256 indexed batchId, uint256 indexed agentId, uint8 reason, uint256 items, uint256 amount);
    event BatchFinalized(
        uint256 indexed batchId, address indexed requester, bool accepted, bytes32 resultsRoot, uint256 count, uint8 acceptedMask, uint256[] paid, uint256 refund
    );
    event BatchDrawExpired(uint256 indexed batchId, uint256 seedBlock);
    event BatchClaimed(uint256 indexed batchId, uint256 indexed agentId, bytes32 resultsRoot, bytes32 shapesRoot, uint256 windowEnd);
    event BatchAuditDecided(uint256 indexed batchId, bool audited, uint256 validator, uint256 index);
    event ItemAudited(uint256 indexed batchId, uint256 indexed index, uint256 indexed agentId, uint8 state);
    /// @notice Item `index` is disputed by `agentId` in game `gameId`; `liveRoot` is the batch's live root with
    ///         the item struck (what the next challenge's proof is against).
    event ItemChallenged(
        uint256 indexed batchId,
        uint256 indexed index,
        uint256 indexed agentId,
        address challenger,
        uint256 gameId,
        bytes32 resultHash,
        bytes32 traceRoot,
        bytes32 liveRoot
    );
    /// @notice A challenged item settled: `stage` Upheld, Overturned or Challenged (the game timed out: no
    ///         result); `slashed` what the worker lost; `liveRoot` the live root after it.
    event ItemSettled(uint256 indexed batchId, uint256 indexed index, uint8 stage, uint256 slashed, bytes32 liveRoot);

    error UnknownBatch(uint256 batchId);
    error EmptyBatch();
    error BatchTooLarge(uint256 count, uint256 max);
    error ZeroRequestRoot();
    error ZeroResultsRoot(uint256 batchId);
    error NotOptimisticBatch(uint256 batchId, uint8 status);
    error BadProof(uint256 batchId, uint256 index, string which);
    error ItemNotSettleable(uint256 batchId, uint256 index, uint8 stage);
    /// @notice A data request of the batch is still open (OptimisticBatchData): answer or finalize it first.
    error ItemDataOpen(uint256 batchId, uint256 requests);

    /// @notice The data-withholding challenge's contract (OptimisticBatchData), deployed by this one with the same
    ///         configuration and parameters; this contract's fallback forwards every other selector to it.
    address public immutable itemData;

    /// @param c the market's configuration
    /// @param mode the market's OptimisticSettlement: its parameters (bonds, audit, game) are taken as they are
    constructor(Config memory c, OptimisticBase mode) OptimisticBase(c, optimisticParamsOf(mode)) {
        if (mode.configHash() != keccak256(abi.encode(c))) revert InvalidConfig("optimisticMode");
        itemData = address(new OptimisticBatchData(c, optimisticParamsOf(mode)));
    }

    /// @notice This contract's address (the market's BatchSettlement checks it names itself).
    function optimisticBatches() external view returns (address) {
        return _self;
    }

    // ---------------------------------------------------------------- submission and claim

    /// @notice Submits an optimistic batch whose items stay off-chain (as BatchSettlement.submitBatchRoot: the
    ///         nodes fetch them at `locator` and check them against the root), with msg.value = the sum of the
    ///         items' fee shares.
    /// @param modelId the model (must list the optimistic mode)
    /// @param flags FLAG_CALLBACK: deliverItem may push accepted items to the requester (a contract)
    /// @param window the challenge window in seconds (0: defaultWindow)
    /// @param auditBps the audit rate in basis points (0: defaultAuditBps; at least minAuditBps)
    /// @param requestRoot the BatchTree root over keccak256(item i's bytes)
    /// @param count the number of items (1..MAX_BATCH_ITEMS)
    /// @param locator where the nodes fetch the items
    /// @return batchId the new batch id (shared with replicated batches)
    function submitOptimisticBatch(
        uint32 modelId,
        uint8 flags,
        uint32 window,
        uint16 auditBps,
        bytes32 requestRoot,
        uint256 count,
        string calldata locator
    ) external payable delegated nonReentrant returns (uint256 batchId) {
        if (window == 0) window = uint32(defaultWindow);
        if (window < minWindow || window > maxWindow) revert InvalidChallengeWindow(window, minWindow, maxWindow);
        if (auditBps == 0) auditBps = uint16(defaultAuditBps);
        if (auditBps > 10_000) revert InvalidAuditRate(auditBps);
        if (auditBps < minAuditBps) revert AuditRateBelowFloor(auditBps, minAuditBps);
        if (flags & ~FLAGS_MASK != 0) revert InvalidFlags(flags);
        if (flags & FLAG_CALLBACK != 0 && msg.sender.code.length == 0) revert CallbackRequiresContract(msg.sender);
        if (count == 0) revert EmptyBatch();
        if (count > MAX_BATCH_ITEMS) revert BatchTooLarge(count, MAX_BATCH_ITEMS);
        if (requestRoot == 0) revert ZeroRequestRoot();
        if (msg.value > type(uint96).max) revert FeeTooHigh(msg.value, type(uint96).max);
        if (msg.value < minFee) revert FeeTooLow(msg.value, minFee);
        uint256 deadline = uint32(block.timestamp + commitWindow);
        uint256 state = uint256(uint8(Status.Optimistic)) | (uint256(1) << S_K) | (uint256(NO_LEADER) << S_LEADER)
            | (uint256(flags | (uint8(Mode.Optimistic) << 4) | FLAG_DRAW_PENDING) << S_FLAGS) | (deadline << S_DEADLINE)
            | (uint256(modelId) << S_MODEL);
        bytes memory pool;
        {
            uint32[7] memory none;
            uint256 hash;
            uint256 eligible;
            uint256 terms;
            (pool, hash, eligible, terms) = _snapshot(modelId, none, false);
            if (terms & MODE_BIT_OPTIMISTIC == 0) revert ModelModeUnsupported(modelId, uint8(terms));
            if (eligible == 0) revert NotEnoughNodes(modelId, 0, 1);
            state |= hash << S_NODES;
        }
        BatchLayout.BatchStorage storage $ = BatchLayout.store();
        batchId = ++$.batchCount;
        _addTotals(msg.value, 0);
        BatchLayout.Batch storage b = $.batches[batchId];
        b.state = state;
        b.payment = uint256(uint160(msg.sender)) | (msg.value << 160);
        b.requestRoot = requestRoot;
        b.count = count;
        BatchClaim storage c = _batchClaims()[batchId];
        c.window = window;
        c.auditBps = auditBps;
        emit BatchSubmitted(batchId, msg.sender, modelId, 1, flags, count, msg.value, requestRoot, "", pool);
        emit BatchItemsOffchain(batchId, locator);
        emit OptimisticBatchSubmitted(batchId, window, auditBps, deadline);
    }

    /// @notice The drawn worker's claim for the whole batch: one results root and one shapes root. The first
    ///         call draws the worker from `pool` (BatchSubmitted.pool; `drawBatchSeats` previews it).
    /// @param batchId the batch
    /// @param agentId the drawn worker (the caller must operate it)
    /// @param pool the submission's pool snapshot (ignored once drawn)
    /// @param resultsRoot the BatchTree root over keccak256(abi.encode(requestId, resultHash, traceRoot))
    /// @param shapesRoot the BatchTree root over keccak256(abi.encode(requestId, tokensHash, positions, leafCount))
    function claimBatch(uint256 batchId, uint256 agentId, bytes calldata pool, bytes32 resultsRoot, bytes32 shapesRoot)
        external
        delegated
        nonReentrant
    {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = _requireOptimisticBatch(batchId, b);
        if ((s >> S_COMMITTED) & 1 != 0) revert WrongStage(batchId, uint8(Stage.Claimed));
        uint256 deadline = uint32(s >> S_DEADLINE);
        if (block.timestamp > deadline) revert ClaimWindowClosed(batchId, deadline);
        if (resultsRoot == 0 || shapesRoot == 0) revert ZeroResultsRoot(batchId);
        uint256 poolHash = s >> S_NODES;
        if ((s >> S_FLAGS) & FLAG_DRAW_PENDING != 0) s = _drawWorker(batchId, s, pool);
        if (uint32(s >> S_NODES) != agentId) revert NotAssigned(batchId, agentId);
        if (_knownOperator[agentId] != msg.sender) {
            if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
            _knownOperator[agentId] = msg.sender;
        }
        b.seat[CLAIMED] = resultsRoot;
        b.seat[SHAPES] = shapesRoot;
        // the claim's stake is held until the batch is final (openCommitments), as a task's claim lane holds it
        BatchLayout.store().openClaims[agentId] += 1;
        BatchClaim storage c = _batchClaims()[batchId];
        uint256 windowEnd = block.timestamp + c.window;
        c.claimBlock = uint64(block.number);
        c.windowEnd = uint32(windowEnd);
        c.poolHash = uint128(poolHash);
        // committed bit, leader 0, deadline := the end of the window
        b.state = (s & ~((uint256(0xff) << S_LEADER) | (uint256(type(uint32).max) << S_DEADLINE)))
            | (uint256(1) << S_COMMITTED) | (windowEnd << S_DEADLINE);
        emit BatchClaimed(batchId, agentId, resultsRoot, shapesRoot, windowEnd);
    }

    // ---------------------------------------------------------------- audit

    /// @notice What the claim block's hash decides for a claimed batch: whether it is audited, by whom, which
    ///         item, and (for an item of `leafCount` trace leaves) which leaves a passing audit opens.
    ///         `claimBlockHash` is the hash of the BatchClaimed log's block (checked while the chain has it).
    function batchAuditDraw(uint256 batchId, bytes calldata pool, bytes32 claimBlockHash, uint256 leafCount)
        external
        view
        returns (bool audited, uint256 validator, uint256 index, uint256[] memory leaves)
    {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        BatchClaim storage c = _batchClaims()[batchId];
        if (c.claimBlock == 0) revert WrongStage(batchId, uint8(Stage.Open));
        bytes32 chainHash = blockhash(c.claimBlock);
        if (chainHash != 0 && chainHash != claimBlockHash) revert SeedBlockHashMismatch(batchId, c.claimBlock, claimBlockHash);
        uint256 r = uint256(keccak256(abi.encode(claimBlockHash, batchId | DRAW_TAG)));
        (audited, validator) = _drawAuditor(r, c.auditBps, c.poolHash, uint32(b.state >> S_NODES), batchId, pool);
        index = uint256(keccak256(abi.encode(r, 2))) % b.count;
        leaves = _auditIndices(claimBlockHash, ITEM_TAG | (batchId << 32) | index, leafCount);
    }

    /// @notice The drawn validator's audit of the drawn item, before the window ends (it decides the audit
    ///         first when no one has): its result for the item, proven to be the claimed leaf by `proof` under
    ///         the claimed results root, the claimed shape with its proof under the shapes root, and the trace
    ///         leaves at the indices batchAuditDraw gives with their proofs concatenated (as a task's audit).
    ///         Leaves that verify: Passed; leaves that do not: Copied (slashed at the finalize). A validator
    ///         whose result differs challenges the item instead (challengeItem).
    function auditItem(
        uint256 batchId,
        uint256 agentId,
        bytes calldata pool,
        bytes32[2] calldata result,
        bytes32[] calldata proof,
        bytes32 tokensHash,
        uint64 shape,
        bytes32[] calldata shapeProof,
        bytes32[] calldata leaves,
        bytes32[] calldata traceProof
    ) external delegated nonReentrant {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = _requireOptimisticBatch(batchId, b);
        BatchClaim storage c = _batchClaims()[batchId];
        if (c.claimBlock == 0) revert WrongStage(batchId, uint8(Stage.Open));
        if (c.audit == AuditState.Undecided) _decideBatchAudit(batchId, b, c, s, pool);
        // past the window only for an item whose data was answered on-chain (OptimisticBatchData), for one window
        if (block.timestamp > c.windowEnd && block.timestamp > _answeredUntil(ITEM_TAG | (batchId << 32) | c.auditIndex)) {
            revert AuditWindowClosed(batchId, c.windowEnd);
        }
        if (c.audit != AuditState.Due) revert AuditNotDue(batchId, uint8(c.audit));
        if (agentId != c.validator) revert NotTheValidator(batchId, agentId, c.validator);
        if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
        uint256 index = c.auditIndex;
        uint256 count = b.count;
        uint256 requestId = (batchId << 32) | index;
        (bytes32 root, bool ok) = BatchTree.rootOf(BatchTree.resultLeaf(requestId, result[0], result[1]), index, count, proof);
        if (!ok || root != b.seat[CLAIMED]) revert BadProof(batchId, index, "result");
        uint256 leafCount = uint32(shape);
        _checkShape(b, batchId, index, tokensHash, shape, shapeProof);
        bool passed = _leavesProven(ITEM_TAG | requestId, blockhash(c.claimBlock), leafCount, result[1], leaves, traceProof);
        c.audit = passed ? AuditState.Passed : AuditState.Copied;
        emit ItemAudited(batchId, index, agentId, uint8(c.audit));
    }

    // ---------------------------------------------------------------- challenge

    /// @notice Disputes one item of a claimed batch within its window, for a staked agent but the worker, with a
    ///         bond of exactly challengeBond and a trace root other than the claimed one: the item is struck from
    ///         the live root and a game starts for it alone.
    /// @param batchId the batch
    /// @param index the item
    /// @param agentId the challenging agent (the caller must operate it)
    /// @param leaves the claimed (resultHash, traceRoot) of the item, then the challenger's
    /// @param proof the claimed leaf's proof under the batch's live root (ItemChallenged.liveRoot of the last
    ///        challenge, or the claimed root)
    /// @param tokensHash the claimed shape's tokens hash
    /// @param shape the claimed shape: positions << 32 | leafCount
    /// @param shapeProof its proof under the shapes root
    /// @param item the item's bytes as submitted (its fee share is held until the game ends)
    /// @param requestProof its proof under the request root
    function challengeItem(
        uint256 batchId,
        uint256 index,
        uint256 agentId,
        bytes32[4] calldata leaves,
        bytes32[] calldata proof,
        bytes32 tokensHash,
        uint64 shape,
        bytes32[] calldata shapeProof,
        bytes calldata item,
        bytes32[] calldata requestProof
    ) external payable delegated nonReentrant {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = _requireOptimisticBatch(batchId, b);
        BatchClaim storage c = _batchClaims()[batchId];
        if (c.claimBlock == 0) revert WrongStage(batchId, uint8(Stage.Open));
        uint256 key = ITEM_TAG | (batchId << 32) | index;
        // past the window only for an item whose data was answered on-chain (OptimisticBatchData), for one window
        if (block.timestamp > c.windowEnd && block.timestamp > _answeredUntil(key)) revert ChallengeWindowClosed(batchId, c.windowEnd);
        ItemDispute storage d = _itemDisputes()[key];
        if (d.stage != Stage.None) revert AlreadyChallenged(key);
        if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
        if (leaves[3] == leaves[1]) revert SameTraceRoot(key);
        uint256 count = b.count;
        // the claimed leaf under the live root, struck: the live root with (0, 0) at `index`
        bytes32 claimedLeaf = BatchTree.resultLeaf((batchId << 32) | index, leaves[0], leaves[1]);
        bytes32 live = b.seat[LIVE];
        if (live == 0) live = b.seat[CLAIMED];
        (bytes32 root, bool ok) = BatchTree.rootOf(claimedLeaf, index, count, proof);
        if (!ok || root != live) revert BadProof(batchId, index, "result");
        _checkShape(b, batchId, index, tokensHash, shape, shapeProof);
        (root, ok) = BatchTree.rootOf(keccak256(item), index, count, requestProof);
        if (!ok || root != b.requestRoot || item.length < 31) revert BadProof(batchId, index, "request");
        uint256 fee = uint96(uint256(bytes32(item[0:32])) >> 24);
        (live,) = BatchTree.rootOf(BatchTree.resultLeaf((batchId << 32) | index, 0, 0), index, count, proof);
        b.seat[LIVE] = live;
        c.excluded += uint96(fee);

        uint256 gameId = _startItemGame(key, uint32(s >> S_NODES), agentId, uint32(s >> S_MODEL), leaves[1], leaves[3], tokensHash, shape);
        d.stage = Stage.Challenged;
        d.challenger = uint32(agentId);
        d.gameId = uint64(gameId);
        d.until = uint32(block.timestamp + gameTimeout);
        d.fee = uint96(fee);
        d.challengerAddress = msg.sender;
        d.claimedLeaf = claimedLeaf;
        emit ItemChallenged(batchId, index, agentId, msg.sender, gameId, leaves[2], leaves[3], live);
    }

    function _startItemGame(
        uint256 key,
        uint256 worker,
        uint256 agentId,
        uint32 modelId,
        bytes32 claimerRoot,
        bytes32 challengerRoot,
        bytes32 tokensHash,
        uint64 shape
    ) private returns (uint256 gameId) {
        if (agentId == worker) revert WorkerCannotChallenge(key);
        if (address(disputeGame) == address(0)) revert GameUnavailable();
        if (msg.value != challengeBond) revert WrongBond(key, msg.value, challengeBond);
        uint32[] memory one = new uint32[](1);
        one[0] = uint32(agentId);
        if (agentRegistry.stakeWeights(one)[0] == 0) revert NoStake(agentId);
        _addTotals(msg.value, 0); // the bond is held in escrow with the fee
        (bytes32 weightsRoot,, bytes32 specHash,,,) = ModelRegistry(address(modelRegistry)).getModel(modelId);
        uint256 positions = uint32(shape >> 32);
        gameId = disputeGame.start(
            IDisputeGame.StartParams({
                taskId: key,
                claimerAgentId: worker,
                claimer: _knownOperator[worker],
                challengerAgentId: agentId,
                challenger: msg.sender,
                claimerRoot: claimerRoot,
                challengerRoot: challengerRoot,
                positions: uint32(positions),
                layers: uint32(uint32(shape) / positions),
                specHash: specHash,
                weightsRoot: weightsRoot,
                tokensHash: tokensHash,
                clock: uint64(gameClock)
            })
        );
    }

    // ---------------------------------------------------------------- finality

    /// @notice Settles an optimistic batch past its deadline; anyone may call. No claim by the claim deadline:
    ///         every item's share refunded, the drawn worker slashed absenceSlash (nobody when the draw
    ///         expired). Claimed and the window over: every item not challenged is accepted (verifyResult), the
    ///         worker is credited the fee less the challenged items' shares (settleItem pays those) and the
    ///         auditor's pay; a copying or silent validator is slashed auditSlash (slashHonestBps of it to the
    ///         worker). `pool` is BatchSubmitted.pool while the draw or the audit is undecided, else empty.
    function finalizeOptimisticBatch(uint256 batchId, bytes calldata pool) external delegated nonReentrant {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = _requireOptimisticBatch(batchId, b);
        uint256 deadline = uint32(s >> S_DEADLINE);
        if (block.timestamp <= deadline) revert TooEarly(batchId, deadline + 1);
        uint256 fee = b.payment >> 160;
        address requester = address(uint160(b.payment));
        uint256 k = 1;
        uint256[] memory paid = new uint256[](2);
        if ((s >> S_COMMITTED) & 1 == 0) {
            // no claim: refund; the drawn worker absent (or nobody, when no one drew while the hash was known)
            uint256 taken;
            if ((s >> S_FLAGS) & FLAG_DRAW_PENDING != 0) {
                if (pool.length == 0) revert DrawPending(batchId);
                uint256 seedBlock = _checkPool(batchId, s, pool);
                if (blockhash(seedBlock) == 0) {
                    emit BatchDrawExpired(batchId, seedBlock);
                    s &= ~((uint256(FLAG_DRAW_PENDING) << S_FLAGS) | (uint256(type(uint128).max) << S_NODES));
                } else {
                    s = _drawWorker(batchId, s, pool);
                }
            }
            uint256 drawn = uint32(s >> S_NODES);
            if (drawn != 0) {
                taken = _slashAgent(drawn, absenceSlash);
                emit BatchSlashed(batchId, drawn, uint8(SlashReason.NoCommit), 1, taken);
            }
            pendingWithdrawals[requester] += fee;
            if (taken != 0) pendingWithdrawals[treasury] += taken;
            _releaseEscrow(fee, fee + taken);
            b.state = _closed(s, Status.Refunded);
            emit BatchFinalized(batchId, requester, false, 0, b.count, 0, new uint256[](1), fee);
            return;
        }
        BatchClaim storage c = _batchClaims()[batchId];
        if (c.dataOpen != 0) revert ItemDataOpen(batchId, c.dataOpen);
        if (c.audit == AuditState.Undecided) _decideBatchAudit(batchId, b, c, s, pool);
        uint256 excluded = c.excluded;
        uint256 lost; // slashes shared slashHonestBps with the worker
        uint256 auditorPay;
        AuditState a = c.audit;
        uint256 validator = c.validator;
        if (a == AuditState.Due && _itemDisputes()[ITEM_TAG | (batchId << 32) | c.auditIndex].challenger == validator) {
            // the validator challenged its audited item (a different result): that item's game judges it
            a = AuditState.Disputed;
            c.audit = a;
        }
        if (a == AuditState.Passed) {
            k = 2;
            auditorPay = fee * auditShareBps / 10_000 / b.count;
            if (auditorPay > fee - excluded) auditorPay = fee - excluded;
            paid[1] = auditorPay;
            if (auditorPay != 0) _creditAgreed(validator, auditorPay);
        } else if (a == AuditState.Copied || a == AuditState.Due) {
            k = 2;
            lost = _slashAgent(validator, auditSlash);
            emit BatchSlashed(batchId, validator, uint8(a == AuditState.Due ? SlashReason.NoReveal : SlashReason.Dissent), 1, lost);
        } else if (a == AuditState.Disputed) {
            k = 2; // the validator's dispute is its item's game
        }
        uint256 worker = uint32(s >> S_NODES);
        BatchLayout.store().openClaims[worker] -= 1;
        uint256 honest = lost * slashHonestBps / 10_000;
        uint256 workerPay = fee - excluded - auditorPay + honest;
        paid[0] = workerPay;
        if (workerPay != 0) _creditAgreed(worker, workerPay);
        if (lost != honest) pendingWithdrawals[treasury] += lost - honest;
        // the challenged items' shares stay in escrow until settleItem
        _releaseEscrow(fee - excluded, fee - excluded + lost);
        bytes32 live = b.seat[LIVE];
        if (live == 0) live = b.seat[CLAIMED];
        uint256 count = b.count;
        b.verified = keccak256(abi.encode(live, count));
        if (k == 2) s = (s & ~(uint256(type(uint32).max) << (S_NODES + 32))) | (validator << (S_NODES + 32));
        b.state = _closed(s, Status.Accepted);
        assembly ("memory-safe") {
            mstore(paid, k)
        }
        emit BatchFinalized(batchId, requester, true, live, count, 1, paid, 0);
    }

    /// @notice Settles one challenged item after its game (or its game's timeout); anyone may call. Upheld: the
    ///         worker is credited the item's fee share and slashHonestBps of the lost bond (the rest to the
    ///         treasury), and the claimed leaf goes back into the live root (`proof`: the struck leaf's proof
    ///         under the live root). Overturned: the share is refunded, the worker slashed claimBond
    ///         (slashHonestBps of it to the challenger, with its bond back), and a validator that passed or
    ///         copied this item's audit is slashed auditSlash. Timed out: the share is refunded and the bond
    ///         returned; nobody is slashed.
    function settleItem(uint256 batchId, uint256 index, bytes32[] calldata proof) external delegated nonReentrant {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 key = ITEM_TAG | (batchId << 32) | index;
        ItemDispute storage d = _itemDisputes()[key];
        Stage stage = d.stage;
        if (!(stage == Stage.Upheld || stage == Stage.Overturned || (stage == Stage.Challenged && block.timestamp > d.until))) {
            revert ItemNotSettleable(batchId, index, uint8(stage));
        }
        uint256 fee = d.fee;
        uint256 bond = challengeBond;
        address requester = address(uint160(b.payment));
        uint256 worker = uint32(b.state >> S_NODES);
        uint256 taken;
        bytes32 live = b.seat[LIVE];
        if (stage == Stage.Upheld) {
            // the claim stands: the item's leaf goes back into the live root
            (bytes32 root, bool ok) = BatchTree.rootOf(BatchTree.resultLeaf((batchId << 32) | index, 0, 0), index, b.count, proof);
            if (!ok || root != live) revert BadProof(batchId, index, "live");
            (live,) = BatchTree.rootOf(d.claimedLeaf, index, b.count, proof);
            b.seat[LIVE] = live;
            if (uint8(b.state) == uint8(Status.Accepted)) b.verified = keccak256(abi.encode(live, b.count));
            uint256 honest = bond * slashHonestBps / 10_000;
            _creditAgreed(worker, fee + honest);
            pendingWithdrawals[treasury] += bond - honest;
            _releaseEscrow(fee + bond, fee + bond);
        } else if (stage == Stage.Overturned) {
            taken = _slashAgent(worker, claimBond);
            emit BatchSlashed(batchId, worker, uint8(SlashReason.Dissent), 1, taken);
            uint256 other;
            BatchClaim storage c = _batchClaims()[batchId];
            if (c.auditIndex == index && (c.audit == AuditState.Passed || c.audit == AuditState.Copied)) {
                other = _slashAgent(c.validator, auditSlash);
                emit BatchSlashed(batchId, c.validator, uint8(SlashReason.Dissent), 1, other);
            }
            uint256 honest = taken * slashHonestBps / 10_000;
            pendingWithdrawals[d.challengerAddress] += bond + honest;
            pendingWithdrawals[requester] += fee;
            if (taken - honest + other != 0) pendingWithdrawals[treasury] += taken - honest + other;
            _releaseEscrow(fee + bond, fee + bond + taken + other);
        } else {
            // no verdict within gameTimeout: no result for the item, nobody slashed
            pendingWithdrawals[d.challengerAddress] += bond;
            pendingWithdrawals[requester] += fee;
            _releaseEscrow(fee + bond, fee + bond);
        }
        d.stage = Stage.Final;
        emit ItemSettled(batchId, index, uint8(stage), taken, live);
    }

    // ---------------------------------------------------------------- views

    /// @notice An optimistic batch's mode state (window, audit, claim block, window end, validator, audited
    ///         item, pool hash, the challenged items' fee shares).
    function optimisticBatch(uint256 batchId) external view returns (BatchClaim memory) {
        return _batchClaims()[batchId];
    }

    /// @notice A batch item's dispute (stage None when never challenged).
    function itemDispute(uint256 batchId, uint256 index) external view returns (ItemDispute memory) {
        return _itemDisputes()[ITEM_TAG | (batchId << 32) | index];
    }

    /// @notice Any other selector goes to the data-withholding challenge (OptimisticBatchData), by DELEGATECALL
    ///         again (still on the market's storage), which reverts UnknownFunction for a selector no one serves.
    fallback() external payable {
        if (address(this) == _self) revert NotDelegated();
        address target = itemData;
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, 0, calldatasize())
            let ok := delegatecall(gas(), target, p, calldatasize(), 0, 0)
            returndatacopy(p, 0, returndatasize())
            if iszero(ok) { revert(p, returndatasize()) }
            return(p, returndatasize())
        }
    }

    // ---------------------------------------------------------------- internals

    function _requireOptimisticBatch(uint256 batchId, BatchLayout.Batch storage b) private view returns (uint256 s) {
        s = b.state;
        if (uint8(s) == uint8(Status.None)) revert UnknownBatch(batchId);
        if (uint8(s) != uint8(Status.Optimistic)) revert NotOptimisticBatch(batchId, uint8(s));
    }

    /// @dev The worker's draw: the batch draw (k = 1) from the pool, seeded by the submission block's hash and
    ///      the tagged batch id, as BatchSettlement's (so drawBatchSeats previews it).
    function _drawWorker(uint256 batchId, uint256 s, bytes calldata pool) private view returns (uint256 drawn) {
        if (pool.length == 0) revert DrawPending(batchId);
        uint256 seedBlock = _checkPool(batchId, s, pool);
        bytes32 seedHash = blockhash(seedBlock);
        if (seedHash == 0) revert SeedBlockUnavailable(batchId, seedBlock, block.number);
        (drawn,) = _drawSeats(batchId | DRAW_TAG, s, pool, seedHash);
    }

    /// @dev The shape leaf keccak256(abi.encode(requestId, tokensHash, positions, leafCount)) of item `index`
    ///      under the shapes root; a shape the game could not play (no positions, leaves not a multiple) is
    ///      refused like a task's claim.
    function _checkShape(
        BatchLayout.Batch storage b,
        uint256 batchId,
        uint256 index,
        bytes32 tokensHash,
        uint64 shape,
        bytes32[] calldata shapeProof
    ) private view {
        uint256 positions = uint32(shape >> 32);
        uint256 leafCount = uint32(shape);
        if (positions == 0 || leafCount == 0 || leafCount % positions != 0) revert InvalidTraceShape(positions, leafCount);
        bytes32 leaf = keccak256(abi.encode((batchId << 32) | index, tokensHash, positions, leafCount));
        (bytes32 root, bool ok) = BatchTree.rootOf(leaf, index, b.count, shapeProof);
        if (!ok || root != b.seat[SHAPES]) revert BadProof(batchId, index, "shape");
    }

    /// @dev Decides the batch's audit from the claim block's hash (Expired when the chain no longer has it).
    function _decideBatchAudit(uint256 batchId, BatchLayout.Batch storage b, BatchClaim storage c, uint256 s, bytes calldata pool)
        private
    {
        bytes32 h = blockhash(c.claimBlock);
        if (h == 0) {
            if (c.claimBlock >= block.number) revert AuditUndecided(batchId);
            c.audit = AuditState.Expired;
            emit BatchAuditDecided(batchId, false, 0, 0);
            return;
        }
        uint256 r = uint256(keccak256(abi.encode(h, batchId | DRAW_TAG)));
        (bool audited, uint256 validator) = _drawAuditor(r, c.auditBps, c.poolHash, uint32(s >> S_NODES), batchId, pool);
        uint256 index = uint256(keccak256(abi.encode(r, 2))) % b.count;
        c.audit = audited ? AuditState.Due : AuditState.NotAudited;
        c.validator = uint32(validator);
        c.auditIndex = uint32(index);
        emit BatchAuditDecided(batchId, audited, validator, index);
    }

    function _slashAgent(uint256 agentId, uint256 amount) private returns (uint256 taken) {
        Account storage account = _accounts[agentId];
        if (account.faults != type(uint32).max) account.faults += 1;
        if (amount == 0) return 0;
        taken = agentRegistry.slash(agentId, amount);
        if (taken != 0) _addDiscounts(agentId, 0, 0, taken);
    }

    /// @dev The state word with `status` and deadline := now.
    function _closed(uint256 s, Status status) private view returns (uint256) {
        return (s & ~(uint256(0xff) | (uint256(type(uint32).max) << S_DEADLINE))) | uint256(uint8(status))
            | (uint256(uint32(block.timestamp)) << S_DEADLINE);
    }
}
