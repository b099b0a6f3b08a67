// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OptimisticBase} from "./OptimisticBase.sol";
import {BatchLayout} from "./BatchLayout.sol";
import {BatchTree} from "./BatchTree.sol";

/// @title The data-withholding challenge of optimistic batches (issue 13; docs/DESIGN.md section 6.4, "Data
///        availability of an optimistic batch"): a bonded request for one item's results leaf and shape, which
///        the batch's worker must answer on-chain, with their proofs, before a deadline, or the batch is void.
/// @notice Runs only by DELEGATECALL on the TaskMarket's storage, reached through OptimisticBatches' fallback (which
///         deployed it with its own configuration and parameters: OptimisticBatches' code is at the size limit).
///
///         Only the results root and the shapes root of an optimistic batch are on-chain; a challenger needs the
///         claimed leaf and shape of the item it disputes (and their siblings), and the audited batch's validator
///         needs them to audit. A worker that withholds them could otherwise never be challenged item by item.
///         So, within the batch's window:
///         1. `requestItemData(batchId, index, agentId)`: any staked agent but the worker, with the mode's
///            challengeBond, asks for item `index`'s data (once per item; not for an item already challenged,
///            whose claimed leaf the challenge posted). The batch cannot finalize while a request is open.
///         2. `answerItemData(...)`, by anyone who has the data (the worker, normally) within gameClock of the
///            request (the protocol's time to answer on-chain, as a move in a game): the leaf is checked under the
///            batch's live root and the shape under the shapes root, and both, with their proofs, are emitted in
///            ItemDataAnswered: the data is on-chain. The answer's gas at the block's base fee (an estimate of the
///            whole transaction, at most the bond) is paid from the bond to the answerer, the rest goes back to
///            the requester: a request costs its requester the data's publication, so flooding a worker with
///            requests is paid for by the flooder, and a worker earns nothing by withholding (its costs back, its
///            pay delayed). The answered item may then be challenged, and audited, for one batch window from the
///            answer even after the batch's window ended; the batch's finalize waits for that (its deadline is
///            moved), so an answer at the last moment still leaves challengers a full window.
///         3. `finalizeItemData(batchId, index)` after the answer deadline, by anyone: unanswered, the batch is
///            void: every item not under challenge is refunded to the batch's requester (verifyResult proves
///            nothing of it: without the withheld siblings the item cannot be struck from the root alone), the
///            worker is slashed claimBond (slashHonestBps of it to the data's requester, with its bond back), no
///            audit is judged (so the drawn validator that could not get its item is not slashed as silent). A
///            request left open on a batch voided by another one, or on an item challenged meanwhile, is closed
///            with its bond returned, at any time.
///         Timing: requests are taken until the window's end, answers until gameClock after the request, and an
///         answered item gets one more window: the batch finalizes at most gameClock plus one window after its own
///         window, however many requests there are and whenever they come.
contract OptimisticBatchData is OptimisticBase {
    uint256 internal constant ITEM_TAG = 1 << 255;
    uint256 internal constant CLAIMED = 0;
    uint256 internal constant LIVE = 1;
    uint256 internal constant SHAPES = 2;
    /// @dev Gas of an answer's transaction that its measured part does not see: 21,000 intrinsic, the three
    ///      DELEGATECALL hops from the market (cold accounts), the bond's payouts and the counters written after the
    ///      measure, the event's topics; per byte of calldata, its own gas (16 at most) and the event's copy of it (8).
    uint256 internal constant ANSWER_OVERHEAD = 50_000;
    uint256 internal constant ANSWER_GAS_PER_BYTE = 24;

    /// @notice `agentId` asks for item `index`'s leaf and shape, to be answered by `deadline`.
    event ItemDataRequested(uint256 indexed batchId, uint256 indexed index, uint256 indexed agentId, address requester, uint256 deadline);
    /// @notice Item `index`'s claimed leaf (resultHash, traceRoot) with its proof under the live root, and its shape
    ///         (tokensHash, positions, leafCount) with its proof under the shapes root; the item may be challenged
    ///         until `challengeUntil`; `compensation` of the bond paid the answerer.
    event ItemDataAnswered(
        uint256 indexed batchId,
        uint256 indexed index,
        bytes32 resultHash,
        bytes32 traceRoot,
        bytes32 tokensHash,
        uint32 positions,
        uint32 leafCount,
        bytes32[] proof,
        bytes32[] shapeProof,
        uint256 challengeUntil,
        uint256 compensation
    );
    /// @notice Unanswered: the batch is void and its worker slashed `slashed`.
    event ItemDataUnavailable(uint256 indexed batchId, uint256 indexed index, uint256 indexed agentId, uint256 slashed);
    /// @notice A moot request (its batch voided by another, or its item challenged) closed, its bond returned.
    event ItemDataClosed(uint256 indexed batchId, uint256 indexed index);
    // OptimisticBatches' events, same signatures
    event BatchSlashed(uint256 indexed batchId, uint256 indexed agentId, uint8 reason, uint256 items, uint256 amount);
    event BatchFinalized(
        uint256 indexed batchId, address indexed requester, bool accepted, bytes32 resultsRoot, uint256 count, uint8 acceptedMask, uint256[] paid, uint256 refund
    );

    // OptimisticBatches' errors, same signatures
    error UnknownBatch(uint256 batchId);
    error NotOptimisticBatch(uint256 batchId, uint8 status);
    error BadProof(uint256 batchId, uint256 index, string which);
    error ItemOutOfRange(uint256 batchId, uint256 index, uint256 count);
    error DataAlreadyRequested(uint256 batchId, uint256 index, uint8 stage);
    error ItemDataNotOpen(uint256 batchId, uint256 index, uint8 stage);
    error AnswerWindowClosed(uint256 batchId, uint256 index, uint256 deadline);

    /// @param c the market's configuration
    /// @param p the optimistic mode's parameters (OptimisticBatches passes its own)
    constructor(Config memory c, Params memory p) OptimisticBase(c, p) {
        // an answered item's own window and a request's answer time lengthen a batch's life by up to gameClock and
        // one more window: the stake behind a late challenge's slash must still be there when its game ends
        if (agentRegistry.unbondingDelay() <= c.commitWindow + 2 * p.maxWindow + p.gameClock + p.gameTimeout) {
            revert InvalidConfig("unbondingDelay");
        }
    }

    /// @notice Asks the worker of claimed batch `batchId` for item `index`'s data, within the batch's window, for a
    ///         staked agent but the worker, with a bond of exactly challengeBond.
    /// @param batchId the batch
    /// @param index the item
    /// @param agentId the requesting agent (the caller must operate it)
    function requestItemData(uint256 batchId, uint256 index, uint256 agentId) external payable delegated nonReentrant {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = _requireOptimisticBatch(batchId, b);
        BatchClaim storage c = _batchClaims()[batchId];
        if (c.claimBlock == 0) revert WrongStage(batchId, uint8(Stage.Open));
        if (block.timestamp > c.windowEnd) revert ChallengeWindowClosed(batchId, c.windowEnd);
        if (index >= b.count) revert ItemOutOfRange(batchId, index, b.count);
        uint256 key = ITEM_TAG | (batchId << 32) | index;
        if (agentId == uint32(s >> S_NODES)) revert WorkerCannotChallenge(key);
        if (msg.value != challengeBond) revert WrongBond(key, msg.value, challengeBond);
        DataRequest storage r = _dataRequests()[key];
        if (r.stage != DataStage.None) revert DataAlreadyRequested(batchId, index, uint8(r.stage));
        if (_itemDisputes()[key].stage != Stage.None) revert AlreadyChallenged(key);
        if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
        uint32[] memory one = new uint32[](1);
        one[0] = uint32(agentId);
        if (agentRegistry.stakeWeights(one)[0] == 0) revert NoStake(agentId);
        _addTotals(msg.value, 0); // the bond is held in escrow until the request closes
        uint256 deadline = block.timestamp + gameClock;
        r.stage = DataStage.Open;
        r.agent = uint32(agentId);
        r.deadline = uint32(deadline);
        r.requester = msg.sender;
        c.dataOpen += 1;
        emit ItemDataRequested(batchId, index, agentId, msg.sender, deadline);
    }

    /// @notice Answers an open data request before its deadline, by anyone who has the data: item `index`'s claimed
    ///         leaf under the batch's live root and its shape under the shapes root, emitted in ItemDataAnswered.
    ///         The answerer is paid the answer's gas at the base fee from the bond (at most the bond), the requester
    ///         gets the rest; the item may be challenged or audited for one batch window from now. An item
    ///         challenged since the request (its claimed leaf is in that challenge) closes the request instead, the
    ///         whole bond back to the requester.
    /// @param proof the leaf keccak256(abi.encode(requestId, resultHash, traceRoot))'s proof under the live root
    /// @param shapeProof the shape leaf keccak256(abi.encode(requestId, tokensHash, positions, leafCount))'s proof
    function answerItemData(
        uint256 batchId,
        uint256 index,
        bytes32 resultHash,
        bytes32 traceRoot,
        bytes32 tokensHash,
        uint32 positions,
        uint32 leafCount,
        bytes32[] calldata proof,
        bytes32[] calldata shapeProof
    ) external delegated nonReentrant {
        uint256 g = gasleft();
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = _requireOptimisticBatch(batchId, b);
        uint256 key = ITEM_TAG | (batchId << 32) | index;
        DataRequest storage r = _dataRequests()[key];
        if (r.stage != DataStage.Open) revert ItemDataNotOpen(batchId, index, uint8(r.stage));
        if (block.timestamp > r.deadline) revert AnswerWindowClosed(batchId, index, r.deadline);
        BatchClaim storage c = _batchClaims()[batchId];
        if (_itemDisputes()[key].stage != Stage.None) {
            _closeMoot(batchId, index, r, c);
            return;
        }
        uint256 count = b.count;
        uint256 requestId = (batchId << 32) | index;
        bytes32 live = b.seat[LIVE];
        if (live == 0) live = b.seat[CLAIMED];
        (bytes32 root, bool ok) = BatchTree.rootOf(BatchTree.resultLeaf(requestId, resultHash, traceRoot), index, count, proof);
        if (!ok || root != live) revert BadProof(batchId, index, "result");
        if (positions == 0 || leafCount == 0 || leafCount % positions != 0) revert InvalidTraceShape(positions, leafCount);
        (root, ok) = BatchTree.rootOf(
            keccak256(abi.encode(requestId, tokensHash, uint256(positions), uint256(leafCount))), index, count, shapeProof
        );
        if (!ok || root != b.seat[SHAPES]) revert BadProof(batchId, index, "shape");

        uint256 until = block.timestamp + c.window;
        r.stage = DataStage.Answered;
        r.deadline = uint32(until);
        c.dataOpen -= 1;
        // the batch finalizes only after the answered item's own window
        if (until > uint32(s >> S_DEADLINE)) b.state = (s & ~(uint256(type(uint32).max) << S_DEADLINE)) | (until << S_DEADLINE);
        uint256 bond = challengeBond;
        // the calldata as the ABI encodes it (selector, 9 head words, the two arrays' lengths and elements), not
        // msg.data.length: bytes padded after it would be paid for at 24 a byte while costing the sender 4
        uint256 calldataBytes = 4 + 32 * (11 + proof.length + shapeProof.length);
        uint256 compensation = (g - gasleft() + ANSWER_OVERHEAD + ANSWER_GAS_PER_BYTE * calldataBytes) * block.basefee;
        if (compensation > bond) compensation = bond;
        emit ItemDataAnswered(batchId, index, resultHash, traceRoot, tokensHash, positions, leafCount, proof, shapeProof, until, compensation);
        if (compensation != 0) pendingWithdrawals[msg.sender] += compensation;
        if (compensation != bond) pendingWithdrawals[r.requester] += bond - compensation;
        _releaseEscrow(bond, bond);
    }

    /// @notice Closes an open data request; anyone may call. Past its deadline unanswered: the batch is void (every
    ///         item not under challenge refunded, nothing accepted), the worker slashed claimBond (slashHonestBps of
    ///         it to the data's requester, with its bond back, the rest to the treasury), no audit judged. A moot
    ///         request (its batch already voided, or its item challenged since) is closed at any time, its bond
    ///         returned.
    function finalizeItemData(uint256 batchId, uint256 index) external delegated nonReentrant {
        uint256 key = ITEM_TAG | (batchId << 32) | index;
        DataRequest storage r = _dataRequests()[key];
        if (r.stage != DataStage.Open) revert ItemDataNotOpen(batchId, index, uint8(r.stage));
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = b.state;
        BatchClaim storage c = _batchClaims()[batchId];
        if (uint8(s) != uint8(Status.Optimistic) || _itemDisputes()[key].stage != Stage.None) {
            _closeMoot(batchId, index, r, c);
            return;
        }
        if (block.timestamp <= r.deadline) revert TooEarly(key, uint256(r.deadline) + 1);
        r.stage = DataStage.Failed;
        c.dataOpen -= 1;
        uint256 worker = uint32(s >> S_NODES);
        BatchLayout.store().openClaims[worker] -= 1; // the batch is final (void)
        uint256 taken;
        Account storage account = _accounts[worker];
        if (account.faults != type(uint32).max) account.faults += 1;
        if (claimBond != 0) {
            taken = agentRegistry.slash(worker, claimBond);
            if (taken != 0) _addDiscounts(worker, 0, 0, taken);
        }
        uint256 honest = taken * slashHonestBps / 10_000;
        uint256 bond = challengeBond;
        uint256 refund = (b.payment >> 160) - c.excluded; // the challenged items' shares wait for settleItem
        address requester = address(uint160(b.payment));
        if (refund != 0) pendingWithdrawals[requester] += refund;
        pendingWithdrawals[r.requester] += bond + honest;
        if (taken != honest) pendingWithdrawals[treasury] += taken - honest;
        _releaseEscrow(refund + bond, refund + bond + taken);
        b.state = (s & ~(uint256(0xff) | (uint256(type(uint32).max) << S_DEADLINE))) | uint256(uint8(Status.Refunded))
            | (uint256(uint32(block.timestamp)) << S_DEADLINE);
        emit ItemDataUnavailable(batchId, index, r.agent, taken);
        emit BatchSlashed(batchId, worker, uint8(SlashReason.NoReveal), 1, taken);
        emit BatchFinalized(batchId, requester, false, 0, b.count, 0, new uint256[](1), refund);
    }

    /// @notice An item's data request (stage None when never requested).
    function itemDataRequest(uint256 batchId, uint256 index) external view returns (DataRequest memory) {
        return _dataRequests()[ITEM_TAG | (batchId << 32) | index];
    }

    /// @notice Any other selector: not a function of the market.
    fallback() external {
        revert UnknownFunction(msg.sig);
    }

    function _closeMoot(uint256 batchId, uint256 index, DataRequest storage r, BatchClaim storage c) private {
        r.stage = DataStage.Closed;
        c.dataOpen -= 1;
        uint256 bond = challengeBond;
        pendingWithdrawals[r.requester] += bond;
        _releaseEscrow(bond, bond);
        emit ItemDataClosed(batchId, index);
    }

    function _requireOptimisticBatch(uint256 batchId, BatchLayout.Batch storage b) private view returns (uint256 s) {
        s = b.state;
        if (uint8(s) == uint8(Status.None)) revert UnknownBatch(batchId);
        if (uint8(s) != uint8(Status.Optimistic)) revert NotOptimisticBatch(batchId, uint8(s));
    }
}
