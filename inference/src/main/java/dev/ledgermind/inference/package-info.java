/**
 * The deterministic inference engine. Knows nothing of chains (DESIGN.md section 2).
 */
package dev.ledgermind.inference;
