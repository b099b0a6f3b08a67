package dev.ledgermind.chain.events;

import java.math.BigInteger;
import java.util.List;

/**
 * An agent (node) as the registries show it: its id and operator, its bonded stake, the models it
 * declares to serve, and its ERC-8004 reputation summary from the TaskMarket's protocol records
 * (count of settled tasks and their average, 100 = always agreed, at 18 decimals).
 */
public record AgentView(long agentId, String operator, BigInteger bondedWei, List<Integer> models, long reputationCount,
                        BigInteger reputationAverage18) {
}
