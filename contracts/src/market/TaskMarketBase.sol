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
        Challenged
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
        Challenged
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

    // ---------------------------------------------------------------- events

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
        uint256 commitDeadline,
        uint32[] nodes
    );
    event Committed(uint256 indexed taskId, uint256 indexed agentId, address indexed node, uint8 lane, bytes32 commitment);
    /// @dev The revealing address is the one in the agent's Committed event (the commitment binds it), and
    ///      the position follows from the agent id; neither is repeated here.
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

    function _seed(uint256 taskId, uint256 round) internal view returns (uint256) {
        return uint256(keccak256(abi.encode(block.prevrandao, taskId, round)));
    }

    /// @dev Draws `count` seats among the model's servers (checking first, when `checkMode`, that the
    ///      model supports replicated mode), skipping the ids in `exclude` (a task's current nodes; zero
    ///      entries are ignored). Each seat is an independent draw, with replacement, with probability
    ///      proportional to selection weight: the number of seats a set of agents gets is Binomial(count,
    ///      its share of the weight), whatever the number of agents its stake is split over (the Sybil
    ///      argument, docs/DESIGN.md section 6). One agent may so hold several seats. Returns an empty
    ///      list when fewer than `count` distinct agents are eligible. O(servers) reads.
    function _draw(uint32 modelId, uint32[7] memory exclude, uint256 count, uint256 seed, bool checkMode)
        internal
        view
        returns (uint32[] memory picked)
    {
        // Hand-encoded calls: the compiler's generic decoding of the two returned arrays, its encoding of
        // the id array and its bounds-checked memory indexing cost about 4,000 gas per submission.
        // Memory: at q the calldata of stakeWeights(uint32[]) = selector | 0x20 | n | ids[n], built by
        // copying drawPool's returned array (modes | 0x40 | n | ids[n]) behind the selector; at w the
        // returned weights[n]. The free memory pointer is moved past both.
        address pool = address(modelRegistry);
        address agents = address(agentRegistry);
        bytes4 poolSel = IModelRegistry.drawPool.selector;
        bytes4 weightsSel = IAgentRegistry.stakeWeights.selector;
        uint256 modes;
        uint256 n;
        uint256 ids; // memory address of ids[0]
        uint256 w; // memory address of weights[0]
        assembly ("memory-safe") {
            let q := mload(0x40)
            mstore(q, poolSel)
            mstore(add(q, 4), modelId)
            if iszero(staticcall(gas(), pool, q, 0x24, 0, 0)) {
                returndatacopy(q, 0, returndatasize())
                revert(q, returndatasize())
            }
            if lt(returndatasize(), 0x60) { revert(0, 0) }
            returndatacopy(0, 0, 0x60) // modes, offset, n
            modes := mload(0)
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
        if (checkMode && modes & MODE_BIT_REPLICATED == 0) revert ModelModeUnsupported(modelId, uint8(modes));

        uint256 total;
        uint256 eligible;
        assembly ("memory-safe") {
            let excluding := iszero(iszero(mload(exclude))) // only replacements skip the task's current nodes
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let wi := add(w, shl(5, i))
                let weight := mload(wi)
                if weight {
                    if excluding {
                        let id := mload(add(ids, shl(5, i)))
                        for { let j := 0 } lt(j, 7) { j := add(j, 1) } {
                            if eq(mload(add(exclude, shl(5, j))), id) {
                                weight := 0
                                mstore(wi, 0)
                                break
                            }
                        }
                    }
                    if weight {
                        total := add(total, weight)
                        eligible := add(eligible, 1)
                    }
                }
            }
        }
        if (eligible < count) return new uint32[](eligible);
        picked = new uint32[](count);
        assembly ("memory-safe") {
            for { let d := 0 } lt(d, count) { d := add(d, 1) } {
                mstore(0, seed)
                mstore(0x20, d)
                let r := mod(keccak256(0, 0x40), total)
                let acc := 0
                for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                    let wi := add(w, shl(5, i))
                    acc := add(acc, mload(wi))
                    if lt(r, acc) {
                        // with replacement: the agent stays in the pool for the next seat
                        mstore(add(picked, shl(5, add(d, 1))), and(mload(add(ids, shl(5, i))), 0xffffffff))
                        break
                    }
                }
            }
        }
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

    /// @dev FLAG_MULTISEAT when two of the task's k positions hold the same agent, else 0.
    function _multiSeatFlag(uint32[7] memory nodes, uint256 k) internal pure returns (uint8) {
        for (uint256 i = 1; i < k; ++i) {
            for (uint256 j; j < i; ++j) {
                if (nodes[i] == nodes[j]) return FLAG_MULTISEAT;
            }
        }
        return 0;
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
        uint8 full = _fullMask(t.k);
        if (t.committed != full) return block.timestamp <= t.deadline ? Phase.Committing : Phase.Finalizable;
        if (t.revealed != full && block.timestamp <= uint256(t.deadline) + revealWindow) return Phase.Revealing;
        return Phase.Finalizable;
    }
}
