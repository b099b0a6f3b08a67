package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.AgentRegistry;
import dev.ledgermind.chain.contracts.BatchSettlement;
import dev.ledgermind.chain.contracts.IVerificationMode;
import dev.ledgermind.chain.contracts.ModelRegistry;
import dev.ledgermind.chain.contracts.OptimisticBatches;
import dev.ledgermind.chain.contracts.OptimisticSettlement;
import dev.ledgermind.chain.contracts.ReputationRegistry;
import dev.ledgermind.chain.contracts.TaskMarket;
import dev.ledgermind.chain.contracts.ValidationRegistry;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.Type;
import org.web3j.crypto.ContractUtils;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.Contract;
import org.web3j.tx.gas.ContractGasProvider;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Typed access to one Ledgermind deployment, acting as one account.
 *
 * <p>{@link #deploy} deploys and wires the five contracts (AgentRegistry, ModelRegistry,
 * ReputationRegistry, ValidationRegistry, TaskMarket; the three registries that trust the market are
 * given its address, predicted from the deployer's nonce, at construction). {@link #at} attaches to an existing {@link Deployment}, and {@link #as} switches the
 * signing account. Every transaction goes through a {@link TransactionSender}: reverts surface as
 * {@link ContractRevertedException} naming the custom error. The generated web3j wrappers
 * ({@code dev.ledgermind.chain.contracts}) are used to encode calls and decode events; they are
 * available through the accessors for anything this facade does not cover.
 *
 * <p>Agent ids are {@code long} (the registry caps them at 2^32 - 1); task ids are BigInteger.
 */
public final class LedgermindContracts {
    /** Gas limit used only for deployments (they do not go through estimation). */
    private static final ContractGasProvider DEPLOY_GAS =
            new StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(15_000_000L));

    private final Web3j web3j;
    private final Deployment deployment;
    private final TransactionSender sender;
    private final AgentRegistry agents;
    private final ModelRegistry models;
    private final TaskMarket market;
    /** The replicated mode's interface at the market's address: its fallback serves {@code challenge}. */
    private final IVerificationMode marketMode;
    private final ReputationRegistry reputation;
    private final ValidationRegistry validation;
    private final Map<String, TransactionReceipt> deployReceipts;
    /** Per task, the pool and block hash of the latest round seen (see {@link #drawRound}). */
    private final Map<BigInteger, DrawRound> drawRounds = new HashMap<>();
    /** Lanes this facade committed in and has not revealed yet: agent id -> (lane -> task id). */
    private final Map<Long, Map<Integer, BigInteger>> openLanes = new HashMap<>();
    /** TaskMarket.revealWindow once read (-1 before). */
    private volatile long revealWindow = -1;

    private static final String COMMIT4 = org.web3j.crypto.Hash.sha3String("commit(uint256,uint256,uint8,bytes32)").substring(0, 10);
    private static final String COMMIT5 = org.web3j.crypto.Hash.sha3String("commit(uint256,uint256,uint8,bytes32,bytes)").substring(0, 10);

    /** Commitment lanes per agent (TaskMarket.LANES). */
    public static final int LANES = 256;

    private LedgermindContracts(Web3j web3j, Deployment deployment, TransactionSender sender,
                                Map<String, TransactionReceipt> deployReceipts) {
        this.web3j = web3j;
        this.deployment = deployment;
        this.sender = sender;
        this.deployReceipts = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(deployReceipts));
        var tm = sender.transactionManager();
        this.agents = AgentRegistry.load(deployment.agentRegistry(), web3j, tm, DEPLOY_GAS);
        this.models = ModelRegistry.load(deployment.modelRegistry(), web3j, tm, DEPLOY_GAS);
        this.market = TaskMarket.load(deployment.taskMarket(), web3j, tm, DEPLOY_GAS);
        this.marketMode = IVerificationMode.load(deployment.taskMarket(), web3j, tm, DEPLOY_GAS);
        this.reputation = ReputationRegistry.load(deployment.reputationRegistry(), web3j, tm, DEPLOY_GAS);
        this.validation = ValidationRegistry.load(deployment.validationRegistry(), web3j, tm, DEPLOY_GAS);
    }

    // ------------------------------------------------------------------ deployment

    /**
     * Deploys and wires all contracts from {@code deployer}, the real dispute game included
     * ({@link dev.ledgermind.chain.game.DisputeGameClient#gameDeployer()}: StepReferee, OneStep, DisputeGame);
     * returns a facade acting as the deployer. {@link #deployReceipts()} holds each deployment's receipt (for gas
     * figures).
     */
    public static LedgermindContracts deploy(Web3j web3j, Credentials deployer, DeployParams p) {
        return deploy(web3j, deployer, p, dev.ledgermind.chain.game.DisputeGameClient.gameDeployer());
    }

    /** {@link #deploy(Web3j, Credentials, DeployParams)} without a dispute game (challenges revert GameUnavailable). */
    public static LedgermindContracts deployWithoutGame(Web3j web3j, Credentials deployer, DeployParams p) {
        return deploy(web3j, deployer, p, null);
    }

    /**
     * Deploys the dispute game the optimistic mode starts its games in, for the market at {@code market} (its
     * future address: the game trusts exactly that market), from the deploying account; returns its address.
     *
     * <p>The market's address is predicted from the deployer's nonce, so {@link #deploy(Web3j, org.web3j.tx.TransactionManager,
     * ContractGasProvider, String)} must send exactly one transaction (the game itself). Whatever the game needs
     * that does not depend on the market (its referee, its one-step verifier) goes in {@link #prepare}, which runs
     * before the nonce is read and may send any number of transactions. A deployer that breaks the rule is caught:
     * the market would land elsewhere than predicted, and {@code deploy} fails naming both addresses.
     */
    @FunctionalInterface
    public interface GameDeployer {
        /** Deploys what the game needs before the market's address is predicted (any number of transactions). */
        default void prepare(Web3j web3j, org.web3j.tx.TransactionManager tm, ContractGasProvider gas,
                             Map<String, TransactionReceipt> receipts) throws Exception {
        }

        /** Deploys the game for {@code market} in exactly one transaction; returns its address. */
        String deploy(Web3j web3j, org.web3j.tx.TransactionManager tm, ContractGasProvider gas, String market) throws Exception;
    }

    /**
     * {@link #deploy(Web3j, Credentials, DeployParams)} with a given dispute game ({@code game} null: none, so the
     * optimistic mode refuses challenges with GameUnavailable and rests on its audits alone). The order, from one
     * account: the game's preparation ({@link GameDeployer#prepare}), then, from the nonce the market's address is
     * predicted with: the four registries, the game (one transaction), the optimistic mode (OptimisticSettlement,
     * with the market's configuration), its batches (OptimisticBatches, which takes the mode's parameters from it),
     * the BatchSettlement (which forwards the optimistic batches' selectors), then the market; the registries and
     * the game are given the market's predicted address.
     */
    public static LedgermindContracts deploy(Web3j web3j, Credentials deployer, DeployParams p, GameDeployer game) {
        long chainId = chainId(web3j);
        TransactionSender s = new TransactionSender(web3j, deployer, chainId);
        var tm = s.transactionManager();
        Map<String, TransactionReceipt> receipts = new LinkedHashMap<>();
        try {
            long deployBlock = web3j.ethBlockNumber().send().getBlockNumber().longValueExact() + 1;
            if (game != null) game.prepare(web3j, tm, DEPLOY_GAS, receipts);
            // The registries hold the market's address as an immutable, but the market is deployed last
            // (it needs theirs, and its BatchSettlement's): it is the deployer's CREATE address at the seventh
            // (eighth with a game) nonce from here.
            BigInteger nonce = web3j.ethGetTransactionCount(deployer.getAddress(), DefaultBlockParameterName.PENDING)
                    .send().getTransactionCount();
            // registries (4), the game (0 or 1), the optimistic mode (1), its batches (1), the BatchSettlement (1),
            // then the market
            String predictedMarket = ContractUtils.generateContractAddress(deployer.getAddress(),
                    nonce.add(BigInteger.valueOf(game == null ? 7 : 8)));
            AgentRegistry agents = AgentRegistry.deploy(web3j, tm, DEPLOY_GAS, p.minStake(),
                    BigInteger.valueOf(p.unbondingDelay()), predictedMarket).send();
            receipts.put("AgentRegistry", receipt(agents));
            ModelRegistry models = ModelRegistry.deploy(web3j, tm, DEPLOY_GAS, agents.getContractAddress(),
                    BigInteger.valueOf(p.maxServersPerModel())).send();
            receipts.put("ModelRegistry", receipt(models));
            ReputationRegistry reputation = ReputationRegistry.deploy(web3j, tm, DEPLOY_GAS,
                    agents.getContractAddress(), predictedMarket).send();
            receipts.put("ReputationRegistry", receipt(reputation));
            ValidationRegistry validation = ValidationRegistry.deploy(web3j, tm, DEPLOY_GAS,
                    agents.getContractAddress(), predictedMarket).send();
            receipts.put("ValidationRegistry", receipt(validation));
            String treasury = p.treasury() != null ? p.treasury() : deployer.getAddress();
            String gameAddress = "0x0000000000000000000000000000000000000000";
            if (game != null) {
                BigInteger before = web3j.ethGetTransactionCount(deployer.getAddress(), DefaultBlockParameterName.PENDING)
                        .send().getTransactionCount();
                gameAddress = game.deploy(web3j, tm, DEPLOY_GAS, predictedMarket);
                BigInteger after = web3j.ethGetTransactionCount(deployer.getAddress(), DefaultBlockParameterName.PENDING)
                        .send().getTransactionCount();
                if (!after.equals(before.add(BigInteger.ONE))) {
                    throw new ChainException("the game deployer sent " + after.subtract(before) + " transactions, expected exactly 1"
                            + " (the market's address is predicted from the nonce: deploy the game's dependencies in prepare())");
                }
            }
            TaskMarket.Config config = marketConfig(p, agents.getContractAddress(), models.getContractAddress(),
                    reputation.getContractAddress(), validation.getContractAddress(), treasury);
            OptimisticSettlement optimistic = OptimisticSettlement.deploy(web3j, tm, DEPLOY_GAS, optimisticConfig(config),
                    optimisticParams(p.optimistic(), gameAddress)).send();
            receipts.put("OptimisticSettlement", receipt(optimistic));
            // batches (issue 13): the market DELEGATECALLs it and checks it was built with the same configuration
            // ---- optimistic batches (issue 13): BatchSettlement's fallback forwards their selectors
            OptimisticBatches optimisticBatches = OptimisticBatches.deploy(web3j, tm, DEPLOY_GAS,
                    optimisticBatchesConfig(config), optimistic.getContractAddress()).send();
            receipts.put("OptimisticBatches", receipt(optimisticBatches));
            BatchSettlement batches = BatchSettlement.deploy(web3j, tm, DEPLOY_GAS, batchConfig(config),
                    optimisticBatches.getContractAddress()).send();
            receipts.put("BatchSettlement", receipt(batches));
            TaskMarket market = TaskMarket.deploy(web3j, tm, DEPLOY_GAS, config, batches.getContractAddress(),
                    optimistic.getContractAddress()).send();
            receipts.put("TaskMarket", receipt(market));
            String m = market.getContractAddress();
            if (!m.equalsIgnoreCase(predictedMarket)) {
                throw new ChainException("the TaskMarket was deployed at " + m + " but the registries trust "
                        + predictedMarket + " (did the deployer " + deployer.getAddress()
                        + " send another transaction during the deployment?)");
            }
            Deployment d = new Deployment(chainId, deployBlock, agents.getContractAddress(), models.getContractAddress(),
                    m, reputation.getContractAddress(), validation.getContractAddress(), treasury, optimistic.getContractAddress());
            return new LedgermindContracts(web3j, d, s, receipts);
        } catch (ChainException e) {
            throw e;
        } catch (Exception e) {
            throw new ChainException("deploying the Ledgermind contracts failed: " + e.getMessage(), e);
        }
    }

    /** The TaskMarket constructor's configuration for these parameters and registry addresses. */
    public static TaskMarket.Config marketConfig(DeployParams p, String agentRegistry, String modelRegistry,
                                                 String reputationRegistry, String validationRegistry, String treasury) {
        return new TaskMarket.Config(agentRegistry, modelRegistry, reputationRegistry, validationRegistry, treasury,
                BigInteger.valueOf(p.commitWindow()), BigInteger.valueOf(p.revealWindow()),
                BigInteger.valueOf(p.maxInputBytes()), BigInteger.valueOf(p.maxOutputBytes()),
                BigInteger.valueOf(p.maxK()), BigInteger.valueOf(p.maxRounds()), p.minFee(), p.dissentSlash(),
                p.absenceSlash(), BigInteger.valueOf(p.slashHonestBps()), BigInteger.valueOf(p.callbackGasLimit()),
                BigInteger.valueOf(p.declineShareBps()));
    }

    /** The same configuration in BatchSettlement's wrapper type (web3j generates one struct class per contract). */
    public static BatchSettlement.Config batchConfig(TaskMarket.Config c) {
        return new BatchSettlement.Config(c.agentRegistry, c.modelRegistry, c.reputationRegistry, c.validationRegistry,
                c.treasury, c.commitWindow, c.revealWindow, c.maxInputBytes, c.maxOutputBytes, c.maxK, c.maxRounds, c.minFee,
                c.dissentSlash, c.absenceSlash, c.slashHonestBps, c.callbackGasLimit, c.declineShareBps);
    }

    /** The market's configuration as OptimisticBatches' constructor takes it (the same fields). */
    static OptimisticBatches.Config optimisticBatchesConfig(TaskMarket.Config c) {
        return new OptimisticBatches.Config(c.agentRegistry, c.modelRegistry, c.reputationRegistry, c.validationRegistry,
                c.treasury, c.commitWindow, c.revealWindow, c.maxInputBytes, c.maxOutputBytes, c.maxK, c.maxRounds, c.minFee,
                c.dissentSlash, c.absenceSlash, c.slashHonestBps, c.callbackGasLimit, c.declineShareBps);
    }

    /** The market's configuration as OptimisticSettlement's constructor takes it (the same fields). */
    static OptimisticSettlement.Config optimisticConfig(TaskMarket.Config c) {
        return new OptimisticSettlement.Config(c.agentRegistry, c.modelRegistry, c.reputationRegistry, c.validationRegistry,
                c.treasury, c.commitWindow, c.revealWindow, c.maxInputBytes, c.maxOutputBytes, c.maxK, c.maxRounds, c.minFee,
                c.dissentSlash, c.absenceSlash, c.slashHonestBps, c.callbackGasLimit, c.declineShareBps);
    }

    static OptimisticSettlement.Params optimisticParams(OptimisticParams o, String game) {
        return new OptimisticSettlement.Params(game, BigInteger.valueOf(o.defaultAuditBps()), BigInteger.valueOf(o.minAuditBps()),
                BigInteger.valueOf(o.defaultWindow()), BigInteger.valueOf(o.minWindow()), BigInteger.valueOf(o.maxWindow()),
                o.claimBond(), o.challengeBond(), o.auditSlash(), BigInteger.valueOf(o.auditShareBps()),
                BigInteger.valueOf(o.gameClock()), BigInteger.valueOf(o.gameTimeout()));
    }

    /** Attaches to a deployment, signing as {@code credentials}. Checks the chain id matches. */
    public static LedgermindContracts at(Web3j web3j, Deployment deployment, Credentials credentials) {
        long chainId = chainId(web3j);
        if (chainId != deployment.chainId()) {
            throw new ChainException("the RPC serves chain id " + chainId + " but the deployment is on chain "
                    + deployment.chainId());
        }
        return new LedgermindContracts(web3j, deployment, new TransactionSender(web3j, credentials, chainId), Map.of());
    }

    /** The same deployment, signing as another account. */
    public LedgermindContracts as(Credentials credentials) {
        return new LedgermindContracts(web3j, deployment,
                new TransactionSender(web3j, credentials, deployment.chainId()), Map.of());
    }

    public Deployment deployment() {
        return deployment;
    }

    /** The signing account's address. */
    public String address() {
        return sender.address();
    }

    public Web3j web3j() {
        return web3j;
    }

    /** Receipts of the deployment transactions (only on the instance {@link #deploy} returned). */
    public Map<String, TransactionReceipt> deployReceipts() {
        return deployReceipts;
    }

    public AgentRegistry agentRegistry() {
        return agents;
    }

    public ModelRegistry modelRegistry() {
        return models;
    }

    public TaskMarket taskMarket() {
        return market;
    }

    public ReputationRegistry reputationRegistry() {
        return reputation;
    }

    public ValidationRegistry validationRegistry() {
        return validation;
    }

    public TransactionSender sender() {
        return sender;
    }

    // ------------------------------------------------------------------ identity and stake

    /** Registers an agent (ERC-8004 {@code register(agentURI)}); returns its id. */
    public long registerAgent(String agentUri) {
        TransactionReceipt r = sendAgents(agents.register(agentUri == null ? "" : agentUri), BigInteger.ZERO);
        var events = AgentRegistry.getRegisteredEvents(r);
        if (events.isEmpty()) throw new ChainException("register emitted no Registered event (tx " + r.getTransactionHash() + ")");
        return events.getFirst().agentId.longValueExact();
    }

    /** The agent's URI (ERC-8004 agentURI: where its registration file is); "" when it has none. */
    public String agentUri(long agentId) {
        List<Type> v = sender.call("AgentRegistry", deployment.agentRegistry(), agents.agentURI(BigInteger.valueOf(agentId)));
        return (String) v.getFirst().getValue();
    }

    /** Points the agent at a new registration file (owner only). */
    public TransactionReceipt setAgentUri(long agentId, String uri) {
        return sendAgents(agents.setAgentURI(BigInteger.valueOf(agentId), uri), BigInteger.ZERO);
    }

    /** Adds {@code wei} to an agent's bonded stake. */
    public TransactionReceipt stake(long agentId, BigInteger wei) {
        return sendAgents(agents.stake(BigInteger.valueOf(agentId), wei), wei);
    }

    /** Registers an agent and stakes {@code wei} for it; returns its id. */
    public long registerAndStake(String agentUri, BigInteger wei) {
        long id = registerAgent(agentUri);
        stake(id, wei);
        return id;
    }

    public TransactionReceipt requestUnstake(long agentId, BigInteger wei) {
        return sendAgents(agents.requestUnstake(BigInteger.valueOf(agentId), wei), BigInteger.ZERO);
    }

    /** Withdraws unbonded stake to the agent's owner after the delay. */
    public TransactionReceipt withdrawStake(long agentId) {
        return sendAgents(agents.withdraw(BigInteger.valueOf(agentId)), BigInteger.ZERO);
    }

    public StakeInfo stakeOf(long agentId) {
        List<Type> v = sender.call("AgentRegistry", deployment.agentRegistry(), agents.stakeOf(BigInteger.valueOf(agentId)));
        return new StakeInfo(big(v.get(0)), big(v.get(1)), big(v.get(2)).longValueExact());
    }

    // ------------------------------------------------------------------ models

    /** Registers a model with its terms (one transaction); returns its id. */
    public int registerModel(ModelSpec spec) {
        ModelTerms t = spec.terms();
        RemoteFunctionCall<TransactionReceipt> call = t.equals(ModelTerms.NONE)
                ? models.registerModel(spec.weightsHash(), spec.tokenizerHash(), spec.architectureHash(), spec.name(),
                        BigInteger.valueOf(spec.modes()))
                : models.registerModelWithTerms(spec.weightsHash(), spec.tokenizerHash(), spec.architectureHash(),
                        spec.name(), BigInteger.valueOf(spec.modes()), BigInteger.valueOf(t.maxInputBytes()),
                        BigInteger.valueOf(t.maxOutputTokens()), t.pricePerToken());
        TransactionReceipt r = sender.send("ModelRegistry", deployment.modelRegistry(), call, BigInteger.ZERO);
        return ModelRegistry.getModelRegisteredEvents(r).getFirst().modelId.intValueExact();
    }

    /** Sets a model's terms (its registrant only: NotRegistrant otherwise). */
    public TransactionReceipt setModelTerms(int modelId, ModelTerms t) {
        return sender.send("ModelRegistry", deployment.modelRegistry(), models.setTerms(BigInteger.valueOf(modelId),
                BigInteger.valueOf(t.maxInputBytes()), BigInteger.valueOf(t.maxOutputTokens()), t.pricePerToken()),
                BigInteger.ZERO);
    }

    /** A model's terms ({@link ModelTerms#NONE} for one registered without terms). */
    public ModelTerms modelTerms(int modelId) {
        List<Type> v = sender.call("ModelRegistry", deployment.modelRegistry(), models.termsOf(BigInteger.valueOf(modelId)));
        long maxIn = big(v.get(0)).longValueExact();
        if (maxIn == 0) throw new ChainException("model " + modelId + " is not registered");
        return new ModelTerms(maxIn, big(v.get(1)).longValueExact(), big(v.get(2)));
    }

    /** The model id this account registered for these content hashes, or 0. */
    public int modelIdOf(byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash) {
        return modelIdOf(address(), weightsHash, tokenizerHash, architectureHash);
    }

    /**
     * The model id {@code registrant} registered for these content hashes, or 0. Registrations are per
     * registrant: the same content registered by others has other ids, so a requester names whose
     * registration it trusts.
     */
    public int modelIdOf(String registrant, byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash) {
        byte[] content = (byte[]) sender.call("ModelRegistry", deployment.modelRegistry(),
                models.contentHashOf(weightsHash, tokenizerHash, architectureHash)).getFirst().getValue();
        return big(sender.call("ModelRegistry", deployment.modelRegistry(), models.modelIdOf(registrant, content))
                .getFirst()).intValueExact();
    }

    /**
     * Every model id registered, by anyone, for these content hashes, in registration order (from the
     * ModelRegistered events). A node that holds the files may serve all of them; a requester picks the
     * registrant it trusts ({@link #modelIdOf(String, byte[], byte[], byte[])}).
     */
    public List<Integer> modelIdsOf(byte[] weightsHash, byte[] tokenizerHash, byte[] architectureHash) {
        byte[] content = (byte[]) sender.call("ModelRegistry", deployment.modelRegistry(),
                models.contentHashOf(weightsHash, tokenizerHash, architectureHash)).getFirst().getValue();
        try {
            EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(deployment.deployBlock())),
                    DefaultBlockParameterName.LATEST, deployment.modelRegistry());
            f.addSingleTopic(EventEncoder.encode(ModelRegistry.MODELREGISTERED_EVENT));
            f.addNullTopic();
            f.addSingleTopic(Numeric.toHexString(content));
            EthLog logs = web3j.ethGetLogs(f).send();
            if (logs.hasError()) throw new ChainException("eth_getLogs failed: " + logs.getError().getMessage());
            List<Integer> ids = new ArrayList<>();
            for (EthLog.LogResult<?> r : logs.getLogs()) {
                ids.add(ModelRegistry.getModelRegisteredEventFromLog((Log) r.get()).modelId.intValueExact());
            }
            return ids;
        } catch (IOException e) {
            throw new ChainException("cannot read the ModelRegistered events of content " + Numeric.toHexString(content)
                    + ": " + e.getMessage(), e);
        }
    }

    /** Removes a serving entry whose agent has no selection weight any more (anyone may). */
    public TransactionReceipt evictServer(long agentId, int modelId) {
        return sender.send("ModelRegistry", deployment.modelRegistry(),
                models.evictServer(BigInteger.valueOf(agentId), BigInteger.valueOf(modelId)), BigInteger.ZERO);
    }

    public TransactionReceipt declareServes(long agentId, int modelId) {
        return sender.send("ModelRegistry", deployment.modelRegistry(),
                models.declareServes(BigInteger.valueOf(agentId), BigInteger.valueOf(modelId)), BigInteger.ZERO);
    }

    public TransactionReceipt withdrawServes(long agentId, int modelId) {
        return sender.send("ModelRegistry", deployment.modelRegistry(),
                models.withdrawServes(BigInteger.valueOf(agentId), BigInteger.valueOf(modelId)), BigInteger.ZERO);
    }

    // ------------------------------------------------------------------ tasks

    /**
     * Submits a task; returns its id, its seats, deadlines and the receipt. The seats are drawn by the task's
     * first commit from the pool the submission froze and the hash of the submission's block; they are
     * known as soon as that block is mined, and what is returned here is the contract's own preview
     * ({@link #drawSeats}).
     */
    public SubmittedTask submitTask(TaskRequest req) {
        TransactionReceipt r = sendMarket(market.submitTask(BigInteger.valueOf(req.modelId()), req.inputHash(),
                req.input(), BigInteger.valueOf(req.seed()), BigInteger.valueOf(req.temperatureMilli()),
                BigInteger.valueOf(req.maxTokens()), BigInteger.valueOf(req.kind()), BigInteger.valueOf(req.k()),
                BigInteger.ZERO, BigInteger.valueOf(req.callback() ? 1 : 0), req.fee()), req.fee());
        var e = TaskMarket.getTaskSubmittedEvents(r).getFirst();
        DrawRound round = new DrawRound(0, e.pool, r.getBlockHash());
        synchronized (drawRounds) {
            drawRounds.put(e.taskId, round);
        }
        TaskMarket.TaskView v = (TaskMarket.TaskView) sender.call("TaskMarket", deployment.taskMarket(),
                market.getTask(e.taskId)).getFirst();
        long commitDeadline = v.commitDeadline.longValueExact(); // the event leaves it out: block time + commitWindow
        return new SubmittedTask(e.taskId, drawSeats(e.taskId, round.pool(), round.blockHash()),
                commitDeadline, commitDeadline + revealWindow(), r);
    }

    /**
     * The seats a round's draw gives: {@code TaskMarket.drawSeats}, the contract's one implementation of the
     * draw, from the round's pool snapshot (TaskSubmitted.pool or ReplacementPending.pool) and the hash of
     * the block of that event's log. When the round is already drawn, the task's seats as the chain has
     * them; when a later round's draw is pending, the seats as stored (its pending positions still name the
     * agents they replace).
     */
    public List<Long> drawSeats(BigInteger taskId, byte[] pool, String blockHash) {
        try {
            return longs(sender.call("TaskMarket", deployment.taskMarket(),
                    market.drawSeats(taskId, pool, Numeric.hexStringToByteArray(blockHash))).getFirst());
        } catch (ContractRevertedException e) {
            if (!"PoolMismatch".equals(e.errorName())) throw e;
            // a later round is pending: the seats as stored, where a position still to draw names the agent it
            // replaces (so a node reading an old TaskSubmitted still finds the seat it held, and then that it lost it)
            return longs(sender.call("TaskMarket", deployment.taskMarket(), market.taskNodes(taskId)).getFirst());
        }
    }

    /** Whether the task's current round still has its seats to draw (TaskMarket.FLAG_DRAW_PENDING). */
    public boolean drawPending(BigInteger taskId) {
        TaskMarket.TaskView v = (TaskMarket.TaskView) sender.call("TaskMarket", deployment.taskMarket(),
                market.getTask(taskId)).getFirst();
        return v.flags.testBit(3);
    }

    /** A round whose seats are drawn from {@code pool} with the hash {@code blockHash} of its opening block. */
    private record DrawRound(int round, byte[] pool, String blockHash) {}

    /**
     * The pending round's pool and block hash: the task's latest TaskSubmitted or ReplacementPending log
     * (cached per task and round).
     */
    private DrawRound drawRound(BigInteger taskId, int round) {
        synchronized (drawRounds) {
            DrawRound known = drawRounds.get(taskId);
            if (known != null && known.round() == round) return known;
        }
        try {
            EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(deployment.deployBlock())),
                    DefaultBlockParameterName.LATEST, deployment.taskMarket());
            f.addOptionalTopics(EventEncoder.encode(TaskMarket.TASKSUBMITTED_EVENT),
                    EventEncoder.encode(TaskMarket.REPLACEMENTPENDING_EVENT));
            f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(taskId, 64));
            EthLog logs = web3j.ethGetLogs(f).send();
            if (logs.hasError()) throw new ChainException("eth_getLogs failed: " + logs.getError().getMessage());
            DrawRound latest = null;
            for (EthLog.LogResult<?> r : logs.getLogs()) {
                Log l = (Log) r.get();
                if (l.getTopics().getFirst().equals(EventEncoder.encode(TaskMarket.TASKSUBMITTED_EVENT))) {
                    latest = new DrawRound(0, TaskMarket.getTaskSubmittedEventFromLog(l).pool, l.getBlockHash());
                } else {
                    var e = TaskMarket.getReplacementPendingEventFromLog(l);
                    latest = new DrawRound(e.round.intValueExact(), e.pool, l.getBlockHash());
                }
            }
            if (latest == null) throw new ChainException("task " + taskId + " has no TaskSubmitted event");
            synchronized (drawRounds) {
                drawRounds.put(taskId, latest);
            }
            return latest;
        } catch (IOException e) {
            throw new ChainException("cannot read the pool of task " + taskId + ": " + e.getMessage(), e);
        }
    }

    /** The pending round's pool when the task's current round still has its seats to draw, else null. */
    private byte[] pendingPool(BigInteger taskId) {
        TaskMarket.TaskView v = (TaskMarket.TaskView) sender.call("TaskMarket", deployment.taskMarket(),
                market.getTask(taskId)).getFirst();
        if (!v.flags.testBit(3)) return null;
        return drawRound(taskId, v.round.intValueExact()).pool();
    }

    /** TaskMarket.revealWindow (seconds), read once: a task's reveal deadline is its commit deadline plus this. */
    public long revealWindow() {
        long w = revealWindow;
        if (w < 0) {
            w = big(sender.call("TaskMarket", deployment.taskMarket(), market.revealWindow()).getFirst()).longValueExact();
            revealWindow = w;
        }
        return w;
    }

    /** The commitment this account must submit (node = this account's address). */
    public byte[] commitment(BigInteger taskId, byte[] resultHash, byte[] traceRoot, byte[] salt) {
        return Commitment.of(taskId, address(), resultHash, traceRoot, salt);
    }

    /**
     * Commits in the lowest lane that this facade has not committed in without revealing yet (see
     * {@link #commit(BigInteger, long, int, byte[])}); {@link #reveal(BigInteger, long, byte[], byte[], byte[], byte[])}
     * finds the lane again. A process that keeps commitments across restarts must choose and persist
     * lanes itself.
     */
    public TransactionReceipt commit(BigInteger taskId, long agentId, byte[] commitment) {
        int lane;
        synchronized (openLanes) {
            Map<Integer, BigInteger> open = openLanes.computeIfAbsent(agentId, a -> new HashMap<>());
            lane = 0;
            while (open.containsKey(lane)) lane++;
            if (lane >= LANES) throw new ChainException("agent " + agentId + " has " + LANES + " unrevealed commitments");
            open.put(lane, taskId); // held while the transaction is in flight; released below if it fails
        }
        try {
            return commit(taskId, agentId, lane, commitment);
        } catch (RuntimeException e) {
            releaseLane(agentId, lane, taskId);
            throw e;
        }
    }

    /**
     * Commits to a task, keeping the commitment in the agent's {@code lane} (0..255) until the reveal.
     * The lane must not hold a commitment of this agent that is still to be revealed: committing over it
     * makes that earlier task impossible to reveal (its node is then slashed as absent).
     */
    public TransactionReceipt commit(BigInteger taskId, long agentId, int lane, byte[] commitment) {
        return commit(taskId, agentId, lane, commitment, null);
    }

    /**
     * {@link #commit(BigInteger, long, int, byte[])} that hands the signed transaction's hash to
     * {@code beforeBroadcast} before it is sent (see {@link TransactionSender#send(String, String, String, BigInteger, java.util.function.Consumer)}).
     */
    public TransactionReceipt commit(BigInteger taskId, long agentId, int lane, byte[] commitment,
                                     java.util.function.Consumer<String> beforeBroadcast) {
        Commitment.require32("commitment", commitment);
        requireLane(lane);
        // the round's first commit draws its seats: it carries the round's pool (ignored if another commit
        // drew them first)
        byte[] pool = pendingPool(taskId);
        TransactionReceipt r = sendMarket(pool == null
                ? market.commit(taskId, BigInteger.valueOf(agentId), BigInteger.valueOf(lane), commitment)
                : market.commit(taskId, BigInteger.valueOf(agentId), BigInteger.valueOf(lane), commitment, pool),
                BigInteger.ZERO, beforeBroadcast);
        synchronized (openLanes) {
            openLanes.computeIfAbsent(agentId, a -> new HashMap<>()).put(lane, taskId);
        }
        return r;
    }

    /**
     * Reveals in the lane this facade committed in, or else in the lane named by the agent's Committed
     * event for the task.
     */
    public TransactionReceipt reveal(BigInteger taskId, long agentId, byte[] resultHash, byte[] traceRoot, byte[] salt,
                                     byte[] output) {
        Integer lane = null;
        synchronized (openLanes) {
            for (var e : openLanes.getOrDefault(agentId, Map.of()).entrySet()) {
                if (e.getValue().equals(taskId)) lane = e.getKey();
            }
        }
        return reveal(taskId, agentId, lane != null ? lane : laneOf(taskId, agentId), resultHash, traceRoot, salt, output);
    }

    /**
     * Reveals a commitment kept in the agent's {@code lane}. When the output is inline and hashes to the
     * result hash, the result hash is sent as zero and the contract recomputes it (cheaper calldata).
     */
    public TransactionReceipt reveal(BigInteger taskId, long agentId, int lane, byte[] resultHash, byte[] traceRoot,
                                     byte[] salt, byte[] output) {
        return reveal(taskId, agentId, lane, resultHash, traceRoot, salt, output, null);
    }

    /** {@link #reveal(BigInteger, long, int, byte[], byte[], byte[], byte[])} with a hook that sees the signed transaction's hash before it is sent. */
    public TransactionReceipt reveal(BigInteger taskId, long agentId, int lane, byte[] resultHash, byte[] traceRoot,
                                     byte[] salt, byte[] output, java.util.function.Consumer<String> beforeBroadcast) {
        requireLane(lane);
        byte[] out = output == null ? new byte[0] : output;
        byte[] sentHash = out.length != 0 && java.util.Arrays.equals(org.web3j.crypto.Hash.sha3(out), resultHash)
                ? new byte[32] : resultHash;
        TransactionReceipt r = sendMarket(market.reveal(taskId, BigInteger.valueOf(agentId), BigInteger.valueOf(lane),
                sentHash, traceRoot, salt, out).encodeFunctionCall(), BigInteger.ZERO, beforeBroadcast, REVEAL_GAS_FLOOR);
        releaseLane(agentId, lane, taskId);
        return r;
    }

    /**
     * The lane in which {@code agentId} committed to {@code taskId}: the lane argument of the commit call that
     * emitted its Committed event (the event itself carries topics only).
     *
     * @throws ChainException when the agent has not committed to the task
     */
    public int laneOf(BigInteger taskId, long agentId) {
        try {
            EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(deployment.deployBlock())),
                    DefaultBlockParameterName.LATEST, deployment.taskMarket());
            f.addSingleTopic(EventEncoder.encode(TaskMarket.COMMITTED_EVENT));
            f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(taskId, 64));
            f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(BigInteger.valueOf(agentId), 64));
            EthLog logs = web3j.ethGetLogs(f).send();
            if (logs.hasError()) throw new ChainException("eth_getLogs failed: " + logs.getError().getMessage());
            for (EthLog.LogResult<?> r : logs.getLogs()) {
                // the event has topics only: the lane is the third argument of the commit call that emitted it
                // (both overloads), read from its transaction's input (an EOA operator's commit)
                String tx = ((Log) r.get()).getTransactionHash();
                var t = web3j.ethGetTransactionByHash(tx).send().getTransaction()
                        .orElseThrow(() -> new ChainException("commit transaction " + tx + " not found"));
                byte[] input = Numeric.hexStringToByteArray(t.getInput());
                String selector = input.length < 4 ? "" : Numeric.toHexString(java.util.Arrays.copyOf(input, 4));
                if (input.length < 4 + 3 * 32 || !(selector.equals(COMMIT4) || selector.equals(COMMIT5))
                        || !new BigInteger(1, java.util.Arrays.copyOfRange(input, 4, 36)).equals(taskId)) {
                    throw new ChainException("transaction " + tx + " is not a direct commit call to task " + taskId
                            + "; its lane cannot be read from it");
                }
                return new BigInteger(1, java.util.Arrays.copyOfRange(input, 4 + 2 * 32, 4 + 3 * 32)).intValueExact();
            }
            throw new ChainException("agent " + agentId + " has not committed to task " + taskId);
        } catch (IOException e) {
            throw new ChainException("cannot read the Committed event of agent " + agentId + " in task " + taskId
                    + ": " + e.getMessage(), e);
        }
    }

    private void releaseLane(long agentId, int lane, BigInteger taskId) {
        synchronized (openLanes) {
            Map<Integer, BigInteger> open = openLanes.get(agentId);
            if (open != null) open.remove(lane, taskId);
        }
    }

    private static void requireLane(int lane) {
        if (lane < 0 || lane >= LANES) throw new IllegalArgumentException("lane must be 0.." + (LANES - 1) + ", was " + lane);
    }

    /**
     * Declines an assigned task before committing (all the agent's seats): the seat is replaced at the commit
     * timeout, or the task refunded, without a slash (see TaskMarket.decline). A round whose seats are still to
     * draw gets its pool: the decline draws them first, as a commit would.
     */
    public TransactionReceipt decline(BigInteger taskId, long agentId) {
        byte[] pool = pendingPool(taskId);
        return sendMarket(pool == null ? market.decline(taskId, BigInteger.valueOf(agentId))
                : market.decline(taskId, BigInteger.valueOf(agentId), pool), BigInteger.ZERO);
    }

    /**
     * Settles a task or handles its timeout (see TaskMarket.finalize); a round whose seats are still to draw
     * gets its pool (drawn and slashed as absent, or refunded when its seed block's hash has expired).
     */
    public TransactionReceipt finalizeTask(BigInteger taskId) {
        byte[] pool = pendingPool(taskId);
        return sendMarket(pool == null ? market.finalize(taskId) : market.finalize(taskId, pool), BigInteger.ZERO);
    }

    /**
     * Disputes a held split result (phase {@link TaskPhase#HELD}) for {@code agentId}, a seat that revealed
     * another result, with the bond the market requires (its dissentSlash). The payouts and slashes freeze;
     * {@code finalize} after {@link TaskState#heldUntil()} resolves it (for now: the fee is refunded, the
     * bond returned, no revealer slashed).
     */
    public TransactionReceipt challenge(BigInteger taskId, long agentId) {
        BigInteger bond = big(sender.call("TaskMarket", deployment.taskMarket(), market.dissentSlash()).getFirst());
        return sendMarket(marketMode.challenge(taskId, BigInteger.valueOf(agentId), bond), bond);
    }

    /** Pays the agent's unclaimed rewards to its payout address. */
    public TransactionReceipt claim(long agentId) {
        return sendMarket(market.claim(BigInteger.valueOf(agentId)), BigInteger.ZERO);
    }

    // ---- pipelined task transactions (issue 13, h/batchnode): the single-task worker's commit, reveal and claim
    // broadcast without waiting for their receipts (TransactionSender.broadcast); the caller reads from the task's
    // state whether they landed, and calls replaceStuck now and then.

    /**
     * {@link #commit(BigInteger, long, int, byte[], java.util.function.Consumer)} without waiting: returns the
     * transaction's hash once it is broadcast. A revert at estimation throws as there.
     */
    public String commitAsync(BigInteger taskId, long agentId, int lane, byte[] commitment,
                              java.util.function.Consumer<String> beforeBroadcast) {
        Commitment.require32("commitment", commitment);
        requireLane(lane);
        byte[] pool = pendingPool(taskId);
        String data = (pool == null
                ? market.commit(taskId, BigInteger.valueOf(agentId), BigInteger.valueOf(lane), commitment)
                : market.commit(taskId, BigInteger.valueOf(agentId), BigInteger.valueOf(lane), commitment, pool)).encodeFunctionCall();
        return sender.broadcast("TaskMarket", deployment.taskMarket(), data, BigInteger.ZERO, beforeBroadcast, BigInteger.ZERO);
    }

    /** {@link #reveal(BigInteger, long, int, byte[], byte[], byte[], byte[], java.util.function.Consumer)} without waiting. */
    public String revealAsync(BigInteger taskId, long agentId, int lane, byte[] resultHash, byte[] traceRoot, byte[] salt,
                              byte[] output, java.util.function.Consumer<String> beforeBroadcast) {
        requireLane(lane);
        byte[] out = output == null ? new byte[0] : output;
        byte[] sentHash = out.length != 0 && java.util.Arrays.equals(org.web3j.crypto.Hash.sha3(out), resultHash)
                ? new byte[32] : resultHash;
        return sender.broadcast("TaskMarket", deployment.taskMarket(), market.reveal(taskId, BigInteger.valueOf(agentId),
                BigInteger.valueOf(lane), sentHash, traceRoot, salt, out).encodeFunctionCall(), BigInteger.ZERO, beforeBroadcast,
                REVEAL_GAS_FLOOR);
    }

    /** The hash of the last claim {@link #claimDue} broadcast. */
    private volatile String lastClaim;

    /**
     * Claims {@code agentId}'s rewards without waiting, when it has any and no claim this facade broadcast is still
     * in flight (a second claim sent before the first is mined would revert: nothing left to claim). Returns the
     * claim's hash, or null when none was sent.
     */
    public synchronized String claimDue(long agentId) {
        if (lastClaim != null && sender.isInFlight(lastClaim)) return null;
        if (claimable(agentId).signum() == 0) return null;
        // the hook sees the first hash and every replacement's (replaceStuck), so lastClaim is always the live one
        return sender.broadcast("TaskMarket", deployment.taskMarket(), market.claim(BigInteger.valueOf(agentId)).encodeFunctionCall(),
                BigInteger.ZERO, h -> lastClaim = h, BigInteger.ZERO);
    }

    /** Whether {@code txHash} is one of this account's broadcast transactions not yet seen mined. */
    public boolean inFlight(String txHash) {
        return txHash != null && sender.isInFlight(txHash);
    }

    /** See {@link TransactionSender#adopt}: a transaction signed before a restart, still unmined, taken into the flight. */
    public boolean adopt(String txHash, java.util.function.Consumer<String> beforeBroadcast) {
        return sender.adopt(txHash, beforeBroadcast);
    }

    /** This account's stuck or dropped broadcast transactions replaced at a higher fee (TransactionSender.replaceStuck). */
    public List<TransactionSender.InFlight> replaceStuck(long stuckMillis) {
        return sender.replaceStuck(stuckMillis);
    }
    // ---- end of pipelined task transactions

    /** Pays this account's pending refunds (or treasury proceeds). */
    public TransactionReceipt withdrawBalance() {
        return sendMarket(market.withdrawBalance(), BigInteger.ZERO);
    }

    public TaskState task(BigInteger taskId) {
        TaskMarket.TaskView v = (TaskMarket.TaskView) sender.call("TaskMarket", deployment.taskMarket(),
                market.getTask(taskId)).getFirst();
        List<Long> nodes = nodesOf(taskId, v);
        return new TaskState(taskId, v.requester, TaskPhase.of(v.phase.intValueExact()), v.k.intValueExact(),
                v.round.intValueExact(), v.modelId.intValueExact(), v.fee, nodes, v.committedMask.intValueExact(),
                v.revealedMask.intValueExact(), v.acceptedMask.intValueExact(), v.commitDeadline.longValueExact(),
                v.revealDeadline.longValueExact(), v.finalizedAt.longValueExact(), v.flags.testBit(0),
                v.heldUntil.longValueExact());
    }

    /**
     * How {@code agentId} fared in {@code taskId}, by the contract's own rule ({@code TaskMarket.outcomeOf}):
     * {@link NodeOutcome#NONE} while the task is open, and for an agent that is not (or no longer) one of
     * its nodes. Workers and requesters read verdicts here rather than re-deriving them.
     */
    public NodeOutcome outcomeOf(BigInteger taskId, long agentId) {
        return NodeOutcome.of(big(sender.call("TaskMarket", deployment.taskMarket(),
                market.outcomeOf(taskId, BigInteger.valueOf(agentId))).getFirst()).intValueExact());
    }

    /** Whether a transaction this facade's account signed is still waiting in the node's mempool. */
    public boolean pending(String txHash) {
        return sender.pending(txHash);
    }

    public TaskPhase phase(BigInteger taskId) {
        return TaskPhase.of(big(sender.call("TaskMarket", deployment.taskMarket(), market.phaseOf(taskId)).getFirst())
                .intValueExact());
    }

    /**
     * The task's seats by position; while the current round's draw is pending, what it gives (the contract's
     * {@code drawSeats} with the round's pool and block hash), so callers see the seats as soon as they are
     * known.
     */
    public List<Long> taskNodes(BigInteger taskId) {
        return nodesOf(taskId, (TaskMarket.TaskView) sender.call("TaskMarket", deployment.taskMarket(),
                market.getTask(taskId)).getFirst());
    }

    private List<Long> nodesOf(BigInteger taskId, TaskMarket.TaskView v) {
        if (v.flags.testBit(3)) {
            DrawRound round = drawRound(taskId, v.round.intValueExact());
            return longs(sender.call("TaskMarket", deployment.taskMarket(),
                    market.drawSeats(taskId, round.pool(), Numeric.hexStringToByteArray(round.blockHash()))).getFirst());
        }
        return longs(sender.call("TaskMarket", deployment.taskMarket(), market.taskNodes(taskId)).getFirst());
    }

    private static List<Long> longs(Type<?> array) {
        @SuppressWarnings("unchecked")
        DynamicArray<Type<BigInteger>> arr = (DynamicArray<Type<BigInteger>>) array;
        List<Long> out = new ArrayList<>();
        for (Type<BigInteger> t : arr.getValue()) out.add(t.getValue().longValueExact());
        return out;
    }

    public TaskResult result(BigInteger taskId) {
        List<Type> v = sender.call("TaskMarket", deployment.taskMarket(), market.taskResult(taskId));
        return new TaskResult((Boolean) v.get(0).getValue(), (byte[]) v.get(1).getValue(), (byte[]) v.get(2).getValue(),
                (byte[]) v.get(3).getValue());
    }

    public BigInteger claimable(long agentId) {
        return big(sender.call("TaskMarket", deployment.taskMarket(), market.claimable(BigInteger.valueOf(agentId))).getFirst());
    }

    public BigInteger pendingWithdrawal(String account) {
        return big(sender.call("TaskMarket", deployment.taskMarket(), market.pendingWithdrawals(account)).getFirst());
    }

    /** TaskMarket's fund counters: [taskCount, escrowed, unclaimed]. */
    public BigInteger[] marketTotals() {
        List<Type> v = sender.call("TaskMarket", deployment.taskMarket(), market.totals());
        return new BigInteger[] {big(v.get(0)), big(v.get(1)), big(v.get(2))};
    }

    /** AgentRegistry's fund counters: [totalBonded, totalUnbonding]. */
    public BigInteger[] stakeTotals() {
        return new BigInteger[] {
            big(sender.call("AgentRegistry", deployment.agentRegistry(), agents.totalBonded()).getFirst()),
            big(sender.call("AgentRegistry", deployment.agentRegistry(), agents.totalUnbonding()).getFirst())
        };
    }

    /** The native-currency balance of an address, wei. */
    public BigInteger balanceOf(String address) {
        try {
            return web3j.ethGetBalance(address, org.web3j.protocol.core.DefaultBlockParameterName.LATEST).send().getBalance();
        } catch (IOException e) {
            throw new ChainException("eth_getBalance(" + address + ") failed: " + e.getMessage(), e);
        }
    }

    // ------------------------------------------------------------------ internals

    private TransactionReceipt sendMarket(RemoteFunctionCall<?> call, BigInteger value) {
        return sender.send("TaskMarket", deployment.taskMarket(), call, value);
    }

    private TransactionReceipt sendMarket(RemoteFunctionCall<?> call, BigInteger value,
                                          java.util.function.Consumer<String> beforeBroadcast) {
        return sender.send("TaskMarket", deployment.taskMarket(), call.encodeFunctionCall(), value, beforeBroadcast);
    }

    private TransactionReceipt sendMarket(String data, BigInteger value, java.util.function.Consumer<String> beforeBroadcast,
                                          BigInteger minGas) {
        return sender.send("TaskMarket", deployment.taskMarket(), data, value, beforeBroadcast, minGas);
    }

    /**
     * The least gas a reveal is sent with. Whether a reveal settles the task (the k-th one pays, slashes and
     * records) is decided by the order in which reveals are mined, after the estimate: a reveal estimated at
     * ~41k that landed last needed ~99k and reverted out of gas (found by the chaos run). The floor covers
     * settlement at k = 7 plus the consumer callback's allowance; only the gas used is paid.
     */
    static final BigInteger REVEAL_GAS_FLOOR = BigInteger.valueOf(600_000);

    private TransactionReceipt sendAgents(RemoteFunctionCall<?> call, BigInteger value) {
        return sender.send("AgentRegistry", deployment.agentRegistry(), call, value);
    }

    private static BigInteger big(Type<?> t) {
        return (BigInteger) t.getValue();
    }

    private static TransactionReceipt receipt(Contract c) {
        return c.getTransactionReceipt().orElseThrow(() -> new ChainException("no deployment receipt for "
                + c.getContractAddress()));
    }

    private static long chainId(Web3j web3j) {
        try {
            return web3j.ethChainId().send().getChainId().longValueExact();
        } catch (IOException e) {
            throw new ChainException("eth_chainId failed: " + e.getMessage(), e);
        }
    }
}
