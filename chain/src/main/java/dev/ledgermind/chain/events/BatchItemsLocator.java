package dev.ledgermind.chain.events;

import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.contracts.BatchSettlement;
import org.web3j.abi.EventEncoder;
import org.web3j.protocol.core.DefaultBlockParameter;
import org.web3j.protocol.core.methods.request.EthFilter;
import org.web3j.protocol.core.methods.response.EthLog;
import org.web3j.protocol.core.methods.response.Log;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.math.BigInteger;
import java.util.Optional;

/**
 * Where an off-chain batch's items are served (issue 13, data availability; docs/DESIGN.md 6.4): the locator of
 * its {@code BatchItemsOffchain(batchId, locator)} event, which {@code submitBatchRoot} emits beside BatchSubmitted
 * (the locator is not stored). An inline batch has no such event.
 */
public final class BatchItemsLocator {
    private static final String OFFCHAIN = EventEncoder.encode(BatchSettlement.BATCHITEMSOFFCHAIN_EVENT);

    private final LedgermindContracts chain;

    public BatchItemsLocator(LedgermindContracts chain) {
        this.chain = chain;
    }

    /** The locator of {@code batchId}, searched from {@code fromBlock} (its submission's block, if known) to the head. */
    public Optional<String> of(BigInteger batchId, long fromBlock) {
        EthFilter f = new EthFilter(DefaultBlockParameter.valueOf(BigInteger.valueOf(Math.max(fromBlock, chain.deployment().deployBlock()))),
                org.web3j.protocol.core.DefaultBlockParameterName.LATEST, chain.deployment().taskMarket());
        f.addSingleTopic(OFFCHAIN);
        f.addSingleTopic(Numeric.toHexStringWithPrefixZeroPadded(batchId, 64));
        try {
            EthLog logs = chain.web3j().ethGetLogs(f).send();
            if (logs.hasError()) throw new ChainException("eth_getLogs (BatchItemsOffchain of batch " + batchId + ") failed: "
                    + logs.getError().getMessage());
            for (EthLog.LogResult<?> r : logs.getLogs()) {
                return Optional.of(BatchSettlement.getBatchItemsOffchainEventFromLog((Log) r.get()).locator);
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new ChainException("cannot read the BatchItemsOffchain event of batch " + batchId + ": " + e.getMessage(), e);
        }
    }
}
