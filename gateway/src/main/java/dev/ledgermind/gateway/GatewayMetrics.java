package dev.ledgermind.gateway;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.time.Duration;

/**
 * The gateway's metrics in Prometheus text format at {@code GET /metrics}. Names follow Prometheus
 * conventions (base units, {@code _total} counters, {@code _seconds} durations):
 * {@code ledgermind_gateway_requests_total{endpoint,status}}, {@code ledgermind_gateway_request_duration_seconds},
 * {@code ledgermind_gateway_generated_tokens_total{backend}}, {@code ledgermind_gateway_decode_tokens_per_second},
 * {@code ledgermind_gateway_engine_duration_seconds{model}}, {@code ledgermind_gateway_receipts_issued_total{backend}}, {@code ledgermind_gateway_receipts_verified_total{result}}.
 */
final class GatewayMetrics {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);

    void request(String endpoint, int status, Duration took) {
        Counter.builder("ledgermind.gateway.requests").description("HTTP requests answered")
                .tag("endpoint", endpoint).tag("status", Integer.toString(status)).register(registry).increment();
        Timer.builder("ledgermind.gateway.request.duration").description("time to answer a request, streams included")
                .tag("endpoint", endpoint).publishPercentileHistogram().register(registry).record(took);
    }

    void generated(int tokens, double tokensPerSecond, String backend) {
        Counter.builder("ledgermind.gateway.generated.tokens").description("completion tokens generated")
                .tag("backend", backend).register(registry).increment(tokens);
        DistributionSummary.builder("ledgermind.gateway.decode.tokens.per.second").description("decode speed of one completion")
                .tag("backend", backend).register(registry).record(tokensPerSecond);
    }

    /** Tokens of a network answer streamed from a node's feed before the task was final. */
    void previewed(int tokens) {
        Counter.builder("ledgermind.gateway.previewed.tokens").description("network answer tokens streamed from a node before the task was final")
                .register(registry).increment(tokens);
    }

    void embedded(int texts, String backend) {
        Counter.builder("ledgermind.gateway.embedded.texts").description("texts embedded")
                .tag("backend", backend).register(registry).increment(texts);
    }

    /** Time the engine spent on one request's work, waiting for the model excluded. */
    void engine(String model, long nanos) {
        Timer.builder("ledgermind.gateway.engine.duration").description("time the engine computed for one request")
                .tag("model", model).register(registry).record(Duration.ofNanos(nanos));
    }

    void receiptIssued(String backend) {
        Counter.builder("ledgermind.gateway.receipts.issued").description("receipts attached to answers")
                .tag("backend", backend).register(registry).increment();
    }

    void receiptVerified(boolean ok) {
        Counter.builder("ledgermind.gateway.receipts.verified").description("receipt verifications run")
                .tag("result", ok ? "verified" : "failed").register(registry).increment();
    }

    String scrape() {
        return registry.scrape();
    }
}
