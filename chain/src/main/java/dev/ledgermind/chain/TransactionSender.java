package dev.ledgermind.chain;

import org.web3j.crypto.Credentials;
import org.web3j.protocol.Web3j;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.DefaultBlockParameterName;
import org.web3j.protocol.core.RemoteFunctionCall;
import org.web3j.protocol.core.Response;
import org.web3j.protocol.core.methods.request.Transaction;
import org.web3j.protocol.core.methods.response.EthCall;
import org.web3j.protocol.core.methods.response.EthEstimateGas;
import org.web3j.protocol.core.methods.response.EthSendTransaction;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.crypto.Hash;
import org.web3j.crypto.RawTransaction;
import org.web3j.tx.FastRawTransactionManager;
import org.web3j.utils.Numeric;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.tx.response.TransactionReceiptProcessor;
import org.web3j.protocol.exceptions.TransactionException;
import org.web3j.abi.datatypes.Type;

import java.io.IOException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Sends signed transactions for one account and decodes reverts.
 *
 * <p>Each transaction is first estimated with {@code eth_estimateGas}: a call that would revert fails
 * here, before anything is signed, with a {@link ContractRevertedException} naming the custom error.
 * The gas limit is the estimate plus 25% (the estimate is exact for these contracts except for the
 * 63/64 rule around the consumer callback). Transactions are signed with the chain id (EIP-155) by
 * a {@link FastRawTransactionManager}, which tracks the nonce locally so that one sender can issue
 * transactions back to back; after a failed send the nonce is re-read from the chain. If a mined
 * transaction still reverts (the state changed between estimate and inclusion), the call is
 * replayed with {@code eth_call} at that block to recover and decode the revert data.
 *
 * <p>Not thread-safe: use one sender per account and thread.
 */
public final class TransactionSender {
    private final Web3j web3j;
    private final Credentials credentials;
    private final long chainId;
    private final FastRawTransactionManager txManager;
    private final TransactionReceiptProcessor receipts;
    /** Called with the hash of the signed transaction just before it is broadcast (see {@link #send(String, String, String, BigInteger, Consumer)}). */
    private final ThreadLocal<Consumer<String>> beforeBroadcast = new ThreadLocal<>();
    /** The nonce of the transaction this thread signed last. */
    private final ThreadLocal<BigInteger> sentNonce = new ThreadLocal<>();

    public TransactionSender(Web3j web3j, Credentials credentials, long chainId) {
        this.web3j = web3j;
        this.credentials = credentials;
        this.chainId = chainId;
        this.receipts = new PollingTransactionReceiptProcessor(web3j, 20, 3000);
        this.txManager = new FastRawTransactionManager(web3j, credentials, chainId, receipts) {
            @Override
            public EthSendTransaction signAndSend(RawTransaction raw) throws IOException {
                sentNonce.set(raw.getNonce());
                Consumer<String> hook = beforeBroadcast.get();
                if (hook == null) return super.signAndSend(raw);
                String signed = sign(raw);
                hook.accept(Numeric.toHexString(Hash.sha3(Numeric.hexStringToByteArray(signed))));
                return web3j.ethSendRawTransaction(signed).send();
            }
        };
    }

    public String address() {
        return credentials.getAddress();
    }

    public long chainId() {
        return chainId;
    }

    public Credentials credentials() {
        return credentials;
    }

    /** The web3j transaction manager (for web3j wrappers' deploy and load). */
    public FastRawTransactionManager transactionManager() {
        return txManager;
    }

    /**
     * Sends a call to {@code to} with calldata {@code data} and {@code value} wei; waits for the receipt.
     *
     * @param contract the contract's name, for error messages
     * @throws ContractRevertedException when the call reverts (estimated or mined)
     * @throws ChainException when the RPC fails
     */
    public TransactionReceipt send(String contract, String to, String data, BigInteger value) {
        return send(contract, to, data, value, null);
    }

    /**
     * Like {@link #send(String, String, String, BigInteger)}, but hands the signed transaction's hash to
     * {@code beforeBroadcast} before the transaction leaves this process, so that a caller can make the
     * hash durable first: after a crash it can then ask the chain about exactly that transaction
     * ({@link #pending}) instead of guessing whether it was sent. If {@code beforeBroadcast} throws,
     * nothing is broadcast.
     */
    public TransactionReceipt send(String contract, String to, String data, BigInteger value, Consumer<String> beforeBroadcast) {
        return send(contract, to, data, value, beforeBroadcast, BigInteger.ZERO);
    }

