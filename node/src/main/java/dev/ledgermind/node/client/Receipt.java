package dev.ledgermind.node.client;

import dev.ledgermind.chain.game.GameReport;

import java.math.BigInteger;
import java.util.List;

/**
 * Everything a requester needs to trust (or check) an answer: which task, which model, the accepted
 * result and trace, each node's verdict, and the transactions that carried it, with their gas.
 * Hashes and addresses are 0x-hex strings so that the receipt prints and serialises as it is.
 *
 * @param accepted      true when a result reached the quorum; false when the fee was refunded
 * @param output        the accepted inline output bytes (empty if the nodes revealed none)
 * @param nodes         one entry per assigned position, in order, including replaced nodes
 * @param transactions  the task's transactions in chain order
 * @param modelHash     the model's content hash on chain: keccak256(abi.encode(weights, tokenizer, architecture))
 * @param mode          how the task was settled; {@link VerificationMode#trustAssumption} says what it rests on
 * @param trust         the trust assumption in words, with this task's own parameters (an optimistic task's window)
 * @param steps         the optimistic mode's audit and challenge steps, in chain order (empty for other modes)
 * @param games         the dispute games of the task's challenges, as their events record them (rounds, the first
 *                      differing op and element, the one-step verdict); empty when none was played
 */
public record Receipt(
        BigInteger taskId,
        int modelId,
        String requester,
        String inputHash,
        boolean accepted,
        String resultHash,
        String traceRoot,
        byte[] output,
        int k,
        BigInteger feeWei,
        BigInteger rewardPerNodeWei,
        BigInteger refundWei,
        List<NodeVerdict> nodes,
        List<Tx> transactions,
        String modelHash,
        VerificationMode mode,
        String trust,
        List<String> steps,
        List<GameReport> games) {

    /**
     * How one node fared, by the contract's own rule ({@code TaskMarket.outcomeOf}). {@code verdict}: agreed,
     * dissented (slashed), absent (slashed), inconclusive (revealed, no quorum, or a challenged split), refunded
     * (committed, but the task was refunded before the reveal phase), overturned (an optimistic claimer that lost
     * the dispute game of a challenge), replaced (missed its commit and was
     * slashed), pending, "held until TIME" (a split result, paid or slashed after TIME) or "challenged by
     * agent N, frozen until TIME".
     */
    public record NodeVerdict(long agentId, int position, String address, String verdict, String resultHash,
                              BigInteger slashedWei) {}

    /**
     * One transaction of the task: {@code kind} is submit, commit, reveal, replace, hold (a finalize that held
     * a split), challenge or finalize.
     */
    public record Tx(String kind, String hash, long block, BigInteger gasUsed, Long agentId) {}

    public BigInteger totalGas() {
        return transactions.stream().map(Tx::gasUsed).reduce(BigInteger.ZERO, BigInteger::add);
    }
}
