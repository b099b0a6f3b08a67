package dev.ledgermind.chain;

/**
 * A task's accepted result.
 *
 * @param accepted   false while no result is accepted (open or refunded task)
 * @param resultHash the accepted result hash (32 bytes; zeros when not accepted)
 * @param traceRoot  the accepted trace root (32 bytes; zeros when not accepted)
 * @param output     the accepted inline output when stored (callback tasks); otherwise empty; read the
 *                   accepted node's {@code Revealed} event for it
 */
public record TaskResult(boolean accepted, byte[] resultHash, byte[] traceRoot, byte[] output) {}
