package dev.ledgermind.chain;

import java.math.BigInteger;

/**
 * Deployment-time parameters of the optimistic mode (OptimisticSettlement's {@code Params}, beside the market's
 * {@link DeployParams}; docs/DESIGN.md section 5).
 *
 * @param defaultAuditBps the audit rate of a task that asks for 0, basis points
 * @param minAuditBps     the floor of the audit rate a requester may ask for
 * @param defaultWindow   the challenge window of a task that asks for 0, seconds
 * @param minWindow       the shortest challenge window, seconds
 * @param maxWindow       the longest challenge window, seconds
 * @param claimBond       what a worker whose claim is overturned loses from its stake, wei
 * @param challengeBond   a challenge's bond, wei
 * @param auditSlash      what a validator that copied, stayed silent or lost its dispute loses, wei
 * @param auditShareBps   the share of the fee paid to a validator whose audit passed, basis points
 * @param gameClock       seconds on each party's chess clock in a dispute game
 * @param gameTimeout     seconds after a challenge when a game that never reported back counts as no result
 */
public record OptimisticParams(int defaultAuditBps, int minAuditBps, long defaultWindow, long minWindow, long maxWindow,
                               BigInteger claimBond, BigInteger challengeBond, BigInteger auditSlash, int auditShareBps,
                               long gameClock, long gameTimeout) {
    private static final BigInteger ETHER = BigInteger.TEN.pow(18);

    /**
     * Devnet defaults: audit 4% of tasks (floor 1%), a 60 s window (10 s to 1 h), a 0.5 ETH claim bond, a 0.2 ETH
     * challenge bond, a 0.5 ETH audit slash, 30% of the fee to a passing auditor, 10 min game clocks, 6 h game timeout.
     * docs/DESIGN.md section 5 gives the economic argument for these figures.
     */
    public static OptimisticParams defaults() {
        return new OptimisticParams(400, 100, 60, 10, 3_600, ETHER.divide(BigInteger.TWO), ETHER.divide(BigInteger.valueOf(5)),
                ETHER.divide(BigInteger.TWO), 3_000, 600, 6 * 3_600);
    }

    public OptimisticParams withWindow(long seconds) {
        return new OptimisticParams(defaultAuditBps, minAuditBps, seconds, Math.min(minWindow, seconds), Math.max(maxWindow, seconds),
                claimBond, challengeBond, auditSlash, auditShareBps, gameClock, gameTimeout);
    }

    public OptimisticParams withDefaultAuditBps(int bps) {
        return new OptimisticParams(bps, Math.min(minAuditBps, bps), defaultWindow, minWindow, maxWindow, claimBond, challengeBond,
                auditSlash, auditShareBps, gameClock, gameTimeout);
    }

    /** The same parameters with {@code seconds} on each party's chess clock in a dispute game. */
    public OptimisticParams withGameClock(long seconds) {
        return new OptimisticParams(defaultAuditBps, minAuditBps, defaultWindow, minWindow, maxWindow, claimBond, challengeBond,
                auditSlash, auditShareBps, seconds, gameTimeout);
    }
}
