// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {TaskMarketBase} from "./TaskMarketBase.sol";
import {ITaskRecords} from "../interfaces/ITaskRecords.sol";
import {IDisputeGame} from "../interfaces/IDisputeGame.sol";

/// @title What the optimistic mode's two contracts share (OptimisticSettlement: submission, claim, finality;
///        OptimisticDisputes: audit, challenge, the game's verdict): its parameters, its ERC-7201 storage, its
///        events and errors, and the audit draw. Both run by DELEGATECALL on the TaskMarket's storage (the
///        market forwards the mode's selectors to OptimisticSettlement, which forwards the disputes' selectors
///        to OptimisticDisputes): one contract of both would exceed the 24,576-byte code limit. See
///        OptimisticSettlement for the protocol.
abstract contract OptimisticBase is TaskMarketBase, ReentrancyGuardTransient {
    // ---------------------------------------------------------------- layout

    /// @dev keccak256(abi.encode(uint256(keccak256("ledgermind.storage.OptimisticSettlement")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 internal constant STORAGE = 0x1dc6730143e46c28cd67df963826d242a8ada56a4cd77c31df8082fc50023700;

    /// @custom:storage-location erc7201:ledgermind.storage.OptimisticSettlement
    struct OptimisticStorage {
        mapping(uint256 taskId => Claim) claims;
        // ---- optimistic batches (OptimisticBatches): appended, the members above keep their slots
        mapping(uint256 batchId => BatchClaim) batchClaims;
        /// @dev keyed by ITEM_TAG | batchId << 32 | index, the item's task id in its game
        mapping(uint256 itemKey => ItemDispute) itemDisputes;
        /// @dev keyed as itemDisputes: the data requests of optimistic batch items (OptimisticBatchData)
        mapping(uint256 itemKey => DataRequest) dataRequests;
    }

    /// @notice An optimistic batch's claim beside its BatchLayout.Batch (OptimisticBatches): word 0 is written at
    ///         the submission and updated by the claim and the audit's decision; word 1 by the claim and by
    ///         each challenge.
    struct BatchClaim {
        uint32 window; // challenge window, seconds
        uint16 auditBps; // audit probability, basis points
        AuditState audit;
        uint64 claimBlock; // the block whose hash decides the audit (0: not claimed)
        uint32 windowEnd; // end of the challenge (and audit) window
        uint32 validator; // the drawn validator (0 until the audit is decided, or none)
        uint32 auditIndex; // the audited item
        uint16 dataOpen; // data requests not answered nor closed yet (OptimisticBatchData): the batch cannot finalize
        uint128 poolHash; // top 128 bits of keccak256(pool): the validator is drawn from the submission's pool
        uint96 excluded; // the fee shares of the challenged items (paid or refunded by settleItem)
    }

    /// @notice One challenged item of an optimistic batch: its game and what settling it needs.
    struct ItemDispute {
        Stage stage; // Challenged, then Upheld or Overturned (the game's verdict), then Final (settled)
        uint32 challenger;
        uint64 gameId;
        uint32 until; // after this (challenge + gameTimeout) a game that never reported back is no result
        uint96 fee; // the item's fee share, held in escrow until it settles
        address challengerAddress;
        bytes32 claimedLeaf; // the worker's leaf, put back into the live root when the claim is upheld
    }

    /// @notice A request for one item's data (its results leaf and shape, with their proofs) that the worker of an
    ///         optimistic batch must answer on-chain (OptimisticBatchData). One word.
    struct DataRequest {
        DataStage stage;
        uint32 agent; // the requesting agent
        uint32 deadline; // Open: the answer deadline; Answered: until when the item may still be challenged or audited
        address requester; // who posted the bond (it gets it back, less the answer's gas when answered)
    }

    /// @notice Where a data request is.
    enum DataStage {
        None,
        Open, // waiting for the answer
        Answered, // the leaf and shape are in ItemDataAnswered
        Failed, // unanswered by the deadline: the batch was voided (refunded), the worker slashed
        Closed // moot: the batch was voided by another request, or the item's claimed leaf was posted by a challenge
    }

    /// @notice A task's progress in this mode. Word 0 is written at submission and updated by every step;
    ///         word 1 and 2 by the claim; words 3 to 5 by a challenge only.
    struct Claim {
        uint32 window; // challenge window, seconds
        uint16 auditBps; // audit probability, basis points
        Stage stage;
        AuditState audit;
        uint64 claimBlock; // the block whose hash decides the audit
        uint32 windowEnd; // end of the challenge (and audit) window
        uint32 validator; // the drawn validator (0 until the audit is decided, or none)
        uint32 challenger; // the challenging agent
        uint64 gameId;
        uint128 poolHash; // top 128 bits of keccak256(pool): the validator is drawn from the submission's pool
        uint32 positions; // trace positions (the claimed token sequence less its last token)
        uint32 leafCount; // trace leaves (positions x layers)
        bytes32 tokensHash; // keccak256 of the claimed token ids, uint32 little-endian
        address challengerAddress;
        bytes32 challengeResult;
        bytes32 challengeRoot;
    }

    /// @notice Where an optimistic task is.
    enum Stage {
        None,
        Open, // waiting for the worker's claim
        Claimed, // in its challenge window
        Challenged, // a game is running
        Upheld, // the game upheld the claim
        Overturned, // the game overturned the claim
        Final
    }

    /// @notice The audit of a claim.
    enum AuditState {
        Undecided, // the claim block's hash has not been read yet
        NotAudited, // the draw decided no audit (or no other server could validate)
        Due, // a validator is drawn and has not audited yet
        Passed, // same result, leaves proven against the claimed root
        Copied, // same result, leaves that do not verify: the validator did not replay
        Disputed, // a different result: the validator challenged (or joined a running challenge)
        Expired // nobody read the claim block's hash while the chain kept it (256 blocks): no audit
    }

    /// @notice Trace leaves a passing audit opens: the last one and AUDIT_LEAVES - 1 drawn ones.
    uint256 public constant AUDIT_LEAVES = 4;
    uint8 internal constant MODE_BIT_OPTIMISTIC = 2;

    // ---------------------------------------------------------------- configuration

    /// @notice What the optimistic mode is deployed with, beside the market's Config.
    /// @param disputeGame the DisputeGame contract (address(0): challenges are refused, GameUnavailable)
    /// @param defaultAuditBps the audit rate of a task that asks for 0
    /// @param minAuditBps the floor of the audit rate (<= defaultAuditBps)
    /// @param defaultWindow the challenge window of a task that asks for 0, seconds
    /// @param minWindow the shortest challenge window, seconds (>= 1)
    /// @param maxWindow the longest challenge window, seconds (<= 30 days)
    /// @param claimBond what a worker whose claim is overturned loses from its stake, wei
    /// @param challengeBond a challenge's bond (msg.value), wei, > 0
    /// @param auditSlash what a validator that copied, stayed silent or lost its dispute loses, wei
    /// @param auditShareBps the share of the fee a passing validator is paid, 0..10,000
    /// @param gameClock seconds on each party's chess clock in a game
    /// @param gameTimeout seconds after a challenge when a game that never reported back counts as no result
    struct Params {
        address disputeGame;
        uint256 defaultAuditBps;
        uint256 minAuditBps;
        uint256 defaultWindow;
        uint256 minWindow;
        uint256 maxWindow;
        uint256 claimBond;
        uint256 challengeBond;
        uint256 auditSlash;
        uint256 auditShareBps;
        uint256 gameClock;
        uint256 gameTimeout;
    }

    IDisputeGame public immutable disputeGame;
    uint256 public immutable defaultAuditBps;
    uint256 public immutable minAuditBps;
    uint256 public immutable defaultWindow;
    uint256 public immutable minWindow;
    uint256 public immutable maxWindow;
    uint256 public immutable claimBond;
    uint256 public immutable challengeBond;
    uint256 public immutable auditSlash;
    uint256 public immutable auditShareBps;
    uint256 public immutable gameClock;
    uint256 public immutable gameTimeout;
    /// @notice keccak256(abi.encode(Config)): the market checks at its deployment that this mode was
    ///         deployed with its own configuration (both read the same immutables).
    bytes32 public immutable configHash;
    /// @dev This contract's own address: code running at it was called directly, not delegated.
    address internal immutable _self;

    // ---------------------------------------------------------------- events and errors

    event OptimisticSubmitted(uint256 indexed taskId, uint256 challengeWindow, uint256 auditBps, uint256 claimDeadline);
    event ResultClaimed(
        uint256 indexed taskId,
        uint256 indexed agentId,
        bytes32 resultHash,
        bytes32 traceRoot,
        bytes32 tokensHash,
        uint32 positions,
        uint32 leafCount,
        bytes output,
        uint256 windowEnd
    );
    /// @notice The audit of a claim was decided from the claim block's hash (validator 0: none).
    event AuditDecided(uint256 indexed taskId, bool audited, uint256 validator);
    /// @notice The validator posted its audit: `state` is Passed, Copied or Disputed (AuditState).
    event Audited(uint256 indexed taskId, uint256 indexed agentId, uint8 state, bytes32 resultHash, bytes32 traceRoot);
    event ClaimChallenged(
        uint256 indexed taskId,
        uint256 indexed agentId,
        address indexed challenger,
        uint256 gameId,
        bytes32 resultHash,
        bytes32 traceRoot,
        uint256 bond
    );
    event ClaimGameResolved(uint256 indexed taskId, uint256 indexed gameId, bool claimerWins);

    error NotDelegated();
    error NotOptimistic(uint256 taskId);
    error InvalidChallengeWindow(uint256 window, uint256 min, uint256 max);
    error AuditRateBelowFloor(uint256 auditBps, uint256 floor);
    error InvalidAuditRate(uint256 auditBps);
    error WrongStage(uint256 taskId, uint8 stage);
    error ClaimWindowClosed(uint256 taskId, uint256 deadline);
    error InvalidTraceShape(uint256 positions, uint256 leafCount);
    error AuditWindowClosed(uint256 taskId, uint256 windowEnd);
    error AuditNotDue(uint256 taskId, uint8 audit);
    error NotTheValidator(uint256 taskId, uint256 agentId, uint256 validator);
    error MalformedAuditProof(uint256 taskId);
    error NoStake(uint256 agentId);
    error SameTraceRoot(uint256 taskId);
    error WorkerCannotChallenge(uint256 taskId);
    error GameUnavailable();
    error NotDisputeGame(address caller);
    error UnknownGame(uint256 taskId, uint256 gameId);
    error AuditUndecided(uint256 taskId);

    /// @param c the market's configuration (the market passes its own and checks configHash)
    /// @param p the mode's own parameters (see Params)
    constructor(Config memory c, Params memory p) TaskMarketBase(c) {
        if (p.minAuditBps > p.defaultAuditBps || p.defaultAuditBps > 10_000) revert InvalidConfig("auditBps");
        if (p.minWindow == 0 || p.minWindow > p.defaultWindow || p.defaultWindow > p.maxWindow || p.maxWindow > 30 days) {
            revert InvalidConfig("challengeWindow");
        }
        if (p.claimBond > type(uint96).max) revert InvalidConfig("claimBond");
        if (p.challengeBond == 0 || p.challengeBond > type(uint96).max) revert InvalidConfig("challengeBond");
        if (p.auditSlash > type(uint96).max) revert InvalidConfig("auditSlash");
        if (p.auditShareBps > 10_000) revert InvalidConfig("auditShareBps");
        if (p.gameClock == 0 || p.gameClock > 30 days) revert InvalidConfig("gameClock");
        if (p.gameTimeout == 0 || p.gameTimeout > 60 days) revert InvalidConfig("gameTimeout");
        // stake that backs a claim or an audit stays slashable for the task's whole life
        if (agentRegistry.unbondingDelay() <= c.commitWindow + p.maxWindow + p.gameTimeout) {
            revert InvalidConfig("unbondingDelay");
        }
        disputeGame = IDisputeGame(p.disputeGame);
        defaultAuditBps = p.defaultAuditBps;
        minAuditBps = p.minAuditBps;
        defaultWindow = p.defaultWindow;
        minWindow = p.minWindow;
        maxWindow = p.maxWindow;
        claimBond = p.claimBond;
        challengeBond = p.challengeBond;
        auditSlash = p.auditSlash;
        auditShareBps = p.auditShareBps;
        gameClock = p.gameClock;
        gameTimeout = p.gameTimeout;
        configHash = keccak256(abi.encode(c));
        _self = address(this);
    }

    modifier delegated() {
        if (address(this) == _self) revert NotDelegated();
        _;
    }


    // ---------------------------------------------------------------- shared internals

    function _claims() internal pure returns (mapping(uint256 => Claim) storage m) {
        // OptimisticStorage's first (only) member is the claims mapping: its slot is the namespace's
        assembly ("memory-safe") {
            m.slot := STORAGE
        }
    }

    function _batchClaims() internal pure returns (mapping(uint256 => BatchClaim) storage m) {
        assembly ("memory-safe") {
            m.slot := add(STORAGE, 1)
        }
    }

    function _itemDisputes() internal pure returns (mapping(uint256 => ItemDispute) storage m) {
        assembly ("memory-safe") {
            m.slot := add(STORAGE, 2)
        }
    }

    function _dataRequests() internal pure returns (mapping(uint256 => DataRequest) storage m) {
        assembly ("memory-safe") {
            m.slot := add(STORAGE, 3)
        }
    }

    /// @dev Until when an item whose data request was answered may still be challenged or audited (0: not answered).
    function _answeredUntil(uint256 itemKey) internal view returns (uint256) {
        DataRequest storage r = _dataRequests()[itemKey];
        return r.stage == DataStage.Answered ? r.deadline : 0;
    }

    function _requireOptimistic(uint256 taskId) internal view returns (uint256 s) {
        s = _tasks[taskId].state;
        if (uint8(s) == uint8(Status.None)) revert UnknownTask(taskId);
        if (uint8(s) != uint8(Status.Optimistic)) revert NotOptimistic(taskId);
    }

    /// @dev Decides the audit from the claim block's hash (Expired when the chain no longer has it).
    function _decideAudit(uint256 taskId, Claim storage c, bytes calldata pool) internal {
        bytes32 h = blockhash(c.claimBlock);
        if (h == 0) {
            // either the claim's own block (no one can know it yet) or older than 256 blocks
            if (c.claimBlock >= block.number) revert AuditUndecided(taskId);
            c.audit = AuditState.Expired;
            emit AuditDecided(taskId, false, 0);
            return;
        }
        (bool audited, uint256 validator) = _drawValidator(taskId, c, pool, h);
        c.audit = audited ? AuditState.Due : AuditState.NotAudited;
        c.validator = uint32(validator);
        emit AuditDecided(taskId, audited, validator);
    }

    /// @dev r = keccak256(claimBlockHash, taskId): audited when r mod 10,000 < auditBps; the validator is the
    ///      stake-weighted draw keccak256(r, 1) over the pool's entries but the worker's.
    function _drawValidator(uint256 taskId, Claim storage c, bytes calldata pool, bytes32 h)
        internal
        view
        returns (bool audited, uint256 validator)
    {
        uint256 r = uint256(keccak256(abi.encode(h, taskId)));
        return _drawAuditor(r, c.auditBps, c.poolHash, uint32(_tasks[taskId].state >> S_NODES), taskId, pool);
    }

    /// @dev From r: audited when r mod 10,000 < auditBps; the validator is the stake-weighted draw keccak256(r, 1)
    ///      over the entries of `pool` (checked against `poolHash`) but the worker's. `subject` names the task or batch.
    function _drawAuditor(uint256 r, uint256 auditBps, uint256 poolHash, uint256 worker, uint256 subject, bytes calldata pool)
        internal
        pure
        returns (bool audited, uint256 validator)
    {
        if (r % 10_000 >= auditBps) return (false, 0);
        uint256 actual;
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, pool.offset, pool.length)
            actual := shr(128, keccak256(p, pool.length))
        }
        if (actual != poolHash || pool.length < POOL_HEADER) revert PoolMismatch(subject);
        uint256 total;
        uint256 n = (pool.length - POOL_HEADER) / POOL_ENTRY;
        for (uint256 i; i < n; ++i) {
            (uint256 id, uint256 weight) = _entry(pool, i);
            if (id != worker) total += weight;
        }
        if (total == 0) return (false, 0); // no one else serves the model
        uint256 x = uint256(keccak256(abi.encode(r, 1))) % total;
        for (uint256 i; i < n; ++i) {
            (uint256 id, uint256 weight) = _entry(pool, i);
            if (id == worker) continue;
            if (x < weight) return (true, id);
            x -= weight;
        }
    }

    function _entry(bytes calldata pool, uint256 i) internal pure returns (uint256 id, uint256 weight) {
        uint256 word;
        uint256 offset = POOL_HEADER + i * POOL_ENTRY;
        assembly ("memory-safe") {
            word := calldataload(add(pool.offset, offset))
        }
        id = word >> 224;
        weight = uint64(word >> 160);
    }

    /// @dev The leaves an audit opens: the last one (it depends on every earlier step of the trace), then
    ///      AUDIT_LEAVES - 1 drawn by keccak256(claimBlockHash, taskId, j).
    function _auditIndices(bytes32 h, uint256 taskId, uint256 leafCount) internal pure returns (uint256[] memory idx) {
        idx = new uint256[](AUDIT_LEAVES);
        if (leafCount == 0) return idx;
        idx[0] = leafCount - 1;
        for (uint256 j = 1; j < AUDIT_LEAVES; ++j) {
            idx[j] = uint256(keccak256(abi.encode(h, taskId, j))) % leafCount;
        }
    }

    /// @dev Whether every opened leaf verifies against `root` (inference's MerkleTree rule), the leaves being
    ///      those _auditIndices(h, id, leafCount) names. A structurally malformed proof (wrong counts) reverts;
    ///      hashes that do not verify return false.
    function _leavesProven(
        uint256 id,
        bytes32 h,
        uint256 leafCount,
        bytes32 root,
        bytes32[] calldata leaves,
        bytes32[] calldata proof
    ) internal pure returns (bool ok) {
        if (leaves.length != AUDIT_LEAVES) revert MalformedAuditProof(id);
        uint256[] memory idx = _auditIndices(h, id, leafCount);
        uint256 used;
        ok = true;
        for (uint256 j; j < AUDIT_LEAVES; ++j) {
            bytes32 node = keccak256(abi.encodePacked(bytes1(0x00), leaves[j]));
            uint256 i = idx[j];
            for (uint256 size = leafCount; size > 1; size = (size + 1) >> 1) {
                if (!(i == size - 1 && size & 1 == 1)) {
                    if (used >= proof.length) revert MalformedAuditProof(id);
                    bytes32 sibling = proof[used++];
                    node = i & 1 == 0
                        ? keccak256(abi.encodePacked(bytes1(0x01), node, sibling))
                        : keccak256(abi.encodePacked(bytes1(0x01), sibling, node));
                }
                i >>= 1;
            }
            if (node != root) ok = false;
        }
        if (used != proof.length) revert MalformedAuditProof(id);
    }

    function _slash(uint256 taskId, uint256 agentId, uint256 pos, uint256 amount, SlashReason reason)
        internal
        returns (uint256 taken)
    {
        Account storage account = _accounts[agentId];
        if (account.faults != type(uint32).max) account.faults += 1;
        taken = amount == 0 ? 0 : agentRegistry.slash(agentId, amount);
        if (taken != 0) _addDiscounts(agentId, 0, 0, taken);
        emit NodeSlashed(taskId, agentId, uint8(pos), uint8(reason), taken);
    }

    /// @dev Appends entry `n` (agent id, outcome) to a packed reputation record word (see ReplicatedSettlement).
    function _record(uint256 records, uint256 n, uint256 agentId, ITaskRecords.NodeOutcome outcome)
        internal
        pure
        returns (uint256)
    {
        return records | ((agentId | (uint256(uint8(outcome)) << 32)) << (36 * n));
    }
}