    /**
     * Like {@link #send(String, String, String, BigInteger, Consumer)}, with a gas limit of at least
     * {@code minGas}: for calls whose cost depends on what other transactions land first (a reveal that
     * turns out to be the k-th one settles the task, which costs more than the estimate made while it was
     * not). Unused gas is not charged, so a generous floor costs nothing.
     */
    public TransactionReceipt send(String contract, String to, String data, BigInteger value, Consumer<String> beforeBroadcast,
                                   BigInteger minGas) {
        BigInteger limit = gasLimit(contract, to, data, value, minGas);
        try {
            for (int attempt = 1; ; attempt++) {
                BigInteger gasPrice = web3j.ethGasPrice().send().getGasPrice();
                EthSendTransaction sent = signAndBroadcast(contract, gasPrice, limit, to, data, value, beforeBroadcast);
                TransactionReceipt receipt = awaitReceipt(sent.getTransactionHash(), sentNonce.get());
                if (receipt == null) {
                    // dropped from the pool before it was mined: send it again with a fresh nonce
                    resetNonceQuietly();
                    if (attempt < MAX_SENDS) continue;
                    throw new ChainException(contract + ": transaction to " + to + " was dropped by the node " + MAX_SENDS
                            + " times (last " + sent.getTransactionHash() + ")");
                }
                if (!receipt.isStatusOK()) {
                    String revert = replay(to, data, value, receipt.getBlockNumber());
                    throw RevertDecoder.instance().decode(contract, revert, receipt.getTransactionHash());
                }
                return receipt;
            }
        } catch (IOException | TransactionException e) {
            resetNonceQuietly();
            throw new ChainException(contract + ": transaction to " + to + " failed: " + e.getMessage(), e);
        }
    }

    private static final int MAX_SENDS = 3;
    private static final long RECEIPT_POLL_MILLIS = 20;
    private static final long DROP_CHECK_MILLIS = 1_000;
    /** How long a transaction must stay unknown (and unmined) to count as dropped: longer than writing a block. */
    private static final long DROP_CONFIRM_MILLIS = 3_000;
    private static final long RECEIPT_TIMEOUT_MILLIS = 60_000;

