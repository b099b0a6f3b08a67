// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ITaskRecords} from "./interfaces/ITaskRecords.sol";
import {IVerificationMode} from "./interfaces/IVerificationMode.sol";
import {TaskMarketBase} from "./market/TaskMarketBase.sol";
import {ReplicatedSettlement} from "./market/ReplicatedSettlement.sol";
import {IOperatorCache} from "./interfaces/IOperatorCache.sol";
import {IStakeLocks} from "./interfaces/IStakeLocks.sol";
import {BatchSettlement} from "./market/BatchSettlement.sol";
import {BatchLayout} from "./market/BatchLayout.sol";
import {BatchTree} from "./market/BatchTree.sol";
import {OptimisticSettlement} from "./market/OptimisticSettlement.sol";
import {OptimisticDisputes} from "./market/OptimisticDisputes.sol";

/// @title Ledgermind task market, replicated mode.
/// @notice A requester submits a task (model, input, parameters, redundancy k: 1 or 3..maxK) with its
///         fee in escrow. Its k seats are drawn among the staked nodes that serve the model, each seat
///         independently and with replacement, weighted by stake (so a node may hold several seats, and
///         splitting stake over many agents buys no seats: see docs/DESIGN.md section 6.1), from the pool
///         frozen at the submission and the hash of the submission's block, which no one knew when the
///         submission was sent; the first commit draws them (`drawSeats` previews the draw). Each drawn
///         node commits once, for all its seats, to
///         keccak256(abi.encode(taskId, node, resultHash, traceRoot, salt)) before the commit deadline;
///         once all seats have committed they reveal before the reveal deadline. The last reveal settles
///         the task in the same transaction; `finalize` settles after a deadline (and handles commit
///         timeouts). Beyond the unanimous case, settlement runs in ReplicatedSettlement (DELEGATECALL):
///         - a result (resultHash and traceRoot both equal) revealed by a quorum of floor(k/2)+1
///           seats is accepted; its seats share the fee; seats that revealed anything else, or
///           committed and never revealed, are slashed `dissentSlash` (withholding is never cheaper).
///           Unless every seat revealed it, the accepted result is first held for a challenge window
///           (one reveal window) in which nothing is paid or slashed; a seat that revealed another result
///           may `challenge` it with a bond, and a challenged split is resolved as no result (refund, bond
///           back, no revealer slashed) until the optimistic mode's dispute game can replay it;
///         - no quorum: the fee is refunded to the requester, non-revealers are still slashed, and each
///           revealer gets an "inconclusive" reputation record (neither paid nor slashed);
///         - commit deadline passed with positions missing: the missing nodes are slashed
///           `absenceSlash` (except those that declined first, `decline`) and replaced by fresh draws
///           (keeping the commitments already made) for up to `maxRounds` rounds, drawn like a
///           submission's (pool frozen at the finalize, the first commit of the new round draws them with
///           the finalize block's hash); when no rounds or too few eligible nodes remain, the fee is
///           refunded, less `declineShareBps` per declined seat; a draw that no one resolved while its
///           seed block's hash was available (256 blocks) is refunded in full with no one slashed.
///         A task must also be within its model's terms (ModelRegistry: input bytes, maxTokens, price per
///         token), checked at submission.
///         Slash proceeds go `slashHonestBps` to the task's accepted nodes and the rest to the treasury;
///         the fee's rounding remainder goes to the accepted leader (the first revealer of the result).
///
/// @dev State machine of a task (status byte, and the position bitmaps `committed`, `revealed`):
///        Active, committed != full, now <= deadline             : commit phase
///        Active, committed == full, now <= deadline+revealWindow : reveal phase
///        Active, otherwise                                      : finalizable
///        Held (a split quorum), now <= deadline                 : challenge window (deadline := its end)
///        Challenged, now <= deadline                            : frozen (deadline := resolution time)
///        Held | Challenged, otherwise                           : finalizable (release, or resolve)
///        Accepted | Refunded                                    : final (deadline := finalization time)
///      Invariant: committed ⊇ revealed, and revealed != 0 only when committed == full.
///
///      Storage, designed for the gas target (one k=3 task in <= 450k gas). A task is two words (three
///      when k > 4): `state` = status | k | committed | revealed | agreed | leader | flags | round |
///      deadline | modelId | node ids 0..3 (uint32 each; in round 0, until the first commit draws them,
///      the top 128 bits of the pool snapshot's hash), the only word that commit and reveal read;
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
contract TaskMarket is TaskMarketBase, ReentrancyGuardTransient, ITaskRecords, IOperatorCache, IStakeLocks {
    /// @notice The replicated mode's settlement beyond the happy path (commit timeouts, split results,
    ///         missing reveals), run by DELEGATECALL on this contract's storage. Deployed by this
    ///         constructor with the same configuration. Further modes plug in beside it behind
    ///         IVerificationMode without touching the replicated path.
    IVerificationMode public immutable replicatedSettlement;

    /// @dev Batches (issue 13): the BatchSettlement this market DELEGATECALLs for every selector it does
    ///      not serve itself (see the fallback). Deployed beforehand with the same configuration (its code
    ///      would not fit in this constructor's initcode beside ReplicatedSettlement's: EIP-3860). Not public:
    ///      a getter would add a selector to the dispatch of every call (+22 gas each); the market answers
    ///      `batchSettlement()` through the fallback (BatchSettlement returns its own address).
    BatchSettlement internal immutable _batches;

    // ---- optimistic mode (OptimisticSettlement, docs/DESIGN.md section 5): its address, checked at deployment
    /// @dev The optimistic mode, run by DELEGATECALL for its selectors (see the fallback); address(0): off.
    ///      Deployed before the market (its code does not fit in the market's init code beside the replicated
    ///      settlement's: EIP-3860), with the market's own Config, which this constructor checks. Not a public
    ///      getter: a new selector would lengthen the dispatch of the happy path's functions (the deployment
    ///      file names the mode's address).
    address private immutable _optimisticSettlement;
    // ---- end of the optimistic mode's block

    /// @notice Deploys the market and its replicated settlement with the same configuration
    ///         (TaskMarketBase's constructor checks every value), and binds the optimistic mode.
    /// @param c the configuration
    /// @param batches a BatchSettlement deployed with the same configuration (checked: configHash)
    /// @param optimistic the OptimisticSettlement deployed with `c` (address(0): no optimistic mode)
    constructor(Config memory c, BatchSettlement batches, address optimistic) TaskMarketBase(c) {
        replicatedSettlement = new ReplicatedSettlement(c);
        if (address(batches).code.length == 0 || batches.configHash() != keccak256(abi.encode(c))) {
            revert InvalidConfig("batchSettlement");
        }
        _batches = batches;
        if (optimistic != address(0) && OptimisticSettlement(payable(optimistic)).configHash() != keccak256(abi.encode(c))) {
            revert InvalidConfig("optimisticSettlement");
        }
        _optimisticSettlement = optimistic;
    }

    /// @notice Accepts slash proceeds from the agent registry only; any other payment reverts.
    receive() external payable {
        if (msg.sender != address(agentRegistry)) revert UnexpectedPayment(msg.sender);
    }

    /// @notice Submits a task with `msg.value` as its fee (held in escrow) and draws its k seats. A callback
    ///         task's msg.value also carries the callback fee (callbackGasLimit x block.basefee), which
    ///         pays the gas of the callback to whoever delivers it; the rest is the nodes' fee.
    /// @param modelId the model (must support replicated mode)
    /// @param inputHash keccak256 of the input; must match `input` when `input` is non-empty
    /// @param input the inline input (at most maxInputBytes), or empty when delivered off-chain
    /// @param seed the sampling seed
    /// @param temperatureMilli sampling temperature in thousandths (700 = 0.7; 0 = greedy)
    /// @param maxTokens the generation limit (0 for non-generative kinds)
    /// @param kind the task kind (application-defined: embed, classify, generate, ...)
    /// @param k the redundancy, 1 or 3..maxK (2 is refused: one node could veto the other for free)
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
        // k = 2 is refused: its quorum is both nodes, so one garbage reveal would veto the task at no cost
        if (k == 0 || k == 2 || k > maxK) revert InvalidRedundancy(k, maxK);
        if (flags & ~FLAGS_MASK != 0) revert InvalidFlags(flags);
        if (flags & FLAG_CALLBACK != 0 && msg.sender.code.length == 0) revert CallbackRequiresContract(msg.sender);
        if (input.length > maxInputBytes) revert InputTooLarge(input.length, maxInputBytes);
        if (inputHash == 0) revert ZeroInputHash();
        if (input.length != 0) {
            bytes32 actual = keccak256(input);
            if (actual != inputHash) revert InputHashMismatch(inputHash, actual);
        }
        // A consumer callback's gas is the requester's: callbackGasLimit at the submission's base fee is held
        // from msg.value and paid to whoever's transaction delivers the callback (_deliver).
        uint256 callbackFee = flags & FLAG_CALLBACK != 0 ? callbackGasLimit * block.basefee : 0;
        if (msg.value == 0 || msg.value < minFee + callbackFee) revert FeeTooLow(msg.value, minFee + callbackFee);
        if (msg.value > type(uint96).max) revert FeeTooHigh(msg.value, type(uint96).max);
        uint256 fee = msg.value - callbackFee;
        bytes memory pool;
        (taskId,, pool) = _open(modelId, k, flags | (mode << 4), fee, input.length, maxTokens);
        if (callbackFee != 0) _callbackFee[taskId] = callbackFee;
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
            fee,
            pool
        );
    }

    /// @dev Checks the model and the task against its terms, snapshots the pool the seats will be drawn
    ///      from (the draw itself waits for this block's hash: see the assignment notes in TaskMarketBase),
    ///      counts msg.value into escrow (the nodes' `fee` and the callback fee) and writes the new task, with
    ///      the snapshot's hash where its node ids will go.
    function _open(uint32 modelId, uint8 k, uint8 flagsAndMode, uint256 fee, uint256 inputLength, uint256 maxTokens)
        private
        returns (uint256 taskId, uint256 deadline, bytes memory pool)
    {
        uint256 tot = _totalsWord();
        taskId = uint64(tot) + 1;
        uint32[7] memory none;
        uint256 hash;
        uint256 eligible;
        uint256 terms;
        (pool, hash, eligible, terms) = _snapshot(modelId, none, true);
        _requireWithinTerms(modelId, terms, inputLength, maxTokens, fee);
        if (eligible < k) revert NotEnoughNodes(modelId, eligible, k);
        uint256 escrowed = uint96(tot >> 64) + msg.value;
        if (escrowed > type(uint96).max) revert FeeTooHigh(msg.value, type(uint96).max - uint96(tot >> 64));
        _setTotalsWord((tot & ~(uint256(type(uint160).max))) | taskId | (escrowed << 64));

        deadline = uint32(block.timestamp + commitWindow);
        uint256 state = uint256(uint8(Status.Active)) | (uint256(k) << S_K) | (uint256(NO_LEADER) << S_LEADER)
            | (uint256(flagsAndMode | FLAG_DRAW_PENDING) << S_FLAGS) | (deadline << S_DEADLINE)
            | (uint256(modelId) << S_MODEL) | (hash << S_NODES);
        TaskWords storage w = _tasks[taskId];
        w.state = state;
        w.payment = uint256(uint160(msg.sender)) | (fee << 160);
    }

    /// @notice Commits an assigned node to its result:
    ///         commitment = keccak256(abi.encode(taskId, msg.sender, resultHash, traceRoot, salt)).
    ///         The caller must be the agent's owner or agent wallet, and must reveal from the same address.
    ///         The commitment is kept in one of the agent's lanes (see the contract notes) until the
    ///         reveal, which names the same lane; the node must not reuse that lane for another commit
    ///         before it has revealed here.
    ///         While the round's seats are not drawn yet (FLAG_DRAW_PENDING) this reverts DrawPending: the
    ///         round's first commit uses the overload that takes the pool.
    /// @param taskId the task
    /// @param agentId the assigned agent
    /// @param lane the agent's lane to keep the commitment in (0..255)
    /// @param commitment the commitment
    function commit(uint256 taskId, uint256 agentId, uint8 lane, bytes32 commitment) external nonReentrant {
        _commit(taskId, agentId, lane, commitment, msg.data[0:0]);
    }

    /// @notice `commit`, which first draws the round's seats when they are pending: `pool` is the round's
    ///         pool snapshot (TaskSubmitted.pool, or ReplacementPending.pool in a replacement round), checked
    ///         against the hash stored when the round opened; the seats are drawn from it with the hash of
    ///         the block that opened the round (see `drawSeats`, which previews them) and stored, and then
    ///         the caller must hold one of them (NotAssigned reverts the draw too). When the seats are
    ///         already drawn the pool is ignored.
    /// @param taskId the task
    /// @param agentId the assigned agent
    /// @param lane the agent's lane to keep the commitment in (0..255)
    /// @param commitment the commitment
    /// @param pool the round's pool snapshot
    function commit(uint256 taskId, uint256 agentId, uint8 lane, bytes32 commitment, bytes calldata pool)
        external
        nonReentrant
    {
        _commit(taskId, agentId, lane, commitment, pool);
    }

    function _commit(uint256 taskId, uint256 agentId, uint8 lane, bytes32 commitment, bytes calldata pool) private {
        uint256 s = _tasks[taskId].state;
        if (uint8(s) != uint8(Status.Active)) revert TaskNotActive(taskId, uint8(s));
        uint256 deadline = uint32(s >> S_DEADLINE);
        if (block.timestamp > deadline) revert CommitWindowClosed(taskId, deadline);
        if ((s >> S_FLAGS) & FLAG_DRAW_PENDING != 0) {
            // the round's first commit draws its seats (written below with the commit bits: no extra SSTORE)
            if (pool.length == 0) revert DrawPending(taskId);
            uint256 seedBlock = _checkPool(taskId, s, pool);
            bytes32 seedHash = blockhash(seedBlock);
            if (seedHash == 0) revert SeedBlockUnavailable(taskId, seedBlock, block.number);
            s = _resolveDraw(taskId, s, pool, seedHash);
        }
        // one commitment covers all the seats the agent holds in the task (seats are drawn with replacement)
        uint256 bits = _seatsIn(taskId, s, agentId) << S_COMMITTED;
        if (s & bits != 0) revert AlreadyCommitted(taskId, agentId);
        if (commitment == 0) revert ZeroCommitment(taskId);
        if (_knownOperator[agentId] != msg.sender) {
            if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
            _knownOperator[agentId] = msg.sender;
        }
        // the lane names the task in clear, so the stake behind it is held until the task settles (openCommitments)
        _lanes[agentId][lane] = _laneValue(taskId, commitment);
        _tasks[taskId].state = s | bits;
        emit Committed(taskId, agentId);
    }

    /// @notice Declines an assigned task before committing to it, for every seat the agent holds: work
    ///         the node cannot finish in the commit window (or whose off-chain input is over the model's
    ///         bound). The caller must be the agent's owner or agent wallet. A declined seat is treated like
    ///         a missing commitment at the commit timeout (replaced, or the task refunded when no rounds or
    ///         nodes remain) but is not slashed; a refund then keeps declineShareBps of the fee per declined
    ///         seat out of k from the requester, for the treasury (docs/DESIGN.md 6.2).
    /// @param taskId the task
    /// @param agentId the assigned agent
    function decline(uint256 taskId, uint256 agentId) external nonReentrant {
        _delegateSettlement(msg.data); // ReplicatedSettlement.decline: off the happy path, so its code lives there
    }

    /// @notice `decline`, which first draws the round's seats when they are pending (as `commit` with a pool).
    /// @param taskId the task
    /// @param agentId the assigned agent
    /// @param pool the round's pool snapshot (TaskSubmitted.pool, or ReplacementPending.pool)
    function decline(uint256 taskId, uint256 agentId, bytes calldata pool) external nonReentrant {
        pool;
        _delegateSettlement(msg.data);
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
        uint256 seats = _seatsIn(taskId, s, agentId);
        if (s & (seats << S_REVEALED) != 0) revert AlreadyRevealed(taskId, agentId);
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

        s |= seats << S_REVEALED;
        uint256 leader = uint8(s >> S_LEADER);
        if (
            leader != NO_LEADER && _results[taskId][leader].resultHash == resultHash
                && _results[taskId][leader].traceRoot == traceRoot
        ) {
            s |= seats << S_AGREED;
        } else {
            uint256 first = _lowestBit(seats);
            if (callback && output.length != 0) _output[taskId][first] = output;
            if (leader == NO_LEADER) {
                // the leader's other seats agree with it by definition
                s = (s & ~(uint256(0xff) << S_LEADER)) | (first << S_LEADER) | ((seats & ~(1 << first)) << S_AGREED);
                _results[taskId][first] = Result(resultHash, traceRoot);
            } else {
                // a result other than the leader's: stored for each seat, so that _findQuorum counts seats
                for (uint256 p = first; p < MAX_K; ++p) {
                    if (seats & (1 << p) != 0) _results[taskId][p] = Result(resultHash, traceRoot);
                }
            }
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
    ///         While the round's seats are not drawn yet (FLAG_DRAW_PENDING), this reverts DrawPending:
    ///         use the overload that takes the pool.
    /// @param taskId the task
    function finalize(uint256 taskId) external nonReentrant {
        _delegateSettlement(abi.encodeCall(IVerificationMode.finalize, (taskId, msg.data[0:0])));
    }

    /// @notice `finalize` of a task whose round's seats are not drawn yet (no seat committed): past the commit
    ///         deadline it draws them from `pool` (as `commit` would) and slashes and replaces them as absent;
    ///         if the hash of the pool's block is no longer available (more than 256 blocks), no one was ever
    ///         assigned: the task is refunded in full and no one is slashed (DrawExpired). When the seats
    ///         are already drawn the pool is ignored.
    /// @param taskId the task
    /// @param pool the round's pool snapshot (TaskSubmitted.pool or ReplacementPending.pool)
    function finalize(uint256 taskId, bytes calldata pool) external nonReentrant {
        _delegateSettlement(abi.encodeCall(IVerificationMode.finalize, (taskId, pool)));
    }

    /// @notice The seats the round's draw gives (what its first commit will store), from the round's pool
    ///         snapshot and the hash of the block that opened the round, which a node reads off its log
    ///         (TaskSubmitted or ReplacementPending: the log's blockHash; a view at the latest block cannot
    ///         read that block's own hash). The one implementation of the draw: nodes call this rather than
    ///         reimplement it. When the seats are already drawn, returns them (pool and hash ignored).
    /// @param taskId the task
    /// @param pool the round's pool snapshot
    /// @param blockHash the hash of the pool's block (checked against blockhash() when the chain still has it)
    /// @return nodes k agent ids, by position (replacements included)
    function drawSeats(uint256 taskId, bytes calldata pool, bytes32 blockHash) external view returns (uint32[] memory nodes) {
        uint256 s = _tasks[taskId].state;
        if (uint8(s) == uint8(Status.None)) revert UnknownTask(taskId);
        if ((s >> S_FLAGS) & FLAG_DRAW_PENDING == 0) return _nodeList(_decode(taskId, s));
        uint256 seedBlock = _checkPool(taskId, s, pool);
        bytes32 chainHash = blockhash(seedBlock);
        if (chainHash != 0 && chainHash != blockHash) revert SeedBlockHashMismatch(taskId, seedBlock, blockHash);
        (uint256 drawn, uint256 extra) = _drawSeats(taskId, s, pool, blockHash);
        uint256 k = uint8(s >> S_K);
        nodes = new uint32[](k);
        for (uint256 pos; pos < k; ++pos) {
            nodes[pos] = pos < 4 ? uint32(drawn >> (S_NODES + 32 * pos)) : uint32(extra >> (32 * (pos - 4)));
        }
    }

    /// @notice Serves `IVerificationMode.challenge(taskId, agentId)` (payable) at the market's address: a
    ///         held split result (phase Held, within its challenge window) is disputed by the operator of
    ///         an agent that revealed another result, with a bond of exactly `dissentSlash`. Its payouts
    ///         and slashes freeze; `finalize` resolves it after one more reveal window: until the optimistic
    ///         mode's dispute game can replay the disputed step, as no result (the fee is refunded, the bond
    ///         returned, revealers neither paid nor slashed, seats that never revealed slashed as usual).
    ///         Batches: `verifyResult` is answered here; every other selector runs in BatchSettlement.
    /// @dev Reached through the fallback rather than a function of this contract so that the dispatch of
    ///      the happy path's functions (submitTask, commit, reveal) is unchanged: a new selector here
    ///      would cost every one of them gas (docs/gas.md). The mode's other entry points (finalize,
    ///      settleRevealed) are reached only through this contract's own checks. Each routing block below
    ///      is its own; a mode's mutating functions take the market's (transient) reentrancy guard
    ///      themselves, so that views answer in a static call too.
    fallback() external payable {
        // batches (issue 13): verifyResult first, the one consumer-facing view whose gas is a bar (docs/gas.md)
        if (msg.sig == VERIFY_RESULT) _verifyResult();
        bytes4 sig = msg.sig;
        if (sig == IVerificationMode.challenge.selector) {
            _challenge();
            return;
        }
        // ---- optimistic mode: its entry points run in OptimisticSettlement (DELEGATECALL, on this storage), which
        //      forwards the audit and challenge ones to OptimisticDisputes; the mode takes this contract's
        //      reentrancy guard itself (same transient slot), so this route returns the mode's data as it is
        if (
            sig == OptimisticSettlement.submitOptimistic.selector || sig == OptimisticSettlement.claimResult.selector
                || sig == OptimisticSettlement.finalizeOptimistic.selector || sig == OptimisticSettlement.optimisticTask.selector
                || sig == OptimisticDisputes.audit.selector || sig == OptimisticDisputes.challengeClaim.selector
                || sig == OptimisticDisputes.onGameResolved.selector || sig == OptimisticDisputes.auditDraw.selector
        ) {
            address mode = _optimisticSettlement;
            if (mode == address(0)) revert UnknownFunction(sig);
            assembly ("memory-safe") {
                let p := mload(0x40)
                calldatacopy(p, 0, calldatasize())
                let ok := delegatecall(gas(), mode, p, calldatasize(), 0, 0)
                returndatacopy(p, 0, returndatasize())
                if iszero(ok) { revert(p, returndatasize()) }
                return(p, returndatasize())
            }
        }
        // ---- end of the optimistic mode's block
        // ---------------------------------------------------------------- batches (issue 13)
        // verifyResult(batchId, index, count, resultHash, traceRoot, proof) is answered above, without a
        // DELEGATECALL (its cold account would cost a consumer 2,600 gas); the rest runs in BatchSettlement,
        // whose own fallback forwards the optimistic batches' selectors (OptimisticBatches) and reverts
        // UnknownFunction for a selector no one serves.
        address target = address(_batches);
        assembly ("memory-safe") {
            calldatacopy(0, 0, calldatasize())
            let ok := delegatecall(gas(), target, 0, calldatasize(), 0, 0)
            returndatacopy(0, 0, returndatasize())
            if iszero(ok) { revert(0, returndatasize()) }
            return(0, returndatasize())
        }
        // ---------------------------------------------------------------- end of batches
    }

    function _challenge() private nonReentrant {
        _delegateSettlement(msg.data);
    }

    /// @dev bytes4(keccak256("verifyResult(uint256,uint256,uint256,bytes32,bytes32,bytes32[])"))
    bytes4 private constant VERIFY_RESULT = 0x8e0535f1;

    /// @notice (fallback) verifyResult(batchId, index, count, resultHash, traceRoot, proof) returns (bool):
    ///         true when (resultHash, traceRoot) is item `index` of accepted batch `batchId` of `count` items,
    ///         by its BatchTree proof: the leaf keccak256(abi.encode(batchId << 32 | index, resultHash,
    ///         traceRoot)) under the accepted results root, which the batch stores as
    ///         keccak256(abi.encode(root, count)). False for anything else (an open, refunded or unknown batch,
    ///         a wrong count, a forged proof). Returns, never reverts on a malformed proof.
    ///         The walk is BatchTree.rootOf's rule in one assembly loop (issue 13's 5,000-gas bar): at each level
    ///         a sibling exists when (index ^ 1) < size (the last node of an odd level is promoted), the node and
    ///         the sibling are written either side of the 0x01 tag placed once, by the index's low bit.
    function _verifyResult() private view {
        uint256 batchesSlot = uint256(BatchLayout.STORAGE) + 1; // BatchStorage.batches
        assembly ("memory-safe") {
            // few values live through the loop (node, index, size, p, end, stored): the batch id and the count
            // are spent before it (the stored word read first, the count parked in memory for the last hash)
            let index := calldataload(36)
            let size := calldataload(68)
            mstore(0x00, calldataload(4))
            mstore(0x20, batchesSlot)
            let stored := sload(add(keccak256(0x00, 0x40), 4)) // Batch.verified (BatchLayout.VERIFIED_WORD)
            // memory from 0 (constant addresses: no base pointer kept on the stack): 0x00 the tag, 0x01 and 0x21
            // the two nodes, 0x40 the root, 0x60 the count. This overwrites the free memory pointer and the zero
            // slot, which is safe only because this block returns and no Solidity code runs after it.
            mstore(0x60, size)
            // the leaf keccak256(abi.encode(batchId << 32 | index, resultHash, traceRoot)), its node keccak256(0x00 || leaf)
            mstore(0x00, or(shl(32, calldataload(4)), index))
            calldatacopy(0x20, 100, 0x40)
            mstore(0x01, keccak256(0x00, 0x60))
            // byte 0 is already the node tag 0x00, without an mstore8: it is the top byte of batchId << 32 | index,
            // 0 for every batch id below 2^216 with index < 2^248 (a true item has index < count <= 4,096, or the
            // count would not hash to the stored word). A larger batch id names no batch that can exist (ids count
            // from 1): its stored word is 0, which no keccak256 below equals, so it returns false whatever the walk.
            let node := keccak256(0x00, 0x21)
            mstore8(0x00, 0x01)
            let p := add(4, calldataload(164))
            let end := add(add(p, 0x20), shl(5, calldataload(p)))
            // a malformed call (index out of range, an absurd or truncated proof) can never end at `end`
            if iszero(and(and(lt(index, size), lt(calldataload(p), 0x100)), iszero(gt(end, calldatasize())))) { end := 0 }
            p := add(p, 0x20)
            for {} gt(size, 1) {} {
                if lt(xor(index, 1), size) {
                    let shift := shl(5, and(index, 1))
                    mstore(add(0x01, shift), node)
                    mstore(sub(0x21, shift), calldataload(p))
                    p := add(p, 0x20)
                    node := keccak256(0x00, 0x41)
                }
                index := shr(1, index)
                size := shr(1, add(size, 1))
            }
            mstore(0x40, node)
            mstore(0x00, and(eq(p, end), eq(keccak256(0x40, 0x40), stored)))
            return(0x00, 0x20)
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

    /// @notice The callback fee held for a callback task (callbackGasLimit x the submission's base fee),
    ///         paid to the sender of the transaction that delivers the callback.
    /// @param taskId the task
    /// @return the amount, wei (0 for tasks without a callback)
    function callbackFeeOf(uint256 taskId) external view returns (uint256) {
        return _callbackFee[taskId];
    }

    /// @inheritdoc IStakeLocks
    function openCommitments(uint256 agentId) external view returns (uint256 open) {
        // Every commitment sits in one of the agent's lanes until it is overwritten, with its task id in
        // the lane's top 64 bits: a lane whose task is still Active backs an open commitment. No counter
        // is kept (a commit pays nothing for the lock); this scan reads the 256 lanes (about 540,000
        // gas), and only the agent registry's withdraw, which is rare, asks.
        bytes32[LANES] storage lanes = _lanes[agentId];
        for (uint256 lane; lane < LANES; ++lane) {
            uint256 taskId = uint256(lanes[lane]) >> 192;
            if (taskId == 0) continue;
            uint8 status = uint8(_tasks[taskId].state);
            // a held or challenged split still has its slashes to come
            // (an optimistic task's claim or audit too, while the task is open: Status.Optimistic)
            if (status == uint8(Status.Active) || status == uint8(Status.Held) || status == uint8(Status.Challenged)
                    || status == uint8(Status.Optimistic)) ++open;
        }
        // optimistic batches (issue 13): the worker's claims not final yet (a counter: batches take no lane)
        open += BatchLayout.store().openClaims[agentId];
    }

    /// @notice The positions an agent holds in a task, as a bitmap (0 when it holds none).
    /// @param taskId the task
    /// @param agentId the agent
    /// @return seats bit i set when position i is the agent's
    function seatsOf(uint256 taskId, uint256 agentId) external view returns (uint256 seats) {
        Task memory t = _load(taskId);
        for (uint256 pos; pos < t.k; ++pos) {
            if (t.nodes[pos] == agentId) seats |= 1 << pos;
        }
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
        v.flags = t.flags & (FLAGS_MASK | FLAG_DRAW_PENDING);
        v.k = t.k;
        v.round = t.round;
        v.committedMask = t.committed;
        v.revealedMask = t.revealed;
        v.modelId = t.modelId;
        v.fee = t.fee;
        if (t.status == Status.Active) {
            v.commitDeadline = t.deadline;
            v.revealDeadline = uint256(t.deadline) + revealWindow;
        } else if (t.status == Status.Held || t.status == Status.Challenged) {
            v.heldUntil = t.deadline;
            v.acceptedMask = t.agreed; // the held quorum, not yet paid
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

    /// @notice The agent ids assigned to a task, by position (replacements included). While the round's
    ///         draw is pending (FLAG_DRAW_PENDING) a position to be drawn holds 0 in round 0 and the replaced
    ///         agent in a replacement round; `drawSeats` previews the draw.
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

    /// @notice The (first) position of an agent in a task (reverts NotAssigned when it is not assigned);
    ///         an agent may hold several seats of one task (seatsOf).
    /// @return the position, 0..k-1
    function positionOf(uint256 taskId, uint256 agentId) external view returns (uint256) {
        uint256 s = _tasks[taskId].state;
        if (uint8(s) == uint8(Status.None)) revert UnknownTask(taskId);
        if (uint8(s >> S_ROUND) == 0 && (s >> S_FLAGS) & FLAG_DRAW_PENDING != 0) revert DrawPending(taskId);
        return _lowestBit(_seatsIn(taskId, s, agentId));
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
            if (t.committed != _fullMask(t.k)) {
                // a seat that declined was refunded without fault, like one that committed
                return (t.committed | _declined[taskId]) & bit != 0 ? NodeOutcome.None : NodeOutcome.Absent;
            }
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
    function outcomeCounts(uint256 agentId)
        external
        view
        returns (
            uint32 agreed,
            uint32 faults,
            uint32 inconclusive,
            uint32 selfRequested,
            uint256 earnedWei,
            uint256 selfRequestedWei,
            uint256 slashedWei
        )
    {
        Account memory a = _accounts[agentId];
        uint256 d = _discounts[agentId];
        return (a.agreed, a.faults, _inconclusive[agentId], uint32(d), a.earned, uint96(d >> 32), uint96(d >> 128));
    }

    /// @dev The k-th reveal. The common case (all k revealed the leader's result and no slash bonus is
    ///      held from a commit timeout) is settled here straight from the state word, with the same
    ///      effects as `_settle` would have; anything else goes through `_settle`.
    function _settleLastReveal(uint256 taskId, uint256 s, uint256 full) private {
        uint256 leader = uint8(s >> S_LEADER);
        uint256 p = _tasks[taskId].payment;
        // a task whose requester makes the settling reveal is self-requested (at least in part): settled in
        // ReplicatedSettlement, which keeps the requester's own seats out of their reputation
        if (
            (uint8(s >> S_AGREED) | (1 << leader)) != full || (s >> S_FLAGS) & FLAG_BONUS != 0
                || address(uint160(p)) == msg.sender
        ) {
            _tasks[taskId].state = s;
            _delegateSettlement(abi.encodeCall(IVerificationMode.settleRevealed, (taskId)));
            return;
        }
        uint256 k = uint8(s >> S_K);
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

    /// @dev What a lane holds for a commitment made in `taskId`: the task id in the top 64 bits (task ids
    ///      fit: the task counter is 64 bits) and the low 192 bits of keccak256(taskId, commitment). Binds the
    ///      commitment to the task of the commit call, so that it can only be opened in that task (a second
    ///      opening would need a 192-bit hash collision, about 2^96 work), and names the task whose
    ///      settlement releases the stake behind it (openCommitments).
    function _laneValue(uint256 taskId, bytes32 commitment) private pure returns (bytes32 v) {
        assembly ("memory-safe") {
            mstore(0x00, taskId)
            mstore(0x20, commitment)
            v := or(shl(192, taskId), shr(64, shl(64, keccak256(0x00, 0x40))))
        }
    }

    /// @dev Runs `data` in the replicated settlement on this contract's storage; bubbles its revert.
    function _delegateSettlement(bytes memory data) private {
        address target = address(replicatedSettlement);
        assembly ("memory-safe") {
            if iszero(delegatecall(gas(), target, add(data, 0x20), mload(data), 0, 0)) {
                let p := mload(0x40)
                returndatacopy(p, 0, returndatasize())
                revert(p, returndatasize())
            }
        }
    }
}
