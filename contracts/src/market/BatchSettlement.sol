// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TaskMarketBase} from "./TaskMarketBase.sol";
import {BatchTree} from "./BatchTree.sol";
import {BatchLayout} from "./BatchLayout.sol";
import {OptimisticBase} from "./OptimisticBase.sol";

/// @dev What BatchSettlement's constructor asks of the optimistic batches it forwards to.
interface IOptimisticBatchesId {
    function optimisticBatches() external view returns (address);
    function configHash() external view returns (bytes32);
}

/// @title Batches in replicated mode: one transaction of N requests, one results root per seat, items
///        proven one by one (issue 13; docs/DESIGN.md section 6.4).
/// @notice Runs only by DELEGATECALL from the TaskMarket it was deployed for (TaskMarket's fallback sends
///         it every selector the market does not serve itself), on the market's storage: the money
///         counters, the reward accounts (so one `claim` pays a node for all its items, of batches and
///         tasks alike), the operator cache and the reentrancy guard are the market's. Its own state is
///         one ERC-7201 namespace (`BatchStorage`), so TaskMarketBase's layout is untouched.
///
///         The protocol, per batch:
///         1. `submitBatch`: N items (each its own kind, maxTokens, temperature, seed, fee share and input,
///            inline or by hash) of one model, the fees summing to msg.value. The contract hashes every
///            item into the request tree (BatchTree) and stores its root; the items stay in the calldata
///            and the BatchSubmitted event. The pool is frozen as for a task (TaskMarketBase's _snapshot).
///         2. `commitBatch`: each of the k seats commits to one results root, keccak256(abi.encode(batchId,
///            node, resultsRoot, salt)); the first commit draws the k seats from the pool with the hash of the
///            submission's block (TaskMarketBase's _checkPool and _drawSeats, no steering), as a task's does.
///         3. `revealBatch`: each seat opens its root. k equal roots: every item is accepted at once and the
///            fee is split among the seats (Accepted). Otherwise, if a root has a quorum (floor(k/2)+1 seats)
///            the batch is Held for one reveal window with that root provisionally accepted; no quorum:
///            refunded.
///         4. Held: `resolveItem` shows, for a seat whose root differs, one item where its leaf differs from
///            the accepted root's leaf (both with their proofs, and the item with its request proof); the
///            seat is slashed `dissentSlash` for that item and loses its share of that item's fee, and its
///            root is rewritten with the accepted leaf at that index. When its root equals the accepted one
///            every difference has been settled item by item. At the window's end `finalizeBatch` pays: the
///            quorum seats their share plus what others forfeited; a resolved dissenter its share less the
///            items it lost; a seat whose root never converged (or that never revealed) nothing, and it is
///            slashed dissentSlash for every item not shown to differ (withholding is never cheaper than
///            settling item by item).
///         5. `finalizeBatch` after the commit deadline with seats missing: the missing seats are slashed
///            `absenceSlash` and every item's fee share goes back to the requester (no replacement rounds for
///            batches); a draw whose seed block's hash expired is refunded with no one slashed.
///         An accepted batch's items are proven to anyone by `verifyResult` (answered in TaskMarket's fallback
///         from `verified`), and a callback batch's items are pushed one by one by `deliverItem`.
///
/// @dev The batch word `state` has TaskMarketBase's task-word layout (status | k | committed | revealed |
///      agreed | leader | flags | round | deadline | modelId | node ids, the pool hash until the draw), so
///      the market's draw helpers run on it unchanged; k is at most 4 (the node ids fit in the word, and
///      round is always 0). In a batch, `leader` is the position whose root is accepted and `agreed` the
///      quorum mask. `seat[p]` is position p's commitment until it reveals, then its results root; a held
///      batch's dissenter's root is rewritten item by item by resolveItem.
///      TaskMarket DELEGATECALLs every selector it does not serve to this contract, so this contract must define
///      no function that is not meant to be called by anyone at the market's address: in particular none of
///      IVerificationMode's (settleRevealed, finalize), which the market reaches only through its own checks
///      (SplitSettlement.t.sol's testFallbackForwardsOnlyTheChallengeSelector).
contract BatchSettlement is TaskMarketBase, ReentrancyGuardTransient {
    /// @notice Items per batch at most.
    uint256 public constant MAX_BATCH_ITEMS = 4096;
    /// @notice Redundancy of a batch at most (its node ids live in the batch word).
    uint256 public constant MAX_BATCH_K = 4;
    /// @notice Bytes of an item's header: kind (1) | maxTokens (4) | temperatureMilli (4) | seed (8) | fee (12)
    ///         | inputLength (2), big-endian, then inputLength bytes of input, or, when inputLength is
    ///         OFFCHAIN_INPUT, the 32-byte keccak256 of an input delivered off-chain.
    uint256 public constant ITEM_HEADER = 31;
    uint256 public constant OFFCHAIN_INPUT = 0xffff;
    /// @dev Seeds of batch draws are taken with the id tagged, so a batch and a task of one id never share one.
    uint256 internal constant DRAW_TAG = 1 << 255;

    address private immutable _self;
    /// @dev The optimistic mode's batches (OptimisticBatches), run by DELEGATECALL from this contract's fallback
    ///      (still on the market's storage); address(0): no optimistic batches.
    address private immutable _optimisticBatches;
    /// @notice keccak256(abi.encode(config)): the market checks at construction that it matches its own.
    bytes32 public immutable configHash;

    // ---------------------------------------------------------------- events and errors

    /// @notice `items` is the submitted item list (its decoding: ITEM_HEADER); item i's request id is
    ///         batchId << 32 | i.
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
    event BatchCommitted(uint256 indexed batchId, uint256 indexed agentId);
    event BatchRevealed(uint256 indexed batchId, uint256 indexed agentId, bytes32 resultsRoot);
    /// @notice Roots differ and `resultsRoot` has the quorum `acceptedMask`: resolveItem until `releaseAt`.
    event BatchHeld(uint256 indexed batchId, bytes32 resultsRoot, uint8 acceptedMask, uint256 releaseAt);
    /// @notice Item `index` was shown to differ for `agentId` (its leaf's result hash and trace root), which
    ///         was slashed `slashed` for it.
    event ItemDisputed(
        uint256 indexed batchId, uint256 indexed index, uint256 indexed agentId, bytes32 resultHash, bytes32 traceRoot, uint256 slashed
    );
    /// @notice Slashes at the batch level: absence (reason NoCommit), no reveal (NoReveal) or a root that did
    ///         not converge (Dissent), `items` being the number of items it was slashed for.
    event BatchSlashed(uint256 indexed batchId, uint256 indexed agentId, uint8 reason, uint256 items, uint256 amount);
    /// @notice `paid` is each seat's credit by position (0 for seats paid nothing); `refund` what went back to
    ///         the requester (the sum of every item's fee share when refunded, else 0).
    event BatchFinalized(
        uint256 indexed batchId, address indexed requester, bool accepted, bytes32 resultsRoot, uint256 count, uint8 acceptedMask, uint256[] paid, uint256 refund
    );
    event BatchDrawExpired(uint256 indexed batchId, uint256 seedBlock);
    /// @notice submitBatchRoot: the items are off-chain, at `locator` (BatchSubmitted.items is empty).
    event BatchItemsOffchain(uint256 indexed batchId, string locator);
    /// @dev `seats` is the bitmap of the agent's positions, all declined at once.
    event BatchDeclined(uint256 indexed batchId, uint256 indexed agentId, uint8 seats);
    event ItemDelivered(uint256 indexed batchId, uint256 indexed index, bool success);

    error NotDelegated();
    error UnknownBatch(uint256 batchId);
    error BatchNotActive(uint256 batchId, uint8 status);
    error BatchNotHeld(uint256 batchId, uint8 status);
    error EmptyBatch();
    error BatchTooLarge(uint256 count, uint256 max);
    error MalformedItems(uint256 index, uint256 offset);
    error ItemInputTooLarge(uint256 index, uint256 length, uint256 max);
    error ItemOutputOverModelBound(uint256 index, uint256 maxTokens, uint256 max);
    error ItemFeeBelowModelPrice(uint256 index, uint256 fee, uint256 required);
    error FeeSumMismatch(uint256 sum, uint256 value);
    error ZeroResultsRoot(uint256 batchId);
    error ZeroRequestRoot();
    error BadProof(uint256 batchId, uint256 index, string which);
    error NotDiffering(uint256 batchId, uint256 index, uint256 position);
    error NotADissentingSeat(uint256 batchId, uint256 position);
    error HoldWindowClosed(uint256 batchId, uint256 deadline);
    error NotCallbackBatch(uint256 batchId);
    error NotAccepted(uint256 batchId);
    error AlreadyDelivered(uint256 batchId, uint256 index);

    /// @param c the market's configuration (the market checks configHash against its own)
    /// @param optimisticBatches_ the optimistic mode's batches (OptimisticBatches, deployed with `c`), which this
    ///        contract's fallback forwards every other selector to; address(0): none
    constructor(Config memory c, address optimisticBatches_) TaskMarketBase(c) {
        _self = address(this);
        configHash = keccak256(abi.encode(c));
        // low-level reads: an address that is not an OptimisticBatches of this configuration (an account without
        // code, a contract without these views, or one that answers something else) is refused by name, never
        // with the empty revert of a failed call or a failed ABI decoding
        if (
            optimisticBatches_ != address(0)
                && (_word(optimisticBatches_, IOptimisticBatchesId.configHash.selector) != configHash
                    || _word(optimisticBatches_, IOptimisticBatchesId.optimisticBatches.selector) != bytes32(uint256(uint160(optimisticBatches_))))
        ) revert InvalidConfig("optimisticBatches");
        _optimisticBatches = optimisticBatches_;
    }

    /// @dev The 32-byte answer of a view with no arguments at `target`, or 0 when it has no code, fails or answers
    ///      anything but one word.
    function _word(address target, bytes4 selector) private view returns (bytes32 w) {
        if (target.code.length == 0) return 0;
        (bool ok, bytes memory ret) = target.staticcall(abi.encodeWithSelector(selector));
        if (ok && ret.length == 32) w = bytes32(ret);
    }

    modifier delegated() {
        if (address(this) == _self) revert NotDelegated();
        _;
    }

    // ---------------------------------------------------------------- submission

    /// @notice Submits a batch of requests of one model with msg.value = the sum of their fee shares.
    ///         Each item is `kind (1) | maxTokens (4) | temperatureMilli (4) | seed (8) | fee (12) |
    ///         inputLength (2) | input` (big-endian; inputLength OFFCHAIN_INPUT: a 32-byte input hash follows
    ///         instead), and must be within the model's terms like a task (input bytes, maxTokens, fee at
    ///         least pricePerToken x (input bytes + maxTokens), an off-chain input counted as maxInputBytes).
    ///         Item i's request id is batchId << 32 | i; the request root is the BatchTree root over
    ///         keccak256(item i's bytes).
    /// @param modelId the model (must support replicated mode)
    /// @param k the redundancy, 1, 3 or 4 (at most maxK)
    /// @param flags FLAG_CALLBACK: deliverItem may push accepted items to the requester (a contract)
    /// @param items the concatenated items (1..MAX_BATCH_ITEMS)
    /// @return batchId the new batch id (from 1)
    function submitBatch(uint32 modelId, uint8 k, uint8 flags, bytes calldata items)
        external
        payable
        delegated
        nonReentrant
        returns (uint256 batchId)
    {
        uint256 terms;
        bytes memory pool;
        (batchId, pool, terms) = _open(modelId, k, flags);
        (bytes32 requestRoot, uint256 count) = _requestRoot(items, terms);
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        b.requestRoot = requestRoot;
        b.count = count;
        emit BatchSubmitted(batchId, msg.sender, modelId, k, flags, count, msg.value, requestRoot, items, pool);
    }

    /// @notice Submits a batch whose items stay off-chain: only their request root and count (and where to
    ///         fetch them, `locator`, e.g. the requester's URL or a content address) go on-chain, so the
    ///         submission costs the same for 1 item or 4,096. The items are as submitBatch's, and the root is
    ///         over keccak256 of each; the contract cannot see them, so the nodes check them when they fetch
    ///         them (every leaf against the root, the fee shares summing to msg.value, each item within the
    ///         model's terms) and `declineBatch` a batch whose items are unavailable or wrong: a declined seat
    ///         is not slashed, and the refund at the commit timeout keeps declineShareBps per declined seat
    ///         out of k from the requester (docs/DESIGN.md 6.4, data availability).
    /// @param modelId the model (must support replicated mode)
    /// @param k the redundancy, 1, 3 or 4 (at most maxK)
    /// @param flags FLAG_CALLBACK as for submitBatch
    /// @param requestRoot the BatchTree root over keccak256(item i's bytes)
    /// @param count the number of items (1..MAX_BATCH_ITEMS)
    /// @param locator where the nodes fetch the items (emitted, not stored)
    /// @return batchId the new batch id
    function submitBatchRoot(uint32 modelId, uint8 k, uint8 flags, bytes32 requestRoot, uint256 count, string calldata locator)
        external
        payable
        delegated
        nonReentrant
        returns (uint256 batchId)
    {
        if (count == 0) revert EmptyBatch();
        if (count > MAX_BATCH_ITEMS) revert BatchTooLarge(count, MAX_BATCH_ITEMS);
        if (requestRoot == 0) revert ZeroRequestRoot();
        bytes memory pool;
        (batchId, pool,) = _open(modelId, k, flags);
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        b.requestRoot = requestRoot;
        b.count = count;
        emit BatchSubmitted(batchId, msg.sender, modelId, k, flags, count, msg.value, requestRoot, "", pool);
        emit BatchItemsOffchain(batchId, locator);
    }

    /// @dev Checks the batch's parameters, freezes its pool and writes its state and payment words.
    function _open(uint32 modelId, uint8 k, uint8 flags) private returns (uint256 batchId, bytes memory pool, uint256 terms) {
        if (k == 0 || k == 2 || k > MAX_BATCH_K || k > maxK) revert InvalidRedundancy(k, maxK < MAX_BATCH_K ? maxK : MAX_BATCH_K);
        if (flags & ~FLAGS_MASK != 0) revert InvalidFlags(flags);
        if (flags & FLAG_CALLBACK != 0 && msg.sender.code.length == 0) revert CallbackRequiresContract(msg.sender);
        if (msg.value > type(uint96).max) revert FeeTooHigh(msg.value, type(uint96).max);
        if (msg.value < minFee) revert FeeTooLow(msg.value, minFee);
        // the state word without the pool hash, built before the snapshot (fewer live values across it)
        uint256 state = uint256(uint8(Status.Active)) | (uint256(k) << S_K) | (uint256(NO_LEADER) << S_LEADER)
            | (uint256(flags | FLAG_DRAW_PENDING) << S_FLAGS) | (uint256(uint32(block.timestamp + commitWindow)) << S_DEADLINE)
            | (uint256(modelId) << S_MODEL);
        uint256 hash;
        (pool, hash, terms) = _freeze(modelId, k);
        BatchLayout.BatchStorage storage $ = BatchLayout.store();
        batchId = ++$.batchCount;
        _addTotals(msg.value, 0);
        BatchLayout.Batch storage b = $.batches[batchId];
        b.state = state | (hash << S_NODES);
        b.payment = uint256(uint160(msg.sender)) | (msg.value << 160);
    }

    /// @dev The model's pool snapshot (TaskMarketBase._snapshot), with at least k eligible servers.
    function _freeze(uint32 modelId, uint8 k) private view returns (bytes memory pool, uint256 hash, uint256 terms) {
        uint32[7] memory none;
        uint256 eligible;
        (pool, hash, eligible, terms) = _snapshot(modelId, none, true);
        if (eligible < k) revert NotEnoughNodes(modelId, eligible, k);
    }

    /// @dev Walks the items, checks each against the model's terms and the fee sum against msg.value, and
    ///      returns the request tree's root and the item count.
    function _requestRoot(bytes calldata items, uint256 terms) private view returns (bytes32 root, uint256 count) {
        uint256 maxIn = uint32(terms >> 8);
        if (maxIn > maxInputBytes) maxIn = maxInputBytes;
        uint256 maxOut = uint32(terms >> 40);
        uint256 price = terms >> 72;
        // a first pass counts the items, so that the leaves array is allocated once
        uint256 end = items.length;
        uint256 p;
        while (p < end) {
            if (p + ITEM_HEADER > end) revert MalformedItems(count, p);
            uint256 len = uint16(uint256(bytes32(items[p + 29:p + 31])) >> 240);
            p += ITEM_HEADER + (len == OFFCHAIN_INPUT ? 32 : len);
            if (p > end) revert MalformedItems(count, p);
            ++count;
        }
        if (count == 0) revert EmptyBatch();
        if (count > MAX_BATCH_ITEMS) revert BatchTooLarge(count, MAX_BATCH_ITEMS);
        bytes32[] memory leaves = new bytes32[](count);
        uint256 sum;
        p = 0;
        for (uint256 i; i < count; ++i) {
            uint256 w;
            uint256 scratch;
            assembly ("memory-safe") {
                w := calldataload(add(items.offset, p))
                scratch := mload(0x40)
            }
            uint256 maxTokens = uint32(w >> 216);
            uint256 fee = uint96(w >> 24);
            uint256 len = uint16(w >> 8);
            uint256 size = ITEM_HEADER + (len == OFFCHAIN_INPUT ? 32 : len);
            uint256 billed = len == OFFCHAIN_INPUT ? maxIn : len;
            if (len != OFFCHAIN_INPUT && len > maxIn) revert ItemInputTooLarge(i, len, maxIn);
            if (maxTokens > maxOut) revert ItemOutputOverModelBound(i, maxTokens, maxOut);
            if (fee < price * (billed + maxTokens)) revert ItemFeeBelowModelPrice(i, fee, price * (billed + maxTokens));
            sum += fee;
            bytes32 leaf;
            assembly ("memory-safe") {
                calldatacopy(scratch, add(items.offset, p), size)
                leaf := keccak256(scratch, size)
            }
            leaves[i] = leaf;
            p += size;
        }
        if (sum != msg.value) revert FeeSumMismatch(sum, msg.value);
        root = BatchTree.rootInPlace(leaves);
    }

    // ---------------------------------------------------------------- commit and reveal

    /// @notice Commits a seat to its results root: commitment = batchCommitmentOf(batchId, msg.sender,
    ///         resultsRoot, salt). One commitment covers every seat the agent holds. While the seats are not
    ///         drawn yet, `pool` must be BatchSubmitted.pool: this commit draws them (as a task's first
    ///         commit does); afterwards it is ignored (pass empty).
    /// @param batchId the batch
    /// @param agentId the assigned agent (the caller must be its owner or wallet, and reveal from the same address)
    /// @param commitment the commitment
    /// @param pool the pool snapshot while the draw is pending, else empty
    function commitBatch(uint256 batchId, uint256 agentId, bytes32 commitment, bytes calldata pool)
        external
        delegated
        nonReentrant
    {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = b.state;
        if (uint8(s) != uint8(Status.Active)) revert BatchNotActive(batchId, uint8(s));
        uint256 deadline = uint32(s >> S_DEADLINE);
        if (block.timestamp > deadline) revert CommitWindowClosed(batchId, deadline);
        if ((s >> S_FLAGS) & FLAG_DRAW_PENDING != 0) s = _draw(batchId, s, pool);
        uint256 seats = _seatsIn(batchId, s, agentId);
        if ((s >> S_COMMITTED) & seats != 0) revert AlreadyCommitted(batchId, agentId);
        if (commitment == 0) revert ZeroCommitment(batchId);
        if (_knownOperator[agentId] != msg.sender) {
            if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
            _knownOperator[agentId] = msg.sender;
        }
        b.seat[_lowestBit(seats)] = commitment;
        b.state = s | (seats << S_COMMITTED);
        emit BatchCommitted(batchId, agentId);
    }

    /// @notice Declines an assigned batch before committing, for every seat the agent holds: items not
    ///         available (an off-chain batch whose items cannot be fetched, or do not match the root, or break
    ///         the terms) or work the node cannot finish in the commit window. Not slashed at the commit timeout
    ///         (the batch is refunded less declineShareBps per declined seat out of k, for the treasury).
    /// @param batchId the batch
    /// @param agentId the assigned agent (the caller must be its owner or wallet)
    /// @param pool the pool snapshot while the draw is pending, else empty
    function declineBatch(uint256 batchId, uint256 agentId, bytes calldata pool) external delegated nonReentrant {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = b.state;
        if (uint8(s) != uint8(Status.Active)) revert BatchNotActive(batchId, uint8(s));
        uint256 deadline = uint32(s >> S_DEADLINE);
        if (block.timestamp > deadline) revert CommitWindowClosed(batchId, deadline);
        if ((s >> S_FLAGS) & FLAG_DRAW_PENDING != 0) {
            s = _draw(batchId, s, pool);
            b.state = s;
        }
        uint256 seats = _seatsIn(batchId, s, agentId);
        if ((s >> S_COMMITTED) & seats != 0) revert AlreadyCommitted(batchId, agentId);
        if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
        uint256 declined = b.declined;
        if (declined & seats != 0) revert AlreadyDeclined(batchId, agentId);
        b.declined = declined | seats;
        emit BatchDeclined(batchId, agentId, uint8(seats));
    }

    /// @dev The pending draw of a batch (pool checked against the stored hash), seeded by the hash of the
    ///      submission's block and the tagged batch id.
    function _draw(uint256 batchId, uint256 s, bytes calldata pool) private view returns (uint256) {
        if (pool.length == 0) revert DrawPending(batchId);
        uint256 seedBlock = _checkPool(batchId, s, pool);
        bytes32 seedHash = blockhash(seedBlock);
        if (seedHash == 0) revert SeedBlockUnavailable(batchId, seedBlock, block.number);
        (uint256 drawn,) = _drawSeats(batchId | DRAW_TAG, s, pool, seedHash);
        return drawn;
    }

    /// @notice Opens a seat's commitment. Open once every seat has committed, until the reveal deadline.
    ///         The k-th reveal settles: k equal roots accept every item and pay at once; otherwise the
    ///         batch is held (a root with a quorum) or refunded (none).
    /// @param batchId the batch
    /// @param agentId the assigned agent
    /// @param resultsRoot the BatchTree root over the agent's result leaves
    /// @param salt the salt committed with
    function revealBatch(uint256 batchId, uint256 agentId, bytes32 resultsRoot, bytes32 salt)
        external
        delegated
        nonReentrant
    {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = b.state;
        if (uint8(s) != uint8(Status.Active)) revert BatchNotActive(batchId, uint8(s));
        uint256 full = (1 << uint8(s >> S_K)) - 1;
        if (uint8(s >> S_COMMITTED) != full) revert RevealNotOpen(batchId, uint8(s >> S_COMMITTED));
        uint256 revealDeadline = uint256(uint32(s >> S_DEADLINE)) + revealWindow;
        if (block.timestamp > revealDeadline) revert RevealWindowClosed(batchId, revealDeadline);
        uint256 seats = _seatsIn(batchId, s, agentId);
        if (s & (seats << S_REVEALED) != 0) revert AlreadyRevealed(batchId, agentId);
        if (resultsRoot == 0) revert ZeroResultsRoot(batchId);
        uint256 first = _lowestBit(seats);
        if (b.seat[first] != batchCommitmentOf(batchId, msg.sender, resultsRoot, salt)) {
            revert CommitmentMismatch(batchId, agentId);
        }
        for (uint256 p = first; p < MAX_BATCH_K; ++p) {
            if (seats & (1 << p) != 0) b.seat[p] = resultsRoot;
        }
        s |= seats << S_REVEALED;
        uint256 leader = uint8(s >> S_LEADER);
        if (leader == NO_LEADER) {
            s = (s & ~(uint256(0xff) << S_LEADER)) | (first << S_LEADER) | ((seats & ~(1 << first)) << S_AGREED);
        } else if (b.seat[leader] == resultsRoot) {
            s |= seats << S_AGREED;
        }
        emit BatchRevealed(batchId, agentId, resultsRoot);
        b.state = s;
        if (uint8(s >> S_REVEALED) == full) _settle(batchId, b, s);
    }

    /// @notice The commitment a seat submits: keccak256(abi.encode(batchId, node, resultsRoot, salt)) (four
    ///         words: never equal to a task commitment, which hashes five).
    function batchCommitmentOf(uint256 batchId, address node, bytes32 resultsRoot, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(batchId, node, resultsRoot, salt));
    }

    // ---------------------------------------------------------------- settlement

    /// @dev Every seat revealed, or the reveal deadline passed: unanimous -> accept; a root with a quorum ->
    ///      hold; none -> refund (non-revealers slashed dissentSlash).
    function _settle(uint256 batchId, BatchLayout.Batch storage b, uint256 s) private {
        uint256 k = uint8(s >> S_K);
        uint256 full = (1 << k) - 1;
        uint256 revealed = uint8(s >> S_REVEALED);
        uint256 leader = uint8(s >> S_LEADER);
        uint256 group;
        if (leader != NO_LEADER) {
            group = uint8(s >> S_AGREED) | (1 << leader);
            if (_popcount(uint8(group)) < k / 2 + 1) (leader, group) = _findQuorum(b, revealed & ~group, k / 2 + 1);
        }
        if (group == 0) {
            _refund(batchId, b, s, full & ~revealed, dissentSlash, SlashReason.NoReveal);
            return;
        }
        s = (s & ~((uint256(0xff) << S_LEADER) | (uint256(0xff) << S_AGREED))) | (leader << S_LEADER) | (group << S_AGREED);
        if (group == full) {
            _accept(batchId, b, s);
            return;
        }
        uint256 releaseAt = block.timestamp + revealWindow;
        s = (s & ~(uint256(0xff) | (uint256(type(uint32).max) << S_DEADLINE))) | uint256(uint8(Status.Held))
            | (uint256(uint32(releaseAt)) << S_DEADLINE);
        b.state = s;
        emit BatchHeld(batchId, b.seat[leader], uint8(group), releaseAt);
    }

    function _findQuorum(BatchLayout.Batch storage b, uint256 rest, uint256 quorum) private view returns (uint256, uint256) {
        for (uint256 p; p < MAX_BATCH_K; ++p) {
            if (rest & (1 << p) == 0) continue;
            bytes32 r = b.seat[p];
            uint256 group = 1 << p;
            for (uint256 q = p + 1; q < MAX_BATCH_K; ++q) {
                if (rest & (1 << q) != 0 && b.seat[q] == r) group |= 1 << q;
            }
            if (_popcount(uint8(group)) >= quorum) return (p, group);
            rest &= ~group;
        }
        return (NO_LEADER, 0);
    }

    /// @notice Settles one item of a held batch for a dissenting seat: its leaf at `index` (under its current
    ///         root) differs from the accepted root's leaf there. The seat is slashed dissentSlash for the
    ///         item and loses its share of the item's fee (read from the item, proven against the request
    ///         root); its root is rewritten with the accepted leaf at that index. Anyone holding the data may
    ///         call (the dissenter has every reason to: an unresolved root forfeits everything at the release).
    /// @param batchId the held batch
    /// @param position the dissenting seat's position
    /// @param index the item
    /// @param leaves the dissenter's (resultHash, traceRoot) and the accepted (resultHash, traceRoot) at `index`
    /// @param dissentProof the dissenter's proof of its leaf under its current root
    /// @param acceptedProof the proof of the accepted leaf under the accepted root
    /// @param item item `index`'s bytes as submitted
    /// @param requestProof its proof under the request root
    function resolveItem(
        uint256 batchId,
        uint256 position,
        uint256 index,
        bytes32[4] calldata leaves,
        bytes32[] calldata dissentProof,
        bytes32[] calldata acceptedProof,
        bytes calldata item,
        bytes32[] calldata requestProof
    ) external delegated nonReentrant {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = b.state;
        if (uint8(s) != uint8(Status.Held)) revert BatchNotHeld(batchId, uint8(s));
        if (block.timestamp > uint32(s >> S_DEADLINE)) revert HoldWindowClosed(batchId, uint32(s >> S_DEADLINE));
        uint256 leader = uint8(s >> S_LEADER);
        bytes32 accepted = b.seat[leader];
        if (
            position >= uint8(s >> S_K) || (s >> (S_REVEALED + position)) & 1 == 0
                || (s >> (S_AGREED + position)) & 1 != 0 || b.seat[position] == accepted
        ) revert NotADissentingSeat(batchId, position);
        uint256 count = b.count;
        uint256 requestId = (batchId << 32) | index;
        bytes32 theirs = BatchTree.resultLeaf(requestId, leaves[0], leaves[1]);
        bytes32 ours = BatchTree.resultLeaf(requestId, leaves[2], leaves[3]);
        if (theirs == ours) revert NotDiffering(batchId, index, position);
        (bytes32 root, bool ok) = BatchTree.rootOf(theirs, index, count, dissentProof);
        if (!ok || root != b.seat[position]) revert BadProof(batchId, index, "dissent");
        (root, ok) = BatchTree.rootOf(ours, index, count, acceptedProof);
        if (!ok || root != accepted) revert BadProof(batchId, index, "accepted");
        (root, ok) = BatchTree.rootOf(keccak256(item), index, count, requestProof);
        if (!ok || root != b.requestRoot || item.length < ITEM_HEADER) revert BadProof(batchId, index, "request");
        uint256 fee = uint96(uint256(bytes32(item[0:32])) >> 24);
        // the dissenter's tree with the accepted leaf at `index` (same siblings: only this leaf changed)
        (root,) = BatchTree.rootOf(ours, index, count, dissentProof);
        b.seat[position] = root;
        b.lost[position] += fee | (1 << 128);
        uint256 agentId = uint32(s >> (S_NODES + 32 * position));
        uint256 taken = _slash(agentId, dissentSlash);
        if (taken != 0) {
            // held with the fee until the release (balance == escrowed + unclaimed throughout)
            b.proceeds += taken;
            _addTotals(taken, 0);
        }
        emit ItemDisputed(batchId, index, agentId, leaves[0], leaves[1], taken);
    }

    /// @notice Advances a batch past a deadline: after the commit deadline with seats missing, slashes them
    ///         `absenceSlash` and refunds every item's fee share (a draw still pending is drawn from `pool`
    ///         first; one whose seed block's hash has expired is refunded with no one slashed); after the reveal
    ///         deadline, settles (accept, hold or refund); after a hold's window, releases it (pays and slashes).
    ///         Anyone may call.
    /// @param batchId the batch
    /// @param pool BatchSubmitted.pool while the draw is pending, else empty
    function finalizeBatch(uint256 batchId, bytes calldata pool) external delegated nonReentrant {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = b.state;
        uint8 status = uint8(s);
        if (status == uint8(Status.None)) revert UnknownBatch(batchId);
        uint256 deadline = uint32(s >> S_DEADLINE);
        if (status == uint8(Status.Held)) {
            if (block.timestamp <= deadline) revert TooEarly(batchId, deadline + 1);
            _release(batchId, b, s);
            return;
        }
        if (status != uint8(Status.Active)) revert BatchNotActive(batchId, status);
        uint256 k = uint8(s >> S_K);
        uint256 full = (1 << k) - 1;
        if (uint8(s >> S_COMMITTED) != full) {
            if (block.timestamp <= deadline) revert TooEarly(batchId, deadline + 1);
            if ((s >> S_FLAGS) & FLAG_DRAW_PENDING != 0) {
                if (pool.length == 0) revert DrawPending(batchId);
                uint256 seedBlock = _checkPool(batchId, s, pool);
                bytes32 seedHash = blockhash(seedBlock);
                if (seedHash == 0) {
                    emit BatchDrawExpired(batchId, seedBlock);
                    s &= ~(uint256(FLAG_DRAW_PENDING) << S_FLAGS);
                    s &= ~(uint256(type(uint128).max) << S_NODES); // the pool hash: no one was seated
                    _refund(batchId, b, s, 0, 0, SlashReason.NoCommit);
                    return;
                }
                (s,) = _drawSeats(batchId | DRAW_TAG, s, pool, seedHash);
            }
            uint256 missing = full & ~uint256(uint8(s >> S_COMMITTED));
            uint256 declined = b.declined & missing;
            _refundKeeping(
                batchId, b, s, missing & ~declined, absenceSlash, SlashReason.NoCommit,
                (b.payment >> 160) * declineShareBps * _popcount(uint8(declined)) / (10_000 * k)
            );
            return;
        }
        uint256 revealDeadline = deadline + revealWindow;
        if (block.timestamp <= revealDeadline) revert TooEarly(batchId, revealDeadline + 1);
        _settle(batchId, b, s);
    }

    /// @dev Pays k equal roots: fee / k a seat, the remainder to the leader.
    function _accept(uint256 batchId, BatchLayout.Batch storage b, uint256 s) private {
        uint256 k = uint8(s >> S_K);
        uint256 fee = b.payment >> 160;
        uint256 share = fee / k;
        uint256 leader = uint8(s >> S_LEADER);
        uint256[] memory paid = new uint256[](k);
        for (uint256 pos; pos < k; ++pos) {
            paid[pos] = pos == leader ? fee - share * (k - 1) : share;
            _creditAgreed(uint32(s >> (S_NODES + 32 * pos)), paid[pos]);
        }
        _releaseEscrow(fee, fee);
        _close(batchId, b, s, Status.Accepted, paid, 0);
    }

    /// @dev The end of a hold: the quorum `agreed` shares the fee of every item; a resolved dissenter (root now
    ///      equal to the accepted one) keeps its share less the items it lost; a seat that never converged or
    ///      never revealed gets nothing and is slashed dissentSlash per item not resolved against it.
    ///      What they forfeit, and slashHonestBps of all slash proceeds, go to the quorum; the rest of the
    ///      proceeds to the treasury.
    function _release(uint256 batchId, BatchLayout.Batch storage b, uint256 s) private {
        uint256 k = uint8(s >> S_K);
        uint256 fee = b.payment >> 160;
        uint256 count = b.count;
        uint256 leader = uint8(s >> S_LEADER);
        uint256 quorum = uint8(s >> S_AGREED);
        bytes32 accepted = b.seat[leader];
        uint256 share = fee / k;
        uint256[] memory paid = new uint256[](k);
        uint256 held = b.proceeds;
        uint256 proceeds = held;
        uint256 spent;
        for (uint256 pos; pos < k; ++pos) {
            if (quorum & (1 << pos) != 0) continue;
            uint256 agentId = uint32(s >> (S_NODES + 32 * pos));
            uint256 lost = b.lost[pos];
            bool revealed = (s >> (S_REVEALED + pos)) & 1 != 0;
            if (revealed && b.seat[pos] == accepted) {
                paid[pos] = share - uint128(lost) / k;
                _creditAgreed(agentId, paid[pos]);
                spent += paid[pos];
            } else {
                // a revealed root that did not converge counts as dissent on every item not resolved; a
                // missing reveal is slashed once, as in a task
                uint256 items = revealed ? count - (lost >> 128) : 1;
                uint256 taken = _slash(agentId, dissentSlash * items);
                proceeds += taken;
                emit BatchSlashed(batchId, agentId, uint8(revealed ? SlashReason.Dissent : SlashReason.NoReveal), items, taken);
            }
        }
        uint256 honest = proceeds * slashHonestBps / 10_000;
        uint256 pot = fee - spent + honest;
        uint256 winners = _popcount(uint8(quorum));
        uint256 each = pot / winners;
        for (uint256 pos; pos < k; ++pos) {
            if (quorum & (1 << pos) == 0) continue;
            paid[pos] = pos == leader ? pot - each * (winners - 1) : each;
            _creditAgreed(uint32(s >> (S_NODES + 32 * pos)), paid[pos]);
        }
        uint256 toTreasury = proceeds - honest;
        if (toTreasury != 0) pendingWithdrawals[treasury] += toTreasury;
        // the fee and the proceeds held since resolveItem leave escrow; every wei of fee and proceeds is now
        // owed to a seat or the treasury
        _releaseEscrow(fee + held, fee + proceeds);
        if (held != 0) b.proceeds = 0;
        _close(batchId, b, s, Status.Accepted, paid, 0);
    }

    /// @dev Refunds every item's fee share to the requester; slashes the positions in `mask` by `amount` each
    ///      (proceeds to the treasury: no one is paid).
    function _refund(uint256 batchId, BatchLayout.Batch storage b, uint256 s, uint256 mask, uint256 amount, SlashReason reason)
        private
    {
        _refundKeeping(batchId, b, s, mask, amount, reason, 0);
    }

    /// @dev _refund, keeping `kept` of the fee from the requester for the treasury (declined seats).
    function _refundKeeping(
        uint256 batchId,
        BatchLayout.Batch storage b,
        uint256 s,
        uint256 mask,
        uint256 amount,
        SlashReason reason,
        uint256 kept
    ) private {
        uint256 k = uint8(s >> S_K);
        uint256 fee = b.payment >> 160;
        address requester = address(uint160(b.payment));
        uint256 proceeds;
        for (uint256 pos; pos < k; ++pos) {
            if (mask & (1 << pos) == 0) continue;
            uint256 agentId = uint32(s >> (S_NODES + 32 * pos));
            uint256 taken = _slash(agentId, amount);
            proceeds += taken;
            emit BatchSlashed(batchId, agentId, uint8(reason), 1, taken);
        }
        pendingWithdrawals[requester] += fee - kept;
        if (proceeds + kept != 0) pendingWithdrawals[treasury] += proceeds + kept;
        _releaseEscrow(fee, fee + proceeds);
        _close(batchId, b, s, Status.Refunded, new uint256[](k), fee - kept);
    }

    function _close(uint256 batchId, BatchLayout.Batch storage b, uint256 s, Status status, uint256[] memory paid, uint256 refund)
        private
    {
        s = (s & ~(uint256(0xff) | (uint256(type(uint32).max) << S_DEADLINE))) | uint256(uint8(status))
            | (uint256(uint32(block.timestamp)) << S_DEADLINE);
        if (status == Status.Refunded) s &= ~(uint256(0xff) << S_AGREED);
        b.state = s;
        bytes32 root;
        if (status == Status.Accepted) {
            root = b.seat[uint8(s >> S_LEADER)];
            b.verified = keccak256(abi.encode(root, b.count));
        }
        emit BatchFinalized(
            batchId, address(uint160(b.payment)), status == Status.Accepted, root, b.count, uint8(s >> S_AGREED), paid, refund
        );
    }

    /// @dev Slashes through the agent registry (bound to the market, which is the caller here: this code runs
    ///      by DELEGATECALL), counting a fault; returns what was taken (the registry caps it at the stake).
    function _slash(uint256 agentId, uint256 amount) private returns (uint256 taken) {
        Account storage account = _accounts[agentId];
        if (account.faults != type(uint32).max) account.faults += 1;
        if (amount == 0) return 0;
        taken = agentRegistry.slash(agentId, amount);
        if (taken != 0) _addDiscounts(agentId, 0, 0, taken);
    }

    // ---------------------------------------------------------------- consumers

    /// @notice Pushes one accepted item of a callback batch to its requester, as
    ///         ILedgermindConsumer.onTaskFinalized(requestId, true, resultHash, traceRoot, output) with the
    ///         market's callbackGasLimit; once per item. Anyone may call (its gas is the caller's).
    /// @param batchId the accepted batch
    /// @param index the item
    /// @param resultHash its result hash (keccak256 of `output`)
    /// @param traceRoot its trace root
    /// @param output its output
    /// @param proof the item's proof under the accepted results root
    function deliverItem(
        uint256 batchId,
        uint256 index,
        bytes32 resultHash,
        bytes32 traceRoot,
        bytes calldata output,
        bytes32[] calldata proof
    ) external delegated nonReentrant {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        uint256 s = b.state;
        if ((s >> S_FLAGS) & FLAG_CALLBACK == 0) revert NotCallbackBatch(batchId);
        if (uint8(s) != uint8(Status.Accepted)) revert NotAccepted(batchId);
        if (keccak256(output) != resultHash) revert OutputHashMismatch(batchId, resultHash, keccak256(output));
        uint256 requestId = (batchId << 32) | index;
        if (!_verify(b, batchId, index, resultHash, traceRoot, proof)) revert BadProof(batchId, index, "result");
        uint256 bit = 1 << (index & 255);
        uint256 word = b.delivered[index >> 8];
        if (word & bit != 0) revert AlreadyDelivered(batchId, index);
        b.delivered[index >> 8] = word | bit;
        _deliver(requestId, address(uint160(b.payment)), true, resultHash, traceRoot, output);
        emit ItemDelivered(batchId, index, true);
    }

    function _verify(BatchLayout.Batch storage b, uint256 batchId, uint256 index, bytes32 resultHash, bytes32 traceRoot, bytes32[] calldata proof)
        private
        view
        returns (bool)
    {
        uint256 count = b.count;
        (bytes32 root, bool ok) = BatchTree.rootOf(BatchTree.resultLeaf((batchId << 32) | index, resultHash, traceRoot), index, count, proof);
        return ok && keccak256(abi.encode(root, count)) == b.verified;
    }

    // ---------------------------------------------------------------- views

    /// @notice A batch as stored.
    /// @return state the batch word (TaskMarketBase's task-word layout: status in the low byte)
    /// @return requester the requester
    /// @return fee the sum of the items' fee shares
    /// @return requestRoot the request tree's root
    /// @return count the number of items
    /// @return roots the seats' results roots by position (commitments before their reveal)
    function getBatch(uint256 batchId)
        external
        view
        delegated
        returns (uint256 state, address requester, uint256 fee, bytes32 requestRoot, uint256 count, bytes32[4] memory roots)
    {
        BatchLayout.Batch storage b = BatchLayout.store().batches[batchId];
        if (uint8(b.state) == uint8(Status.None)) revert UnknownBatch(batchId);
        return (b.state, address(uint160(b.payment)), b.payment >> 160, b.requestRoot, b.count, b.seat);
    }

    /// @notice The seats of a batch: drawn, or (while the draw is pending) what the draw gives from `pool` and
    ///         `blockHash`, the hash of the BatchSubmitted log's block (checked against blockhash() while the
    ///         chain has it).
    function drawBatchSeats(uint256 batchId, bytes calldata pool, bytes32 blockHash)
        external
        view
        delegated
        returns (uint32[] memory nodes)
    {
        uint256 s = BatchLayout.store().batches[batchId].state;
        if (uint8(s) == uint8(Status.None)) revert UnknownBatch(batchId);
        if ((s >> S_FLAGS) & FLAG_DRAW_PENDING != 0) {
            uint256 seedBlock = _checkPool(batchId, s, pool);
            bytes32 chainHash = blockhash(seedBlock);
            if (chainHash != 0 && chainHash != blockHash) revert SeedBlockHashMismatch(batchId, seedBlock, blockHash);
            (s,) = _drawSeats(batchId | DRAW_TAG, s, pool, blockHash);
        }
        uint256 k = uint8(s >> S_K);
        nodes = new uint32[](k);
        for (uint256 pos; pos < k; ++pos) nodes[pos] = uint32(s >> (S_NODES + 32 * pos));
    }

    /// @notice This contract's address (at the market's address too: the market's batch mode).
    function batchSettlement() external view returns (address) {
        return _self;
    }

    /// @notice How many batches were ever submitted (ids are 1..batchCount).
    function batchCount() external view delegated returns (uint256) {
        return BatchLayout.store().batchCount;
    }

    /// @notice Per position of a held batch: the fee shares of the items resolved against it and their number.
    function lostOf(uint256 batchId, uint256 position) external view delegated returns (uint256 fees, uint256 items) {
        uint256 l = BatchLayout.store().batches[batchId].lost[position];
        return (uint128(l), l >> 128);
    }

    /// @notice Any other selector: the optimistic mode's batches (OptimisticBatches, by DELEGATECALL, only at the
    ///         market's address), or not a function of the market (UnknownFunction; OptimisticBatches has no
    ///         fallback, so a selector it does not serve reverts there).
    fallback() external payable {
        address target = _optimisticBatches;
        if (target == address(0) || address(this) == _self) revert UnknownFunction(msg.sig);
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, 0, calldatasize())
            let ok := delegatecall(gas(), target, p, calldatasize(), 0, 0)
            returndatacopy(p, 0, returndatasize())
            if iszero(ok) { revert(p, returndatasize()) }
            return(p, returndatasize())
        }
    }
}