    /**
     * Waits for the receipt of {@code txHash}; returns null when the transaction was dropped from the
     * node's pool (for example by {@code anvil_dropTransaction}, or a restart of the node) so that the caller
     * sends it again instead of waiting out the timeout. "Dropped" needs both signs: the node does not know
     * the transaction, and the account's mined nonce has not passed it, on two looks at least
     * {@link #DROP_CONFIRM_MILLIS} apart (a transaction in a block that is being written can be briefly
     * unknown to {@code eth_getTransactionByHash} on anvil; taking that for a drop made a worker send a
     * second reveal, which the chaos run caught).
     */
    private TransactionReceipt awaitReceipt(String txHash, BigInteger nonce) throws IOException, TransactionException {
        long start = System.currentTimeMillis();
        long nextDropCheck = start + DROP_CHECK_MILLIS;
        long unknownSince = -1;
        while (true) {
            var r = web3j.ethGetTransactionReceipt(txHash).send();
            if (r.hasError()) throw new TransactionException("eth_getTransactionReceipt " + txHash + ": " + r.getError().getMessage());
            if (r.getTransactionReceipt().isPresent()) return r.getTransactionReceipt().get();
            long now = System.currentTimeMillis();
            if (now >= nextDropCheck && nonce != null) {
                var tx = web3j.ethGetTransactionByHash(txHash).send();
                if (!tx.hasError() && tx.getTransaction().isEmpty()) {
                    BigInteger mined = web3j.ethGetTransactionCount(credentials.getAddress(), DefaultBlockParameterName.LATEST)
                            .send().getTransactionCount();
                    if (mined.compareTo(nonce) > 0) {
                        unknownSince = -1; // the nonce is used: this transaction was mined; its receipt follows
                    } else if (unknownSince < 0) {
                        unknownSince = now; // unknown once: it may be in a block being written; look again later
                    } else if (now - unknownSince >= DROP_CONFIRM_MILLIS) {
                        return null; // unknown for longer than a block takes, and not mined: dropped
                    }
                } else {
                    unknownSince = -1;
                }
                nextDropCheck = now + DROP_CHECK_MILLIS;
            }
            if (now - start > RECEIPT_TIMEOUT_MILLIS) {
                throw new TransactionException("no receipt for " + txHash + " after " + RECEIPT_TIMEOUT_MILLIS / 1000 + " s");
            }
            try {
                Thread.sleep(RECEIPT_POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new TransactionException("interrupted while waiting for " + txHash);
            }
        }
    }

    /**
     * Whether the transaction {@code txHash} is waiting in the node's mempool as this account's next
     * transaction to be mined. False when it was mined (successfully or not), when the node does not know
     * it (never arrived, or dropped), or when it waits behind a nonce gap.
     */
    public boolean pending(String txHash) {
        try {
            var tx = web3j.ethGetTransactionByHash(txHash).send();
            if (tx.hasError()) throw new ChainException("eth_getTransactionByHash " + txHash + " failed: " + tx.getError().getMessage());
            var found = tx.getTransaction();
            if (found.isEmpty() || found.get().getBlockHash() != null) return false;
            // waiting in the pool, but only worth waiting for when it is next in line: a transaction behind a
            // nonce gap (an earlier one was dropped) is never mined, and the caller must send anew
            BigInteger next = web3j.ethGetTransactionCount(credentials.getAddress(), DefaultBlockParameterName.LATEST)
                    .send().getTransactionCount();
            return found.get().getNonce().equals(next);
        } catch (IOException e) {
            throw new ChainException("cannot look up transaction " + txHash + ": " + e.getMessage(), e);
        }
    }

    // ---- pipelined sending (issue 13): several transactions in flight with consecutive nonces; stuck or dropped
    // ones replaced at the same nonce with a higher fee. One place for the nonce and fee rules: callers broadcast,
    // then call replaceStuck now and then, and learn that a transaction landed from the chain's state.

    /** A transaction broadcast by {@link #broadcast} and not yet seen mined: what it takes to sign it again. */
    public record InFlight(String contract, String hash, BigInteger nonce, BigInteger gasPrice, BigInteger gasLimit, String to,
                           String data, BigInteger value, long sentMillis, int replacements, Consumer<String> beforeBroadcast) {}

    /** By nonce: this sender's broadcast transactions not yet seen mined. */
    private final java.util.TreeMap<BigInteger, InFlight> inFlight = new java.util.TreeMap<>();
    /** A replacement's gas price is at least the replaced one's times (1 + 1/this), plus 1 wei: +25% (nodes want +10%). */
    private static final int BUMP_DIVISOR = 4;

    /** The estimate plus a quarter and 10,000, at least {@code minGas} (a revert at estimation throws as it names). */
    private BigInteger gasLimit(String contract, String to, String data, BigInteger value, BigInteger minGas) {
        BigInteger gas = estimate(contract, to, data, value);
        return gas.add(gas.shiftRight(2)).add(BigInteger.valueOf(10_000)).max(minGas);
    }

    /**
     * Signs at the manager's next nonce and broadcasts, the hook seeing the hash first. A hook that throws
     * broadcasts nothing, and a node that refuses the transaction throws; either way the nonce is given back.
     */
    private EthSendTransaction signAndBroadcast(String contract, BigInteger gasPrice, BigInteger limit, String to, String data,
                                                BigInteger value, Consumer<String> hook) throws IOException {
        EthSendTransaction sent;
        this.beforeBroadcast.set(hook);
        try {
            sent = txManager.sendTransaction(gasPrice, limit, to, data, value);
        } catch (RuntimeException hookFailed) {
            // the hook refused (nothing was broadcast), but the manager has already counted the nonce
            resetNonceQuietly();
            throw hookFailed;
        } finally {
            this.beforeBroadcast.remove();
        }
        if (sent.hasError()) {
            txManager.resetNonce();
            throw new ChainException(contract + ": sending transaction failed: " + sent.getError().getMessage());
        }
        return sent;
    }

    /**
     * Estimates, signs and broadcasts a transaction with the next local nonce, and returns its hash without
     * waiting for a receipt, so that one account can have several transactions in flight. {@code beforeBroadcast}
     * sees the hash first (and again the hash of every replacement, see {@link #replaceStuck}); if it throws,
     * nothing is broadcast. A revert at estimation throws {@link ContractRevertedException} as {@link #send} does;
     * a revert once mined is not seen here: the caller reads the outcome from the chain's state.
     */
    public String broadcast(String contract, String to, String data, BigInteger value, Consumer<String> beforeBroadcast,
                            BigInteger minGas) {
        BigInteger limit = gasLimit(contract, to, data, value, minGas);
        try {
            BigInteger gasPrice = web3j.ethGasPrice().send().getGasPrice();
            EthSendTransaction sent = signAndBroadcast(contract, gasPrice, limit, to, data, value, beforeBroadcast);
            BigInteger nonce = sentNonce.get();
            synchronized (inFlight) {
                inFlight.put(nonce, new InFlight(contract, sent.getTransactionHash(), nonce, gasPrice, limit, to, data, value,
                        System.currentTimeMillis(), 0, beforeBroadcast));
            }
            return sent.getTransactionHash();
        } catch (IOException e) {
            resetNonceQuietly();
            throw new ChainException(contract + ": transaction to " + to + " failed: " + e.getMessage(), e);
        }
    }

    /**
     * Takes a transaction this account signed before a restart, and that the node still holds unmined, into the
     * transactions in flight (h/batchnode), so that {@link #replaceStuck} replaces it at its own nonce when it is
     * stuck or dropped, with {@code beforeBroadcast} seeing each replacement's hash first. A process with several
     * transactions in flight when it died finds the later ones behind the earlier ones' nonces: waiting for them
     * (rather than sending each anew at a fresh nonce, which would put a second commit behind the first) is only
     * safe when a lost one can be re-sent at its own nonce, which this allows. Returns false (and takes nothing)
     * when the node does not know the transaction, or it is mined, or another account signed it.
     */
    public boolean adopt(String txHash, Consumer<String> beforeBroadcast) {
        if (txHash == null) return false;
        synchronized (inFlight) {
            if (inFlight.values().stream().anyMatch(t -> t.hash().equalsIgnoreCase(txHash))) return true;
        }
        try {
            var known = web3j.ethGetTransactionByHash(txHash).send();
            if (known.hasError()) throw new ChainException("eth_getTransactionByHash " + txHash + " failed: " + known.getError().getMessage());
            if (known.getTransaction().isEmpty()) return false;
            var t = known.getTransaction().get();
            if (t.getBlockHash() != null || !credentials.getAddress().equalsIgnoreCase(t.getFrom())) return false;
            BigInteger mined = web3j.ethGetTransactionCount(credentials.getAddress(), DefaultBlockParameterName.LATEST)
                    .send().getTransactionCount();
            if (t.getNonce().compareTo(mined) < 0) return false;
            synchronized (inFlight) {
                inFlight.putIfAbsent(t.getNonce(), new InFlight("adopted", t.getHash(), t.getNonce(), t.getGasPrice(), t.getGas(), t.getTo(),
                        t.getInput(), t.getValue(), System.currentTimeMillis(), 0, beforeBroadcast));
            }
            return true;
        } catch (IOException e) {
            throw new ChainException("cannot look up transaction " + txHash + ": " + e.getMessage(), e);
        }
    }

    /** The transactions of {@link #broadcast} not yet seen mined, by nonce (as of the last {@link #replaceStuck}). */
    public List<InFlight> inFlight() {
        synchronized (inFlight) {
            return List.copyOf(inFlight.values());
        }
    }

    /** Whether {@code txHash} is (the current hash of) a transaction of {@link #broadcast} not yet seen mined. */
    public boolean isInFlight(String txHash) {
        synchronized (inFlight) {
            return inFlight.values().stream().anyMatch(t -> t.hash().equalsIgnoreCase(txHash));
        }
    }

    /**
     * Looks at every transaction in flight once: those whose nonce the chain has used are forgotten (mined, as
     * themselves or as a replacement); one the node no longer knows (dropped) is sent again at once; one still
     * waiting after {@code stuckMillis} is replaced by the same transaction at the same nonce with a gas price
     * of at least +25% (and at least the node's current price). Returns the transactions it (re)sent, with
     * their new hashes.
     */
    public List<InFlight> replaceStuck(long stuckMillis) {
        List<InFlight> sentAgain = new ArrayList<>();
        try {
            BigInteger mined = web3j.ethGetTransactionCount(credentials.getAddress(), DefaultBlockParameterName.LATEST)
                    .send().getTransactionCount();
            List<InFlight> open;
            synchronized (inFlight) {
                inFlight.headMap(mined).clear();
                open = List.copyOf(inFlight.values());
            }
            long now = System.currentTimeMillis();
            for (InFlight t : open) {
                var known = web3j.ethGetTransactionByHash(t.hash()).send();
                boolean dropped = !known.hasError() && known.getTransaction().isEmpty();
                if (!known.hasError() && known.getTransaction().isPresent() && known.getTransaction().get().getBlockHash() != null) {
                    continue; // mined since the nonce was read: forgotten by the next look
                }
                if (!dropped && now - t.sentMillis() < stuckMillis) continue;
                BigInteger price = t.gasPrice().add(t.gasPrice().divide(BigInteger.valueOf(BUMP_DIVISOR))).add(BigInteger.ONE)
                        .max(web3j.ethGasPrice().send().getGasPrice());
                String signed = txManager.sign(RawTransaction.createTransaction(t.nonce(), price, t.gasLimit(), t.to(), t.value(),
                        t.data()));
                String hash = Numeric.toHexString(Hash.sha3(Numeric.hexStringToByteArray(signed)));
                if (t.beforeBroadcast() != null) t.beforeBroadcast().accept(hash);
                EthSendTransaction sent = web3j.ethSendRawTransaction(signed).send();
                if (sent.hasError()) {
                    String m = sent.getError().getMessage();
                    if (m != null && m.toLowerCase().contains("nonce too low")) { // mined meanwhile
                        synchronized (inFlight) {
                            inFlight.remove(t.nonce());
                        }
                        continue;
                    }
                    throw new ChainException(t.contract() + ": replacing transaction " + t.hash() + " (nonce " + t.nonce()
                            + ") failed: " + m);
                }
                InFlight next = new InFlight(t.contract(), hash, t.nonce(), price, t.gasLimit(), t.to(), t.data(), t.value(), now,
                        t.replacements() + 1, t.beforeBroadcast());
                synchronized (inFlight) {
                    inFlight.put(t.nonce(), next);
                }
                sentAgain.add(next);
            }
        } catch (IOException e) {
            throw new ChainException("cannot check the transactions in flight: " + e.getMessage(), e);
        }
        return sentAgain;
    }
    // ---- end of pipelined sending

    /** Sends a web3j wrapper's function call (encoded by the wrapper) as a transaction. */
    public TransactionReceipt send(String contract, String to, RemoteFunctionCall<?> call, BigInteger value) {
        return send(contract, to, call.encodeFunctionCall(), value);
    }

    /**
     * Runs a read-only wrapper call with {@code eth_call} and decodes its return values.
     *
     * @throws ContractRevertedException when the call reverts
     */
    public List<Type> call(String contract, String to, RemoteFunctionCall<?> call) {
        String data = call.encodeFunctionCall();
        try {
            EthCall result = web3j.ethCall(
                    Transaction.createEthCallTransaction(credentials.getAddress(), to, data),
                    DefaultBlockParameterName.LATEST).send();
            if (result.hasError()) {
                throw RevertDecoder.instance().decode(contract, revertData(result.getError()), null);
            }
            return call.decodeFunctionResponse(result.getValue());
        } catch (IOException e) {
            throw new ChainException(contract + ": eth_call to " + to + " failed: " + e.getMessage(), e);
        }
    }

    /** Estimates gas; a revert here becomes a {@link ContractRevertedException}. */
    public BigInteger estimate(String contract, String to, String data, BigInteger value) {
        try {
            EthEstimateGas est = web3j.ethEstimateGas(Transaction.createFunctionCallTransaction(
                    credentials.getAddress(), null, null, null, to, value, data)).send();
            if (est.hasError()) {
                String revert = revertData(est.getError());
                if (revert == null) {
                    throw new ChainException(contract + ": gas estimation failed: " + est.getError().getMessage());
                }
                throw RevertDecoder.instance().decode(contract, revert, null);
            }
            return est.getAmountUsed();
        } catch (IOException e) {
            throw new ChainException(contract + ": eth_estimateGas to " + to + " failed: " + e.getMessage(), e);
        }
    }

    private String replay(String to, String data, BigInteger value, BigInteger block) throws IOException {
        EthCall result = web3j.ethCall(
                Transaction.createFunctionCallTransaction(credentials.getAddress(), null, null, null, to, value, data),
                DefaultBlockParameter.valueOf(block)).send();
        return result.hasError() ? revertData(result.getError()) : "0x";
    }

    /** The revert data of a JSON-RPC error; web3j returns it as raw JSON text, quotes included. */
    static String revertData(Response.Error error) {
        String data = error.getData();
        if (data == null) return null;
        data = data.strip();
        if (data.startsWith("\"") && data.endsWith("\"")) data = data.substring(1, data.length() - 1);
        return data.startsWith("0x") ? data : null;
    }

    private void resetNonceQuietly() {
        try {
            txManager.resetNonce();
        } catch (IOException ignored) {
            // the next send re-reads the nonce anyway when this one failed to reach the node
        }
    }
}
