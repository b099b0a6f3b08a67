// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {OptimisticBase} from "./OptimisticBase.sol";
import {OptimisticDisputes} from "./OptimisticDisputes.sol";
import {ITaskRecords} from "../interfaces/ITaskRecords.sol";

/// @title The optimistic verification mode: one drawn worker claims a result, a drawn validator audits a
///        fraction of the claims it cannot predict, and anyone with stake may dispute a claim in a dispute
///        game (docs/DESIGN.md section 5).
/// @notice Runs only by DELEGATECALL from the TaskMarket it was deployed for, which forwards this
///         contract's selectors from its fallback (the "optimistic mode" block there), on the market's storage
///         and inside the market's reentrancy guard: the money counters, the reward accounts (one `claim`
///         pays a node for every mode), the stake lanes and the records are the market's. Its own state is one
///         ERC-7201 namespace (`OptimisticStorage`), so TaskMarketBase's layout is untouched.
///
///         A task, step by step:
///         1. `submitOptimistic`: model (it must list the optimistic mode), input, fee, challenge window
///            (seconds; 0 = the default, within [minWindow, maxWindow]) and audit rate (bps; 0 = the default,
///            at least the floor `minAuditBps`). The pool is frozen as for a replicated task.
///         2. `claimResult`, before the claim deadline (the market's commit window): the first call draws the
///            one worker from the pool with the hash of the submission's block (TaskMarketBase's _checkPool
///            and _drawSeats: no steering), and that worker posts its result hash, trace root, output and the
///            trace's shape (tokens hash, positions, leaf count). Its stake backs the claim: the claim takes one
///            of its commitment lanes, so the agent registry refuses to pay out its stake until the task is
///            final (openCommitments), and it loses `claimBond` of it if the claim is overturned.
///         3. The audit. The hash of the claim's block, which did not exist when the claim was sent, decides
///            whether the claim is audited (probability auditBps / 10,000) and draws the validator from the
///            same pool, by stake, never the worker (`auditDraw` previews it). The validator must `audit`
///            before the window ends: its own result and trace root, and, when they equal the claim's, the
///            trace leaves at AUDIT_LEAVES indices chosen by that hash (the last leaf, which depends on every
///            earlier step, and three random ones) with their Merkle proofs against the claimed root. The claim
///            reveals only the root, so only a validator that replayed the trace (or got the leaves from the
///            worker) can open them. Proofs that do not verify: the validator copied the claim (slashed
///            `auditSlash`); no audit at all: silent (slashed `auditSlash`); a different result: the validator
///            challenges (4), bonding like any challenger.
///         4. `challengeClaim`, before the window ends, by any agent with selection weight (stake) but the
///            worker, with a bond of exactly `challengeBond` and a different trace root: starts a game in the
///            DisputeGame contract; `onGameResolved` (that contract only) records the verdict. One game per
///            task. A game that never reports back is treated as no result after `gameTimeout`.
///         5. `finalizeOptimistic`, after the window (or the game): claim upheld or unchallenged: the task is
///            Accepted, the worker paid the fee less the auditor's `auditShareBps` (a passed audit); claim
///            overturned: the fee is refunded, the worker slashed `claimBond`, the challenger gets its bond
///            back and `slashHonestBps` of the slash; a lost challenge's bond goes `slashHonestBps` to the
///            worker; every other slash goes `slashHonestBps` to the task's winner; the rest of every slash
///            and bond goes to the treasury. No claim before the deadline: refund, the drawn worker slashed
///            `absenceSlash` (unless the draw expired: then no one was ever assigned).
///
/// @dev The task word (`_tasks[taskId].state`) keeps TaskMarketBase's layout with status `Optimistic` for the
///      task's whole open life, k = 1 (position 0 is the worker), the committed bit set by the claim and
///      `deadline` = the claim deadline, then the end of the challenge window, then a game's deadline. The
///      replicated entry points all refuse a task in that status (TaskNotActive, TaskNotHeld), and the
///      market's `getTask` shows phase Optimistic until the deadline. At finality the word is written as the
///      replicated mode's final states are, so `outcomeOf`, `validationOf`, `taskResult` and the ERC-8004
///      registries read an optimistic task as they read any other: Accepted with k = 1 (no audit) or k = 2
///      (position 1 is the validator: agreed when its audit passed, dissented when it copied, absent when
///      it was silent), Refunded with k = 1 (the worker committed and, when the claim was overturned, is
///      absent: slashed; when a game timed out, inconclusive). The claim's (resultHash, traceRoot) is
///      `_results[taskId][0]`, written at the claim.
contract OptimisticSettlement is OptimisticBase {
    /// @notice The mode's audit and challenge entry points (audit, challengeClaim, onGameResolved, auditDraw),
    ///         deployed by this constructor with the same configuration and reached through this contract's
    ///         fallback, by DELEGATECALL again (still on the market's storage).
    address public immutable disputes;

    /// @param c the market's configuration (the market passes its own and checks configHash)
    /// @param p the mode's own parameters (see Params)
    constructor(Config memory c, Params memory p) OptimisticBase(c, p) {
        disputes = address(new OptimisticDisputes(c, p));
    }

    /// @notice Forwards the disputes' selectors (and only those: OptimisticDisputes has no fallback, so any other
    ///         calldata reverts there) to OptimisticDisputes by DELEGATECALL; only delegated (from the market).
    fallback() external payable {
        if (address(this) == _self) revert NotDelegated();
        address target = disputes;
        assembly ("memory-safe") {
            let p := mload(0x40)
            calldatacopy(p, 0, calldatasize())
            let ok := delegatecall(gas(), target, p, calldatasize(), 0, 0)
            returndatacopy(p, 0, returndatasize())
            if iszero(ok) { revert(p, returndatasize()) }
            return(p, returndatasize())
        }
    }

    // ---------------------------------------------------------------- submission and claim

    /// @notice Submits an optimistic task with `msg.value` as its fee (a callback task's msg.value also
    ///         carries the callback fee, as in TaskMarket.submitTask). Emits TaskSubmitted (mode 1, k 1, the
    ///         pool snapshot the worker is drawn from) and OptimisticSubmitted.
    /// @param modelId the model (must list the optimistic mode)
    /// @param inputHash keccak256 of the input; must match `input` when it is non-empty
    /// @param input the inline input (at most maxInputBytes), or empty when delivered off-chain
    /// @param seed the sampling seed
    /// @param temperatureMilli sampling temperature in thousandths
    /// @param maxTokens the generation limit
    /// @param kind the task kind
    /// @param window the challenge window in seconds (0: defaultWindow)
    /// @param auditBps the audit rate in basis points (0: defaultAuditBps; at least minAuditBps)
    /// @param flags FLAG_CALLBACK for a consumer callback at finality
    /// @return taskId the new task id (shared with the replicated mode's ids)
    function submitOptimistic(
        uint32 modelId,
        bytes32 inputHash,
        bytes calldata input,
        uint64 seed,
        uint32 temperatureMilli,
        uint32 maxTokens,
        uint8 kind,
        uint32 window,
        uint16 auditBps,
        uint8 flags
    ) external payable delegated nonReentrant returns (uint256 taskId) {
        if (window == 0) window = uint32(defaultWindow);
        if (window < minWindow || window > maxWindow) revert InvalidChallengeWindow(window, minWindow, maxWindow);
        if (auditBps == 0) auditBps = uint16(defaultAuditBps);
        if (auditBps > 10_000) revert InvalidAuditRate(auditBps);
        if (auditBps < minAuditBps) revert AuditRateBelowFloor(auditBps, minAuditBps);
        if (flags & ~FLAGS_MASK != 0) revert InvalidFlags(flags);
        if (flags & FLAG_CALLBACK != 0 && msg.sender.code.length == 0) revert CallbackRequiresContract(msg.sender);
        if (input.length > maxInputBytes) revert InputTooLarge(input.length, maxInputBytes);
        if (inputHash == 0) revert ZeroInputHash();
        if (input.length != 0) {
            bytes32 actual = keccak256(input);
            if (actual != inputHash) revert InputHashMismatch(inputHash, actual);
        }
        uint256 callbackFee = flags & FLAG_CALLBACK != 0 ? callbackGasLimit * block.basefee : 0;
        if (msg.value == 0 || msg.value < minFee + callbackFee) revert FeeTooLow(msg.value, minFee + callbackFee);
        if (msg.value > type(uint96).max) revert FeeTooHigh(msg.value, type(uint96).max);
        uint256 fee = msg.value - callbackFee;

        uint32[7] memory none;
        (bytes memory pool, uint256 hash, uint256 eligible, uint256 terms) = _snapshot(modelId, none, false);
        if (terms & MODE_BIT_OPTIMISTIC == 0) revert ModelModeUnsupported(modelId, uint8(terms));
        _requireWithinTerms(modelId, terms, input.length, maxTokens, fee);
        if (eligible == 0) revert NotEnoughNodes(modelId, 0, 1);

        uint256 tot = _totalsWord();
        taskId = uint64(tot) + 1;
        uint256 escrowed = uint96(tot >> 64) + msg.value;
        if (escrowed > type(uint96).max) revert FeeTooHigh(msg.value, type(uint96).max - uint96(tot >> 64));
        _setTotalsWord((tot & ~(uint256(type(uint160).max))) | taskId | (escrowed << 64));
        if (callbackFee != 0) _callbackFee[taskId] = callbackFee;

        uint256 deadline = uint32(block.timestamp + commitWindow);
        uint8 flagsAndMode = flags | (uint8(Mode.Optimistic) << 4) | FLAG_DRAW_PENDING;
        TaskWords storage w = _tasks[taskId];
        w.state = uint256(uint8(Status.Optimistic)) | (uint256(1) << S_K) | (uint256(NO_LEADER) << S_LEADER)
            | (uint256(flagsAndMode) << S_FLAGS) | (deadline << S_DEADLINE) | (uint256(modelId) << S_MODEL)
            | (hash << S_NODES);
        w.payment = uint256(uint160(msg.sender)) | (fee << 160);
        Claim storage c = _claims()[taskId];
        c.window = window;
        c.auditBps = auditBps;
        c.stage = Stage.Open;

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
            1,
            uint8(Mode.Optimistic),
            flags,
            fee,
            pool
        );
        emit OptimisticSubmitted(taskId, window, auditBps, deadline);
    }

    /// @notice The worker's claim. The first call draws the worker (with `pool`, the TaskSubmitted pool; see
    ///         TaskMarket.drawSeats for the preview); the caller must operate the drawn agent. The claim
    ///         takes the agent's commitment lane `lane` until the task is final, so its stake stays bonded
    ///         (openCommitments); the node must not commit in that lane meanwhile.
    /// @param taskId the task
    /// @param agentId the drawn worker
    /// @param lane one of the agent's commitment lanes (0..255)
    /// @param pool the submission's pool snapshot (ignored once drawn)
    /// @param resultHash keccak256 of the output (0: computed from a non-empty output)
    /// @param traceRoot the trace root
    /// @param tokensHash keccak256 of the claimed token sequence (prompt then output), uint32 little-endian
    /// @param positions trace positions (the claimed sequence less its last token), > 0
    /// @param leafCount trace leaves, a positive multiple of positions (positions x layers)
    /// @param output the inline output (at most maxOutputBytes)
    function claimResult(
        uint256 taskId,
        uint256 agentId,
        uint8 lane,
        bytes calldata pool,
        bytes32 resultHash,
        bytes32 traceRoot,
        bytes32 tokensHash,
        uint32 positions,
        uint32 leafCount,
        bytes calldata output
    ) external delegated nonReentrant {
        uint256 s = _requireOptimistic(taskId);
        Claim storage c = _claims()[taskId];
        if (c.stage != Stage.Open) revert WrongStage(taskId, uint8(c.stage));
        uint256 deadline = uint32(s >> S_DEADLINE);
        if (block.timestamp > deadline) revert ClaimWindowClosed(taskId, deadline);
        uint256 poolHash = s >> S_NODES;
        if ((s >> S_FLAGS) & FLAG_DRAW_PENDING != 0) {
            if (pool.length == 0) revert DrawPending(taskId);
            uint256 seedBlock = _checkPool(taskId, s, pool);
            bytes32 seedHash = blockhash(seedBlock);
            if (seedHash == 0) revert SeedBlockUnavailable(taskId, seedBlock, block.number);
            s = _resolveDraw(taskId, s, pool, seedHash);
        }
        if (uint32(s >> S_NODES) != agentId) revert NotAssigned(taskId, agentId);
        if (_knownOperator[agentId] != msg.sender) {
            if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
            _knownOperator[agentId] = msg.sender;
        }
        if (positions == 0 || leafCount == 0 || leafCount % positions != 0) revert InvalidTraceShape(positions, leafCount);
        if (output.length > maxOutputBytes) revert OutputTooLarge(taskId, output.length, maxOutputBytes);
        bool callback = (s >> S_FLAGS) & FLAG_CALLBACK != 0;
        if (output.length != 0 || callback) {
            bytes32 outputHash = keccak256(output);
            if (resultHash == 0 && output.length != 0) resultHash = outputHash;
            else if (outputHash != resultHash) revert OutputHashMismatch(taskId, resultHash, outputHash);
        }
        if (callback && output.length != 0) _output[taskId][0] = output;
        _results[taskId][0] = Result(resultHash, traceRoot);
        // the lane names the task: the agent registry keeps the worker's stake until the task is final
        _lanes[agentId][lane] = bytes32((taskId << 192) | uint192(uint256(resultHash)));

        uint256 windowEnd = block.timestamp + c.window;
        c.stage = Stage.Claimed;
        c.claimBlock = uint64(block.number);
        c.windowEnd = uint32(windowEnd);
        c.poolHash = uint128(poolHash);
        c.positions = positions;
        c.leafCount = leafCount;
        c.tokensHash = tokensHash;
        // committed bit, leader 0, deadline := the end of the window
        s = (s & ~((uint256(0xff) << S_LEADER) | (uint256(type(uint32).max) << S_DEADLINE))) | (uint256(1) << S_COMMITTED)
            | (windowEnd << S_DEADLINE);
        _tasks[taskId].state = s;
        emit ResultClaimed(taskId, agentId, resultHash, traceRoot, tokensHash, positions, leafCount, output, windowEnd);
    }

    /// @notice Settles an optimistic task past its deadline; anyone may call. No claim by the claim deadline:
    ///         refund (the drawn worker slashed absenceSlash; nobody when the draw expired). Claimed and the
    ///         window over (or the game resolved): pay or refund as the contract notes say. `pool` is the
    ///         submission's pool, needed while the worker's draw or the audit is still undecided (else empty).
    /// @param taskId the task
    /// @param pool the TaskSubmitted pool snapshot, or empty
    function finalizeOptimistic(uint256 taskId, bytes calldata pool) external delegated nonReentrant {
        uint256 s = _requireOptimistic(taskId);
        uint256 deadline = uint32(s >> S_DEADLINE);
        if (block.timestamp <= deadline) revert TooEarly(taskId, deadline + 1);
        Claim storage c = _claims()[taskId];
        Task memory t = _decode(taskId, s);
        _loadPayment(taskId, t);
        Stage stage = c.stage;
        if (stage == Stage.Open) {
            _noClaim(taskId, t, s, pool);
        } else if (stage == Stage.Challenged) {
            _gameTimedOut(taskId, t, c);
        } else if (stage == Stage.Overturned) {
            _overturned(taskId, t, c);
        } else {
            if (c.audit == AuditState.Undecided) _decideAudit(taskId, c, pool);
            // a validator disputed the claim and there was no game to judge it: no result, as a timed-out game
            if (c.audit == AuditState.Disputed && stage == Stage.Claimed) _gameTimedOut(taskId, t, c);
            else _accept(taskId, t, c);
        }
        c.stage = Stage.Final;
    }

    /// @notice An optimistic task's mode state (stage, audit, window, validator, challenger, game).
    function optimisticTask(uint256 taskId) external view returns (Claim memory) {
        return _claims()[taskId];
    }

    // ---------------------------------------------------------------- internals

    /// @dev Claim deadline passed without a claim: refund; slash the drawn worker as absent (it was drawn
    ///      from a hash knowable from the submission's log on), or no one when the draw expired.
    function _noClaim(uint256 taskId, Task memory t, uint256 s, bytes calldata pool) private {
        uint256 proceeds;
        uint256 records;
        if (t.flags & FLAG_DRAW_PENDING != 0) {
            if (pool.length == 0) revert DrawPending(taskId);
            uint256 seedBlock = _checkPool(taskId, s, pool);
            if (seedBlock >= block.number) revert SeedBlockUnavailable(taskId, seedBlock, block.number);
            bytes32 seedHash = blockhash(seedBlock);
            if (seedHash == 0) {
                emit DrawExpired(taskId, 0, seedBlock);
                t.flags &= ~FLAG_DRAW_PENDING;
                _refund(taskId, t, 0, 0, 0);
                return;
            }
            s = _resolveDraw(taskId, s, pool, seedHash);
            t = _decode(taskId, s);
            _loadPayment(taskId, t);
        }
        uint256 worker = t.nodes[0];
        proceeds = _slash(taskId, worker, 0, absenceSlash, SlashReason.NoCommit);
        records = _record(0, 0, worker, ITaskRecords.NodeOutcome.Absent);
        _refund(taskId, t, proceeds, records, 0);
    }

    /// @dev A game that never reported back within gameTimeout: as no result (fee refunded, bond returned,
    ///      the worker inconclusive and not slashed), like the replicated mode's challenged split.
    function _gameTimedOut(uint256 taskId, Task memory t, Claim storage c) private {
        if (c.challengerAddress != address(0)) {
            uint256 bond = challengeBond;
            pendingWithdrawals[c.challengerAddress] += bond;
            _releaseEscrow(bond, bond);
        }
        t.revealed = 1;
        uint256 records = _record(0, 0, t.nodes[0], ITaskRecords.NodeOutcome.Inconclusive);
        _inconclusive[t.nodes[0]] += 1;
        _refund(taskId, t, 0, records, 0);
    }

    /// @dev The game overturned the claim: refund the fee, slash the worker claimBond (slashHonestBps of it to
    ///      the challenger with its bond back), and a validator that passed, copied or never audited the
    ///      wrong claim auditSlash (to the treasury: the challenger already is the task's winner).
    function _overturned(uint256 taskId, Task memory t, Claim storage c) private {
        uint256 worker = t.nodes[0];
        uint256 taken = _slash(taskId, worker, 0, claimBond, SlashReason.Dissent);
        uint256 records = _record(0, 0, worker, ITaskRecords.NodeOutcome.Absent);
        uint256 n = 1;
        uint256 other;
        AuditState a = c.audit;
        if (a == AuditState.Passed || a == AuditState.Copied || a == AuditState.Due) {
            other = _slash(taskId, c.validator, 1, auditSlash, a == AuditState.Due ? SlashReason.NoReveal : SlashReason.Dissent);
            records = _record(records, n++, c.validator,
                a == AuditState.Due ? ITaskRecords.NodeOutcome.Absent : ITaskRecords.NodeOutcome.Dissented);
        }
        uint256 honest = taken * slashHonestBps / 10_000;
        uint256 bond = challengeBond;
        pendingWithdrawals[c.challengerAddress] += bond + honest;
        _releaseEscrow(bond, bond + honest);
        _refund(taskId, t, taken - honest + other, records, 0);
    }

    /// @dev The claim stands (unchallenged, or upheld by the game): Accepted. The worker is paid the fee
    ///      less the auditor's share of a passed audit, plus slashHonestBps of a copying, silent or wrong
    ///      validator's slash and of a lost challenge's bond; the rest of those goes to the treasury.
    function _accept(uint256 taskId, Task memory t, Claim storage c) private {
        uint256 worker = t.nodes[0];
        uint256 fee = t.fee;
        AuditState a = c.audit;
        uint256 lost; // slashes and forfeited bonds, shared slashHonestBps with the worker
        uint256 auditorPay;
        uint8 k = 1;
        uint8 agreed = 1;
        uint8 revealed = 1;
        uint256 records = _record(0, 0, worker, ITaskRecords.NodeOutcome.Agreed);
        uint256 validator = c.validator;
        if (a == AuditState.Passed) {
            k = 2;
            agreed = 3;
            revealed = 3;
            auditorPay = fee * auditShareBps / 10_000;
            records = _record(records, 1, validator, ITaskRecords.NodeOutcome.Agreed);
        } else if (a == AuditState.Copied || a == AuditState.Disputed) {
            // a copier did not replay; a disputing validator whose result lost was wrong (one that started the
            // game pays with its bond, below; one that joined a running game with no bond is slashed)
            k = 2;
            revealed = 3;
            if (a == AuditState.Copied || c.challenger != validator) {
                lost += _slash(taskId, validator, 1, auditSlash, SlashReason.Dissent);
            }
            records = _record(records, 1, validator, ITaskRecords.NodeOutcome.Dissented);
        } else if (a == AuditState.Due) {
            k = 2;
            lost += _slash(taskId, validator, 1, auditSlash, SlashReason.NoReveal);
            records = _record(records, 1, validator, ITaskRecords.NodeOutcome.Absent);
        }
        uint256 bond;
        if (c.stage == Stage.Upheld) {
            bond = challengeBond;
            lost += bond;
            // a validator that disputed by starting the game is slashed above and forfeits its bond here
        }
        uint256 honest = lost * slashHonestBps / 10_000;
        uint256 workerPay = fee - auditorPay + honest;
        _creditAgreed(worker, workerPay);
        if (auditorPay != 0) _creditAgreed(validator, auditorPay);
        if (_knownOperator[worker] == t.requester) _addDiscounts(worker, 1, workerPay, 0);
        if (lost != honest) pendingWithdrawals[treasury] += lost - honest;
        _releaseEscrow(fee + bond, fee + lost);

        t.status = Status.Accepted;
        t.k = k;
        t.committed = revealed;
        t.revealed = revealed;
        t.agreed = agreed;
        t.leader = 0;
        t.nodes[1] = k == 2 ? uint32(validator) : 0;
        t.deadline = uint32(block.timestamp);
        _tasks[taskId].state = _encodeState(t);

        Result storage r = _results[taskId][0];
        bytes32 resultHash = r.resultHash;
        bytes32 traceRoot = r.traceRoot;
        emit TaskFinalized(taskId, t.requester, true, resultHash, traceRoot, agreed, workerPay, 0);
        reputationRegistry.recordOutcomes(taskId, records);
        validationRegistry.recordTaskValidation(
            taskId, worker, uint8(_popcount(agreed) * 100 / k), keccak256(abi.encode(resultHash, traceRoot))
        );
        if (t.flags & FLAG_CALLBACK != 0) {
            _deliver(taskId, t.requester, true, resultHash, traceRoot, _output[taskId][0]);
        }
    }

    /// @dev Refunds the fee less `kept` (pull); `proceeds` go to the treasury. k = 1: the worker's record.
    function _refund(uint256 taskId, Task memory t, uint256 proceeds, uint256 records, uint256 kept) private {
        pendingWithdrawals[t.requester] += t.fee - kept;
        if (proceeds + kept != 0) pendingWithdrawals[treasury] += proceeds + kept;
        _releaseEscrow(uint256(t.fee), uint256(t.fee) + proceeds);
        t.status = Status.Refunded;
        t.k = 1;
        t.agreed = 0;
        t.leader = NO_LEADER;
        t.deadline = uint32(block.timestamp);
        _tasks[taskId].state = _encodeState(t);
        emit TaskFinalized(taskId, t.requester, false, 0, 0, 0, 0, t.fee - kept);
        if (records != 0) reputationRegistry.recordOutcomes(taskId, records);
        validationRegistry.recordTaskValidation(taskId, t.nodes[0], 0, 0);
        if (t.flags & FLAG_CALLBACK != 0) _deliver(taskId, t.requester, false, 0, 0, "");
    }
}
