package dev.ledgermind.chain;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * A contract call or transaction reverted. When the revert data matches a custom error in one of
 * the Ledgermind ABIs (or Solidity's {@code Error(string)} / {@code Panic(uint256)}), the exception
 * names it and its arguments: {@code TaskMarket reverted: CommitWindowClosed(taskId=7, deadline=1700000060)}.
 */
public final class ContractRevertedException extends ChainException {
    private final String contract;
    private final String errorName;
    private final Map<String, Object> arguments;
    private final String revertData;
    private final String transactionHash;

    public ContractRevertedException(String contract, String errorName, Map<String, Object> arguments,
                                     String revertData, String transactionHash) {
        super(message(contract, errorName, arguments, revertData, transactionHash));
        this.contract = contract;
        this.errorName = errorName;
        this.arguments = new LinkedHashMap<>(arguments);
        this.revertData = revertData;
        this.transactionHash = transactionHash;
    }

    /** The contract that was called, e.g. {@code TaskMarket}. */
    public String contract() {
        return contract;
    }

    /** The custom error's name, e.g. {@code CommitWindowClosed}; {@code unknown} when the data matched none. */
    public String errorName() {
        return errorName;
    }

    /** The error's arguments by name, in declaration order (numbers as BigInteger, bytes as 0x-hex). */
    public Map<String, Object> arguments() {
        return arguments;
    }

    /** The raw revert data, 0x-hex (may be "0x" when the node returned none). */
    public String revertData() {
        return revertData;
    }

    /** The hash of the mined transaction that reverted, or null when the revert was found before sending. */
    public String transactionHash() {
        return transactionHash;
    }

    private static String message(String contract, String errorName, Map<String, Object> args, String data, String tx) {
        String rendered = args.entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(", ", errorName + "(", ")"));
        String base = contract + " reverted: " + ("unknown".equals(errorName) ? "unknown error, data " + data : rendered);
        return tx == null ? base : base + " in transaction " + tx;
    }
}
