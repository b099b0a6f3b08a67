// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {TaskMarketBinding} from "./TaskMarketBinding.sol";
import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";
import {ITaskRecords} from "./interfaces/ITaskRecords.sol";

/// @title Ledgermind validation registry, ERC-8004 compatible.
/// @notice ERC-8004's request/response flow for any agent and validator, stored as the ERC specifies.
///         The task market also writes one validation response per finalized task
///         (`recordTaskValidation`), as an event only: its requestHash is
///         `protocolRequestHash(taskId)` = bytes32(uint256(uint160(taskMarket)) << 96 | taskId), which
///         names the market and the task without storage, and `getValidationStatus` answers such
///         hashes from the market's own task record (ITaskRecords.validationOf).
/// @dev Protocol response: 0..100 = percentage of the k nodes that revealed the accepted result
///      (0 when refunded), responseHash = keccak256(abi.encode(resultHash, traceRoot)), tag
///      "ledgermind.replicated", validatorAddress = the task market.
contract ValidationRegistry is TaskMarketBinding {
    struct ValidationStatus {
        address validatorAddress;
        uint8 response;
        bool hasResponse;
        uint64 lastUpdate;
        uint256 agentId;
        bytes32 responseHash;
        string tag;
    }

    uint8 public constant MAX_RESPONSE = 100;
    string private constant PROTOCOL_TAG = "ledgermind.replicated";
    bytes32 private constant PROTOCOL_TAG_WORD = "ledgermind.replicated";

    address public immutable identityRegistry;

    mapping(bytes32 requestHash => ValidationStatus) private _validations;
    mapping(uint256 agentId => bytes32[]) private _agentValidations;
    mapping(address validator => bytes32[]) private _validatorRequests;

    event ValidationRequest(
        address indexed validatorAddress, uint256 indexed agentId, string requestURI, bytes32 indexed requestHash
    );
    event ValidationResponse(
        address indexed validatorAddress,
        uint256 indexed agentId,
        bytes32 indexed requestHash,
        uint8 response,
        string responseURI,
        bytes32 responseHash,
        string tag
    );

    error InvalidValidator(address validator);
    error RequestExists(bytes32 requestHash);
    error UnknownRequest(bytes32 requestHash);
    error NotAuthorized(uint256 agentId, address caller);
    error NotValidator(bytes32 requestHash, address caller, address validator);
    error ResponseOutOfRange(uint8 response);
    error ReservedRequestHash(bytes32 requestHash);

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

    /// @notice ERC-8004: an agent's owner or operator asks a validator to validate its work.
    /// @param validatorAddress the validator that will respond
    /// @param agentId the agent
    /// @param requestURI off-chain data for the validator
    /// @param requestHash commitment to that data; identifies the request
    function validationRequest(address validatorAddress, uint256 agentId, string calldata requestURI, bytes32 requestHash)
        external
    {
        if (validatorAddress == address(0)) revert InvalidValidator(validatorAddress);
        if (_isProtocolHash(requestHash)) revert ReservedRequestHash(requestHash);
        if (_validations[requestHash].validatorAddress != address(0)) revert RequestExists(requestHash);
        IERC721 id = IERC721(identityRegistry);
        address owner = id.ownerOf(agentId);
        if (msg.sender != owner && !id.isApprovedForAll(owner, msg.sender) && id.getApproved(agentId) != msg.sender) {
            revert NotAuthorized(agentId, msg.sender);
        }
        ValidationStatus storage s = _validations[requestHash];
        s.validatorAddress = validatorAddress;
        s.agentId = agentId;
        s.lastUpdate = uint64(block.timestamp);
        _agentValidations[agentId].push(requestHash);
        _validatorRequests[validatorAddress].push(requestHash);
        emit ValidationRequest(validatorAddress, agentId, requestURI, requestHash);
    }

    /// @notice ERC-8004: the designated validator responds (may respond again to update).
    /// @param requestHash the request
    /// @param response 0..100
    /// @param responseURI optional evidence URI
    /// @param responseHash optional commitment to the evidence
    /// @param tag optional tag
    function validationResponse(
        bytes32 requestHash,
        uint8 response,
        string calldata responseURI,
        bytes32 responseHash,
        string calldata tag
    ) external {
        if (response > MAX_RESPONSE) revert ResponseOutOfRange(response);
        ValidationStatus storage s = _validations[requestHash];
        if (s.validatorAddress == address(0)) revert UnknownRequest(requestHash);
        if (msg.sender != s.validatorAddress) revert NotValidator(requestHash, msg.sender, s.validatorAddress);
        s.response = response;
        s.hasResponse = true;
        s.responseHash = responseHash;
        s.tag = tag;
        s.lastUpdate = uint64(block.timestamp);
        emit ValidationResponse(msg.sender, s.agentId, requestHash, response, responseURI, responseHash, tag);
    }

    /// @notice Records the market's verdict on a finalized task. Task market only; event only.
    /// @param taskId the task
    /// @param agentId the first agent that revealed the accepted result (or the first node if refunded)
    /// @param response percentage of nodes that agreed (0 when refunded)
    /// @param responseHash keccak256(abi.encode(resultHash, traceRoot)), zero when refunded
    function recordTaskValidation(uint256 taskId, uint256 agentId, uint8 response, bytes32 responseHash) external {
        if (msg.sender != taskMarket) revert NotTaskMarket(msg.sender);
        // Exactly `emit ValidationResponse(msg.sender, agentId, protocolRequestHash(taskId), response, "",
        // responseHash, PROTOCOL_TAG)` with the ABI encoding written out (7 words: response, offset of
        // responseURI 0x80, responseHash, offset of tag 0xa0, responseURI length 0, tag length, tag data):
        // the generic encoding of two strings cost about 500 gas more on every settlement.
        bytes32 sig = ValidationResponse.selector;
        bytes32 requestHash = protocolRequestHash(taskId);
        bytes32 tagWord = PROTOCOL_TAG_WORD;
        uint256 tagLen = bytes(PROTOCOL_TAG).length;
        assembly ("memory-safe") {
            let p := mload(0x40)
            mstore(p, and(response, 0xff))
            mstore(add(p, 0x20), 0x80)
            mstore(add(p, 0x40), responseHash)
            mstore(add(p, 0x60), 0xa0)
            mstore(add(p, 0x80), 0)
            mstore(add(p, 0xa0), tagLen)
            mstore(add(p, 0xc0), tagWord)
            log4(p, 0xe0, sig, caller(), agentId, requestHash)
        }
    }

    /// @notice The requestHash under which the task market's verdict on `taskId` is recorded.
    /// @return the request hash
    function protocolRequestHash(uint256 taskId) public view returns (bytes32) {
        return bytes32((uint256(uint160(taskMarket)) << 96) | uint96(taskId));
    }

    /// @notice ERC-8004: a validation's status; protocol request hashes are read from the task market.
    /// @return validatorAddress the validator
    /// @return agentId the agent
    /// @return response 0..100
    /// @return responseHash the response commitment
    /// @return tag the tag
    /// @return lastUpdate when last updated
    function getValidationStatus(bytes32 requestHash)
        external
        view
        returns (
            address validatorAddress,
            uint256 agentId,
            uint8 response,
            bytes32 responseHash,
            string memory tag,
            uint256 lastUpdate
        )
    {
        if (_isProtocolHash(requestHash)) {
            bool finalized;
            (finalized, agentId, response, responseHash, lastUpdate) =
                ITaskRecords(taskMarket).validationOf(uint96(uint256(requestHash)));
            if (!finalized) revert UnknownRequest(requestHash);
            return (taskMarket, agentId, response, responseHash, PROTOCOL_TAG, lastUpdate);
        }
        ValidationStatus storage s = _validations[requestHash];
        if (s.validatorAddress == address(0)) revert UnknownRequest(requestHash);
        return (s.validatorAddress, s.agentId, s.response, s.responseHash, s.tag, s.lastUpdate);
    }

    /// @notice ERC-8004: count and average response of an agent's stored, answered validations,
    ///         optionally filtered by validators and tag.
    /// @return count matching validations
    /// @return averageResponse their average response
    function getSummary(uint256 agentId, address[] calldata validatorAddresses, string calldata tag)
        external
        view
        returns (uint64 count, uint8 averageResponse)
    {
        bytes32[] storage hashes = _agentValidations[agentId];
        bytes32 tagHash = keccak256(bytes(tag));
        uint256 total;
        for (uint256 i; i < hashes.length; ++i) {
            ValidationStatus storage s = _validations[hashes[i]];
            if (!s.hasResponse) continue;
            if (bytes(tag).length != 0 && keccak256(bytes(s.tag)) != tagHash) continue;
            if (validatorAddresses.length != 0) {
                bool found;
                for (uint256 j; j < validatorAddresses.length; ++j) {
                    if (validatorAddresses[j] == s.validatorAddress) {
                        found = true;
                        break;
                    }
                }
                if (!found) continue;
            }
            total += s.response;
            ++count;
        }
        if (count != 0) averageResponse = uint8(total / count);
    }

    /// @notice ERC-8004: the stored request hashes of an agent.
    /// @return the hashes
    function getAgentValidations(uint256 agentId) external view returns (bytes32[] memory) {
        return _agentValidations[agentId];
    }

    /// @notice ERC-8004: the stored request hashes assigned to a validator.
    /// @return the hashes
    function getValidatorRequests(address validatorAddress) external view returns (bytes32[] memory) {
        return _validatorRequests[validatorAddress];
    }

    function _isProtocolHash(bytes32 requestHash) private view returns (bool) {
        address market = taskMarket;
        return market != address(0) && address(uint160(uint256(requestHash) >> 96)) == market;
    }
}
