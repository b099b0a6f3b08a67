package dev.ledgermind.chain;

import dev.ledgermind.chain.contracts.DrawSteerer;
import dev.ledgermind.chain.contracts.TaskMarket;
import org.junit.jupiter.api.Test;
import org.web3j.protocol.core.methods.response.TransactionReceipt;
import org.web3j.tx.gas.StaticGasProvider;

import java.math.BigInteger;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 11 finding 1, draw steering, on a real anvil: a colluding requester and operator (one contract,
 * {@code contracts/test/testing/DrawSteerer.sol}) replays the market's draw inside its own transaction
 * (before the fix: keccak256(block.prevrandao, taskId, 0), stake-weighted over the model's servers), tops
 * up one of its agents by the amount that makes the replay give its agents all three seats, and submits
 * its task right after, in the same block. Before the fix it got every seat of every task (a wrong result
 * it commits is then accepted as verified); now the seats come from the hash of the submission's own
 * block, which the transaction cannot know, so its full captures are what its stake gives.
 */
class DrawSteeringAttackTest {
    private static final BigInteger FEE = BigInteger.TEN.pow(15);

    @Test
    void drawSteeringByASameBlockStakeTopUpCannotChooseTheSeats() throws Exception {
        try (ChainFixture f = new ChainFixture(7)) {
            // the attacker holds agents 5, 6 and 7: 3 of 7 equal stakes (43%)
            List<Long> own = f.agentIds.subList(4, 7);
            long firstOwn = own.getFirst();
            long lastOwn = own.getLast();
            LedgermindContracts attacker = f.node(firstOwn);
            var gas = new StaticGasProvider(BigInteger.valueOf(2_000_000_000L), BigInteger.valueOf(10_000_000L));
            DrawSteerer steerer = DrawSteerer.deploy(f.web3j, attacker.sender().transactionManager(), gas).send();
            BigInteger budget = ChainFixture.ETHER.multiply(BigInteger.valueOf(20));
            attacker.sender().send("DrawSteerer", steerer.getContractAddress(),
                    "0x", budget); // fund the steerer (its receive())
            int tasks = 30;
            int captured = 0;
            double expected = 0;
            for (int i = 0; i < tasks; i++) {
                double share = attackerShare(f, firstOwn, lastOwn);
                TransactionReceipt r = attacker.sender().send("DrawSteerer", steerer.getContractAddress(),
                        steerer.steerAndSubmit(f.deployment.taskMarket(), f.deployment.agentRegistry(),
                                f.deployment.modelRegistry(), BigInteger.valueOf(f.modelId), BigInteger.valueOf(firstOwn),
                                BigInteger.valueOf(lastOwn), ChainFixture.ETHER.divide(BigInteger.TWO),
                                ChainFixture.ETHER.divide(BigInteger.valueOf(200)), FEE).encodeFunctionCall(), BigInteger.ZERO,
                        null, BigInteger.valueOf(12_000_000)); // the replay's length depends on the block: no estimate fits
                var submitted = TaskMarket.getTaskSubmittedEvents(r).getFirst();
                List<Long> seats = f.requester.drawSeats(submitted.taskId, submitted.pool, r.getBlockHash());
                // the top-up is in the share from the next task on; count it for this one too (upper bound)
                share = Math.max(share, attackerShare(f, firstOwn, lastOwn));
                expected += share * share * share;
                if (seats.stream().allMatch(a -> a >= firstOwn && a <= lastOwn)) captured++;
            }
            // Binomial(30, about 0.1): mean about 3; before the fix every task was captured
            double bound = expected + 4 * Math.sqrt(expected) + 2;
            System.out.printf("draw steering on anvil: all seats taken in %d of %d tasks; the attacker's stake gives %.1f%n",
                    captured, tasks, expected);
            assertTrue(captured <= bound, "the attacker took all seats of " + captured + " of " + tasks
                    + " tasks; its stake gives about " + String.format("%.1f", expected) + " (bound " + String.format("%.1f", bound) + ")");
            f.assertInvariant("after the steering attempts");
        }
    }

    /** The attacker's share of the model's selection weight (bonded stake of its agents over all of it). */
    private static double attackerShare(ChainFixture f, long firstOwn, long lastOwn) {
        BigInteger own = BigInteger.ZERO;
        BigInteger total = BigInteger.ZERO;
        for (long a : f.agentIds) {
            BigInteger b = f.requester.stakeOf(a).bonded();
            total = total.add(b);
            if (a >= firstOwn && a <= lastOwn) own = own.add(b);
        }
        return own.doubleValue() / total.doubleValue();
    }
}
