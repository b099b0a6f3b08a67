// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IAgentRegistry} from "./interfaces/IAgentRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";
import {ILedgermindConsumer} from "./interfaces/ILedgermindConsumer.sol";
import {ITaskRecords} from "./interfaces/ITaskRecords.sol";
import {IOperatorCache} from "./interfaces/IOperatorCache.sol";
import {ReputationRegistry} from "./ReputationRegistry.sol";
import {ValidationRegistry} from "./ValidationRegistry.sol";

/// @title Ledgermind task market, replicated mode.
/// @notice A requester submits a task (model, input, parameters, redundancy k) with its fee in
///         escrow. k staked nodes that serve the model are drawn, weighted by stake, from
///         block.prevrandao and the task id. Each commits to keccak256(abi.encode(taskId, node,
///         resultHash, traceRoot, salt)) before the commit deadline; once all k have committed they
///         reveal before the reveal deadline. The k-th reveal settles the task in the same
///         transaction; `finalize` settles after a deadline (and handles commit timeouts):
///         - a result (resultHash and traceRoot both equal) revealed by a quorum of floor(k/2)+1
///           positions is accepted; its nodes share the fee; nodes that revealed anything else are
///           slashed `dissentSlash`; nodes that never revealed are slashed `absenceSlash`;
///         - no quorum: the fee is refunded to the requester, non-revealers are still slashed, and each
///           revealer gets an "inconclusive" reputation record (neither paid nor slashed);
///         - commit deadline passed with positions missing: the missing nodes are slashed
///           `absenceSlash` and replaced by fresh draws (keeping the commitments already made) for up
///           to `maxRounds` rounds; when no rounds or too few eligible nodes remain, the fee is refunded.
///         Slash proceeds go `slashHonestBps` to the task's accepted nodes and the rest to the treasury;
///         the fee's rounding remainder goes to the accepted leader (the first revealer of the result).
///
/// @dev State machine of a task (status byte, and the position bitmaps `committed`, `revealed`):
///        Active, committed != full, now <= deadline             : commit phase
///        Active, committed == full, now <= deadline+revealWindow : reveal phase
///        Active, otherwise                                      : finalizable
///        Accepted | Refunded                                    : final (deadline := finalization time)
///      Invariant: committed ⊇ revealed, and revealed != 0 only when committed == full.
///
///      Storage, designed for the gas target (one k=3 task in <= 450k gas). A task is two words (three
///      when k > 4): `state` = status | k | committed | revealed | agreed | leader | flags | round |
///      deadline | modelId | node ids 0..3 (uint32 each), the only word that commit and reveal read;
///      `payment` = requester | fee, read at settlement; `extra` = node ids 4..6.
///
///      Commitments live in per-agent lanes, not per task: `_lanes[agentId][lane]` holds
///      keccak256(abi.encode(taskId, commitment)) from the agent's commit until its reveal, and the node
///      reuses the lane for a later task (a rewrite of a non-zero word costs 5,000 gas instead of the
///      22,100 of a fresh one). The node picks the lane and names it again when it reveals. Binding the
///      lane value to the task id of the commit call means a commitment can only be opened in the task
///      it was committed to: a node cannot plant a second commitment for task A through a commit to task
///      B and later pick the one it likes. A node that reuses a lane before revealing the task that held
///      it destroys its own commitment (it can no longer reveal and is slashed as absent); it cannot
///      touch another agent's lanes (commit checks the operator).
///
///      Reveals: the first revealer (the "leader") and every revealer that differs from it store their
///      (result hash, trace root) in `_results[taskId][position]`; a revealer that agrees with the
///      leader only sets its bit in `agreed`. At settlement `leader` becomes the accepted position and
///      `agreed` the accepted-position mask, so `_results[taskId][leader]` is the accepted result.
///      The ERC-8004 reputation and validation records are events emitted by the registries plus
///      the counters already kept here; the registries answer reads from this contract
///      (ITaskRecords), so no per-record storage is written.
///
///      Funds: this contract's balance always equals `escrowed + unclaimed` (see `totals()`):
///      escrowed = fees of active tasks plus slash proceeds held for an active task's winners;
///      unclaimed = agent rewards not yet claimed plus address balances (refunds, treasury) not yet
///      withdrawn. Stake lives in the AgentRegistry. Payouts are pull-only (`claim`,
///      `withdrawBalance`); the only push is the gas-capped consumer callback, which carries no value.
contract TaskMarket is ReentrancyGuardTransient, ITaskRecords, IOperatorCache {
    // ---------------------------------------------------------------- constants and types

    /// @notice Verification modes; only Replicated is built, the others are reserved.
    enum Mode {
        Replicated,
        Optimistic,
        Ensemble
    }

    /// @notice The stored status of a task.
    enum Status {
        None,
        Active,
        Accepted,
        Refunded
    }

    /// @notice The phase of a task, derived from its status, bitmaps and the clock.
    enum Phase {
        None,
        Committing,
        Revealing,
        Finalizable,
        Accepted,
        Refunded
    }

    /// @notice Why a node was slashed.
    enum SlashReason {
        NoCommit,
        NoReveal,
        Dissent
    }

    /// @notice Task flag: call ILedgermindConsumer.onTaskFinalized on the requester at finalization.
    uint8 public constant FLAG_CALLBACK = 1;
    uint8 private constant FLAGS_MASK = FLAG_CALLBACK;
    /// @dev Internal flag: `_bonus[taskId]` may be non-zero (set by a commit timeout), so settlement
    ///      reads that word only when there can be something in it.
    uint8 private constant FLAG_BONUS = 2;
    uint8 private constant NO_LEADER = 0xff;
    /// @notice Commitment lanes per agent (lane indexes 0..255).
    uint256 public constant LANES = 256;

    // bit offsets in TaskWords.state
    uint256 private constant S_K = 8;
    uint256 private constant S_COMMITTED = 16;
    uint256 private constant S_REVEALED = 24;
    uint256 private constant S_AGREED = 32;
    uint256 private constant S_LEADER = 40;
    uint256 private constant S_FLAGS = 48;
    uint256 private constant S_ROUND = 56;
    uint256 private constant S_DEADLINE = 64;
    uint256 private constant S_MODEL = 96;
    uint256 private constant S_NODES = 128;
    /// @notice The largest redundancy the storage layout holds (position bitmaps are one byte).
    uint256 public constant MAX_K = 7;
    uint8 private constant MODE_BIT_REPLICATED = 1;
    uint256 private constant CALLBACK_GAS_RESERVE = 20_000;

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
    ///      crediting a known agent costs a warm-value write rather than a fresh slot.
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

    Totals private _totals;
    mapping(uint256 taskId => TaskWords) private _tasks;
    mapping(uint256 agentId => bytes32[LANES]) private _lanes;
    mapping(uint256 taskId => Result[7]) private _results;
    mapping(uint256 taskId => mapping(uint256 position => bytes)) private _output;
    mapping(uint256 taskId => uint256) private _bonus;
    mapping(uint256 agentId => Account) private _accounts;
    /// @dev Per agent, the last address the AgentRegistry confirmed as its operator in a commit. The
    ///      registry clears it whenever the agent's owner or wallet changes (forgetOperator), so a match
    ///      is as good as asking the registry, and a node's steady-state commit makes no external call.
    mapping(uint256 agentId => address) private _knownOperator;
    /// @notice Refunds and treasury proceeds waiting for `withdrawBalance`, by address.
    mapping(address account => uint256) public pendingWithdrawals;
    /// @dev Per agent, the tasks in which it revealed but no result reached the quorum. Kept apart from
    ///      the (full) Account word and written only on that rare path, so that the happy path is unchanged.
    mapping(uint256 agentId => uint32) private _inconclusive;

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

    // ---------------------------------------------------------------- construction

    /// @param addrs [agentRegistry, modelRegistry, reputationRegistry, validationRegistry, treasury]
    /// @param params [commitWindow s, revealWindow s, maxInputBytes, maxOutputBytes, maxK, maxRounds,
    ///               minFee wei, dissentSlash wei, absenceSlash wei, slashHonestBps, callbackGasLimit]
    constructor(address[5] memory addrs, uint256[11] memory params) {
        for (uint256 i; i < 5; ++i) {
            if (addrs[i] == address(0)) revert InvalidConfig("address");
        }
        agentRegistry = IAgentRegistry(addrs[0]);
        modelRegistry = IModelRegistry(addrs[1]);
        reputationRegistry = ReputationRegistry(addrs[2]);
        validationRegistry = ValidationRegistry(addrs[3]);
        treasury = addrs[4];
        if (params[0] == 0 || params[0] > 30 days) revert InvalidConfig("commitWindow");
        if (params[1] == 0 || params[1] > 30 days) revert InvalidConfig("revealWindow");
        if (params[4] == 0 || params[4] > MAX_K) revert InvalidConfig("maxK");
        if (params[6] > type(uint96).max) revert InvalidConfig("minFee");
        if (params[7] > type(uint96).max) revert InvalidConfig("dissentSlash");
        if (params[8] > type(uint96).max) revert InvalidConfig("absenceSlash");
        if (params[9] > 10_000) revert InvalidConfig("slashHonestBps");
        if (params[10] > 5_000_000) revert InvalidConfig("callbackGasLimit");
        commitWindow = params[0];
        revealWindow = params[1];
        maxInputBytes = params[2];
        maxOutputBytes = params[3];
        maxK = params[4];
        maxRounds = params[5];
        minFee = params[6];
        dissentSlash = params[7];
        absenceSlash = params[8];
        slashHonestBps = params[9];
        callbackGasLimit = params[10];
    }

    /// @notice Accepts slash proceeds from the agent registry only; any other payment reverts.
    receive() external payable {
        if (msg.sender != address(agentRegistry)) revert UnexpectedPayment(msg.sender);
    }

    // ---------------------------------------------------------------- requester

    /// @notice Submits a task with `msg.value` as its fee (held in escrow) and draws its k nodes.
    /// @param modelId the model (must support replicated mode)
    /// @param inputHash keccak256 of the input; must match `input` when `input` is non-empty
    /// @param input the inline input (at most maxInputBytes), or empty when delivered off-chain
    /// @param seed the sampling seed
    /// @param temperatureMilli sampling temperature in thousandths (700 = 0.7; 0 = greedy)
    /// @param maxTokens the generation limit (0 for non-generative kinds)
    /// @param kind the task kind (application-defined: embed, classify, generate, ...)
    /// @param k the redundancy, 1..maxK
    /// @param mode the verification mode; only Mode.Replicated (0) is accepted for now
    /// @param flags FLAG_CALLBACK to get ILedgermindConsumer.onTaskFinalized (contracts only)
    /// @return taskId the new task id (from 1)
    function submitTask(
        uint32 modelId,
        bytes32 inputHash,
        bytes calldata input,
        uint64 seed,
        uint32 temperatureMilli,
        uint32 maxTokens,
        uint8 kind,
        uint8 k,
        uint8 mode,
        uint8 flags
    ) external payable nonReentrant returns (uint256 taskId) {
        if (mode != uint8(Mode.Replicated)) revert ModeNotSupported(mode);
        if (k == 0 || k > maxK) revert InvalidRedundancy(k, maxK);
        if (flags & ~FLAGS_MASK != 0) revert InvalidFlags(flags);
        if (flags & FLAG_CALLBACK != 0 && msg.sender.code.length == 0) revert CallbackRequiresContract(msg.sender);
        if (input.length > maxInputBytes) revert InputTooLarge(input.length, maxInputBytes);
        if (inputHash == 0) revert ZeroInputHash();
        if (input.length != 0) {
            bytes32 actual = keccak256(input);
            if (actual != inputHash) revert InputHashMismatch(inputHash, actual);
        }
        if (msg.value == 0 || msg.value < minFee) revert FeeTooLow(msg.value, minFee);
        if (msg.value > type(uint96).max) revert FeeTooHigh(msg.value, type(uint96).max);
        uint32[] memory drawn;
        uint256 deadline;
        (taskId, deadline, drawn) = _open(modelId, k, flags | (mode << 4));
        emit TaskSubmitted(
            taskId,
            msg.sender,
            modelId,
            inputHash,
            input,
            seed,
            temperatureMilli,
            maxTokens,
            kind,
            k,
            mode,
            flags,
            msg.value,
            deadline,
            drawn
        );
    }

    /// @dev Checks the model, draws the nodes, counts the fee into escrow and writes the new task.
    function _open(uint32 modelId, uint8 k, uint8 flagsAndMode)
        private
        returns (uint256 taskId, uint256 deadline, uint32[] memory drawn)
    {
        uint256 tot = _totalsWord();
        taskId = uint64(tot) + 1;
        uint32[7] memory none;
        drawn = _draw(modelId, none, k, _seed(taskId, 0), true);
        if (drawn.length < k) revert NotEnoughNodes(modelId, drawn.length, k);
        uint256 escrowed = uint96(tot >> 64) + msg.value;
        if (escrowed > type(uint96).max) revert FeeTooHigh(msg.value, type(uint96).max - uint96(tot >> 64));
        _setTotalsWord((tot & ~(uint256(type(uint160).max))) | taskId | (escrowed << 64));

        deadline = uint32(block.timestamp + commitWindow);
        uint256 state = uint256(uint8(Status.Active)) | (uint256(k) << S_K) | (uint256(NO_LEADER) << S_LEADER)
            | (uint256(flagsAndMode) << S_FLAGS) | (deadline << S_DEADLINE) | (uint256(modelId) << S_MODEL);
        uint256 extra;
        for (uint256 i; i < k; ++i) {
            if (i < 4) state |= uint256(drawn[i]) << (S_NODES + 32 * i);
            else extra |= uint256(drawn[i]) << (32 * (i - 4));
        }
        TaskWords storage w = _tasks[taskId];
        w.state = state;
        w.payment = uint256(uint160(msg.sender)) | (msg.value << 160);
        if (k > 4) w.extra = extra;
    }

    // ---------------------------------------------------------------- nodes

    /// @notice Commits an assigned node to its result:
    ///         commitment = keccak256(abi.encode(taskId, msg.sender, resultHash, traceRoot, salt)).
    ///         The caller must be the agent's owner or agent wallet, and must reveal from the same address.
    ///         The commitment is kept in one of the agent's lanes (see the contract notes) until the
    ///         reveal, which names the same lane; the node must not reuse that lane for another commit
    ///         before it has revealed here.
    /// @param taskId the task
    /// @param agentId the assigned agent
    /// @param lane the agent's lane to keep the commitment in (0..255)
    /// @param commitment the commitment
    function commit(uint256 taskId, uint256 agentId, uint8 lane, bytes32 commitment) external nonReentrant {
        uint256 s = _tasks[taskId].state;
        if (uint8(s) != uint8(Status.Active)) revert TaskNotActive(taskId, uint8(s));
        uint256 deadline = uint32(s >> S_DEADLINE);
        if (block.timestamp > deadline) revert CommitWindowClosed(taskId, deadline);
        uint256 pos = _positionIn(taskId, s, agentId);
        uint256 bit = 1 << (S_COMMITTED + pos);
        if (s & bit != 0) revert AlreadyCommitted(taskId, agentId);
        if (commitment == 0) revert ZeroCommitment(taskId);
        if (_knownOperator[agentId] != msg.sender) {
            if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
            _knownOperator[agentId] = msg.sender;
        }
        _lanes[agentId][lane] = _laneValue(taskId, commitment);
        _tasks[taskId].state = s | bit;
        emit Committed(taskId, agentId, msg.sender, lane, commitment);
    }

    /// @notice Reveals a committed result. Open once all k positions have committed, until the
    ///         reveal deadline. When `output` is non-empty (required for callback tasks) its keccak256
    ///         must equal `resultHash`; pass resultHash = 0 with a non-empty output to have it computed
    ///         from the output (32 calldata bytes fewer). The k-th reveal settles the task in the same transaction
    ///         (exactly what `finalize` would do), so its sender must leave gas for the consumer
    ///         callback of a callback task.
    /// @param taskId the task
    /// @param agentId the assigned agent
    /// @param lane the lane the commitment was made in
    /// @param resultHash the result hash committed to (0: keccak256(output), when output is non-empty)
    /// @param traceRoot the trace root committed to
    /// @param salt the salt committed with
    /// @param output the inline output (at most maxOutputBytes)
    function reveal(
        uint256 taskId,
        uint256 agentId,
        uint8 lane,
        bytes32 resultHash,
        bytes32 traceRoot,
        bytes32 salt,
        bytes calldata output
    ) external nonReentrant {
        uint256 s = _tasks[taskId].state;
        if (uint8(s) != uint8(Status.Active)) revert TaskNotActive(taskId, uint8(s));
        uint256 full = (1 << uint8(s >> S_K)) - 1;
        if (uint8(s >> S_COMMITTED) != full) revert RevealNotOpen(taskId, uint8(s >> S_COMMITTED));
        uint256 revealDeadline = uint256(uint32(s >> S_DEADLINE)) + revealWindow;
        if (block.timestamp > revealDeadline) revert RevealWindowClosed(taskId, revealDeadline);
        uint256 pos = _positionIn(taskId, s, agentId);
        if (s & (1 << (S_REVEALED + pos)) != 0) revert AlreadyRevealed(taskId, agentId);
        if (output.length > maxOutputBytes) revert OutputTooLarge(taskId, output.length, maxOutputBytes);
        bool callback = (s >> S_FLAGS) & FLAG_CALLBACK != 0;
        if (output.length != 0 || callback) {
            bytes32 outputHash = keccak256(output);
            if (resultHash == 0 && output.length != 0) resultHash = outputHash;
            else if (outputHash != resultHash) revert OutputHashMismatch(taskId, resultHash, outputHash);
        }
        if (_lanes[agentId][lane] != _laneValue(taskId, _commitmentOf(taskId, resultHash, traceRoot, salt))) {
            revert CommitmentMismatch(taskId, agentId);
        }

        s |= 1 << (S_REVEALED + pos);
        uint256 leader = uint8(s >> S_LEADER);
        if (
            leader != NO_LEADER && _results[taskId][leader].resultHash == resultHash
                && _results[taskId][leader].traceRoot == traceRoot
        ) {
            s |= 1 << (S_AGREED + pos);
        } else {
            if (leader == NO_LEADER) s = (s & ~(uint256(0xff) << S_LEADER)) | (pos << S_LEADER);
            _results[taskId][pos] = Result(resultHash, traceRoot);
            if (callback && output.length != 0) _output[taskId][pos] = output;
        }
        emit Revealed(taskId, agentId, resultHash, traceRoot, output);
        if (uint8(s >> S_REVEALED) == full) {
            // the last reveal settles at once: no separate finalize transaction on the happy path
            _settleLastReveal(taskId, s, full);
        } else {
            _tasks[taskId].state = s;
        }
    }

    /// @notice Advances a task past a deadline or settles it; anyone may call. In the reveal phase it
    ///         settles once all k have revealed or the reveal deadline has passed. In the commit phase,
    ///         after the commit deadline, it slashes and replaces the missing nodes (or refunds).
    ///         For callback tasks the caller must leave at least callbackGasLimit for the consumer.
    /// @param taskId the task
    function finalize(uint256 taskId) external nonReentrant {
        Task memory t = _load(taskId);
        if (t.status == Status.None) revert UnknownTask(taskId);
        if (t.status != Status.Active) revert TaskNotActive(taskId, uint8(t.status));
        _loadPayment(taskId, t);
        uint8 full = _fullMask(t.k);
        if (t.committed != full) {
            if (block.timestamp <= t.deadline) revert TooEarly(taskId, uint256(t.deadline) + 1);
            _commitTimeout(taskId, t, full);
        } else {
            uint256 revealDeadline = uint256(t.deadline) + revealWindow;
            if (t.revealed != full && block.timestamp <= revealDeadline) revert TooEarly(taskId, revealDeadline + 1);
            _settle(taskId, t, full);
        }
    }

    /// @notice Pays an agent's unclaimed rewards to its payout address (agentWallet, else owner).
    ///         The agent's owner or wallet only.
    /// @param agentId the agent
    /// @return amount the amount paid
    function claim(uint256 agentId) external nonReentrant returns (uint256 amount) {
        if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
        Account memory a = _accounts[agentId];
        amount = a.earned - a.claimed;
        if (amount == 0) revert NothingToClaim(agentId);
        a.claimed = a.earned;
        _accounts[agentId] = a;
        _totals.unclaimed -= uint96(amount);
        address to = agentRegistry.payoutAddress(agentId);
        emit RewardClaimed(agentId, to, amount);
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }

    /// @inheritdoc IOperatorCache
    function forgetOperator(uint256 agentId) external {
        if (msg.sender != address(agentRegistry)) revert NotAgentRegistry(msg.sender);
        delete _knownOperator[agentId];
    }

    /// @notice Pays the caller's pending refunds or treasury proceeds.
    /// @return amount the amount paid
    function withdrawBalance() external nonReentrant returns (uint256 amount) {
        amount = pendingWithdrawals[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        pendingWithdrawals[msg.sender] = 0;
        _totals.unclaimed -= uint96(amount);
        emit Withdrawal(msg.sender, amount);
        (bool ok,) = msg.sender.call{value: amount}("");
        if (!ok) revert TransferFailed(msg.sender, amount);
    }

    // ---------------------------------------------------------------- views

    /// @notice The commitment a node must submit: keccak256(abi.encode(taskId, node, resultHash, traceRoot, salt)).
    /// @return the commitment
    function commitmentOf(uint256 taskId, address node, bytes32 resultHash, bytes32 traceRoot, bytes32 salt)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(taskId, node, resultHash, traceRoot, salt));
    }

    /// @notice A task's state.
    /// @param taskId the task
    /// @return v the task (status 0 for an unknown id)
    function getTask(uint256 taskId) external view returns (TaskView memory v) {
        Task memory t = _load(taskId);
        _loadPayment(taskId, t);
        v.requester = t.requester;
        v.status = uint8(t.status);
        v.phase = uint8(_phase(t));
        v.mode = t.flags >> 4;
        v.flags = t.flags & FLAGS_MASK;
        v.k = t.k;
        v.round = t.round;
        v.committedMask = t.committed;
        v.revealedMask = t.revealed;
        v.modelId = t.modelId;
        v.fee = t.fee;
        if (t.status == Status.Active) {
            v.commitDeadline = t.deadline;
            v.revealDeadline = uint256(t.deadline) + revealWindow;
        } else if (t.status != Status.None) {
            v.finalizedAt = t.deadline;
            v.acceptedMask = t.status == Status.Accepted ? t.agreed : 0;
        }
    }

    /// @notice The phase of a task (see Phase).
    /// @param taskId the task
    /// @return the phase
    function phaseOf(uint256 taskId) external view returns (Phase) {
        return _phase(_load(taskId));
    }

    /// @notice The agent ids assigned to a task, by position (replacements included).
    /// @param taskId the task
    /// @return nodes k agent ids
    function taskNodes(uint256 taskId) external view returns (uint32[] memory nodes) {
        nodes = _nodeList(_load(taskId));
    }

    /// @notice The accepted result of a task.
    /// @param taskId the task
    /// @return accepted true once a result was accepted
    /// @return resultHash the accepted result hash
    /// @return traceRoot the accepted trace root
    /// @return output the accepted inline output (stored for callback tasks only; else read the Revealed event)
    function taskResult(uint256 taskId)
        external
        view
        returns (bool accepted, bytes32 resultHash, bytes32 traceRoot, bytes memory output)
    {
        uint256 s = _tasks[taskId].state;
        if (uint8(s) != uint8(Status.Accepted)) return (false, 0, 0, "");
        uint256 leader = uint8(s >> S_LEADER);
        Result storage r = _results[taskId][leader];
        return (true, r.resultHash, r.traceRoot, _output[taskId][leader]);
    }

    /// @notice The position of an agent in a task (reverts NotAssigned when it is not assigned).
    /// @return the position, 0..k-1
    function positionOf(uint256 taskId, uint256 agentId) external view returns (uint256) {
        uint256 s = _tasks[taskId].state;
        if (uint8(s) == uint8(Status.None)) revert UnknownTask(taskId);
        return _positionIn(taskId, s, agentId);
    }

    /// @notice An agent's reward account.
    /// @return earned all rewards ever credited
    /// @return claimed all rewards ever paid out
    /// @return agreed tasks in which it revealed the accepted result
    /// @return faults times it was slashed
    function accountOf(uint256 agentId)
        external
        view
        returns (uint256 earned, uint256 claimed, uint256 agreed, uint256 faults)
    {
        Account memory a = _accounts[agentId];
        return (a.earned, a.claimed, a.agreed, a.faults);
    }

    /// @notice An agent's rewards that `claim` would pay now.
    /// @return the amount
    function claimable(uint256 agentId) external view returns (uint256) {
        Account memory a = _accounts[agentId];
        return a.earned - a.claimed;
    }

    /// @notice The fund counters: balance == escrowed + unclaimed at all times.
    /// @return taskCount tasks ever submitted (ids are 1..taskCount)
    /// @return escrowed fees (and held slash proceeds) of active tasks
    /// @return unclaimed unclaimed rewards plus pending withdrawals
    function totals() external view returns (uint256 taskCount, uint256 escrowed, uint256 unclaimed) {
        Totals memory s = _totals;
        return (s.taskCount, s.escrowed, s.unclaimed);
    }

    /// @inheritdoc ITaskRecords
    function outcomeOf(uint256 taskId, uint256 agentId) external view returns (NodeOutcome) {
        Task memory t = _load(taskId);
        if (t.status != Status.Accepted && t.status != Status.Refunded) return NodeOutcome.None;
        for (uint256 pos; pos < t.k; ++pos) {
            if (t.nodes[pos] != agentId) continue;
            uint8 bit = uint8(1 << pos);
            if (t.status == Status.Accepted) {
                if (t.agreed & bit != 0) return NodeOutcome.Agreed;
                return t.revealed & bit != 0 ? NodeOutcome.Dissented : NodeOutcome.Absent;
            }
            if (t.committed != _fullMask(t.k)) return t.committed & bit != 0 ? NodeOutcome.None : NodeOutcome.Absent;
            return t.revealed & bit != 0 ? NodeOutcome.Inconclusive : NodeOutcome.Absent;
        }
        return NodeOutcome.None;
    }

    /// @inheritdoc ITaskRecords
    function validationOf(uint256 taskId)
        external
        view
        returns (bool finalized, uint256 agentId, uint8 response, bytes32 responseHash, uint256 lastUpdate)
    {
        Task memory t = _load(taskId);
        if (t.status != Status.Accepted && t.status != Status.Refunded) return (false, 0, 0, 0, 0);
        if (t.status == Status.Refunded) return (true, 0, 0, 0, t.deadline);
        Result storage r = _results[taskId][t.leader];
        return (
            true,
            t.nodes[t.leader],
            uint8(_popcount(t.agreed) * 100 / t.k),
            keccak256(abi.encode(r.resultHash, r.traceRoot)),
            t.deadline
        );
    }

    /// @inheritdoc ITaskRecords
    function outcomeCounts(uint256 agentId) external view returns (uint32 agreed, uint32 faults, uint32 inconclusive) {
        Account memory a = _accounts[agentId];
        return (a.agreed, a.faults, _inconclusive[agentId]);
    }

    // ---------------------------------------------------------------- settlement
    //
    // Reputation records go to the ReputationRegistry packed in one word: entry i occupies bits
    // [36i, 36i + 36): the agent id in the low 32 bits, the ITaskRecords.NodeOutcome in the high 4.
    // Agent ids start at 1, so an all-zero entry ends the list; k <= 7 entries fit in 252 bits.

    /// @dev Commit deadline passed with positions missing: slash them, then replace or refund.
    function _commitTimeout(uint256 taskId, Task memory t, uint8 full) private {
        uint8 missing = full & ~t.committed;
        (uint256 proceeds, uint256 records,) = _slashPositions(taskId, t, missing, absenceSlash, SlashReason.NoCommit, 0, 0);
        uint256 honest = proceeds * slashHonestBps / 10_000;
        uint256 missingCount = _popcount(missing);

        uint32[] memory drawn;
        if (t.round < maxRounds) drawn = _draw(t.modelId, t.nodes, missingCount, _seed(taskId, uint256(t.round) + 1), false);
        if (drawn.length == missingCount && missingCount != 0) {
            t.round += 1;
            t.deadline = uint32(block.timestamp + commitWindow);
            uint256 d;
            for (uint256 pos; pos < t.k; ++pos) {
                if (missing & (1 << pos) == 0) continue;
                uint32 old = t.nodes[pos];
                t.nodes[pos] = drawn[d++];
                emit NodeReplaced(
                    taskId, old, t.nodes[pos], uint8(pos), t.round, t.deadline, uint256(t.deadline) + revealWindow
                );
            }
            if (honest != 0) {
                _bonus[taskId] += honest;
                t.flags |= FLAG_BONUS;
            }
            if (proceeds != honest) pendingWithdrawals[treasury] += proceeds - honest;
            _addTotals(honest, proceeds - honest);
            _storeNodes(taskId, t);
            reputationRegistry.recordOutcomes(taskId, records);
            return;
        }
        _refund(taskId, t, proceeds, records);
    }

    /// @dev All revealed, or the reveal deadline passed: find a quorum, pay, slash, record.
    function _settle(uint256 taskId, Task memory t, uint8 full) private {
        uint256 quorum = uint256(t.k) / 2 + 1;
        uint8 winners;
        if (t.leader != NO_LEADER) {
            uint8 group = t.agreed | uint8(1 << t.leader);
            if (_popcount(group) >= quorum) winners = group;
            else (t.leader, winners) = _findQuorum(taskId, t.revealed & ~group, quorum);
        }
        if (winners == 0) {
            // no quorum: refund; revealers get an inconclusive record, non-revealers are still at fault
            (uint256 inconclusiveRecords, uint256 entries) = _recordInconclusive(t);
            (uint256 lost, uint256 allRecords,) = _slashPositions(
                taskId, t, full & ~t.revealed, absenceSlash, SlashReason.NoReveal, inconclusiveRecords, entries
            );
            _refund(taskId, t, lost, allRecords);
            return;
        }

        uint256 records;
        uint256 n; // entries in records
        for (uint256 pos; pos < t.k; ++pos) {
            if (winners & (1 << pos) == 0) continue;
            records |= (uint256(t.nodes[pos]) | (uint256(uint8(NodeOutcome.Agreed)) << 32)) << (36 * n++);
        }
        uint256 winnerCount = n;
        uint8 dissenters = t.revealed & ~winners;
        uint256 proceeds;
        if (dissenters | (full & ~t.revealed) != 0) {
            uint256 p1;
            uint256 p2;
            (p1, records, n) = _slashPositions(taskId, t, full & ~t.revealed, absenceSlash, SlashReason.NoReveal, records, n);
            (p2, records, n) = _slashPositions(taskId, t, dissenters, dissentSlash, SlashReason.Dissent, records, n);
            proceeds = p1 + p2;
        }
        uint256 honest = proceeds * slashHonestBps / 10_000;
        uint256 bonus = t.flags & FLAG_BONUS != 0 ? _bonus[taskId] : 0;
        uint256 pool = uint256(t.fee) + bonus + honest;
        uint256 share = pool / winnerCount;
        uint256 dust = pool - share * winnerCount; // rounding remainder: paid to the accepted leader, no extra write
        for (uint256 pos; pos < t.k; ++pos) {
            if (winners & (1 << pos) == 0) continue;
            _creditAgreed(t.nodes[pos], pos == t.leader ? share + dust : share);
        }
        uint256 toTreasury = proceeds - honest;
        if (toTreasury != 0) pendingWithdrawals[treasury] += toTreasury;
        _releaseEscrow(uint256(t.fee) + bonus, pool + toTreasury);

        t.status = Status.Accepted;
        t.agreed = winners;
        t.deadline = uint32(block.timestamp);
        _tasks[taskId].state = _encodeState(t);

        Result storage r = _results[taskId][t.leader];
        bytes32 resultHash = r.resultHash;
        bytes32 traceRoot = r.traceRoot;
        emit TaskFinalized(taskId, t.requester, true, resultHash, traceRoot, winners, share, 0);
        reputationRegistry.recordOutcomes(taskId, records);
        validationRegistry.recordTaskValidation(
            taskId, t.nodes[t.leader], uint8(winnerCount * 100 / t.k), keccak256(abi.encode(resultHash, traceRoot))
        );
        if (t.flags & FLAG_CALLBACK != 0) {
            _deliver(taskId, t.requester, true, resultHash, traceRoot, _output[taskId][t.leader]);
        }
    }

    /// @dev The k-th reveal. The common case (all k revealed the leader's result and no slash bonus is
    ///      held from a commit timeout) is settled here straight from the state word, with the same
    ///      effects as `_settle` would have; anything else goes through `_settle`.
    function _settleLastReveal(uint256 taskId, uint256 s, uint256 full) private {
        uint256 leader = uint8(s >> S_LEADER);
        if ((uint8(s >> S_AGREED) | (1 << leader)) != full || (s >> S_FLAGS) & FLAG_BONUS != 0) {
            Task memory t = _decode(taskId, s);
            _loadPayment(taskId, t);
            _settle(taskId, t, uint8(full));
            return;
        }
        uint256 k = uint8(s >> S_K);
        uint256 p = _tasks[taskId].payment;
        uint256 fee = p >> 160;
        uint256 share = fee / k;
        uint256 extra = k > 4 ? _tasks[taskId].extra : 0;
        uint256 records;
        uint256 leaderId;
        for (uint256 pos; pos < k; ++pos) {
            uint256 agentId = pos < 4 ? uint32(s >> (S_NODES + 32 * pos)) : uint32(extra >> (32 * (pos - 4)));
            // the fee's rounding remainder goes to the leader
            _creditAgreed(agentId, pos == leader ? fee - share * (k - 1) : share);
            records |= (agentId | (uint256(uint8(NodeOutcome.Agreed)) << 32)) << (36 * pos);
            if (pos == leader) leaderId = agentId;
        }
        _releaseEscrow(fee, fee);
        s = (s & ~(uint256(0xff) | (uint256(0xff) << S_AGREED) | (uint256(type(uint32).max) << S_DEADLINE)))
            | uint256(uint8(Status.Accepted)) | (full << S_AGREED) | (uint256(uint32(block.timestamp)) << S_DEADLINE);
        _tasks[taskId].state = s;

        Result storage r = _results[taskId][leader];
        bytes32 resultHash = r.resultHash;
        bytes32 traceRoot = r.traceRoot;
        address requester = address(uint160(p));
        emit TaskFinalized(taskId, requester, true, resultHash, traceRoot, uint8(full), share, 0);
        reputationRegistry.recordOutcomes(taskId, records);
        validationRegistry.recordTaskValidation(taskId, leaderId, 100, keccak256(abi.encode(resultHash, traceRoot)));
        if ((s >> S_FLAGS) & FLAG_CALLBACK != 0) {
            _deliver(taskId, requester, true, resultHash, traceRoot, _output[taskId][leader]);
        }
    }

    // The Totals and Account structs are also read and written as whole words below, so that a
    // settlement updates each with one SSTORE: Totals = taskCount (bits 0..63) | escrowed (64..159) |
    // unclaimed (160..255); Account = earned (0..95) | claimed (96..191) | agreed (192..223) |
    // faults (224..255). Amounts stay below 2^96 wei because they are bounded by this contract's
    // balance; counters below 2^32 because each needs a task.

    function _totalsWord() private view returns (uint256 w) {
        assembly ("memory-safe") {
            w := sload(_totals.slot)
        }
    }

    function _setTotalsWord(uint256 w) private {
        assembly ("memory-safe") {
            sstore(_totals.slot, w)
        }
    }

    /// @dev escrowed += addEscrowed; unclaimed += addUnclaimed.
    function _addTotals(uint256 addEscrowed, uint256 addUnclaimed) private {
        uint256 w = _totalsWord();
        uint256 escrowed = uint96(w >> 64) + addEscrowed;
        uint256 unclaimed = (w >> 160) + addUnclaimed;
        assert(escrowed <= type(uint96).max && unclaimed <= type(uint96).max);
        _setTotalsWord(uint64(w) | (escrowed << 64) | (unclaimed << 160));
    }

    /// @dev escrowed -= released (reverts on underflow: escrow never pays out more than it holds);
    ///      unclaimed += addUnclaimed.
    function _releaseEscrow(uint256 released, uint256 addUnclaimed) private {
        uint256 w = _totalsWord();
        uint256 escrowed = uint96(w >> 64) - released;
        uint256 unclaimed = (w >> 160) + addUnclaimed;
        assert(unclaimed <= type(uint96).max);
        _setTotalsWord(uint64(w) | (escrowed << 64) | (unclaimed << 160));
    }

    /// @dev Credits `amount` to the agent's earned rewards and counts one agreed outcome, in one SSTORE.
    function _creditAgreed(uint256 agentId, uint256 amount) private {
        assert(amount <= type(uint96).max);
        assembly ("memory-safe") {
            mstore(0x00, agentId)
            mstore(0x20, _accounts.slot)
            let slot := keccak256(0x00, 0x40)
            let w := sload(slot)
            let earned := add(and(w, 0xffffffffffffffffffffffff), amount)
            let agreed := add(and(shr(192, w), 0xffffffff), 1)
            if or(gt(earned, 0xffffffffffffffffffffffff), gt(agreed, 0xffffffff)) { revert(0, 0) }
            w := or(and(w, not(or(0xffffffffffffffffffffffff, shl(192, 0xffffffff)))), or(earned, shl(192, agreed)))
            sstore(slot, w)
        }
    }

    /// @dev Refunds the fee to the requester (pull); held bonus and slash proceeds go to the treasury.
    function _refund(uint256 taskId, Task memory t, uint256 proceeds, uint256 records) private {
        uint256 bonus = t.flags & FLAG_BONUS != 0 ? _bonus[taskId] : 0;
        pendingWithdrawals[t.requester] += t.fee;
        if (bonus + proceeds != 0) pendingWithdrawals[treasury] += bonus + proceeds;
        _releaseEscrow(uint256(t.fee) + bonus, uint256(t.fee) + bonus + proceeds);

        t.status = Status.Refunded;
        t.agreed = 0;
        t.leader = NO_LEADER;
        t.deadline = uint32(block.timestamp);
        _tasks[taskId].state = _encodeState(t);

        emit TaskFinalized(taskId, t.requester, false, 0, 0, 0, 0, t.fee);
        if (records != 0) reputationRegistry.recordOutcomes(taskId, records);
        validationRegistry.recordTaskValidation(taskId, t.nodes[0], 0, 0);
        if (t.flags & FLAG_CALLBACK != 0) _deliver(taskId, t.requester, false, 0, 0, "");
    }

    /// @dev Slashes each position in `mask` by `amount`; returns the proceeds and `records` (holding `n`
    ///      entries) with one packed reputation record appended per slashed node.
    function _slashPositions(
        uint256 taskId,
        Task memory t,
        uint8 mask,
        uint256 amount,
        SlashReason reason,
        uint256 records,
        uint256 n
    ) private returns (uint256 proceeds, uint256, uint256) {
        uint256 outcome = uint256(uint8(reason == SlashReason.Dissent ? NodeOutcome.Dissented : NodeOutcome.Absent));
        for (uint256 pos; pos < t.k; ++pos) {
            if (mask & (1 << pos) == 0) continue;
            uint256 agentId = t.nodes[pos];
            _accounts[agentId].faults += 1;
            uint256 taken = amount == 0 ? 0 : agentRegistry.slash(agentId, amount);
            proceeds += taken;
            records |= (agentId | (outcome << 32)) << (36 * n++);
            emit NodeSlashed(taskId, agentId, uint8(pos), uint8(reason), taken);
        }
        return (proceeds, records, n);
    }

    /// @dev No quorum: counts an inconclusive outcome for each revealer and returns their packed
    ///      reputation records and how many there are.
    function _recordInconclusive(Task memory t) private returns (uint256 records, uint256 n) {
        for (uint256 pos; pos < t.k; ++pos) {
            if (t.revealed & (1 << pos) == 0) continue;
            uint256 agentId = t.nodes[pos];
            _inconclusive[agentId] += 1;
            records |= (agentId | (uint256(uint8(NodeOutcome.Inconclusive)) << 32)) << (36 * n++);
        }
    }

    /// @dev Among revealed positions that differ from the leader, finds a group of equal results
    ///      with at least `quorum` members. Returns (its first position, its mask) or (NO_LEADER, 0).
    function _findQuorum(uint256 taskId, uint8 rest, uint256 quorum) private view returns (uint8, uint8) {
        for (uint256 p; p < MAX_K; ++p) {
            if (rest & (1 << p) == 0) continue;
            bytes32 r = _results[taskId][p].resultHash;
            bytes32 tr = _results[taskId][p].traceRoot;
            uint8 group = uint8(1 << p);
            for (uint256 q = p + 1; q < MAX_K; ++q) {
                if (rest & (1 << q) != 0 && _results[taskId][q].resultHash == r && _results[taskId][q].traceRoot == tr) group |= uint8(1 << q);
            }
            if (_popcount(group) >= quorum) return (uint8(p), group);
            rest &= ~group;
        }
        return (NO_LEADER, 0);
    }

    /// @dev Calls the consumer with a fixed gas allowance; never reverts on the consumer's behalf and
    ///      copies no return data (a consumer cannot grief with a huge revert payload).
    function _deliver(uint256 taskId, address consumer, bool accepted, bytes32 resultHash, bytes32 traceRoot, bytes memory output)
        private
    {
        uint256 gasLimit = callbackGasLimit;
        // EIP-150 passes on at most 63/64 of what is left: demand enough that the consumer really
        // gets gasLimit, so a finalizer cannot make the callback fail by sending too little gas.
        uint256 needed = gasLimit * 64 / 63 + CALLBACK_GAS_RESERVE;
        if (gasleft() < needed) revert InsufficientGasForCallback(taskId, gasleft(), needed);
        bytes memory data =
            abi.encodeCall(ILedgermindConsumer.onTaskFinalized, (taskId, accepted, resultHash, traceRoot, output));
        bool ok;
        assembly ("memory-safe") {
            ok := call(gasLimit, consumer, 0, add(data, 32), mload(data), 0, 0)
        }
        emit CallbackResult(taskId, consumer, ok);
    }

    // ---------------------------------------------------------------- selection

    function _seed(uint256 taskId, uint256 round) private view returns (uint256) {
        return uint256(keccak256(abi.encode(block.prevrandao, taskId, round)));
    }

    /// @dev Draws `count` distinct agents among the model's servers (checking first, when `checkMode`,
    ///      that the model supports replicated mode), skipping the ids in
    ///      `exclude` (a task's current nodes; zero entries are ignored), without replacement, each with
    ///      probability proportional to its selection weight. Returns fewer than `count` ids when fewer
    ///      agents are eligible. O(servers) reads.
    function _draw(uint32 modelId, uint32[7] memory exclude, uint256 count, uint256 seed, bool checkMode)
        private
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
                        mstore(add(picked, shl(5, add(d, 1))), and(mload(add(ids, shl(5, i))), 0xffffffff))
                        total := sub(total, mload(wi))
                        mstore(wi, 0)
                        break
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- storage codec

    function _phase(Task memory t) private view returns (Phase) {
        if (t.status == Status.None) return Phase.None;
        if (t.status == Status.Accepted) return Phase.Accepted;
        if (t.status == Status.Refunded) return Phase.Refunded;
        uint8 full = _fullMask(t.k);
        if (t.committed != full) return block.timestamp <= t.deadline ? Phase.Committing : Phase.Finalizable;
        if (t.revealed != full && block.timestamp <= uint256(t.deadline) + revealWindow) return Phase.Revealing;
        return Phase.Finalizable;
    }

    /// @dev The position of `agentId` in the task whose state word is `s`; reverts NotAssigned.
    function _positionIn(uint256 taskId, uint256 s, uint256 agentId) private view returns (uint256) {
        uint256 k = uint8(s >> S_K);
        uint256 n = k < 4 ? k : 4;
        for (uint256 pos; pos < n; ++pos) {
            if (uint32(s >> (S_NODES + 32 * pos)) == agentId) return pos;
        }
        if (k > 4) {
            uint256 extra = _tasks[taskId].extra;
            for (uint256 pos = 4; pos < k; ++pos) {
                if (uint32(extra >> (32 * (pos - 4))) == agentId) return pos;
            }
        }
        revert NotAssigned(taskId, agentId);
    }

    /// @dev commitmentOf(taskId, msg.sender, ...), hashed in scratch memory (no allocation).
    function _commitmentOf(uint256 taskId, bytes32 resultHash, bytes32 traceRoot, bytes32 salt)
        private
        view
        returns (bytes32 c)
    {
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, taskId)
            mstore(add(p, 0x20), caller())
            mstore(add(p, 0x40), resultHash)
            mstore(add(p, 0x60), traceRoot)
            mstore(add(p, 0x80), salt)
            c := keccak256(p, 0xa0)
        }
    }

    /// @dev What a lane holds for a commitment made in `taskId`: binds the commitment to the task of the
    ///      commit call, so that it can only be opened in that task.
    function _laneValue(uint256 taskId, bytes32 commitment) private pure returns (bytes32 v) {
        assembly ("memory-safe") {
            mstore(0x00, taskId)
            mstore(0x20, commitment)
            v := keccak256(0x00, 0x40)
        }
    }

    /// @dev Decodes the state word (and the extra word for k > 4); requester and fee are not loaded.
    function _load(uint256 taskId) private view returns (Task memory t) {
        return _decode(taskId, _tasks[taskId].state);
    }

    function _decode(uint256 taskId, uint256 s) private view returns (Task memory t) {
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

    function _loadPayment(uint256 taskId, Task memory t) private view {
        uint256 p = _tasks[taskId].payment;
        t.requester = address(uint160(p));
        t.fee = uint96(p >> 160);
    }

    function _encodeState(Task memory t) private pure returns (uint256 s) {
        s = uint256(uint8(t.status)) | (uint256(t.k) << S_K) | (uint256(t.committed) << S_COMMITTED)
            | (uint256(t.revealed) << S_REVEALED) | (uint256(t.agreed) << S_AGREED) | (uint256(t.leader) << S_LEADER)
            | (uint256(t.flags) << S_FLAGS) | (uint256(t.round) << S_ROUND) | (uint256(t.deadline) << S_DEADLINE)
            | (uint256(t.modelId) << S_MODEL);
        for (uint256 pos; pos < 4; ++pos) {
            s |= uint256(t.nodes[pos]) << (S_NODES + 32 * pos);
        }
    }

    function _encodeExtra(Task memory t) private pure returns (uint256 extra) {
        for (uint256 pos = 4; pos < MAX_K; ++pos) {
            extra |= uint256(t.nodes[pos]) << (32 * (pos - 4));
        }
    }

    /// @dev Writes all of a new task's words.
    function _storeNew(uint256 taskId, Task memory t) private {
        TaskWords storage w = _tasks[taskId];
        w.state = _encodeState(t);
        w.payment = uint256(uint160(t.requester)) | (uint256(t.fee) << 160);
        if (t.k > 4) w.extra = _encodeExtra(t);
    }

    /// @dev Writes the state word, and the extra word when k > 4 (replacements change node ids).
    function _storeNodes(uint256 taskId, Task memory t) private {
        TaskWords storage w = _tasks[taskId];
        w.state = _encodeState(t);
        if (t.k > 4) w.extra = _encodeExtra(t);
    }

    function _nodeList(Task memory t) private pure returns (uint32[] memory nodes) {
        nodes = new uint32[](t.k);
        for (uint256 i; i < t.k; ++i) nodes[i] = t.nodes[i];
    }

    function _fullMask(uint8 k) private pure returns (uint8) {
        return uint8((1 << k) - 1);
    }

    function _popcount(uint8 x) private pure returns (uint256 n) {
        while (x != 0) {
            x &= x - 1;
            ++n;
        }
    }
}
