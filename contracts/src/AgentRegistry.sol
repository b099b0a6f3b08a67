// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.37;

import {TaskMarketBinding} from "./TaskMarketBinding.sol";
import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IAgentRegistry} from "./interfaces/IAgentRegistry.sol";
import {IOperatorCache} from "./interfaces/IOperatorCache.sol";
import {IStakeLocks} from "./interfaces/IStakeLocks.sol";

/// @title Ledgermind agent identity and stake.
/// @notice An ERC-8004 Identity Registry (ERC-721 agent ids, agentURI, on-chain metadata, an
///         agentWallet proven by an EIP-712 / ERC-1271 signature, and ERC-8004's events), plus what
///         ERC-8004 leaves out: a stake in the chain's native currency per agent, an unbonding delay,
///         and slashing that only the bound task market can trigger.
/// @dev Funds. This contract holds exactly the stake: its balance always equals
///      `totalBonded + totalUnbonding` (checked by the tests after every call). Stake belongs to the
///      agent id, so it moves with the token; only the token's owner (or an ERC-721 approved address)
///      can unstake, and withdrawals go to the owner. The owner of the deployment can bind the task
///      market once and has no other power: no function moves stake except `withdraw` (to the agent's
///      owner, after the delay) and `slash` (to the task market, which settles it per task).
///
///      Unbonding. `requestUnstake` moves stake from bonded to unbonding and (re)starts the delay for
///      the whole unbonding amount. Unbonding stake earns no selection weight but can still be slashed,
///      so leaving does not escape a fault committed before it.
contract AgentRegistry is ERC721, EIP712, ReentrancyGuard, TaskMarketBinding, IAgentRegistry {
    /// @notice An ERC-8004 metadata entry for `register`.
    struct MetadataEntry {
        string metadataKey;
        bytes metadataValue;
    }

    /// @dev One storage word per agent.
    struct StakeInfo {
        uint96 bonded;
        uint96 unbonding;
        uint64 unbondingReadyAt;
    }

    bytes32 private constant AGENT_WALLET_SET_TYPEHASH =
        keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)");
    bytes32 private constant AGENT_WALLET_KEY_HASH = keccak256("agentWallet");
    /// @notice How far in the future a wallet signature's deadline may be (ERC-8004 reference value).
    uint256 public constant MAX_DEADLINE_DELAY = 5 minutes;

    /// @notice The minimum bonded stake for an agent to be selected for tasks, in wei.
    uint256 public immutable minStake;
    /// @notice Seconds between `requestUnstake` and the earliest `withdraw`.
    uint256 public immutable unbondingDelay;

    /// @notice Sum of all bonded stake, in wei.
    uint256 public totalBonded;
    /// @notice Sum of all unbonding stake, in wei.
    uint256 public totalUnbonding;

    uint256 private _lastId;
    mapping(uint256 agentId => StakeInfo) private _stakes;
    /// @dev Selection weights packed four to a word (64 bits each, in gwei, at least 1 when
    ///      eligible): weight(agentId) = uint64(_weightWords[agentId >> 2] >> ((agentId & 3) * 64)).
    ///      Kept equal to weightOf(bonded) by every change of bonded (stake, requestUnstake, slash),
    ///      so the task market's draw reads one word per four agents instead of one per agent.
    mapping(uint256 wordIndex => uint256) private _weightWords;
    mapping(uint256 agentId => address) private _agentWallet;
    mapping(uint256 agentId => string) private _agentURI;
    mapping(uint256 agentId => mapping(string key => bytes value)) private _metadata;

    // ---- ERC-8004 events
    event Registered(uint256 indexed agentId, string agentURI, address indexed owner);
    event MetadataSet(uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, bytes metadataValue);
    event URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy);
    // ---- stake events
    event Staked(uint256 indexed agentId, address indexed from, uint256 amount, uint256 bonded);
    event UnstakeRequested(uint256 indexed agentId, uint256 amount, uint256 bonded, uint256 unbonding, uint256 readyAt);
    event Withdrawn(uint256 indexed agentId, address indexed to, uint256 amount);
    event Slashed(uint256 indexed agentId, address indexed by, uint256 requested, uint256 taken);

    error NotAuthorized(uint256 agentId, address caller);
    error ReservedMetadataKey(string key);
    error InvalidWallet(address wallet);
    error SignatureExpired(uint256 deadline, uint256 timestamp);
    error DeadlineTooFar(uint256 deadline, uint256 latestAllowed);
    error InvalidWalletSignature(uint256 agentId, address wallet);
    error ZeroAmount();
    error AmountTooLarge(uint256 amount, uint256 max);
    error InsufficientBondedStake(uint256 agentId, uint256 requested, uint256 bonded);
    error NothingToWithdraw(uint256 agentId);
    error UnbondingNotFinished(uint256 agentId, uint256 readyAt, uint256 timestamp);
    error AgentIdSpaceExhausted();
    error TransferFailed(address to, uint256 amount);
    error StakeBacksOpenTask(uint256 agentId, uint256 openCommitments);

    /// @param minStake_ minimum bonded stake for selection, in wei (must be > 0)
    /// @param unbondingDelay_ seconds between requestUnstake and withdraw
    /// @param taskMarket_ the task market that may slash (see TaskMarketBinding)
    constructor(uint256 minStake_, uint256 unbondingDelay_, address taskMarket_)
        ERC721("Ledgermind Agent", "AGENT")
        EIP712("ERC8004IdentityRegistry", "1")
        TaskMarketBinding(taskMarket_)
    {
        if (minStake_ == 0 || minStake_ > type(uint96).max) revert InvalidConfig("minStake");
        minStake = minStake_;
        unbondingDelay = unbondingDelay_;
    }


    // ------------------------------------------------------------------ ERC-8004 identity

    /// @notice Registers a new agent with no URI; the caller owns it and is its initial agentWallet.
    /// @return agentId the new agent id (ERC-721 token id)
    function register() external returns (uint256 agentId) {
        agentId = _register("");
    }

    /// @notice Registers a new agent with a URI pointing at its registration file.
    /// @param uri the agent URI
    /// @return agentId the new agent id
    function register(string calldata uri) external returns (uint256 agentId) {
        agentId = _register(uri);
    }

    /// @notice Registers a new agent with a URI and on-chain metadata (the key "agentWallet" is reserved).
    /// @param uri the agent URI
    /// @param metadata entries to set
    /// @return agentId the new agent id
    function register(string calldata uri, MetadataEntry[] calldata metadata) external returns (uint256 agentId) {
        for (uint256 i; i < metadata.length; ++i) {
            if (keccak256(bytes(metadata[i].metadataKey)) == AGENT_WALLET_KEY_HASH) {
                revert ReservedMetadataKey(metadata[i].metadataKey);
            }
        }
        agentId = _register(uri);
        for (uint256 i; i < metadata.length; ++i) {
            _metadata[agentId][metadata[i].metadataKey] = metadata[i].metadataValue;
            emit MetadataSet(agentId, metadata[i].metadataKey, metadata[i].metadataKey, metadata[i].metadataValue);
        }
    }

    /// @notice Changes an agent's URI. Owner, approved address or operator only.
    /// @param agentId the agent
    /// @param newURI the new URI
    function setAgentURI(uint256 agentId, string calldata newURI) external {
        _requireAuthorized(agentId);
        _agentURI[agentId] = newURI;
        emit URIUpdated(agentId, newURI, msg.sender);
    }

    /// @notice The agent's URI (same as tokenURI).
    /// @param agentId the agent
    /// @return the URI
    function agentURI(uint256 agentId) external view returns (string memory) {
        _requireOwned(agentId);
        return _agentURI[agentId];
    }

    /// @notice ERC-721 metadata URI: the agent URI.
    /// @param tokenId the agent id
    /// @return the URI
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        return _agentURI[tokenId];
    }

    /// @notice Reads an on-chain metadata value ("agentWallet" returns the 20-byte wallet, if set).
    /// @param agentId the agent
    /// @param metadataKey the key
    /// @return the value (empty if unset)
    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory) {
        if (keccak256(bytes(metadataKey)) == AGENT_WALLET_KEY_HASH) {
            address wallet = _agentWallet[agentId];
            return wallet == address(0) ? bytes("") : abi.encodePacked(wallet);
        }
        return _metadata[agentId][metadataKey];
    }

    /// @notice Sets an on-chain metadata value. Owner, approved address or operator only.
    /// @param agentId the agent
    /// @param metadataKey the key (not "agentWallet")
    /// @param metadataValue the value
    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external {
        _requireAuthorized(agentId);
        if (keccak256(bytes(metadataKey)) == AGENT_WALLET_KEY_HASH) revert ReservedMetadataKey(metadataKey);
        _metadata[agentId][metadataKey] = metadataValue;
        emit MetadataSet(agentId, metadataKey, metadataKey, metadataValue);
    }

    /// @notice The agent's wallet (where it receives payments); zero after a transfer until re-proven.
    /// @param agentId the agent
    /// @return wallet the wallet
    function getAgentWallet(uint256 agentId) external view returns (address wallet) {
        _requireOwned(agentId);
        wallet = _agentWallet[agentId];
    }

    /// @notice Sets the agent wallet; `signature` is the new wallet's EIP-712 signature (or ERC-1271
    ///         approval) of AgentWalletSet(agentId, newWallet, owner, deadline).
    /// @param agentId the agent
    /// @param newWallet the wallet to set
    /// @param deadline the signature's expiry (at most MAX_DEADLINE_DELAY ahead)
    /// @param signature the wallet's signature
    function setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes calldata signature) external {
        if (newWallet == address(0)) revert InvalidWallet(newWallet);
        if (block.timestamp > deadline) revert SignatureExpired(deadline, block.timestamp);
        if (deadline > block.timestamp + MAX_DEADLINE_DELAY) {
            revert DeadlineTooFar(deadline, block.timestamp + MAX_DEADLINE_DELAY);
        }
        address owner = _requireAuthorized(agentId);
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(AGENT_WALLET_SET_TYPEHASH, agentId, newWallet, owner, deadline)));
        if (!SignatureChecker.isValidSignatureNow(newWallet, digest, signature)) {
            revert InvalidWalletSignature(agentId, newWallet);
        }
        _agentWallet[agentId] = newWallet;
        emit MetadataSet(agentId, "agentWallet", "agentWallet", abi.encodePacked(newWallet));
        _operatorsChanged(agentId);
    }

    /// @notice Clears the agent wallet (payments then go to the owner).
    /// @param agentId the agent
    function unsetAgentWallet(uint256 agentId) external {
        _requireAuthorized(agentId);
        delete _agentWallet[agentId];
        emit MetadataSet(agentId, "agentWallet", "agentWallet", "");
        _operatorsChanged(agentId);
    }

    /// @notice The EIP-712 digest a wallet signs for `setAgentWallet` (for clients and tests).
    /// @param agentId the agent
    /// @param newWallet the wallet
    /// @param owner the agent's current owner
    /// @param deadline the expiry
    /// @return the digest
    function agentWalletDigest(uint256 agentId, address newWallet, address owner, uint256 deadline)
        external
        view
        returns (bytes32)
    {
        return _hashTypedDataV4(keccak256(abi.encode(AGENT_WALLET_SET_TYPEHASH, agentId, newWallet, owner, deadline)));
    }

    /// @notice The number of agents ever registered (ids are 1..totalAgents).
    /// @return the count
    function totalAgents() external view returns (uint256) {
        return _lastId;
    }

    // ------------------------------------------------------------------ stake

    /// @notice Adds `msg.value` to the agent's bonded stake. Anyone may top up any agent.
    /// @param agentId the agent
    function stake(uint256 agentId) external payable nonReentrant {
        _requireOwned(agentId);
        if (msg.value == 0) revert ZeroAmount();
        StakeInfo memory s = _stakes[agentId];
        uint256 bonded = uint256(s.bonded) + msg.value;
        if (bonded > type(uint96).max) revert AmountTooLarge(bonded, type(uint96).max);
        s.bonded = uint96(bonded);
        _stakes[agentId] = s;
        _setWeight(agentId, bonded);
        totalBonded += msg.value;
        emit Staked(agentId, msg.sender, msg.value, bonded);
    }

    /// @notice Starts unbonding `amount` of the agent's bonded stake; restarts the delay for all of
    ///         the agent's unbonding stake. Owner or ERC-721 approved address only.
    /// @param agentId the agent
    /// @param amount wei to unbond
    function requestUnstake(uint256 agentId, uint256 amount) external nonReentrant {
        _requireOwnerOrApproved(agentId);
        if (amount == 0) revert ZeroAmount();
        StakeInfo memory s = _stakes[agentId];
        if (amount > s.bonded) revert InsufficientBondedStake(agentId, amount, s.bonded);
        s.bonded -= uint96(amount);
        s.unbonding += uint96(amount);
        s.unbondingReadyAt = uint64(block.timestamp + unbondingDelay);
        _stakes[agentId] = s;
        _setWeight(agentId, s.bonded);
        totalBonded -= amount;
        totalUnbonding += amount;
        emit UnstakeRequested(agentId, amount, s.bonded, s.unbonding, s.unbondingReadyAt);
    }

    /// @notice Pays the agent's unbonded stake to its owner once the delay has passed and no task the
    ///         agent committed to is still open (the task market's openCommitments: stake that backs an
    ///         open task stays slashable). Owner or ERC-721 approved address only.
    /// @param agentId the agent
    function withdraw(uint256 agentId) external nonReentrant {
        address owner = _requireOwnerOrApproved(agentId);
        StakeInfo memory s = _stakes[agentId];
        if (s.unbonding == 0) revert NothingToWithdraw(agentId);
        if (block.timestamp < s.unbondingReadyAt) {
            revert UnbondingNotFinished(agentId, s.unbondingReadyAt, block.timestamp);
        }
        uint256 open = IStakeLocks(taskMarket).openCommitments(agentId);
        if (open != 0) revert StakeBacksOpenTask(agentId, open);
        uint256 amount = s.unbonding;
        s.unbonding = 0;
        s.unbondingReadyAt = 0;
        _stakes[agentId] = s;
        totalUnbonding -= amount;
        emit Withdrawn(agentId, owner, amount);
        (bool ok,) = owner.call{value: amount}("");
        if (!ok) revert TransferFailed(owner, amount);
    }

    /// @inheritdoc IAgentRegistry
    function slash(uint256 agentId, uint256 amount) external nonReentrant returns (uint256 taken) {
        if (msg.sender != taskMarket) revert NotTaskMarket(msg.sender);
        StakeInfo memory s = _stakes[agentId];
        uint256 fromBonded = amount < s.bonded ? amount : s.bonded;
        uint256 rest = amount - fromBonded;
        uint256 fromUnbonding = rest < s.unbonding ? rest : s.unbonding;
        taken = fromBonded + fromUnbonding;
        if (taken == 0) {
            emit Slashed(agentId, msg.sender, amount, 0);
            return 0;
        }
        s.bonded -= uint96(fromBonded);
        s.unbonding -= uint96(fromUnbonding);
        _stakes[agentId] = s;
        if (fromBonded != 0) _setWeight(agentId, s.bonded);
        totalBonded -= fromBonded;
        totalUnbonding -= fromUnbonding;
        emit Slashed(agentId, msg.sender, amount, taken);
        (bool ok,) = msg.sender.call{value: taken}("");
        if (!ok) revert TransferFailed(msg.sender, taken);
    }

    /// @notice An agent's stake.
    /// @param agentId the agent
    /// @return bonded bonded stake (counts for selection when >= minStake)
    /// @return unbonding stake waiting for the delay
    /// @return unbondingReadyAt when `withdraw` becomes possible
    function stakeOf(uint256 agentId) external view returns (uint256 bonded, uint256 unbonding, uint256 unbondingReadyAt) {
        StakeInfo memory s = _stakes[agentId];
        return (s.bonded, s.unbonding, s.unbondingReadyAt);
    }

    /// @inheritdoc IAgentRegistry
    function stakeWeights(uint32[] calldata agentIds) external view returns (uint256[] memory weights) {
        uint256 n = agentIds.length;
        weights = new uint256[](n);
        uint256 cached = type(uint256).max;
        uint256 word;
        for (uint256 i; i < n; ++i) {
            uint256 id = agentIds[i];
            if (id >> 2 != cached) {
                cached = id >> 2;
                word = _weightWords[cached];
            }
            weights[i] = uint64(word >> ((id & 3) << 6));
        }
    }

    /// @notice The selection weight of a bonded amount: 0 below minStake, else bonded in gwei
    ///         (at least 1, at most 2^64-1).
    /// @param bonded bonded stake, wei
    /// @return the weight
    function weightOf(uint256 bonded) public view returns (uint256) {
        if (bonded < minStake) return 0;
        uint256 w = bonded / 1 gwei;
        if (w == 0) return 1;
        return w > type(uint64).max ? type(uint64).max : w;
    }

    /// @inheritdoc IAgentRegistry
    function isOperator(uint256 agentId, address account) external view returns (bool) {
        return account != address(0) && (account == _agentWallet[agentId] || account == _ownerOf(agentId));
    }

    /// @inheritdoc IAgentRegistry
    function payoutAddress(uint256 agentId) external view returns (address) {
        address wallet = _agentWallet[agentId];
        return wallet != address(0) ? wallet : _requireOwned(agentId);
    }

    // ------------------------------------------------------------------ internals

    function _setWeight(uint256 agentId, uint256 bonded) private {
        uint256 shift = (agentId & 3) << 6;
        uint256 word = _weightWords[agentId >> 2];
        _weightWords[agentId >> 2] = (word & ~(uint256(type(uint64).max) << shift)) | (weightOf(bonded) << shift);
    }

    function _register(string memory uri) private returns (uint256 agentId) {
        agentId = ++_lastId;
        if (agentId > type(uint32).max) revert AgentIdSpaceExhausted();
        _agentWallet[agentId] = msg.sender;
        if (bytes(uri).length != 0) _agentURI[agentId] = uri;
        _safeMint(msg.sender, agentId);
        emit MetadataSet(agentId, "agentWallet", "agentWallet", abi.encodePacked(msg.sender));
        emit Registered(agentId, uri, msg.sender);
    }

    /// @dev Owner, ERC-721 approved address, operator-for-all, or the agent wallet. Returns the owner.
    function _requireAuthorized(uint256 agentId) private view returns (address owner) {
        owner = _requireOwned(agentId);
        if (!_isAuthorized(owner, msg.sender, agentId) && msg.sender != _agentWallet[agentId]) {
            revert NotAuthorized(agentId, msg.sender);
        }
    }

    /// @dev Stake moves are for the owner (or ERC-721 approvals) only, never the agent wallet.
    function _requireOwnerOrApproved(uint256 agentId) private view returns (address owner) {
        owner = _requireOwned(agentId);
        if (!_isAuthorized(owner, msg.sender, agentId)) revert NotAuthorized(agentId, msg.sender);
    }

    /// @dev ERC-8004: a transfer clears the agent wallet; the new owner must prove a wallet again.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && to != address(0) && _agentWallet[tokenId] != address(0)) {
            delete _agentWallet[tokenId];
            emit MetadataSet(tokenId, "agentWallet", "agentWallet", "");
        }
        if (from != address(0)) _operatorsChanged(tokenId); // a new owner: the old one is no operator any more
    }

    /// @dev The owner or the wallet of `agentId` changed: the task market must forget the operator it
    ///      remembered for the agent (IOperatorCache). Skipped while no contract is at the market's
    ///      address (before the market is deployed: it has remembered nothing yet).
    function _operatorsChanged(uint256 agentId) private {
        address market = taskMarket;
        if (market.code.length != 0) IOperatorCache(market).forgetOperator(agentId);
    }
}
