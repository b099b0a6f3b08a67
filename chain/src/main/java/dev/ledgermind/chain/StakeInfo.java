package dev.ledgermind.chain;

import java.math.BigInteger;

/** An agent's stake in the AgentRegistry: bonded, unbonding, and when unbonding may be withdrawn. */
public record StakeInfo(BigInteger bonded, BigInteger unbonding, long unbondingReadyAt) {}
