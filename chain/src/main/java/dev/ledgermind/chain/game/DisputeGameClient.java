package dev.ledgermind.chain.game;

import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.TransactionSender;
import dev.ledgermind.chain.contracts.DisputeGame;
import dev.ledgermind.chain.contracts.OneStep;
import dev.ledgermind.chain.contracts.StepReferee;
import org.web3j.abi.EventEncoder;
import org.web3j.abi.FunctionEncoder;
import org.web3j.abi.datatypes.DynamicArray;
import org.web3j.abi.datatypes.DynamicBytes;
import org.web3j.abi.datatypes.Function;
import org.web3j.abi.datatypes.generated.Bytes32;
import org.web3j.abi.datatypes.generated.StaticArray22;
import org.web3j.abi.datatypes.generated.Uint256;
import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.gas.ContractGasProvider;
import org.web3j.tx.gas.StaticGasProvider;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * Typed access to the dispute game (contracts/src/game/DisputeGame.sol, docs/DESIGN.md section 5), acting as
 * one account: the moves of a party (each a transaction through {@link TransactionSender}, so a refused move
 * surfaces as a {@link dev.ledgermind.chain.ContractRevertedException} naming the game's custom error, e.g.
 * {@code Late}, {@code WrongNodes}, {@code AlreadyMoved}), the game's state, both deadlines, and the first
 * mover's post of a level (read from its event), which the second mover must pass back.
 *
 * <p>{@link #deploy} deploys the referee (StepReferee), the verifier (OneStep) and the game for a market;
 * {@link #at} attaches to a deployed game.
 */
public final class DisputeGameClient {
    /** DisputeGame.LEVELS_PER_MOVE: tree levels one descent move covers. */
    public static final int LEVELS_PER_MOVE = 3;
    private static final String NAME = "DisputeGame";
    private static final ContractGasProvider DEPLOY_GAS =
            new StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(15_000_000L));

    private final Web3j web3j;
    private final TransactionSender sender;
    private final String address;
    private final long fromBlock;

    private DisputeGameClient(Web3j web3j, TransactionSender sender, String address, long fromBlock) {
        this.web3j = web3j;
        this.sender = sender;
        this.address = address;
        this.fromBlock = fromBlock;
    }

    /** The addresses of one deployment of the game and its verifier. */
    public record Deployed(String game, String oneStep, String referee, long block) {}

    /**
     * Deploys StepReferee, OneStep and DisputeGame (whose only starter is {@code market}) from {@code sender}'s
     * account; returns a client acting as that account.
     */
    public static DisputeGameClient deploy(Web3j web3j, TransactionSender sender, String market) {
        try {
            long block = web3j.ethBlockNumber().send().getBlockNumber().longValueExact() + 1;
            var tm = sender.transactionManager();
            StepReferee referee = StepReferee.deploy(web3j, tm, DEPLOY_GAS).send();
            OneStep oneStep = OneStep.deploy(web3j, tm, DEPLOY_GAS, referee.getContractAddress()).send();
            DisputeGame game = DisputeGame.deploy(web3j, tm, DEPLOY_GAS, market, oneStep.getContractAddress()).send();
            return new DisputeGameClient(web3j, sender, game.getContractAddress(), block);
        } catch (Exception e) {
            throw new ChainException("deploying the dispute game failed: " + e.getMessage(), e);
        }
    }

    /**
     * The real game for {@link dev.ledgermind.chain.LedgermindContracts#deploy}: StepReferee and OneStep (which do
     * not depend on the market) in {@code prepare}, before the market's address is predicted, then the DisputeGame
     * for the predicted market in one transaction. Each deployment's receipt goes into the deployment's receipts.
     * One instance serves one deployment.
     */
    public static dev.ledgermind.chain.LedgermindContracts.GameDeployer gameDeployer() {
        return new dev.ledgermind.chain.LedgermindContracts.GameDeployer() {
            private String oneStep;
            private java.util.Map<String, TransactionReceipt> receipts;

            @Override
            public void prepare(Web3j web3j, org.web3j.tx.TransactionManager tm, ContractGasProvider gas,
                                java.util.Map<String, TransactionReceipt> receipts) throws Exception {
                StepReferee referee = StepReferee.deploy(web3j, tm, gas).send();
                receipts.put("StepReferee", referee.getTransactionReceipt().orElseThrow());
                OneStep verifier = OneStep.deploy(web3j, tm, gas, referee.getContractAddress()).send();
                receipts.put("OneStep", verifier.getTransactionReceipt().orElseThrow());
                this.oneStep = verifier.getContractAddress();
                this.receipts = receipts;
            }

            @Override
            public String deploy(Web3j web3j, org.web3j.tx.TransactionManager tm, ContractGasProvider gas, String market)
                    throws Exception {
                if (oneStep == null) throw new IllegalStateException("the game's verifier was not deployed (prepare() did not run)");
                DisputeGame game = DisputeGame.deploy(web3j, tm, gas, market, oneStep).send();
                receipts.put("DisputeGame", game.getTransactionReceipt().orElseThrow());
                return game.getContractAddress();
            }
        };
    }

    /** Attaches to the game at {@code address}, signing as {@code credentials}; events are read from {@code fromBlock}. */
    public static DisputeGameClient at(Web3j web3j, String address, Credentials credentials, long fromBlock) {
        try {
            long chainId = web3j.ethChainId().send().getChainId().longValueExact();
            return new DisputeGameClient(web3j, new TransactionSender(web3j, credentials, chainId), address, fromBlock);
        } catch (IOException e) {
            throw new ChainException("cannot read the chain id: " + e.getMessage(), e);
        }
    }

    /** Attaches to the game at {@code address} through an existing sender (a reader needs no key of its own). */
    public static DisputeGameClient at(Web3j web3j, String address, TransactionSender sender, long fromBlock) {
        return new DisputeGameClient(web3j, sender, address, fromBlock);
    }

    /** The same game, signing as another account. */
    public DisputeGameClient as(Credentials credentials) {
        return new DisputeGameClient(web3j, new TransactionSender(web3j, credentials, sender.chainId()), address, fromBlock);
    }

    public String address() {
        return address;
    }

    /** The latest block's timestamp: the clock the game's deadlines are on (unix seconds). */
    public long chainTime() {
        try {
            var b = web3j.ethGetBlockByNumber(DefaultBlockParameterName.LATEST, false).send();
            if (b.hasError() || b.getBlock() == null) {
                throw new ChainException(NAME + ": cannot read the latest block" + (b.hasError() ? ": " + b.getError().getMessage() : ""));
            }
            return b.getBlock().getTimestamp().longValueExact();
        } catch (IOException e) {
            throw new ChainException(NAME + ": cannot read the latest block: " + e.getMessage(), e);
        }
    }

    public TransactionSender sender() {
        return sender;
    }

    // ---------------------------------------------------------------- views

    /** The game {@code gameId} (phase NONE for an unknown id). */
    public GameView game(BigInteger gameId) {
        byte[] r = call(new Function("gameOf", List.of(new Uint256(gameId)), List.of()));
        if (r.length != 31 * 32) {
            throw new ChainException(NAME + ".gameOf returned " + r.length + " bytes, expected " + 31 * 32);
        }
        return new GameView(
                addr(r, 0), u(r, 1).longValueExact(), u(r, 2).intValueExact(),
                addr(r, 3), u(r, 4).longValueExact(), u(r, 5).intValueExact(),
                u(r, 6).longValueExact(), GamePhase.of(u(r, 7).intValueExact()),
                u(r, 8).testBit(0), u(r, 8).testBit(1),
                u(r, 9).intValueExact(), u(r, 10).longValueExact(), u(r, 11).longValueExact(),
                u(r, 12).intValueExact(), u(r, 13).longValueExact(), u(r, 14).longValueExact(), u(r, 15).longValueExact(),
                u(r, 16).intValue(), u(r, 17).intValue(), u(r, 18).signum() != 0,
                u(r, 19), w(r, 20), w(r, 21), w(r, 22), w(r, 23), w(r, 24), w(r, 25), w(r, 26), w(r, 27), w(r, 28),
                w(r, 29), w(r, 30));
    }

    /** Each party's deadline (unix seconds) for its move of the current level; 0 when it has moved or the game is over. */
    public long[] deadlines(BigInteger gameId) {
        byte[] r = call(new Function("deadlines", List.of(new Uint256(gameId)), List.of()));
        return new long[] {u(r, 0).longValueExact(), u(r, 1).longValueExact()};
    }

    // ---------------------------------------------------------------- moves

    /** A descent move: the mover's node's descendants; {@code other} = the first mover's (empty when moving first). */
    public TransactionReceipt bisect(BigInteger gameId, List<byte[]> nodes, List<byte[]> other) {
        return send(new Function("bisect", List.of(new Uint256(gameId), b32s(nodes), b32s(other)), List.of()));
    }

    /** Reveals the mover's 22 op roots; the second mover passes the first's and the model spec (its hash preimage). */
    public TransactionReceipt revealLeaf(BigInteger gameId, List<byte[]> opRoots, List<byte[]> other, byte[] spec) {
        return send(new Function("revealLeaf",
                List.of(new Uint256(gameId), roots22(opRoots, "opRoots"), roots22(other, "other"), new DynamicBytes(spec)),
                List.of()));
    }

    /** Reveals the mover's chunk of the disputed op; the second mover passes the first's chunk. */
    public TransactionReceipt revealChunk(BigInteger gameId, byte[] chunk, byte[] other) {
        return send(new Function("revealChunk",
                List.of(new Uint256(gameId), new DynamicBytes(chunk), new DynamicBytes(other)), List.of()));
    }

    /** Posts the mover's states root, final state and its proof (and the finish openings: a bias block or empty). */
    public TransactionReceipt postStates(BigInteger gameId, byte[] statesRoot, byte[] finalState, List<byte[]> proof,
                                         byte[] spec, byte[] openings) {
        return send(new Function("postStates", List.of(new Uint256(gameId), new Bytes32(statesRoot),
                new DynamicBytes(finalState), b32s(proof), new DynamicBytes(spec), new DynamicBytes(openings)), List.of()));
    }

    /** The one step: the claimer's op roots, the agreed previous state with its proof (empty for chunk 0), the openings. */
    public TransactionReceipt step(BigInteger gameId, byte[] spec, List<byte[]> claimerOpRoots, byte[] prevState,
                                   List<byte[]> prevProof, byte[] openings) {
        return send(new Function("step", List.of(new Uint256(gameId), new DynamicBytes(spec),
                roots22(claimerOpRoots, "claimerOpRoots"), new DynamicBytes(prevState), b32s(prevProof),
                new DynamicBytes(openings)), List.of()));
    }

    /** Ends a game whose due party's clock ran out (anyone may call it). */
    public TransactionReceipt timeout(BigInteger gameId) {
        return send(new Function("timeout", List.of(new Uint256(gameId)), List.of()));
    }

    // ---------------------------------------------------------------- the other party's posts

    /** A descent move as its Bisected event recorded it. */
    public record Bisected(boolean claimer, long level, long index, List<byte[]> nodes) {}

    /** The latest descent move of {@code claimer}'s side in game {@code gameId} at (level, index), if any. */
    public Optional<Bisected> bisected(BigInteger gameId, boolean claimer, long level, long index) {
        Bisected found = null;
        for (Log log : logs(DisputeGame.BISECTED_EVENT, gameId)) {
            var e = DisputeGame.getBisectedEventFromLog(log);
            if (e.claimer == claimer && e.level.longValueExact() == level && e.index.longValueExact() == index) {
                found = new Bisected(e.claimer, level, index, e.nodes);
            }
        }
        return Optional.ofNullable(found);
    }

    /** The op roots {@code claimer}'s side revealed in game {@code gameId}, if it did. */
    public Optional<List<byte[]>> revealedOpRoots(BigInteger gameId, boolean claimer) {
        for (Log log : logs(DisputeGame.LEAFREVEALED_EVENT, gameId)) {
            var e = DisputeGame.getLeafRevealedEventFromLog(log);
            if (e.claimer == claimer) return Optional.of(e.opRoots);
        }
        return Optional.empty();
    }

    /** The chunk {@code claimer}'s side revealed in game {@code gameId}, if it did. */
    public Optional<byte[]> revealedChunk(BigInteger gameId, boolean claimer) {
        for (Log log : logs(DisputeGame.CHUNKREVEALED_EVENT, gameId)) {
            var e = DisputeGame.getChunkRevealedEventFromLog(log);
            if (e.claimer == claimer) return Optional.of(e.chunk);
        }
        return Optional.empty();
    }

    /** Whether game {@code gameId} has ended, and who won, from its GameResolved event. */
    public Optional<Boolean> claimerWon(BigInteger gameId) {
        for (Log log : logs(DisputeGame.GAMERESOLVED_EVENT, gameId)) {
            return Optional.of(DisputeGame.getGameResolvedEventFromLog(log).claimerWins);
        }
        return Optional.empty();
    }

    // ---------------------------------------------------------------- the game's record

    /** What game {@code gameId} did so far, from all of its events (one eth_getLogs): see {@link GameReport}. */
    public GameReport report(BigInteger gameId) {
        String advanced = EventEncoder.encode(DisputeGame.ADVANCED_EVENT);
        String opFound = EventEncoder.encode(DisputeGame.OPFOUND_EVENT);
        String elementFound = EventEncoder.encode(DisputeGame.ELEMENTFOUND_EVENT);
        String stepChecked = EventEncoder.encode(DisputeGame.STEPCHECKED_EVENT);
        String ended = EventEncoder.encode(DisputeGame.GAMEENDED_EVENT);
        String started = EventEncoder.encode(DisputeGame.GAMESTARTED_EVENT);
        String startTx = null; // start places the game at its first level (an Advanced event that is no round)
        List<String> moveEvents = List.of(EventEncoder.encode(DisputeGame.BISECTED_EVENT),
                EventEncoder.encode(DisputeGame.LEAFREVEALED_EVENT), EventEncoder.encode(DisputeGame.CHUNKREVEALED_EVENT),
                EventEncoder.encode(DisputeGame.STATESPOSTED_EVENT), stepChecked);
        int levels = 0;
        List<String> moveTxs = new ArrayList<>();
        List<String> txs = new ArrayList<>();
        GameReport.Found found = null;
        GameReport.Element element = null;
        GameReport.Step step = null;
        String reason = null;
        boolean claimerWins = false;
        for (Log log : logs(null, gameId)) {
            String topic = log.getTopics().getFirst();
            if (!txs.contains(log.getTransactionHash())) txs.add(log.getTransactionHash());
            if (moveEvents.contains(topic) && !moveTxs.contains(log.getTransactionHash())) moveTxs.add(log.getTransactionHash());
            if (topic.equals(started)) {
                startTx = log.getTransactionHash();
            } else if (topic.equals(advanced)) {
                if (!log.getTransactionHash().equals(startTx)) levels++;
            } else if (topic.equals(opFound)) {
                var e = DisputeGame.getOpFoundEventFromLog(log);
                found = new GameReport.Found(e.leaf.longValueExact(), e.position.longValueExact(), e.layer.longValueExact(),
                        e.op.intValueExact());
            } else if (topic.equals(elementFound)) {
                var e = DisputeGame.getElementFoundEventFromLog(log);
                element = new GameReport.Element(e.element.longValueExact(), e.claimerValue.intValue(), e.challengerValue.intValue());
            } else if (topic.equals(stepChecked)) {
                var e = DisputeGame.getStepCheckedEventFromLog(log);
                step = new GameReport.Step(e.op.intValueExact(), e.element.longValueExact(), e.chunk.longValueExact(),
                        e.claimerMatches, e.challengerMatches);
            } else if (topic.equals(ended)) {
                var e = DisputeGame.getGameEndedEventFromLog(log);
                reason = GameReport.reason(e.reason.intValueExact());
                claimerWins = e.claimerWins;
            }
        }
        return new GameReport(gameId, reason != null, claimerWins, reason, levels, moveTxs.size(), List.copyOf(txs),
                found, element, step);
    }

    // ---------------------------------------------------------------- plumbing

    private List<Log> logs(org.web3j.abi.datatypes.Event event, BigInteger gameId) {
        EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(fromBlock)),
                DefaultBlockParameterName.LATEST, address);
        if (event == null) f.addNullTopic(); // every event of the game
        else f.addSingleTopic(EventEncoder.encode(event));
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(gameId, 64));
        try {
            EthLog r = web3j.ethGetLogs(f).send();
            if (r.hasError()) throw new ChainException(NAME + ": eth_getLogs failed: " + r.getError().getMessage());
            List<Log> out = new ArrayList<>();
            for (EthLog.LogResult<?> lr : r.getLogs()) out.add((Log) lr.get());
            return out;
        } catch (IOException e) {
            throw new ChainException(NAME + ": eth_getLogs failed: " + e.getMessage(), e);
        }
    }

    private TransactionReceipt send(Function f) {
        return sender.send(NAME, address, FunctionEncoder.encode(f), BigInteger.ZERO);
    }

    private byte[] call(Function f) {
        try {
            EthCall r = web3j.ethCall(Transaction.createEthCallTransaction(sender.address(), address,
                    FunctionEncoder.encode(f)), DefaultBlockParameterName.LATEST).send();
            if (r.hasError()) throw new ChainException(NAME + "." + f.getName() + " failed: " + r.getError().getMessage());
            return Numeric.hexStringToByteArray(r.getValue());
        } catch (IOException e) {
            throw new ChainException(NAME + "." + f.getName() + ": eth_call failed: " + e.getMessage(), e);
        }
    }

    private static DynamicArray<Bytes32> b32s(List<byte[]> hashes) {
        List<Bytes32> out = new ArrayList<>(hashes.size());
        for (int i = 0; i < hashes.size(); i++) out.add(b32(hashes.get(i), "hash " + i));
        return new DynamicArray<>(Bytes32.class, out);
    }

    private static StaticArray22<Bytes32> roots22(List<byte[]> roots, String what) {
        if (roots.size() != 22) throw new IllegalArgumentException(what + " has " + roots.size() + " roots, expected 22");
        List<Bytes32> out = new ArrayList<>(22);
        for (int i = 0; i < 22; i++) out.add(b32(roots.get(i), what + "[" + i + "]"));
        return new StaticArray22<>(Bytes32.class, out);
    }

    private static Bytes32 b32(byte[] h, String what) {
        if (h == null || h.length != 32) {
            throw new IllegalArgumentException(what + " is " + (h == null ? "null" : h.length + " bytes") + ", expected 32");
        }
        return new Bytes32(h);
    }

    private static BigInteger u(byte[] r, int word) {
        return new BigInteger(1, Arrays.copyOfRange(r, 32 * word, 32 * word + 32));
    }

    private static byte[] w(byte[] r, int word) {
        return Arrays.copyOfRange(r, 32 * word, 32 * word + 32);
    }

    private static String addr(byte[] r, int word) {
        return Numeric.toHexString(Arrays.copyOfRange(r, 32 * word + 12, 32 * word + 32));
    }
}
