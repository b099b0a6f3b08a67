// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {IAgentRegistry} from "./interfaces/IAgentRegistry.sol";
import {IModelRegistry} from "./interfaces/IModelRegistry.sol";

/// @title Ledgermind model registry.
/// @notice A model is identified by its content: the keccak256 hashes of its weights, its tokenizer
///         and its architecture description. Registrations are per registrant: one registrant cannot
///         register the same three hashes twice, but another registrant's entry for the same content
///         (with other modes, say) neither blocks nor changes it, so nobody can squat a model by
///         registering it first. A requester names the model id, so it chooses whose entry it trusts
///         (modelIdOf(registrant, contentHash)). Each model lists the verification modes it supports.
///         Agents with stake declare which models they serve; the task market samples among them.
///         Each model also carries its registrant's terms (see `Terms`): the largest input and output a
///         task may ask of it and a price per token, which the task market checks at submission.
/// @dev The server list of a model is a packed uint32[] (eight ids per storage word), capped at
///      `maxServersPerModel`, because the task market reads it whole when it samples nodes. Declaring
///      needs a selection weight (bonded stake >= the minimum), and anyone may evict an entry whose
///      agent has lost it (unstaked, slashed below the minimum), so the cap cannot be filled by
///      agents that risk nothing.
contract ModelRegistry is IModelRegistry {
    /// @notice Verification mode bits.
    uint8 public constant MODE_REPLICATED = 1;
    uint8 public constant MODE_OPTIMISTIC = 2;
    uint8 public constant MODE_ENSEMBLE = 4;
    uint8 private constant ALL_MODES = 7;
    uint256 public constant MAX_NAME_BYTES = 128;
    /// @notice The terms of a model registered without any (registerModel rather than registerModelWithTerms): no bound
    ///         beyond the market's own caps and no price. Nodes check a registration's terms before they
    ///         serve it, and decline work they cannot finish (TaskMarket.decline).
    uint32 public constant UNBOUNDED = type(uint32).max;

    /// @dev `terms` is the word the task market reads through drawPool, one slot (IModelRegistry):
    ///      modes (bits 0..7) | maxInputBytes (8..39) | maxOutputTokens (40..71) | pricePerToken (72..167).
    struct Model {
        bytes32 weightsHash;
        bytes32 tokenizerHash;
        bytes32 architectureHash;
        address registrant;
        uint256 terms;
        string name;
    }

    IAgentRegistry public immutable agentRegistry;
    /// @notice The most agents that may serve one model.
    uint256 public immutable maxServersPerModel;

    uint32 private _lastModelId;
    mapping(uint32 modelId => Model) private _models;
    /// @dev keyed by keccak256(abi.encode(registrant, contentHash))
    mapping(bytes32 registrantContent => uint32 modelId) private _byContentHash;
    mapping(uint32 modelId => uint32[]) private _servers;
    /// @dev 1-based index into _servers[modelId]; 0 means "not serving".
    mapping(uint32 modelId => mapping(uint256 agentId => uint256)) private _serverIndex;

    event ModelRegistered(
        uint32 indexed modelId,
        bytes32 indexed contentHash,
        address indexed registrant,
        bytes32 weightsHash,
        bytes32 tokenizerHash,
        bytes32 architectureHash,
        uint8 modes,
        string name
    );
    event TermsSet(uint32 indexed modelId, uint32 maxInputBytes, uint32 maxOutputTokens, uint96 pricePerToken);
    event ServingDeclared(uint256 indexed agentId, uint32 indexed modelId, address indexed by);
    event ServingWithdrawn(uint256 indexed agentId, uint32 indexed modelId, address indexed by);
    event ServerEvicted(uint256 indexed agentId, uint32 indexed modelId, address indexed by);

    error ZeroHash(string field);
    error InvalidModes(uint8 modes);
    error InvalidName(uint256 length, uint256 maxLength);
    error ModelAlreadyRegistered(uint32 modelId, bytes32 contentHash);
    error UnknownModel(uint32 modelId);
    error NotAgentOperator(uint256 agentId, address caller);
    error AgentIdOutOfRange(uint256 agentId);
    error AlreadyServing(uint256 agentId, uint32 modelId);
    error NotServing(uint256 agentId, uint32 modelId);
    error TooManyServers(uint32 modelId, uint256 max);
    error InvalidConfig(string field);
    error NotStaked(uint256 agentId);
    error StillStaked(uint256 agentId, uint32 modelId);
    error NotRegistrant(uint32 modelId, address caller);
    error InvalidTerms(string field);

    /// @param agentRegistry_ the agent registry (for operator checks)
    /// @param maxServersPerModel_ cap on the number of agents serving one model
    constructor(IAgentRegistry agentRegistry_, uint256 maxServersPerModel_) {
        if (address(agentRegistry_) == address(0)) revert InvalidConfig("agentRegistry");
        if (maxServersPerModel_ == 0) revert InvalidConfig("maxServersPerModel");
        agentRegistry = agentRegistry_;
        maxServersPerModel = maxServersPerModel_;
    }

    /// @notice Registers a model by content hash, without terms (UNBOUNDED input and output, price 0: the
    ///         market's own caps still apply); `setTerms` can bound it later. Anyone may register; the
    ///         entry is the registrant's (the same content registered by someone else is another model id).
    /// @param weightsHash keccak256 of the canonical weights bytes
    /// @param tokenizerHash keccak256 of the tokenizer file
    /// @param architectureHash keccak256 of the canonical architecture description
    /// @param name a human name, 1..128 bytes
    /// @param modes supported verification modes (bitmask of MODE_*, non-zero)
    /// @return modelId the new model id (from 1)
    function registerModel(
        bytes32 weightsHash,
        bytes32 tokenizerHash,
        bytes32 architectureHash,
        string calldata name,
        uint8 modes
    ) external returns (uint32 modelId) {
        return _register(weightsHash, tokenizerHash, architectureHash, name, modes, UNBOUNDED, UNBOUNDED, 0);
    }

    /// @notice Registers a model by content hash with its terms (see setTerms).
    /// @param weightsHash keccak256 of the canonical weights bytes
    /// @param tokenizerHash keccak256 of the tokenizer file
    /// @param architectureHash keccak256 of the canonical architecture description
    /// @param name a human name, 1..128 bytes
    /// @param modes supported verification modes (bitmask of MODE_*, non-zero)
    /// @param maxInputBytes the largest input a task may carry, bytes (>= 1)
    /// @param maxOutputTokens the largest maxTokens a task may ask for
    /// @param pricePerToken the least fee per token of a task's bound, wei
    /// @return modelId the new model id (from 1)
    function registerModelWithTerms(
        bytes32 weightsHash,
        bytes32 tokenizerHash,
        bytes32 architectureHash,
        string calldata name,
        uint8 modes,
        uint32 maxInputBytes,
        uint32 maxOutputTokens,
        uint96 pricePerToken
    ) external returns (uint32 modelId) {
        return _register(
            weightsHash, tokenizerHash, architectureHash, name, modes, maxInputBytes, maxOutputTokens, pricePerToken
        );
    }

    function _register(
        bytes32 weightsHash,
        bytes32 tokenizerHash,
        bytes32 architectureHash,
        string calldata name,
        uint8 modes,
        uint32 maxInputBytes,
        uint32 maxOutputTokens,
        uint96 pricePerToken
    ) private returns (uint32 modelId) {
        if (weightsHash == 0) revert ZeroHash("weightsHash");
        if (tokenizerHash == 0) revert ZeroHash("tokenizerHash");
        if (architectureHash == 0) revert ZeroHash("architectureHash");
        if (modes == 0 || modes > ALL_MODES) revert InvalidModes(modes);
        if (bytes(name).length == 0 || bytes(name).length > MAX_NAME_BYTES) {
            revert InvalidName(bytes(name).length, MAX_NAME_BYTES);
        }
        uint256 terms = _terms(modes, maxInputBytes, maxOutputTokens, pricePerToken);
        bytes32 contentHash = contentHashOf(weightsHash, tokenizerHash, architectureHash);
        bytes32 key = keccak256(abi.encode(msg.sender, contentHash));
        uint32 existing = _byContentHash[key];
        if (existing != 0) revert ModelAlreadyRegistered(existing, contentHash);
        modelId = ++_lastModelId;
        _models[modelId] = Model(weightsHash, tokenizerHash, architectureHash, msg.sender, terms, name);
        _byContentHash[key] = modelId;
        emit ModelRegistered(modelId, contentHash, msg.sender, weightsHash, tokenizerHash, architectureHash, modes, name);
        emit TermsSet(modelId, maxInputBytes, maxOutputTokens, pricePerToken);
    }

    /// @notice Sets a model's terms; its registrant only. The task market refuses, at submission, a task
    ///         whose inline input is longer than maxInputBytes, whose maxTokens is above maxOutputTokens,
    ///         or whose fee is below pricePerToken x (input bytes + maxTokens), where an off-chain input
    ///         (not visible to the contract) counts as maxInputBytes. Tasks already submitted keep the
    ///         terms they were checked against. Bytes bound tokens: every tokenizer the nodes run emits at
    ///         most one token per input byte (plus its few special tokens).
    /// @param modelId the model
    /// @param maxInputBytes the largest input a task may carry, bytes (>= 1)
    /// @param maxOutputTokens the largest maxTokens a task may ask for
    /// @param pricePerToken the least fee per token of a task's bound, wei
    function setTerms(uint32 modelId, uint32 maxInputBytes, uint32 maxOutputTokens, uint96 pricePerToken) external {
        Model storage m = _requireModel(modelId);
        if (m.registrant != msg.sender) revert NotRegistrant(modelId, msg.sender);
        m.terms = _terms(uint8(m.terms), maxInputBytes, maxOutputTokens, pricePerToken);
        emit TermsSet(modelId, maxInputBytes, maxOutputTokens, pricePerToken);
    }

    /// @notice A model's terms (UNBOUNDED bounds and price 0 for a model registered without terms; all
    ///         zero for an unknown model).
    /// @param modelId the model
    /// @return maxInputBytes the largest input a task may carry, bytes
    /// @return maxOutputTokens the largest maxTokens a task may ask for
    /// @return pricePerToken the least fee per token of a task's bound, wei
    function termsOf(uint32 modelId)
        external
        view
        returns (uint32 maxInputBytes, uint32 maxOutputTokens, uint96 pricePerToken)
    {
        uint256 t = _models[modelId].terms;
        return (uint32(t >> 8), uint32(t >> 40), uint96(t >> 72));
    }

    function _terms(uint8 modes, uint32 maxInputBytes, uint32 maxOutputTokens, uint96 pricePerToken)
        private
        pure
        returns (uint256)
    {
        // an input bound of 0 would admit no task: every task has an input (inline, or off-chain and counted as the bound)
        if (maxInputBytes == 0) revert InvalidTerms("maxInputBytes");
        return uint256(modes) | (uint256(maxInputBytes) << 8) | (uint256(maxOutputTokens) << 40)
            | (uint256(pricePerToken) << 72);
    }

    /// @notice Declares that an agent serves a model. The agent's owner or wallet only; the agent must
    ///         have a selection weight (bonded stake of at least the minimum).
    /// @param agentId the agent
    /// @param modelId the model
    function declareServes(uint256 agentId, uint32 modelId) external {
        _requireModel(modelId);
        _requireOperator(agentId);
        if (_weight(agentId) == 0) revert NotStaked(agentId);
        if (_serverIndex[modelId][agentId] != 0) revert AlreadyServing(agentId, modelId);
        uint32[] storage list = _servers[modelId];
        if (list.length >= maxServersPerModel) revert TooManyServers(modelId, maxServersPerModel);
        list.push(uint32(agentId));
        _serverIndex[modelId][agentId] = list.length;
        emit ServingDeclared(agentId, modelId, msg.sender);
    }

    /// @notice Withdraws an agent's declaration for a model. The agent's owner or wallet only.
    /// @param agentId the agent
    /// @param modelId the model
    function withdrawServes(uint256 agentId, uint32 modelId) external {
        _requireOperator(agentId);
        _remove(agentId, modelId);
        emit ServingWithdrawn(agentId, modelId, msg.sender);
    }

    /// @notice Removes a stale entry: an agent that serves the model but has no selection weight any
    ///         more (its bonded stake is below the minimum). Anyone may call it.
    /// @param agentId the agent
    /// @param modelId the model
    function evictServer(uint256 agentId, uint32 modelId) external {
        if (_weight(agentId) != 0) revert StillStaked(agentId, modelId);
        _remove(agentId, modelId);
        emit ServerEvicted(agentId, modelId, msg.sender);
    }

    function _remove(uint256 agentId, uint32 modelId) private {
        uint256 index = _serverIndex[modelId][agentId];
        if (index == 0) revert NotServing(agentId, modelId);
        uint32[] storage list = _servers[modelId];
        uint32 last = list[list.length - 1];
        list[index - 1] = last;
        _serverIndex[modelId][last] = index;
        list.pop();
        delete _serverIndex[modelId][agentId];
    }

    function _weight(uint256 agentId) private view returns (uint256) {
        if (agentId == 0 || agentId > type(uint32).max) return 0;
        uint32[] memory one = new uint32[](1);
        one[0] = uint32(agentId);
        return agentRegistry.stakeWeights(one)[0];
    }

    /// @inheritdoc IModelRegistry
    function servers(uint32 modelId) external view returns (uint32[] memory) {
        return _servers[modelId];
    }

    /// @notice Whether an agent has declared it serves a model.
    /// @param agentId the agent
    /// @param modelId the model
    /// @return true when serving
    function serves(uint256 agentId, uint32 modelId) external view returns (bool) {
        return _serverIndex[modelId][agentId] != 0;
    }

    /// @inheritdoc IModelRegistry
    function drawPool(uint32 modelId) external view returns (uint256 terms, uint32[] memory agentIds) {
        return (_models[modelId].terms, _servers[modelId]);
    }

    /// @inheritdoc IModelRegistry
    function modesOf(uint32 modelId) external view returns (uint8) {
        return uint8(_models[modelId].terms);
    }

    /// @notice A registered model.
    /// @param modelId the model
    /// @return weightsHash weights hash
    /// @return tokenizerHash tokenizer hash
    /// @return architectureHash architecture hash
    /// @return registrant who registered it
    /// @return modes supported verification modes
    /// @return name the human name
    function getModel(uint32 modelId)
        external
        view
        returns (
            bytes32 weightsHash,
            bytes32 tokenizerHash,
            bytes32 architectureHash,
            address registrant,
            uint8 modes,
            string memory name
        )
    {
        Model storage m = _requireModel(modelId);
        return (m.weightsHash, m.tokenizerHash, m.architectureHash, m.registrant, uint8(m.terms), m.name);
    }

    /// @notice The model id a registrant registered for a content hash, or 0 when it registered none.
    /// @param registrant who registered it
    /// @param contentHash keccak256(abi.encode(weightsHash, tokenizerHash, architectureHash))
    /// @return the model id
    function modelIdOf(address registrant, bytes32 contentHash) external view returns (uint32) {
        return _byContentHash[keccak256(abi.encode(registrant, contentHash))];
    }

    /// @notice The number of registered models (ids are 1..modelCount).
    /// @return the count
    function modelCount() external view returns (uint32) {
        return _lastModelId;
    }

    /// @notice The content hash that names a model: keccak256(abi.encode(weights, tokenizer, architecture)).
    /// @return the content hash
    function contentHashOf(bytes32 weightsHash, bytes32 tokenizerHash, bytes32 architectureHash)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(weightsHash, tokenizerHash, architectureHash));
    }

    function _requireModel(uint32 modelId) private view returns (Model storage m) {
        m = _models[modelId];
        if (uint8(m.terms) == 0) revert UnknownModel(modelId);
    }

    function _requireOperator(uint256 agentId) private view {
        if (agentId == 0 || agentId > type(uint32).max) revert AgentIdOutOfRange(agentId);
        if (!agentRegistry.isOperator(agentId, msg.sender)) revert NotAgentOperator(agentId, msg.sender);
    }
}
