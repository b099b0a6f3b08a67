// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {TaskMarketBase} from "./TaskMarketBase.sol";
import {ITaskRecords} from "../interfaces/ITaskRecords.sol";
import {IVerificationMode} from "../interfaces/IVerificationMode.sol";

/// @title Settlement of the replicated mode beyond its happy path: commit timeouts (slash, replace or
///        refund), split results and missing reveals (quorum search, slashes, refunds).
/// @notice Runs only by DELEGATECALL from the TaskMarket that deployed it, on the market's storage and
///         inside the market's reentrancy guard; a direct call reverts (NotDelegated). The unanimous
///         last reveal, the path every honest task takes, is settled in the market itself, so this
///         contract's cold-account cost is paid only on the rarer paths.
contract ReplicatedSettlement is TaskMarketBase, IVerificationMode {
    /// @dev This contract's own address: code running at it was called directly, not delegated.
    address private immutable _self;

    error NotDelegated();

    /// @param c the market's configuration (the market passes its own)
    constructor(Config memory c) TaskMarketBase(c) {
        _self = address(this);
    }

    /// @inheritdoc IVerificationMode
    function finalize(uint256 taskId, bytes calldata pool) external {
        if (address(this) == _self) revert NotDelegated();
        Task memory t = _load(taskId);
        if (t.status == Status.None) revert UnknownTask(taskId);
        if (t.status == Status.Held || t.status == Status.Challenged) {
            if (block.timestamp <= t.deadline) revert TooEarly(taskId, uint256(t.deadline) + 1);
            _loadPayment(taskId, t);
            if (t.status == Status.Held) _accept(taskId, t, _fullMask(t.k), t.agreed);
            else _resolveChallenge(taskId, t);
            return;
        }
        if (t.status != Status.Active) revert TaskNotActive(taskId, uint8(t.status));
        _loadPayment(taskId, t);
        uint8 full = _fullMask(t.k);
        if (t.committed != full) {
            if (block.timestamp <= t.deadline) revert TooEarly(taskId, uint256(t.deadline) + 1);
            if (t.flags & FLAG_DRAW_PENDING != 0) {
                // no seat of the round committed, so no one has drawn its seats yet: draw them now (they
                // were knowable from the round's log all along, so they are absent), or, if the seed block's
                // hash is gone, no one was ever assigned: refund and slash no one
                if (pool.length == 0) revert DrawPending(taskId);
                uint256 s = _tasks[taskId].state;
                uint256 seedBlock = _checkPool(taskId, s, pool);
                if (seedBlock >= block.number) revert SeedBlockUnavailable(taskId, seedBlock, block.number);
                bytes32 seedHash = blockhash(seedBlock);
                if (seedHash == 0) {
                    emit DrawExpired(taskId, t.round, seedBlock);
                    t.flags &= ~FLAG_DRAW_PENDING;
                    _refund(taskId, t, 0, 0, 0);
                    return;
                }
                s = _resolveDraw(taskId, s, pool, seedHash);
                _tasks[taskId].state = s;
                t = _decode(taskId, s);
                _loadPayment(taskId, t);
            }
            _commitTimeout(taskId, t, full);
        } else {
            uint256 revealDeadline = uint256(t.deadline) + revealWindow;
            if (t.revealed != full && block.timestamp <= revealDeadline) revert TooEarly(taskId, revealDeadline + 1);
            _settle(taskId, t, full);
        }
    }

    /// @inheritdoc IVerificationMode
    function settleRevealed(uint256 taskId) external {
        if (address(this) == _self) revert NotDelegated();
        Task memory t = _load(taskId);
        _loadPayment(taskId, t);
        _settle(taskId, t, _fullMask(t.k));
    }

    /// @notice TaskMarket.decline, run by DELEGATECALL (see there).
    function decline(uint256 taskId, uint256 agentId) external {
        if (address(this) == _self) revert NotDelegated();
        _decline(taskId, agentId, msg.data[0:0]);
    }

    /// @notice TaskMarket.decline with the pending round's pool, run by DELEGATECALL (see there).
    function decline(uint256 taskId, uint256 agentId, bytes calldata pool) external {
        if (address(this) == _self) revert NotDelegated();
        _decline(taskId, agentId, pool);
    }

    function _decline(uint256 taskId, uint256 agentId, bytes calldata pool) private {
        uint256 s = _tasks[taskId].state;
        if (uint8(s) != uint8(Status.Active)) revert TaskNotActive(taskId, uint8(s));
        uint256 deadline = uint32(s >> S_DEADLINE);
        if (block.timestamp > deadline) revert CommitWindowClosed(taskId, deadline);
        if ((s >> S_FLAGS) & FLAG_DRAW_PENDING != 0) {
            // a seat must exist before it is declined: draw the round's seats, as its first commit would
            if (pool.length == 0) revert DrawPending(taskId);
            uint256 seedBlock = _checkPool(taskId, s, pool);
            bytes32 seedHash = blockhash(seedBlock);
            if (seedHash == 0) revert SeedBlockUnavailable(taskId, seedBlock, block.number);
            s = _resolveDraw(taskId, s, pool, seedHash);
            _tasks[taskId].state = s;
        }
        uint256 seats = _seatsIn(taskId, s, agentId);
        if ((s >> S_COMMITTED) & seats != 0) revert AlreadyCommitted(taskId, agentId);
        if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
        uint256 declined = _declined[taskId];
        if (declined & seats != 0) revert AlreadyDeclined(taskId, agentId);
        _declined[taskId] = declined | seats;
        emit Declined(taskId, agentId, uint8(seats));
    }

    /// @inheritdoc IVerificationMode
    function challenge(uint256 taskId, uint256 agentId) external payable {
        if (address(this) == _self) revert NotDelegated();
        Task memory t = _load(taskId);
        if (t.status == Status.None) revert UnknownTask(taskId);
        if (t.status == Status.Challenged) revert AlreadyChallenged(taskId);
        if (t.status != Status.Held) revert TaskNotHeld(taskId, uint8(t.status));
        if (block.timestamp > t.deadline) revert ChallengeWindowClosed(taskId, t.deadline);
        uint8 seats;
        for (uint256 pos; pos < t.k; ++pos) {
            if (t.nodes[pos] == agentId) seats |= uint8(1 << pos);
        }
        if (seats == 0) revert NotAssigned(taskId, agentId);
        // only a seat that revealed another result has something to dispute (a withholder has nothing)
        if (seats & t.revealed & ~t.agreed == 0) revert NotADissenter(taskId, agentId);
        if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotOperator(agentId, msg.sender);
        if (msg.value != dissentSlash) revert WrongBond(taskId, msg.value, dissentSlash);

        _challenger[taskId] = msg.sender;
        _addTotals(msg.value, 0); // the bond is held in escrow with the fee
        t.status = Status.Challenged;
        t.deadline = uint32(block.timestamp + revealWindow);
        _tasks[taskId].state = _encodeState(t);
        emit TaskChallenged(taskId, agentId, msg.sender, msg.value, t.deadline);
    }

    // ---------------------------------------------------------------- settlement
    //
    // Reputation records go to the ReputationRegistry packed in one word: entry i occupies bits
    // [36i, 36i + 36): the agent id in the low 32 bits, the ITaskRecords.NodeOutcome in the high 4.
    // Agent ids start at 1, so an all-zero entry ends the list; k <= 7 entries fit in 252 bits.

    /// @dev Commit deadline passed with positions missing: slash those that did not decline, then replace
    ///      them all or refund (keeping the decline share of the fee from the requester).
    function _commitTimeout(uint256 taskId, Task memory t, uint8 full) private {
        uint8 missing = full & ~t.committed;
        uint256 declinedWord = _declined[taskId];
        // a seat that declined, and then did not commit, is missing but not at fault
        uint8 declined = uint8(declinedWord) & missing;
        (uint256 proceeds, uint256 records,) =
            _slashPositions(taskId, t, missing & ~declined, absenceSlash, SlashReason.NoCommit, 0, 0);
        uint256 honest = proceeds * slashHonestBps / 10_000;
        uint256 missingCount = _popcount(missing);

        bytes memory pool;
        uint256 hash;
        uint256 eligible;
        // the replacements are drawn like a submission's seats: from a pool frozen now, with the hash of
        // this block, by the new round's first commit (NodeReplaced then); the missing positions keep the
        // replaced agents until that draw
        if (t.round < maxRounds) (pool, hash, eligible,) = _snapshot(t.modelId, t.nodes, false);
        if (eligible >= missingCount && missingCount != 0) {
            t.round += 1;
            t.deadline = uint32(block.timestamp + commitWindow);
            _pendingDraw[taskId] = hash;
            t.flags |= FLAG_DRAW_PENDING;
            emit ReplacementPending(taskId, t.round, missing, t.deadline, pool);
            if (honest != 0) {
                _bonus[taskId] += honest;
                t.flags |= FLAG_BONUS;
            }
            if (proceeds != honest) pendingWithdrawals[treasury] += proceeds - honest;
            _addTotals(honest, proceeds - honest);
            _storeNodes(taskId, t);
            // the replacements did not decline
            if (declinedWord != 0) delete _declined[taskId];
            if (records != 0) reputationRegistry.recordOutcomes(taskId, records);
            return;
        }
        // the requester pays for work its nodes declared infeasible: declineShareBps per declined seat out of k
        uint256 kept = uint256(t.fee) * declineShareBps * _popcount(declined) / (10_000 * uint256(t.k));
        _refund(taskId, t, proceeds, records, kept);
    }

    /// @dev All revealed, or the reveal deadline passed: find a quorum. No quorum: refund, slash the
    ///      non-revealers. A unanimous quorum (every seat revealed it): pay at once. A split quorum (some
    ///      seat revealed something else or withheld): hold it for the challenge window (`_hold`); nothing
    ///      is paid or slashed before `_accept` runs at its release.
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
            _refundInconclusive(taskId, t, full);
            return;
        }
        if (winners != full) {
            _hold(taskId, t, winners);
            return;
        }
        _accept(taskId, t, full, winners);
    }

    /// @dev Refunds the fee; each revealer gets an inconclusive record and each seat that committed and
    ///      did not reveal is slashed `dissentSlash` (at fault whatever the right result was).
    function _refundInconclusive(uint256 taskId, Task memory t, uint8 full) private {
        (uint256 inconclusiveRecords, uint256 entries) = _recordInconclusive(t);
        (uint256 lost, uint256 allRecords,) = _slashPositions(
            taskId, t, full & ~t.revealed, dissentSlash, SlashReason.NoReveal, inconclusiveRecords, entries
        );
        _refund(taskId, t, lost, allRecords, 0);
    }

    /// @dev A split quorum: records the accepted leader and mask in the state word and holds everything
    ///      (fee, bonus, the slashes to come) until the challenge window, one reveal window, has passed.
    function _hold(uint256 taskId, Task memory t, uint8 winners) private {
        t.status = Status.Held;
        t.agreed = winners;
        t.deadline = uint32(block.timestamp + revealWindow);
        _tasks[taskId].state = _encodeState(t);
        Result storage r = _results[taskId][t.leader];
        emit TaskHeld(taskId, r.resultHash, r.traceRoot, winners, t.deadline);
    }

    /// @dev The interim resolution of a challenged split (until the dispute game of the optimistic mode
    ///      can tell who is right, a disputed result is treated as no result): the fee is refunded, the
    ///      challenger's bond returned, revealers get an inconclusive record and are neither paid nor
    ///      slashed, and seats that committed but never revealed are slashed as in any refund.
    function _resolveChallenge(uint256 taskId, Task memory t) private {
        address challenger = _challenger[taskId];
        uint256 bond = dissentSlash;
        delete _challenger[taskId];
        pendingWithdrawals[challenger] += bond;
        _releaseEscrow(bond, bond);
        _refundInconclusive(taskId, t, _fullMask(t.k));
    }

    /// @dev Pays the quorum `winners` (t.leader is its first position), slashes every other seat and
    ///      writes the records: at once for a unanimous quorum, at the release of a held split. A seat
    ///      whose agent committed from the requester's address (a self-requested task: `_knownOperator`
    ///      is the address the agent's commit was checked for) is paid, but its agreed record is
    ///      discounted from its reputation (`_addDiscounts`).
    function _accept(uint256 taskId, Task memory t, uint8 full, uint8 winners) private {
        uint256 records;
        uint256 n; // entries in records
        for (uint256 pos; pos < t.k; ++pos) {
            if (winners & (1 << pos) == 0) continue;
            records |= (uint256(t.nodes[pos]) | (uint256(uint8(ITaskRecords.NodeOutcome.Agreed)) << 32)) << (36 * n++);
        }
        uint256 winnerCount = n;
        uint8 dissenters = t.revealed & ~winners;
        uint256 proceeds;
        if (dissenters | (full & ~t.revealed) != 0) {
            uint256 p1;
            uint256 p2;
            // withholding a reveal costs what revealing a wrong result costs (never cheaper to hide it)
            (p1, records, n) = _slashPositions(taskId, t, full & ~t.revealed, dissentSlash, SlashReason.NoReveal, records, n);
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
            uint256 paid = pos == t.leader ? share + dust : share;
            _creditAgreed(t.nodes[pos], paid);
            if (_knownOperator[t.nodes[pos]] == t.requester) _addDiscounts(t.nodes[pos], 1, paid, 0);
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

    /// @dev Refunds the fee less `kept` to the requester (pull); `kept`, held bonus and slash proceeds go to
    ///      the treasury.
    function _refund(uint256 taskId, Task memory t, uint256 proceeds, uint256 records, uint256 kept) private {
        uint256 bonus = t.flags & FLAG_BONUS != 0 ? _bonus[taskId] : 0;
        pendingWithdrawals[t.requester] += t.fee - kept;
        if (bonus + proceeds + kept != 0) pendingWithdrawals[treasury] += bonus + proceeds + kept;
        _releaseEscrow(uint256(t.fee) + bonus, uint256(t.fee) + bonus + proceeds);

        t.status = Status.Refunded;
        t.agreed = 0;
        t.leader = NO_LEADER;
        t.deadline = uint32(block.timestamp);
        _tasks[taskId].state = _encodeState(t);

        emit TaskFinalized(taskId, t.requester, false, 0, 0, 0, 0, t.fee - kept);
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
        uint256 outcome = uint256(uint8(reason == SlashReason.Dissent ? ITaskRecords.NodeOutcome.Dissented : ITaskRecords.NodeOutcome.Absent));
        for (uint256 pos; pos < t.k; ++pos) {
            if (mask & (1 << pos) == 0) continue;
            uint256 agentId = t.nodes[pos];
            Account storage account = _accounts[agentId];
            if (account.faults != type(uint32).max) account.faults += 1;
            uint256 taken = amount == 0 ? 0 : agentRegistry.slash(agentId, amount);
            if (taken != 0) _addDiscounts(agentId, 0, 0, taken); // a fault weighs what it cost (getSummary)
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
            records |= (agentId | (uint256(uint8(ITaskRecords.NodeOutcome.Inconclusive)) << 32)) << (36 * n++);
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
}
