// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAgentRegistry} from "../interfaces/IAgentRegistry.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {ILedgermindConsumer} from "../interfaces/ILedgermindConsumer.sol";
import {ITaskRecords} from "../interfaces/ITaskRecords.sol";
import {ReputationRegistry} from "../ReputationRegistry.sol";
import {ValidationRegistry} from "../ValidationRegistry.sol";

/// @title What the task market and its verification modes share: configuration, storage layout,
///        events, errors, the packed task word codec, the money counters and the stake-weighted draw.
/// @notice The market (TaskMarket) and each verification mode (ReplicatedSettlement) inherit it; a
///         mode runs by DELEGATECALL from the market, on the market's storage, so both must have this
///         exact layout and the same configuration (the market deploys its modes with its own Config).
///         See TaskMarket for the protocol and the storage notes.
abstract contract TaskMarketBase {
    // ---------------------------------------------------------------- constants and types

    /// @notice Verification modes; only Replicated is built, the others are reserved.
    enum Mode {
        Replicated,
        Optimistic,
        Ensemble
    }

    /// @notice The stored status of a task. Held: a quorum accepted a result but not every seat revealed
    ///         it; nothing is paid or slashed until the challenge window (one reveal window) has passed.
    ///         Challenged: a dissenting seat disputed a held result; frozen until its resolution time.
    enum Status {
        None,
        Active,
        Accepted,
        Refunded,
        Held,
        Challenged,
        // ---- optimistic mode (OptimisticSettlement): claimed or waiting for its claim, not final yet
        Optimistic
    }

    /// @notice The phase of a task, derived from its status, bitmaps and the clock.
    enum Phase {
        None,
        Committing,
        Revealing,
        Finalizable,
        Accepted,
        Refunded,
        Held,
        Challenged,
        // ---- optimistic mode: open (waiting for the claim, in its challenge window, or in a game) until its deadline
        Optimistic
    }

    /// @notice Why a node was slashed.
    enum SlashReason {
        NoCommit,
        NoReveal,
        Dissent
    }

    /// @notice Task flag: call ILedgermindConsumer.onTaskFinalized on the requester at finalization.
    uint8 public constant FLAG_CALLBACK = 1;
    uint8 internal constant FLAGS_MASK = FLAG_CALLBACK;
    /// @dev Internal flag: `_bonus[taskId]` may be non-zero (set by a commit timeout), so settlement
    ///      reads that word only when there can be something in it.
    uint8 internal constant FLAG_BONUS = 2;
    /// @dev Internal flag: some agent holds more than one seat of the task, so finding an agent's seats
    ///      must look at every position (without it, the first match is the only one).
    uint8 internal constant FLAG_MULTISEAT = 4;
    /// @notice Task flag (read in TaskView.flags): the seats of the current round are not drawn yet. They
    ///         are drawn from the pool snapshot taken when the round opened, with the hash of the block that
    ///         opened it, by the round's first commit (or by finalize); see `drawSeats`.
    uint8 public constant FLAG_DRAW_PENDING = 8;
    uint8 internal constant NO_LEADER = 0xff;
    /// @notice Commitment lanes per agent (lane indexes 0..255).
    uint256 public constant LANES = 256;

    // bit offsets in TaskWords.state
    uint256 internal constant S_K = 8;
    uint256 internal constant S_COMMITTED = 16;
    uint256 internal constant S_REVEALED = 24;
    uint256 internal constant S_AGREED = 32;
    uint256 internal constant S_LEADER = 40;
    uint256 internal constant S_FLAGS = 48;
    uint256 internal constant S_ROUND = 56;
    uint256 internal constant S_DEADLINE = 64;
    uint256 internal constant S_MODEL = 96;
    uint256 internal constant S_NODES = 128;
    /// @dev Bytes of a pool snapshot: a header (uint64 number of the block that opened the round), then one
    ///      entry per eligible server (uint32 agent id, uint64 selection weight), packed.
    uint256 internal constant POOL_HEADER = 8;
    uint256 internal constant POOL_ENTRY = 12;
    /// @notice The largest redundancy the storage layout holds (position bitmaps are one byte).
    uint256 public constant MAX_K = 7;
    uint8 internal constant MODE_BIT_REPLICATED = 1;
    uint256 internal constant CALLBACK_GAS_RESERVE = 20_000;

    /// @notice A decoded task. `deadline` is the commit deadline while active and the finalization
    ///         time once final. `nodes` holds k agent ids. `requester` and `fee` are only filled by
    ///         `_loadPayment`.
    struct Task {
        Status status;
        uint8 k;
        uint8 committed;
        uint8 revealed;
        uint8 agreed;
        uint8 leader;
        uint8 flags;
        uint8 round;
        uint32 deadline;
        uint32 modelId;
        uint32[7] nodes;
        address requester;
        uint96 fee;
    }

    /// @notice A task as the view functions return it.
    struct TaskView {
        address requester;
        uint8 status;
        uint8 phase;
        uint8 mode;
        uint8 flags;
        uint8 k;
        uint8 round;
        uint8 committedMask;
        uint8 revealedMask;
        uint8 acceptedMask;
        uint32 modelId;
        uint256 fee;
        uint256 commitDeadline;
        uint256 revealDeadline;
        uint256 finalizedAt;
        /// @dev Held: the end of the challenge window; Challenged: the resolution time; else 0
        uint256 heldUntil;
    }

    struct TaskWords {
        uint256 state;
        uint256 payment;
        uint256 extra;
    }

    /// @dev A revealed (result hash, trace root), stored for the leader and for revealers that differ from it.
    struct Result {
        bytes32 resultHash;
        bytes32 traceRoot;
    }

    /// @dev One word: global counters.
    struct Totals {
        uint64 taskCount;
        uint96 escrowed;
        uint96 unclaimed;
    }

    /// @dev One word per agent. earned and claimed only grow, so the word never returns to zero and
    ///      crediting a known agent costs a warm-value write rather than a fresh slot. The counters agreed
    ///      and faults saturate rather than overflow (a settlement must never revert on them).
    struct Account {
        uint96 earned;
        uint96 claimed;
        uint32 agreed;
        uint32 faults;
    }

    // ---------------------------------------------------------------- configuration

    IAgentRegistry public immutable agentRegistry;
    IModelRegistry public immutable modelRegistry;
    ReputationRegistry public immutable reputationRegistry;
    ValidationRegistry public immutable validationRegistry;
    /// @notice Receives the treasury share of slash proceeds and fee rounding dust (pull).
    address public immutable treasury;
    uint256 public immutable commitWindow;
    uint256 public immutable revealWindow;
    uint256 public immutable maxInputBytes;
    uint256 public immutable maxOutputBytes;
    uint256 public immutable maxK;
    uint256 public immutable maxRounds;
    uint256 public immutable minFee;
    uint256 public immutable dissentSlash;
    uint256 public immutable absenceSlash;
    uint256 public immutable slashHonestBps;
    uint256 public immutable callbackGasLimit;
    uint256 public immutable declineShareBps;

    // ---------------------------------------------------------------- state

    Totals internal _totals;
    mapping(uint256 taskId => TaskWords) internal _tasks;
    mapping(uint256 agentId => bytes32[LANES]) internal _lanes;
    mapping(uint256 taskId => Result[7]) internal _results;
    mapping(uint256 taskId => mapping(uint256 position => bytes)) internal _output;
    mapping(uint256 taskId => uint256) internal _bonus;
    /// @dev Callback tasks only: the callback fee held from the submission (see TaskMarket.submitTask).
    mapping(uint256 taskId => uint256) internal _callbackFee;
    mapping(uint256 agentId => Account) internal _accounts;
    /// @dev Per agent, the last address the AgentRegistry confirmed as its operator in a commit. The
    ///      registry clears it whenever the agent's owner or wallet changes (forgetOperator), so a match
    ///      is as good as asking the registry, and a node's steady-state commit makes no external call.
    mapping(uint256 agentId => address) internal _knownOperator;
    /// @notice Refunds and treasury proceeds waiting for `withdrawBalance`, by address.
    mapping(address account => uint256) public pendingWithdrawals;
    /// @dev Replacement rounds only: the top 128 bits of keccak256(pool) of the round's pending draw (round 0
    ///      keeps it in the task's state word instead, where the node ids go once drawn).
    mapping(uint256 taskId => uint256) internal _pendingDraw;
    /// @dev Per agent, the tasks in which it revealed but no result reached the quorum. Kept apart from
    ///      the (full) Account word and written only on that rare path, so that the happy path is unchanged.
    mapping(uint256 agentId => uint32) internal _inconclusive;
    /// @dev Per agent, what its reputation must not count (ReputationRegistry.getSummary): the agreed
    ///      outcomes and the wei paid in tasks requested by one of its own operators, and the wei slashed
    ///      from it (a fault's weight). Written only off the happy path: by ReplicatedSettlement when a
    ///      task's requester is an operator of one of its seats, and by every slash. See `Discounts`.
    mapping(uint256 agentId => uint256) internal _discounts;
    /// @dev Challenged tasks only: the address that posted the challenge bond (it gets the bond back).
    mapping(uint256 taskId => address) internal _challenger;

    /// @dev Per task, the positions (bitmap) whose agent declined it before committing (TaskMarket.decline).
    ///      Written only by decline and read only at a commit timeout, so commit and reveal never touch it.
    mapping(uint256 taskId => uint256) internal _declined;

    // ---------------------------------------------------------------- events

    /// @dev The commit deadline is the submission block's timestamp + commitWindow (getTask); `pool` is the
    ///      snapshot the seats are drawn from (see the assignment notes below).
    event TaskSubmitted(
        uint256 indexed taskId,
        address indexed requester,
        uint32 indexed modelId,
        bytes32 inputHash,
        bytes input,
        uint64 seed,
        uint32 temperatureMilli,
        uint32 maxTokens,
        uint8 kind,
        uint8 k,
        uint8 mode,
        uint8 flags,
        uint256 fee,
        bytes pool
    );
    /// @dev Topics only: the lane and the commitment are the commit's own arguments, and the committing
    ///      address (which the commitment binds, and which must reveal) is its caller, the sender of its
    ///      transaction for an EOA operator; none is repeated here (every commit would pay for it).
    event Committed(uint256 indexed taskId, uint256 indexed agentId);
    /// @dev The revealing address is the agent's committing address (the commitment binds it), and the
    ///      position follows from the agent id; neither is repeated here.
    event Revealed(uint256 indexed taskId, uint256 indexed agentId, bytes32 resultHash, bytes32 traceRoot, bytes output);
    event NodeSlashed(uint256 indexed taskId, uint256 indexed agentId, uint8 position, uint8 reason, uint256 amount);
    event NodeReplaced(
        uint256 indexed taskId,
        uint256 indexed oldAgentId,
        uint256 indexed newAgentId,
        uint8 position,
        uint8 round,
        uint256 commitDeadline,
        uint256 revealDeadline
    );
    /// @notice A commit timeout opened replacement round `round` for the positions in `positions` (a bitmap);
    ///         their seats are drawn from `pool` with the hash of this event's block, like a submission's
    ///         (see `drawSeats`), and NodeReplaced follows when the round's first commit draws them.
    event ReplacementPending(uint256 indexed taskId, uint8 round, uint8 positions, uint256 commitDeadline, bytes pool);
    /// @notice No one committed while the hash of the pool's block was available (256 blocks), so the pending
    ///         seats were never drawn: the task is refunded in full and no one is slashed for them.
    event DrawExpired(uint256 indexed taskId, uint8 round, uint256 seedBlock);
    event TaskFinalized(
        uint256 indexed taskId,
        address indexed requester,
        bool accepted,
        bytes32 resultHash,
        bytes32 traceRoot,
        uint8 acceptedMask,
        uint256 rewardPerNode,
        uint256 refund
    );
    /// @notice A quorum accepted `resultHash` but not unanimously: payouts and slashes wait until `releaseAt`
    ///         (then anyone's `finalize` applies them), and until then a dissenting seat may `challenge`.
    event TaskHeld(
        uint256 indexed taskId, bytes32 resultHash, bytes32 traceRoot, uint8 acceptedMask, uint256 releaseAt
    );
    /// @notice A dissenting seat disputed a held result and bonded `bond`; `finalize` resolves it after
    ///         `resolvableAt` (for now: refund, the challenger's bond back; see ReplicatedSettlement).
    event TaskChallenged(
        uint256 indexed taskId, uint256 indexed agentId, address indexed challenger, uint256 bond, uint256 resolvableAt
    );
    event CallbackResult(uint256 indexed taskId, address indexed consumer, bool success);
    event RewardClaimed(uint256 indexed agentId, address indexed to, uint256 amount);
    event Withdrawal(address indexed account, uint256 amount);

    // ---------------------------------------------------------------- errors

    /// @dev `seats` is the bitmap of the agent's positions in the task, all declined at once.
    event Declined(uint256 indexed taskId, uint256 indexed agentId, uint8 seats);

    error InvalidConfig(string field);
    error ModeNotSupported(uint8 mode);
    error InvalidRedundancy(uint8 k, uint256 maxK);
    error InvalidFlags(uint8 flags);
    error InputTooLarge(uint256 length, uint256 max);
    error ZeroInputHash();
    error InputHashMismatch(bytes32 inputHash, bytes32 actual);
    error FeeTooLow(uint256 fee, uint256 minFee);
    error FeeTooHigh(uint256 fee, uint256 max);
    error ModelModeUnsupported(uint32 modelId, uint8 modes);
    error NotEnoughNodes(uint32 modelId, uint256 eligible, uint256 needed);
    error CallbackRequiresContract(address requester);
    error UnknownTask(uint256 taskId);
    error TaskNotActive(uint256 taskId, uint8 status);
    error NotAssigned(uint256 taskId, uint256 agentId);
    error NotOperator(uint256 agentId, address caller);
    error CommitWindowClosed(uint256 taskId, uint256 deadline);
    error AlreadyCommitted(uint256 taskId, uint256 agentId);
    error ZeroCommitment(uint256 taskId);
    error RevealNotOpen(uint256 taskId, uint8 committedMask);
    error RevealWindowClosed(uint256 taskId, uint256 deadline);
    error AlreadyRevealed(uint256 taskId, uint256 agentId);
    error CommitmentMismatch(uint256 taskId, uint256 agentId);
    error OutputTooLarge(uint256 taskId, uint256 length, uint256 max);
    error OutputHashMismatch(uint256 taskId, bytes32 resultHash, bytes32 outputHash);
    error TooEarly(uint256 taskId, uint256 readyAt);
    error InsufficientGasForCallback(uint256 taskId, uint256 gasLeft, uint256 needed);
    error NothingToClaim(uint256 agentId);
    error NothingToWithdraw(address account);
    error TransferFailed(address to, uint256 amount);
    error UnexpectedPayment(address from);
    error NotAgentRegistry(address caller);
    error InputOverModelBound(uint32 modelId, uint256 length, uint256 maxInputBytes);
    error OutputOverModelBound(uint32 modelId, uint256 maxTokens, uint256 maxOutputTokens);
    error FeeBelowModelPrice(uint32 modelId, uint256 fee, uint256 required);
    error AlreadyDeclined(uint256 taskId, uint256 agentId);
    error DrawPending(uint256 taskId);
    error PoolMismatch(uint256 taskId);
    error SeedBlockUnavailable(uint256 taskId, uint256 seedBlock, uint256 currentBlock);
    error SeedBlockHashMismatch(uint256 taskId, uint256 seedBlock, bytes32 blockHash);
    error TaskNotHeld(uint256 taskId, uint8 status);
    error AlreadyChallenged(uint256 taskId);
    error ChallengeWindowClosed(uint256 taskId, uint256 deadline);
    error NotADissenter(uint256 taskId, uint256 agentId);
    error WrongBond(uint256 taskId, uint256 sent, uint256 required);
    error UnknownFunction(bytes4 selector);


    /// @notice Everything the market is deployed with; all of it is immutable.
    /// @param agentRegistry identities and stake (must already be deployed: its unbonding delay is checked)
    /// @param modelRegistry models and their servers
    /// @param reputationRegistry ERC-8004 reputation (protocol records)
    /// @param validationRegistry ERC-8004 validation (protocol records)
    /// @param treasury receives the treasury share of slashes and fee dust
    /// @param commitWindow seconds from submission (or replacement) to the commit deadline, 1..30 days
    /// @param revealWindow seconds from the commit deadline to the reveal deadline, 1..30 days
    /// @param maxInputBytes inline input cap
    /// @param maxOutputBytes inline output cap
    /// @param maxK largest redundancy, 1..7
    /// @param maxRounds replacement rounds for nodes that never commit, 0..255 (the round counter is 8 bits)
    /// @param minFee smallest task fee, wei
    /// @param dissentSlash slash for revealing a result other than the accepted one, or for withholding a
    ///        reveal, wei; at least absenceSlash
    /// @param absenceSlash slash for never committing, wei
    /// @param slashHonestBps share of slash proceeds paid to the task's accepted nodes, 0..10,000
    /// @param callbackGasLimit gas given to a consumer's onTaskFinalized, at most 5,000,000
    /// @param declineShareBps share of the fee that a task refunded at a commit timeout keeps from its
    ///        requester, per declined seat out of k, for the treasury, 0..10,000 (docs/DESIGN.md 6.2)
    struct Config {
        address agentRegistry;
        address modelRegistry;
        address reputationRegistry;
        address validationRegistry;
        address treasury;
        uint256 commitWindow;
        uint256 revealWindow;
        uint256 maxInputBytes;
        uint256 maxOutputBytes;
        uint256 maxK;
        uint256 maxRounds;
        uint256 minFee;
        uint256 dissentSlash;
        uint256 absenceSlash;
        uint256 slashHonestBps;
        uint256 callbackGasLimit;
        uint256 declineShareBps;
    }

    /// @notice Checks every value, alone and against the others (see Config), and fixes them.
    /// @dev Cross-checks: dissentSlash >= absenceSlash (withholding a reveal, slashed dissentSlash, is
    ///      never cheaper than revealing a wrong result); the agent registry's unbonding delay is longer
    ///      than a task's whole life, (maxRounds + 1) * commitWindow + revealWindow, so that stake still
    ///      unbonding when a node is assigned can be slashed for that task (stake that backs a
    ///      commitment is also held by the registry until the task settles: openCommitments).
    constructor(Config memory c) {
        if (c.agentRegistry == address(0)) revert InvalidConfig("agentRegistry");
        if (c.modelRegistry == address(0)) revert InvalidConfig("modelRegistry");
        if (c.reputationRegistry == address(0)) revert InvalidConfig("reputationRegistry");
        if (c.validationRegistry == address(0)) revert InvalidConfig("validationRegistry");
        if (c.treasury == address(0)) revert InvalidConfig("treasury");
        if (c.commitWindow == 0 || c.commitWindow > 30 days) revert InvalidConfig("commitWindow");
        if (c.revealWindow == 0 || c.revealWindow > 30 days) revert InvalidConfig("revealWindow");
        if (c.maxK == 0 || c.maxK > MAX_K) revert InvalidConfig("maxK");
        if (c.maxRounds > type(uint8).max) revert InvalidConfig("maxRounds");
        if (c.minFee > type(uint96).max) revert InvalidConfig("minFee");
        if (c.dissentSlash > type(uint96).max) revert InvalidConfig("dissentSlash");
        if (c.absenceSlash > c.dissentSlash) revert InvalidConfig("absenceSlash");
        if (c.slashHonestBps > 10_000) revert InvalidConfig("slashHonestBps");
        if (c.callbackGasLimit > 5_000_000) revert InvalidConfig("callbackGasLimit");
        // at most the whole fee: the refund of fee - share never underflows
        if (c.declineShareBps > 10_000) revert InvalidConfig("declineShareBps");
        // a task's longest life: every commit round, the reveal window, then a held result's challenge
        // window and a challenge's resolution time (one reveal window each)
        if (IAgentRegistry(c.agentRegistry).unbondingDelay() <= (c.maxRounds + 1) * c.commitWindow + 3 * c.revealWindow) {
            revert InvalidConfig("unbondingDelay");
        }
        agentRegistry = IAgentRegistry(c.agentRegistry);
        modelRegistry = IModelRegistry(c.modelRegistry);
        reputationRegistry = ReputationRegistry(c.reputationRegistry);
        validationRegistry = ValidationRegistry(c.validationRegistry);
        treasury = c.treasury;
        commitWindow = c.commitWindow;
        revealWindow = c.revealWindow;
        maxInputBytes = c.maxInputBytes;
        maxOutputBytes = c.maxOutputBytes;
        maxK = c.maxK;
        maxRounds = c.maxRounds;
        minFee = c.minFee;
        dissentSlash = c.dissentSlash;
        absenceSlash = c.absenceSlash;
        slashHonestBps = c.slashHonestBps;
        callbackGasLimit = c.callbackGasLimit;
        declineShareBps = c.declineShareBps;
    }

    // The Totals and Account structs are also read and written as whole words below, so that a
    // settlement updates each with one SSTORE: Totals = taskCount (bits 0..63) | escrowed (64..159) |
    // unclaimed (160..255); Account = earned (0..95) | claimed (96..191) | agreed (192..223) |
    // faults (224..255). Amounts stay below 2^96 wei because they are bounded by the market's balance;
    // the counters saturate.

    function _totalsWord() internal view returns (uint256 w) {
        assembly ("memory-safe") {
            w := sload(_totals.slot)
        }
    }

    function _setTotalsWord(uint256 w) internal {
        assembly ("memory-safe") {
            sstore(_totals.slot, w)
        }
    }

    /// @dev escrowed += addEscrowed; unclaimed += addUnclaimed.
    function _addTotals(uint256 addEscrowed, uint256 addUnclaimed) internal {
        uint256 w = _totalsWord();
        uint256 escrowed = uint96(w >> 64) + addEscrowed;
        uint256 unclaimed = (w >> 160) + addUnclaimed;
        assert(escrowed <= type(uint96).max && unclaimed <= type(uint96).max);
        _setTotalsWord(uint64(w) | (escrowed << 64) | (unclaimed << 160));
    }

    /// @dev escrowed -= released (reverts on underflow: escrow never pays out more than it holds);
    ///      unclaimed += addUnclaimed.
    function _releaseEscrow(uint256 released, uint256 addUnclaimed) internal {
        uint256 w = _totalsWord();
        uint256 escrowed = uint96(w >> 64) - released;
        uint256 unclaimed = (w >> 160) + addUnclaimed;
        assert(unclaimed <= type(uint96).max);
        _setTotalsWord(uint64(w) | (escrowed << 64) | (unclaimed << 160));
    }

    /// @dev Credits `amount` to the agent's earned rewards and counts one agreed outcome (saturating), in
    ///      one SSTORE.
    function _creditAgreed(uint256 agentId, uint256 amount) internal {
        assert(amount <= type(uint96).max);
        assembly ("memory-safe") {
            mstore(0x00, agentId)
            mstore(0x20, _accounts.slot)
            let slot := keccak256(0x00, 0x40)
            let w := sload(slot)
            let earned := add(and(w, 0xffffffffffffffffffffffff), amount)
            if gt(earned, 0xffffffffffffffffffffffff) { revert(0, 0) }
            let agreed := and(shr(192, w), 0xffffffff)
            if lt(agreed, 0xffffffff) { agreed := add(agreed, 1) }
            w := or(and(w, not(or(0xffffffffffffffffffffffff, shl(192, 0xffffffff)))), or(earned, shl(192, agreed)))
            sstore(slot, w)
        }
    }

    /// @dev Adds to the agent's reputation discounts, one SSTORE. The word: selfAgreed (bits 0..31, agreed
    ///      outcomes in tasks its own operator requested; saturates) | selfPaid (32..127, wei it was paid in
    ///      them) | slashed (128..223, wei slashed from it).
    function _addDiscounts(uint256 agentId, uint256 selfAgreed, uint256 selfPaid, uint256 slashed) internal {
        uint256 w = _discounts[agentId];
        uint256 count = uint32(w) + selfAgreed;
        if (count > type(uint32).max) count = type(uint32).max;
        uint256 paid = uint96(w >> 32) + selfPaid;
        uint256 lost = uint96(w >> 128) + slashed;
        assert(paid <= type(uint96).max && lost <= type(uint96).max);
        _discounts[agentId] = count | (paid << 32) | (lost << 128);
    }

    /// @dev Calls the consumer with a fixed gas allowance; never reverts on the consumer's behalf and
    ///      copies no return data (a consumer cannot grief with a huge revert payload).
    function _deliver(uint256 taskId, address consumer, bool accepted, bytes32 resultHash, bytes32 traceRoot, bytes memory output)
        internal
    {
        uint256 gasLimit = callbackGasLimit;
        // EIP-150 passes on at most 63/64 of what is left: demand enough that the consumer really
        // gets gasLimit, so a finalizer cannot make the callback fail by sending too little gas.
        uint256 needed = gasLimit * 64 / 63 + CALLBACK_GAS_RESERVE;
        if (gasleft() < needed) revert InsufficientGasForCallback(taskId, gasleft(), needed);
        bytes memory data =
            abi.encodeCall(ILedgermindConsumer.onTaskFinalized, (taskId, accepted, resultHash, traceRoot, output));
        // the requester paid for this gas at submission: the sender of this transaction gets it back
        uint256 callbackFee = _callbackFee[taskId];
        if (callbackFee != 0) {
            pendingWithdrawals[msg.sender] += callbackFee;
            _releaseEscrow(callbackFee, callbackFee);
        }
        bool ok;
        assembly ("memory-safe") {
            ok := call(gasLimit, consumer, 0, add(data, 32), mload(data), 0, 0)
        }
        emit CallbackResult(taskId, consumer, ok);
    }

    // ---------------------------------------------------------------- assignment
    //
    // A round's seats are drawn in two steps, so that no one can know the draw while it can still change
    // the pool (docs/DESIGN.md section 6.1):
    // 1. when the round opens (submitTask, or a commit timeout in finalize) the eligible servers and their
    //    selection weights are frozen into a pool snapshot, emitted in full (TaskSubmitted.pool,
    //    ReplacementPending.pool), of which only the top 128 bits of its keccak256 are stored; the task is
    //    flagged FLAG_DRAW_PENDING;
    // 2. from the next block on, the round's first commit (or finalize) passes the snapshot back; it is
    //    checked against the stored hash and the seats are drawn from it with
    //    seed = keccak256(blockhash(the block that opened the round), taskId, round), a hash that no one
    //    knew when the transaction that opened the round was sent, and that is fixed once it is mined.
    // The snapshot names its block (POOL_HEADER), so the 128-bit field holds only the hash.

    /// @dev Reads the model's servers and their selection weights (checking first, when `checkMode`, that
    ///      the model supports replicated mode) and returns the pool snapshot of those with a positive
    ///      weight, skipping the ids in `exclude` (a task's current nodes; zero entries are ignored), with
    ///      `hash` = the top 128 bits of its keccak256 (in the low 128 bits) and the number of `eligible`
    ///      entries. O(servers) reads.
    function _snapshot(uint32 modelId, uint32[7] memory exclude, bool checkMode)
        internal
        view
        returns (bytes memory pool, uint256 hash, uint256 eligible, uint256 terms)
    {
        // Hand-encoded calls: the compiler's generic decoding of the two returned arrays, its encoding of
        // the id array and its bounds-checked memory indexing cost about 4,000 gas per submission.
        // Memory: at q the calldata of stakeWeights(uint32[]) = selector | 0x20 | n | ids[n], built by
        // copying drawPool's returned array (terms | 0x40 | n | ids[n]) behind the selector; at w the
        // returned weights[n]; then the snapshot. The free memory pointer is moved past all three.
        address servers = address(modelRegistry);
        address agents = address(agentRegistry);
        bytes4 poolSel = IModelRegistry.drawPool.selector;
        bytes4 weightsSel = IAgentRegistry.stakeWeights.selector;
        uint256 n;
        uint256 ids; // memory address of ids[0]
        uint256 w; // memory address of weights[0]
        assembly ("memory-safe") {
            let q := mload(0x40)
            mstore(q, poolSel)
            mstore(add(q, 4), modelId)
            if iszero(staticcall(gas(), servers, q, 0x24, 0, 0)) {
                returndatacopy(q, 0, returndatasize())
                revert(q, returndatasize())
            }
            if lt(returndatasize(), 0x60) { revert(0, 0) }
            returndatacopy(0, 0, 0x60) // terms, offset, n
            terms := mload(0)
            n := mload(0x40)
            if or(iszero(eq(mload(0x20), 0x40)), iszero(eq(returndatasize(), add(0x60, shl(5, n))))) { revert(0, 0) }
            mstore(q, weightsSel)
            mstore(add(q, 4), 0x20)
            returndatacopy(add(q, 0x24), 0x40, add(0x20, shl(5, n))) // n, ids
            ids := add(q, 0x44)
            w := add(ids, shl(5, n))
            if iszero(staticcall(gas(), agents, q, add(0x44, shl(5, n)), 0, 0)) {
                returndatacopy(q, 0, returndatasize())
                revert(q, returndatasize())
            }
            if iszero(eq(returndatasize(), add(0x40, shl(5, n)))) { revert(0, 0) }
            returndatacopy(w, 0x40, shl(5, n))
            mstore(0x40, add(w, shl(5, n)))
        }
        if (checkMode && terms & MODE_BIT_REPLICATED == 0) revert ModelModeUnsupported(modelId, uint8(terms));

        assembly ("memory-safe") {
            pool := mload(0x40)
            let p := add(pool, 0x20)
            mstore(p, shl(192, number()))
            p := add(p, POOL_HEADER)
            let excluding := iszero(iszero(mload(exclude))) // only replacements skip the task's current nodes
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let weight := and(mload(add(w, shl(5, i))), 0xffffffffffffffff)
                if weight {
                    let id := and(mload(add(ids, shl(5, i))), 0xffffffff)
                    if excluding {
                        for { let j := 0 } lt(j, 7) { j := add(j, 1) } {
                            if eq(mload(add(exclude, shl(5, j))), id) {
                                weight := 0
                                break
                            }
                        }
                    }
                    if weight {
                        // one entry: agent id (4 bytes) | weight (8 bytes); the next entry overwrites the rest
                        mstore(p, or(shl(224, id), shl(160, weight)))
                        p := add(p, POOL_ENTRY)
                        eligible := add(eligible, 1)
                    }
                }
            }
            let len := sub(p, add(pool, 0x20))
            mstore(pool, len)
            hash := shr(128, keccak256(add(pool, 0x20), len))
            mstore(0x40, and(add(p, 31), not(31)))
        }
    }

    /// @dev Refuses a task outside its model's terms (IModelRegistry.drawPool's word): an inline input longer
    ///      than maxInputBytes, a maxTokens above maxOutputTokens, or a fee below pricePerToken x (input bytes +
    ///      maxTokens), where an off-chain input (inputLength 0: the contract cannot see it) counts as
    ///      maxInputBytes and the nodes check its real length off-chain (they decline a longer one).
    function _requireWithinTerms(uint32 modelId, uint256 terms, uint256 inputLength, uint256 maxTokens, uint256 fee)
        internal
        pure
    {
        // one branch on the accepted path; the error is worked out only when something is wrong
        bool outside;
        assembly ("memory-safe") {
            let maxIn := and(shr(8, terms), 0xffffffff)
            let bound := add(inputLength, maxTokens)
            if iszero(inputLength) { bound := add(maxIn, maxTokens) }
            // inputLength <= maxInputBytes (a uint256 of calldata length, < 2^32 in practice, fits), maxTokens
            // is a uint32, pricePerToken < 2^96: the product < 2^130, no overflow
            outside := or(
                or(gt(inputLength, maxIn), gt(maxTokens, and(shr(40, terms), 0xffffffff))),
                lt(fee, mul(shr(72, terms), bound))
            )
        }
        if (outside) _revertOutsideTerms(modelId, terms, inputLength, maxTokens, fee);
    }

    function _revertOutsideTerms(uint32 modelId, uint256 terms, uint256 inputLength, uint256 maxTokens, uint256 fee)
        private
        pure
    {
        uint256 maxIn = uint32(terms >> 8);
        uint256 maxOut = uint32(terms >> 40);
        if (inputLength > maxIn) revert InputOverModelBound(modelId, inputLength, maxIn);
        if (maxTokens > maxOut) revert OutputOverModelBound(modelId, maxTokens, maxOut);
        revert FeeBelowModelPrice(modelId, fee, (terms >> 72) * ((inputLength == 0 ? maxIn : inputLength) + maxTokens));
    }

    /// @dev Checks `pool` against the hash stored when the pending round opened (PoolMismatch) and returns
    ///      the number of the block whose hash seeds the draw (the pool's header).
    function _checkPool(uint256 taskId, uint256 s, bytes calldata pool) internal view returns (uint256 seedBlock) {
        uint256 stored = uint8(s >> S_ROUND) == 0 ? s >> S_NODES : _pendingDraw[taskId];
        uint256 actual;
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, pool.offset, pool.length)
            actual := shr(128, keccak256(p, pool.length))
            seedBlock := shr(192, calldataload(pool.offset))
        }
        // the snapshot was built by the contract, so a matching one is well formed (a forged one would need a
        // 128-bit hash collision with it)
        if (actual != stored || pool.length < POOL_HEADER) revert PoolMismatch(taskId);
    }

    /// @dev The state word (and, for k > 4, the extra word) of a task whose draw is pending, with the
    ///      round's pending positions (the uncommitted ones) drawn from `pool` (checked by _checkPool) with
    ///      `blockHash`, the hash of the pool's block: each seat an independent draw, with replacement, with
    ///      probability proportional to the snapshot's weights, in position order. The number of seats a
    ///      set of agents gets is so Binomial(seats, its share of the weight), whatever the number of agents
    ///      its stake is split over (the Sybil argument, docs/DESIGN.md section 6.1). Clears
    ///      FLAG_DRAW_PENDING and sets FLAG_MULTISEAT as the seats require.
    function _drawSeats(uint256 taskId, uint256 s, bytes calldata pool, bytes32 blockHash)
        internal
        view
        returns (uint256 drawn, uint256 extra)
    {
        uint256 round = uint8(s >> S_ROUND);
        uint256 k = uint8(s >> S_K);
        uint256 pending = ((1 << k) - 1) & ~uint256(uint8(s >> S_COMMITTED));
        if (k > 4 && round != 0) extra = _tasks[taskId].extra;
        // One pass over the positions: a pending one gets the next seat d of the draw, at
        // r = keccak256(seed, d) mod total weight, walked down the entries (with replacement: every seat sees
        // the whole pool); each position's id is then compared with the earlier ones (FLAG_MULTISEAT).
        uint256 multi;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, blockHash)
            mstore(add(m, 0x20), taskId)
            mstore(add(m, 0x40), round)
            let seed := keccak256(m, 0x60)
            let entries := add(pool.offset, POOL_HEADER)
            let end := add(pool.offset, pool.length)
            let total := 0
            for { let e := entries } lt(e, end) { e := add(e, POOL_ENTRY) } {
                total := add(total, and(shr(160, calldataload(e)), 0xffffffffffffffff))
            }
            if iszero(round) { s := and(s, sub(shl(S_NODES, 1), 1)) } // drop the pool hash
            let d := 0
            for { let pos := 0 } lt(pos, k) { pos := add(pos, 1) } {
                let id := 0
                switch and(pending, shl(pos, 1))
                case 0 {
                    switch lt(pos, 4)
                    case 1 { id := and(shr(add(S_NODES, shl(5, pos)), s), 0xffffffff) }
                    default { id := and(shr(shl(5, sub(pos, 4)), extra), 0xffffffff) }
                }
                default {
                    mstore(0, seed)
                    mstore(0x20, d)
                    d := add(d, 1)
                    let r := mod(keccak256(0, 0x40), total)
                    for { let e := entries } 1 { e := add(e, POOL_ENTRY) } {
                        let word := calldataload(e)
                        let w := and(shr(160, word), 0xffffffffffffffff)
                        if lt(r, w) {
                            id := shr(224, word)
                            break
                        }
                        r := sub(r, w)
                    }
                    switch lt(pos, 4)
                    case 1 {
                        let at := add(S_NODES, shl(5, pos))
                        s := or(and(s, not(shl(at, 0xffffffff))), shl(at, id))
                    }
                    default {
                        let at := shl(5, sub(pos, 4))
                        extra := or(and(extra, not(shl(at, 0xffffffff))), shl(at, id))
                    }
                }
                for { let j := 0 } lt(j, pos) { j := add(j, 1) } {
                    let other := 0
                    switch lt(j, 4)
                    case 1 { other := and(shr(add(S_NODES, shl(5, j)), s), 0xffffffff) }
                    default { other := and(shr(shl(5, sub(j, 4)), extra), 0xffffffff) }
                    if eq(other, id) { multi := 1 }
                }
            }
        }
        s &= ~(uint256(FLAG_DRAW_PENDING | FLAG_MULTISEAT) << S_FLAGS);
        if (multi != 0) s |= uint256(FLAG_MULTISEAT) << S_FLAGS;
        drawn = s;
    }

    /// @dev Draws the pending seats of the task whose state word is `s` (pool checked by _checkPool) with
    ///      `seedHash` = blockhash(the pool's block), writes the extra word (k > 4) and, in a replacement
    ///      round, emits NodeReplaced for each drawn position; returns the new state word (the caller
    ///      writes it).
    function _resolveDraw(uint256 taskId, uint256 s, bytes calldata pool, bytes32 seedHash) internal returns (uint256) {
        (uint256 drawn, uint256 extra) = _drawSeats(taskId, s, pool, seedHash);
        uint256 k = uint8(s >> S_K);
        uint256 round = uint8(s >> S_ROUND);
        if (round != 0) {
            uint256 oldExtra = k > 4 ? _tasks[taskId].extra : 0;
            uint256 pending = ((1 << k) - 1) & ~uint256(uint8(s >> S_COMMITTED));
            uint256 deadline = uint32(s >> S_DEADLINE);
            for (uint256 pos; pos < k; ++pos) {
                if (pending & (1 << pos) == 0) continue;
                uint256 old = pos < 4 ? uint32(s >> (S_NODES + 32 * pos)) : uint32(oldExtra >> (32 * (pos - 4)));
                uint256 id = pos < 4 ? uint32(drawn >> (S_NODES + 32 * pos)) : uint32(extra >> (32 * (pos - 4)));
                emit NodeReplaced(taskId, old, id, uint8(pos), uint8(round), deadline, deadline + revealWindow);
            }
        }
        if (k > 4) _tasks[taskId].extra = extra;
        return drawn;
    }

    /// @dev The positions (a bitmap) that `agentId` holds in the task whose state word is `s`; reverts
    ///      NotAssigned when it holds none.
    function _seatsIn(uint256 taskId, uint256 s, uint256 agentId) internal view returns (uint256 seats) {
        uint256 k = uint8(s >> S_K);
        bool multi = (s >> S_FLAGS) & FLAG_MULTISEAT != 0;
        uint256 n = k < 4 ? k : 4;
        for (uint256 pos; pos < n; ++pos) {
            if (uint32(s >> (S_NODES + 32 * pos)) == agentId) {
                seats |= 1 << pos;
                if (!multi) return seats;
            }
        }
        if (k > 4) {
            uint256 extra = _tasks[taskId].extra;
            for (uint256 pos = 4; pos < k; ++pos) {
                if (uint32(extra >> (32 * (pos - 4))) == agentId) {
                    seats |= 1 << pos;
                    if (!multi) return seats;
                }
            }
        }
        if (seats == 0) revert NotAssigned(taskId, agentId);
    }

    function _lowestBit(uint256 x) internal pure returns (uint256 pos) {
        while (x & (1 << pos) == 0) ++pos;
    }

    /// @dev Decodes the state word (and the extra word for k > 4); requester and fee are not loaded.
    function _load(uint256 taskId) internal view returns (Task memory t) {
        return _decode(taskId, _tasks[taskId].state);
    }

    function _decode(uint256 taskId, uint256 s) internal view returns (Task memory t) {
        t.status = Status(uint8(s));
        t.k = uint8(s >> S_K);
        t.committed = uint8(s >> S_COMMITTED);
        t.revealed = uint8(s >> S_REVEALED);
        t.agreed = uint8(s >> S_AGREED);
        t.leader = uint8(s >> S_LEADER);
        t.flags = uint8(s >> S_FLAGS);
        t.round = uint8(s >> S_ROUND);
        t.deadline = uint32(s >> S_DEADLINE);
        t.modelId = uint32(s >> S_MODEL);
        // before the first draw the node-id bits hold the pending pool's hash: no one is seated yet
        if (t.round == 0 && t.flags & FLAG_DRAW_PENDING != 0) return t;
        for (uint256 pos; pos < 4; ++pos) {
            t.nodes[pos] = uint32(s >> (S_NODES + 32 * pos));
        }
        if (t.k > 4) {
            uint256 extra = _tasks[taskId].extra;
            for (uint256 pos = 4; pos < MAX_K; ++pos) {
                t.nodes[pos] = uint32(extra >> (32 * (pos - 4)));
            }
        }
    }

    function _loadPayment(uint256 taskId, Task memory t) internal view {
        uint256 p = _tasks[taskId].payment;
        t.requester = address(uint160(p));
        t.fee = uint96(p >> 160);
    }

    function _encodeState(Task memory t) internal pure returns (uint256 s) {
        s = uint256(uint8(t.status)) | (uint256(t.k) << S_K) | (uint256(t.committed) << S_COMMITTED)
            | (uint256(t.revealed) << S_REVEALED) | (uint256(t.agreed) << S_AGREED) | (uint256(t.leader) << S_LEADER)
            | (uint256(t.flags) << S_FLAGS) | (uint256(t.round) << S_ROUND) | (uint256(t.deadline) << S_DEADLINE)
            | (uint256(t.modelId) << S_MODEL);
        for (uint256 pos; pos < 4; ++pos) {
            s |= uint256(t.nodes[pos]) << (S_NODES + 32 * pos);
        }
    }

    function _encodeExtra(Task memory t) internal pure returns (uint256 extra) {
        for (uint256 pos = 4; pos < MAX_K; ++pos) {
            extra |= uint256(t.nodes[pos]) << (32 * (pos - 4));
        }
    }

    /// @dev Writes the state word, and the extra word when k > 4 (replacements change node ids).
    function _storeNodes(uint256 taskId, Task memory t) internal {
        TaskWords storage w = _tasks[taskId];
        w.state = _encodeState(t);
        if (t.k > 4) w.extra = _encodeExtra(t);
    }

    function _nodeList(Task memory t) internal pure returns (uint32[] memory nodes) {
        nodes = new uint32[](t.k);
        for (uint256 i; i < t.k; ++i) nodes[i] = t.nodes[i];
    }

    function _fullMask(uint8 k) internal pure returns (uint8) {
        return uint8((1 << k) - 1);
    }

    function _popcount(uint8 x) internal pure returns (uint256 n) {
        while (x != 0) {
            x &= x - 1;
            ++n;
        }
    }

    function _phase(Task memory t) internal view returns (Phase) {
        if (t.status == Status.None) return Phase.None;
        if (t.status == Status.Accepted) return Phase.Accepted;
        if (t.status == Status.Refunded) return Phase.Refunded;
        if (t.status == Status.Held) return block.timestamp <= t.deadline ? Phase.Held : Phase.Finalizable;
        if (t.status == Status.Challenged) return block.timestamp <= t.deadline ? Phase.Challenged : Phase.Finalizable;
        if (t.status == Status.Optimistic) return block.timestamp <= t.deadline ? Phase.Optimistic : Phase.Finalizable;
        uint8 full = _fullMask(t.k);
        if (t.committed != full) return block.timestamp <= t.deadline ? Phase.Committing : Phase.Finalizable;
        if (t.revealed != full && block.timestamp <= uint256(t.deadline) + revealWindow) return Phase.Revealing;
        return Phase.Finalizable;
    }
}
