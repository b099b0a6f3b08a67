// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {TaskMarketBinding} from "./TaskMarketBinding.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {ITaskRecords} from "./interfaces/ITaskRecords.sol";

/// @title Ledgermind reputation registry, ERC-8004 compatible.
/// @notice Any client may give feedback to an agent with ERC-8004's `giveFeedback`; it is stored and
///         read exactly as ERC-8004 specifies. The task market additionally records one feedback per
///         node outcome of every finalized task (`recordOutcomes`). To keep a verified task cheap,
///         those protocol records are events only: their feedbackIndex is the task id (not a dense
///         counter), and reads for clientAddress == taskMarket are answered from the market's own
///         records (ITaskRecords): readFeedback(agentId, taskMarket, taskId) returns the outcome of
///         agentId in taskId, and getSummary over the market weighs its agreed and faulted outcomes by
///         what they cost (see getSummary).
/// @dev Protocol feedback: value 100 (agreed) or 0 (dissented, absent), valueDecimals 0,
///      tag1 "ledgermind", tag2 "agreed" | "dissented" | "absent" | "inconclusive" (value 50),
///      feedbackHash = bytes32(taskId).
contract ReputationRegistry is TaskMarketBinding {
    struct Feedback {
        int128 value;
        uint8 valueDecimals;
        bool isRevoked;
        string tag1;
        string tag2;
    }

    string private constant PROTOCOL_TAG1 = "ledgermind";
    bytes32 private constant PROTOCOL_TAG1_HASH = keccak256(bytes(PROTOCOL_TAG1));
    bytes32 private constant PROTOCOL_TAG1_WORD = "ledgermind";
    uint8 private constant MAX_DECIMALS = 18;

    address public immutable identityRegistry;

    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => Feedback))) private _feedback;
    mapping(uint256 agentId => mapping(address client => uint64)) private _lastIndex;
    mapping(uint256 agentId => address[]) private _clients;
    mapping(uint256 agentId => mapping(address client => bool)) private _isClient;
    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => mapping(address responder => uint64))))
        private _responseCount;
    mapping(uint256 agentId => mapping(address client => mapping(uint64 index => address[]))) private _responders;

    event NewFeedback(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        int128 value,
        uint8 valueDecimals,
        string indexed indexedTag1,
        string tag1,
        string tag2,
        string endpoint,
        string feedbackURI,
        bytes32 feedbackHash
    );
    event FeedbackRevoked(uint256 indexed agentId, address indexed clientAddress, uint64 indexed feedbackIndex);
    event ResponseAppended(
        uint256 indexed agentId,
        address indexed clientAddress,
        uint64 feedbackIndex,
        address indexed responder,
        string responseURI,
        bytes32 responseHash
    );

    error AgentNotFound(uint256 agentId);
    error SelfFeedback(uint256 agentId, address caller);
    error InvalidDecimals(uint8 valueDecimals);
    error FeedbackIndexOutOfRange(uint256 agentId, address client, uint64 feedbackIndex, uint64 lastIndex);
    error AlreadyRevoked(uint256 agentId, address client, uint64 feedbackIndex);
    error EmptyResponseURI();
    error ProtocolFeedbackIsReadOnly(address taskMarket);
    error InvalidOutcome(uint256 outcome);

    /// @param identityRegistry_ the ERC-8004 identity registry (AgentRegistry)
    /// @param taskMarket_ the task market whose records this registry holds (see TaskMarketBinding)
    constructor(address identityRegistry_, address taskMarket_) TaskMarketBinding(taskMarket_) {
        if (identityRegistry_ == address(0)) revert InvalidConfig("identityRegistry");
        identityRegistry = identityRegistry_;
    }


    /// @notice ERC-8004: the identity registry this registry refers to.
    /// @return the identity registry
    function getIdentityRegistry() external view returns (address) {
        return identityRegistry;
    }

    /// @notice ERC-8004: gives feedback to an agent (not by its owner or approved operators).
    /// @param agentId the agent
    /// @param value signed fixed-point value
    /// @param valueDecimals decimals of value, 0..18
    /// @param tag1 optional tag
    /// @param tag2 optional tag
    /// @param endpoint optional endpoint URI (emitted only)
    /// @param feedbackURI optional off-chain file URI (emitted only)
    /// @param feedbackHash optional keccak256 of that file (emitted only)
    function giveFeedback(
        uint256 agentId,
        int128 value,
        uint8 valueDecimals,
        string calldata tag1,
        string calldata tag2,
        string calldata endpoint,
        string calldata feedbackURI,
        bytes32 feedbackHash
    ) external {
        if (valueDecimals > MAX_DECIMALS) revert InvalidDecimals(valueDecimals);
        if (msg.sender == taskMarket) revert ProtocolFeedbackIsReadOnly(taskMarket);
        address owner = _ownerOf(agentId);
        IERC721 id = IERC721(identityRegistry);
        if (msg.sender == owner || id.isApprovedForAll(owner, msg.sender) || id.getApproved(agentId) == msg.sender) {
            revert SelfFeedback(agentId, msg.sender);
        }
        uint64 index = _lastIndex[agentId][msg.sender] + 1;
        _feedback[agentId][msg.sender][index] = Feedback(value, valueDecimals, false, tag1, tag2);
        _lastIndex[agentId][msg.sender] = index;
        if (!_isClient[agentId][msg.sender]) {
            _isClient[agentId][msg.sender] = true;
            _clients[agentId].push(msg.sender);
        }
        emit NewFeedback(agentId, msg.sender, index, value, valueDecimals, tag1, tag1, tag2, endpoint, feedbackURI, feedbackHash);
    }

    /// @notice ERC-8004: revokes one of the caller's own feedbacks.
    /// @param agentId the agent
    /// @param feedbackIndex the 1-based index
    function revokeFeedback(uint256 agentId, uint64 feedbackIndex) external {
        uint64 last = _lastIndex[agentId][msg.sender];
        if (feedbackIndex == 0 || feedbackIndex > last) {
            revert FeedbackIndexOutOfRange(agentId, msg.sender, feedbackIndex, last);
        }
        Feedback storage f = _feedback[agentId][msg.sender][feedbackIndex];
        if (f.isRevoked) revert AlreadyRevoked(agentId, msg.sender, feedbackIndex);
        f.isRevoked = true;
        emit FeedbackRevoked(agentId, msg.sender, feedbackIndex);
    }

    /// @notice ERC-8004: anyone appends a response to a stored feedback.
    /// @param agentId the agent
    /// @param clientAddress the feedback's client
    /// @param feedbackIndex the feedback's index
    /// @param responseURI the response URI (non-empty)
    /// @param responseHash keccak256 of the response file
    function appendResponse(
        uint256 agentId,
        address clientAddress,
        uint64 feedbackIndex,
        string calldata responseURI,
        bytes32 responseHash
    ) external {
        if (bytes(responseURI).length == 0) revert EmptyResponseURI();
        uint64 last = _lastIndex[agentId][clientAddress];
        if (feedbackIndex == 0 || feedbackIndex > last) {
            revert FeedbackIndexOutOfRange(agentId, clientAddress, feedbackIndex, last);
        }
        if (_responseCount[agentId][clientAddress][feedbackIndex][msg.sender] == 0) {
            _responders[agentId][clientAddress][feedbackIndex].push(msg.sender);
        }
        _responseCount[agentId][clientAddress][feedbackIndex][msg.sender] += 1;
        emit ResponseAppended(agentId, clientAddress, feedbackIndex, msg.sender, responseURI, responseHash);
    }

    /// @notice Records the outcome of each node of a finalized task. Task market only; events only.
    /// @param taskId the task (used as feedbackIndex and feedbackHash)
    /// @param records up to seven packed (agent id, outcome) entries: entry i occupies bits
    ///        [36i, 36i + 36), the agent id in its low 32 bits and the ITaskRecords.NodeOutcome in its
    ///        high 4; the list ends at the first entry whose agent id is 0 (agent ids start at 1)
    function recordOutcomes(uint256 taskId, uint256 records) external {
        if (msg.sender != taskMarket) revert NotTaskMarket(msg.sender);
        for (; uint32(records) != 0; records >>= 36) {
            uint256 outcome = (records >> 32) & 0xf;
            if (outcome == 0 || outcome > uint256(type(ITaskRecords.NodeOutcome).max)) revert InvalidOutcome(outcome);
            _emitProtocolFeedback(uint32(records), taskId, ITaskRecords.NodeOutcome(outcome));
        }
    }

    /// @notice ERC-8004: one feedback. For the task market as client, feedbackIndex is a task id.
    /// @return value the value
    /// @return valueDecimals its decimals
    /// @return tag1 first tag
    /// @return tag2 second tag
    /// @return isRevoked whether revoked
    function readFeedback(uint256 agentId, address clientAddress, uint64 feedbackIndex)
        external
        view
        returns (int128 value, uint8 valueDecimals, string memory tag1, string memory tag2, bool isRevoked)
    {
        if (clientAddress == taskMarket && clientAddress != address(0)) {
            ITaskRecords.NodeOutcome o = ITaskRecords(taskMarket).outcomeOf(feedbackIndex, agentId);
            if (o == ITaskRecords.NodeOutcome.None) {
                revert FeedbackIndexOutOfRange(agentId, clientAddress, feedbackIndex, 0);
            }
            (value, tag2) = _protocolValue(o);
            return (value, 0, PROTOCOL_TAG1, tag2, false);
        }
        uint64 last = _lastIndex[agentId][clientAddress];
        if (feedbackIndex == 0 || feedbackIndex > last) {
            revert FeedbackIndexOutOfRange(agentId, clientAddress, feedbackIndex, last);
        }
        Feedback storage f = _feedback[agentId][clientAddress][feedbackIndex];
        return (f.value, f.valueDecimals, f.tag1, f.tag2, f.isRevoked);
    }

    /// @notice ERC-8004: count and average of non-revoked feedback from the given clients (required,
    ///         Sybil-resistance), optionally filtered by tags. Values are averaged at 18 decimals.
    ///         The task market's records (clientAddress == taskMarket) count only what cost something
    ///         (ITaskRecords.outcomeCounts): agreed records of tasks the agent's own committing
    ///         address requested are left out, inconclusive records (fee refunded, nothing paid or lost)
    ///         weigh nothing, and the rest are weighed by wei rather than counted one each: an agreed
    ///         record by what it paid the agent, a fault (dissent or absence) by what was slashed. With
    ///         no tag2 filter the market contributes count = agreed + faults and an average of
    ///         100 x paid / (paid + slashed), folded into the other clients' average with weight count;
    ///         with tag2 "agreed" (value 100) or "inconclusive" (value 50) it contributes those records,
    ///         counted one each; a tag2 of "dissented" or "absent" matches none (the market keeps one
    ///         fault counter). See docs/DESIGN.md section 6.2.
    /// @return count matching feedbacks
    /// @return summaryValue their average
    /// @return summaryValueDecimals always 18
    function getSummary(uint256 agentId, address[] calldata clientAddresses, string calldata tag1, string calldata tag2)
        external
        view
        returns (uint64 count, int128 summaryValue, uint8 summaryValueDecimals)
    {
        bytes32 t1 = keccak256(bytes(tag1));
        bytes32 t2 = keccak256(bytes(tag2));
        bool any1 = bytes(tag1).length == 0;
        bool any2 = bytes(tag2).length == 0;
        int256 sum;
        for (uint256 c; c < clientAddresses.length; ++c) {
            address client = clientAddresses[c];
            if (client == taskMarket && client != address(0)) {
                if (!any1 && t1 != keccak256(bytes(PROTOCOL_TAG1))) continue;
                (int256 part, uint256 n) = _protocolSummary(agentId, any2, t2);
                sum += part;
                count += uint64(n);
                continue;
            }
            uint64 last = _lastIndex[agentId][client];
            for (uint64 i = 1; i <= last; ++i) {
                Feedback storage f = _feedback[agentId][client][i];
                if (f.isRevoked) continue;
                if (!any1 && keccak256(bytes(f.tag1)) != t1) continue;
                if (!any2 && keccak256(bytes(f.tag2)) != t2) continue;
                sum += int256(f.value) * int256(10 ** (MAX_DECIMALS - f.valueDecimals));
                ++count;
            }
        }
        summaryValueDecimals = MAX_DECIMALS;
        if (count != 0) summaryValue = int128(sum / int256(uint256(count)));
    }

    /// @dev The market's part of getSummary: (sum of values at 18 decimals, count); see getSummary.
    function _protocolSummary(uint256 agentId, bool any2, bytes32 t2) private view returns (int256 sum, uint256 count) {
        (
            uint32 agreedAll,
            uint32 faults,
            uint32 inconclusive,
            uint32 selfRequested,
            uint256 earned,
            uint256 selfRequestedWei,
            uint256 slashed
        ) = ITaskRecords(taskMarket).outcomeCounts(agentId);
        uint256 agreed = uint256(agreedAll) - selfRequested;
        if (any2) {
            count = agreed + faults;
            uint256 paid = earned - selfRequestedWei;
            if (count == 0 || paid + slashed == 0) return (0, count);
            // the weighted average, times count, so that the caller's division by the total count keeps it
            return (int256(paid * 100 * 1e18 / (paid + slashed) * count), count);
        }
        if (t2 == keccak256("agreed")) return (int256(agreed) * 100 * 1e18, agreed);
        if (t2 == keccak256("inconclusive")) return (int256(uint256(inconclusive)) * 50 * 1e18, inconclusive);
        return (0, 0);
    }

    /// @notice ERC-8004: the clients that gave stored feedback to an agent.
    /// @return the clients
    function getClients(uint256 agentId) external view returns (address[] memory) {
        return _clients[agentId];
    }

    /// @notice ERC-8004: the last stored feedback index of a client for an agent (0 for none).
    /// @return the index
    function getLastIndex(uint256 agentId, address clientAddress) external view returns (uint64) {
        return _lastIndex[agentId][clientAddress];
    }

    /// @notice ERC-8004: the number of responses to a feedback, from the given responders (all if empty).
    /// @return count the count
    function getResponseCount(uint256 agentId, address clientAddress, uint64 feedbackIndex, address[] calldata responders)
        external
        view
        returns (uint64 count)
    {
        address[] storage all = _responders[agentId][clientAddress][feedbackIndex];
        if (responders.length == 0) {
            for (uint256 i; i < all.length; ++i) count += _responseCount[agentId][clientAddress][feedbackIndex][all[i]];
        } else {
            for (uint256 i; i < responders.length; ++i) {
                count += _responseCount[agentId][clientAddress][feedbackIndex][responders[i]];
            }
        }
    }

    function _protocolValue(ITaskRecords.NodeOutcome o) private pure returns (int128 value, string memory tag2) {
        if (o == ITaskRecords.NodeOutcome.Agreed) return (100, "agreed");
        if (o == ITaskRecords.NodeOutcome.Dissented) return (0, "dissented");
        if (o == ITaskRecords.NodeOutcome.Inconclusive) return (50, "inconclusive");
        return (0, "absent");
    }

    /// @dev `_protocolValue` as ABI words: the (non-negative) value, and tag2 as one left-aligned word
    ///      and its length; no memory is allocated on the settlement path.
    function _protocolWords(ITaskRecords.NodeOutcome o) private pure returns (uint256, bytes32, uint256) {
        if (o == ITaskRecords.NodeOutcome.Agreed) return (100, "agreed", 6);
        if (o == ITaskRecords.NodeOutcome.Dissented) return (0, "dissented", 9);
        if (o == ITaskRecords.NodeOutcome.Inconclusive) return (50, "inconclusive", 12);
        return (0, "absent", 6);
    }

    /// @dev Emits exactly what `emit NewFeedback(agentId, msg.sender, uint64(taskId), value, 0, PROTOCOL_TAG1,
    ///      PROTOCOL_TAG1, tag2, "", "", bytes32(taskId))` emits, with the ABI encoding written out (the
    ///      strings are constants of at most 32 bytes), because the compiler's generic encoding of four
    ///      strings cost about 1,500 gas per record on the settlement path. The layout (14 words):
    ///      heads feedbackIndex, value, valueDecimals, offsets of tag1/tag2/endpoint/feedbackURI
    ///      (0x100, 0x140, 0x180, 0x1a0), feedbackHash; then tag1 (length, data), tag2 (length, data),
    ///      endpoint (length 0), feedbackURI (length 0). Tested against the decoded event.
    function _emitProtocolFeedback(uint256 agentId, uint256 taskId, ITaskRecords.NodeOutcome o) private {
        (uint256 value, bytes32 tag2Word, uint256 tag2Len) = _protocolWords(o);
        bytes32 sig = NewFeedback.selector;
        bytes32 tag1Hash = PROTOCOL_TAG1_HASH;
        bytes32 tag1Word = PROTOCOL_TAG1_WORD;
        uint256 tag1Len = bytes(PROTOCOL_TAG1).length;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, and(taskId, 0xffffffffffffffff))
            mstore(add(p, 0x20), value)
            mstore(add(p, 0x40), 0)
            mstore(add(p, 0x60), 0x100)
            mstore(add(p, 0x80), 0x140)
            mstore(add(p, 0xa0), 0x180)
            mstore(add(p, 0xc0), 0x1a0)
            mstore(add(p, 0xe0), taskId)
            mstore(add(p, 0x100), tag1Len)
            mstore(add(p, 0x120), tag1Word)
            mstore(add(p, 0x140), tag2Len)
            mstore(add(p, 0x160), tag2Word)
            mstore(add(p, 0x180), 0)
            mstore(add(p, 0x1a0), 0)
            log4(p, 0x1c0, sig, agentId, caller(), tag1Hash)
        }
    }

    function _ownerOf(uint256 agentId) private view returns (address owner) {
        try IERC721(identityRegistry).ownerOf(agentId) returns (address o) {
            owner = o;
        } catch {
            revert AgentNotFound(agentId);
        }
    }
}
