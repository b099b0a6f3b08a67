package dev.ledgermind.chain;

import java.math.BigInteger;

/**
 * Deployment-time parameters of the Ledgermind contracts (all immutable once deployed).
 *
 * @param minStake          AgentRegistry: minimum bonded stake for selection, wei
 * @param unbondingDelay    AgentRegistry: seconds between requestUnstake and withdraw
 * @param maxServersPerModel ModelRegistry: cap on agents serving one model (the draw reads them all)
 * @param treasury          TaskMarket: receives the treasury share of slashes and fee dust; null = deployer
 * @param commitWindow      TaskMarket: seconds from submission (or replacement) to the commit deadline
 * @param revealWindow      TaskMarket: seconds from the commit deadline to the reveal deadline
 * @param maxInputBytes     TaskMarket: inline input cap
 * @param maxOutputBytes    TaskMarket: inline output cap
 * @param maxK              TaskMarket: largest redundancy, at most 7
 * @param maxRounds         TaskMarket: replacement rounds for nodes that never commit
 * @param minFee            TaskMarket: smallest task fee, wei
 * @param dissentSlash      TaskMarket: slash for revealing a result other than the accepted one, wei
 * @param absenceSlash      TaskMarket: slash for not committing or not revealing, wei (smaller)
 * @param slashHonestBps    TaskMarket: share of slash proceeds paid to the task's accepted nodes, basis points
 * @param callbackGasLimit  TaskMarket: gas given to a consumer's onTaskFinalized
 * @param declineShareBps   TaskMarket: share of the fee a commit-timeout refund keeps from the requester (for the
 *                          treasury), per declined seat out of k, basis points 0..10,000
 * @param optimistic        the optimistic mode's parameters (OptimisticSettlement), deployed beside the market
 */
public record DeployParams(BigInteger minStake, long unbondingDelay, int maxServersPerModel, String treasury,
                           long commitWindow, long revealWindow, int maxInputBytes, int maxOutputBytes,
                           int maxK, int maxRounds, BigInteger minFee, BigInteger dissentSlash,
                           BigInteger absenceSlash, int slashHonestBps, long callbackGasLimit, int declineShareBps,
                           OptimisticParams optimistic) {
    private static final BigInteger ETHER = BigInteger.TEN.pow(18);

    /** Devnet defaults: 1 ETH min stake, 1 day unbonding, 60 s commit and reveal windows, k up to 7. */
    public static DeployParams defaults() {
        return new DeployParams(ETHER, 86_400, 64, null, 60, 60, 4096, 4096, 7, 2,
                BigInteger.TEN.pow(12), ETHER.divide(BigInteger.TEN), ETHER.divide(BigInteger.valueOf(100)),
                5_000, 200_000, 2_000, OptimisticParams.defaults());
    }

    public DeployParams withTreasury(String address) {
        return new DeployParams(minStake, unbondingDelay, maxServersPerModel, address, commitWindow, revealWindow,
                maxInputBytes, maxOutputBytes, maxK, maxRounds, minFee, dissentSlash, absenceSlash, slashHonestBps,
                callbackGasLimit, declineShareBps, optimistic);
    }

    public DeployParams withWindows(long commitSeconds, long revealSeconds) {
        return new DeployParams(minStake, unbondingDelay, maxServersPerModel, treasury, commitSeconds, revealSeconds,
                maxInputBytes, maxOutputBytes, maxK, maxRounds, minFee, dissentSlash, absenceSlash, slashHonestBps,
                callbackGasLimit, declineShareBps, optimistic);
    }

    public DeployParams withDeclineShareBps(int bps) {
        return new DeployParams(minStake, unbondingDelay, maxServersPerModel, treasury, commitWindow, revealWindow,
                maxInputBytes, maxOutputBytes, maxK, maxRounds, minFee, dissentSlash, absenceSlash, slashHonestBps,
                callbackGasLimit, bps, optimistic);
    }

    public DeployParams withOptimistic(OptimisticParams o) {
        return new DeployParams(minStake, unbondingDelay, maxServersPerModel, treasury, commitWindow, revealWindow,
                maxInputBytes, maxOutputBytes, maxK, maxRounds, minFee, dissentSlash, absenceSlash, slashHonestBps,
                callbackGasLimit, declineShareBps, o);
    }

    public DeployParams withMaxRounds(int rounds) {
        return new DeployParams(minStake, unbondingDelay, maxServersPerModel, treasury, commitWindow, revealWindow,
                maxInputBytes, maxOutputBytes, maxK, rounds, minFee, dissentSlash, absenceSlash, slashHonestBps,
                callbackGasLimit, declineShareBps, optimistic);
    }
}
