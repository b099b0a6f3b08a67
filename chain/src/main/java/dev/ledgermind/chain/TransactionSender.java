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
import org.web3j.tx.FastRawTransactionManager;
import org.web3j.tx.response.PollingTransactionReceiptProcessor;
import org.web3j.tx.response.TransactionReceiptProcessor;
import org.web3j.protocol.exceptions.TransactionException;
import org.web3j.abi.datatypes.Type;

import java.io.IOException;
import java.math.BigInteger;
import java.util.List;

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

    public TransactionSender(Web3j web3j, Credentials credentials, long chainId) {
        this.web3j = web3j;
        this.credentials = credentials;
        this.chainId = chainId;
        this.receipts = new PollingTransactionReceiptProcessor(web3j, 20, 3000);
        this.txManager = new FastRawTransactionManager(web3j, credentials, chainId, receipts);
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
        BigInteger gas = estimate(contract, to, data, value);
        BigInteger limit = gas.add(gas.shiftRight(2)).add(BigInteger.valueOf(10_000));
        try {
            BigInteger gasPrice = web3j.ethGasPrice().send().getGasPrice();
            EthSendTransaction sent = txManager.sendTransaction(gasPrice, limit, to, data, value);
            if (sent.hasError()) {
                txManager.resetNonce();
                throw new ChainException(contract + ": sending transaction failed: " + sent.getError().getMessage());
            }
            TransactionReceipt receipt = receipts.waitForTransactionReceipt(sent.getTransactionHash());
            if (!receipt.isStatusOK()) {
                String revert = replay(to, data, value, receipt.getBlockNumber());
                throw RevertDecoder.instance().decode(contract, revert, receipt.getTransactionHash());
            }
            return receipt;
        } catch (IOException | TransactionException e) {
            resetNonceQuietly();
            throw new ChainException(contract + ": transaction to " + to + " failed: " + e.getMessage(), e);
        }
    }

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
