package dev.ledgermind.gateway;

import dev.ledgermind.inference.generate.GenerationResult;
import dev.ledgermind.inference.sampling.SamplingParams;
import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.TokenFeedClient;
import dev.ledgermind.node.task.TaskInput;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One choice of a completion, prepared (its receipt id is known before any token is computed, so that it
 * can go in the response header of a stream) and then run. Text reaches {@code delta} as it is decoded,
 * cut at the first stop sequence.
 */
sealed interface GenerationJob {
    /** What a finished choice gives. {@code finishReason}: stop (end of generation or a stop sequence) or length. */
    record Outcome(String text, String finishReason, int promptTokens, int completionTokens, Map<String, Object> receipt,
                   double decodeTokensPerSecond) {}

    String receiptId();

    Outcome run(Consumer<String> delta, Consumer<String> progress);

    /** Tokens to text, then stop sequences, then the delta consumer; returns the whole text sent. */
    final class TextPipe {
        private final TokenText text;
        private final StopScanner stops;
        private final Consumer<String> delta;
        private final StringBuilder all = new StringBuilder();

        TextPipe(LocalModel.Decoder model, List<String> stops, Consumer<String> delta) {
            this.text = new TokenText(model.model().tokenizer());
            this.stops = new StopScanner(stops);
            this.delta = delta;
        }

        void token(int t) {
            send(stops.accept(text.accept(t)));
        }

        String finish() {
            send(stops.accept(text.flush()));
            send(stops.flush());
            return all.toString();
        }

        boolean stopped() {
            return stops.stopped();
        }

        private void send(String s) {
            if (s.isEmpty()) return;
            all.append(s);
            delta.accept(s);
        }
    }

    /** The finish reason of a generation: "stop" after an end-of-generation token or a stop sequence, else "length". */
    static String finishReason(LocalModel.Decoder m, int[] tokens, boolean stopped) {
        boolean eog = tokens.length > 0 && m.model().tokenizer().isEndOfGeneration(tokens[tokens.length - 1]);
        return stopped || eog ? "stop" : "length";
    }

    /** Generated here, on this machine's deterministic engine. */
    record Local(LocalModel.Decoder model, LocalTask task, int[] promptTokens, List<String> stops, Duration timeout,
                 ReceiptStore store, GatewayMetrics metrics) implements GenerationJob {
        @Override
        public String receiptId() {
            return ReceiptDocs.localId(model, task);
        }

        @Override
        public Outcome run(Consumer<String> delta, Consumer<String> progress) {
            TaskInput in = task.input();
            SamplingParams sampling = new SamplingParams(in.temperature(), 0, task.topP(), in.seed());
            TextPipe pipe = new TextPipe(model, stops, delta);
            GenerationResult r = model.exclusive(timeout, () -> model.generator().generate(promptTokens, in.maxTokens(), sampling, pipe::token));
            String text = pipe.finish();
            String id = receiptId();
            Map<String, Object> doc = ReceiptDocs.local(id, model, task, r.resultHash(), r.traceRoot().bytes());
            store.put(new ReceiptStore.Local(id, model.name(), task, doc));
            metrics.generated(r.tokens().length, r.decodeTokensPerSecond(), "local");
            return new Outcome(text, finishReason(model, r.tokens(), pipe.stopped()), r.promptTokens().length, r.tokens().length, doc,
                    r.decodeTokensPerSecond());
        }
    }

    /**
     * Computed by the network: the task is submitted when the job is prepared. When the answer streams
     * ({@code live}), its tokens are read from one seated node's token feed as that node computes them,
     * then checked against the answer final on chain; the rest (or all, without a feed) is decoded from
     * that final answer with the local copy of the model's tokenizer. A preview that differs from the
     * accepted answer ends the stream with an error naming the first differing token.
     */
    record Network(LocalModel.Decoder model, NetworkBackend backend, SubmittedTask task, boolean live, int promptTokens,
                   List<String> stops, ReceiptStore store, GatewayMetrics metrics) implements GenerationJob {
        @Override
        public String receiptId() {
            return ReceiptStore.networkId(task.taskId());
        }

        @Override
        public Outcome run(Consumer<String> delta, Consumer<String> progress) {
            long t0 = System.nanoTime();
            BigInteger taskId = task.taskId();
            TextPipe pipe = new TextPipe(model, stops, delta);
            List<Integer> preview = new ArrayList<>();
            Optional<TokenFeedClient.Preview> fed = Optional.empty();
            if (live) {
                progress.accept("task " + taskId + " submitted; reading the tokens from a seated node as it computes them");
                fed = backend.feeds().stream(taskId, task.nodes(), t -> {
                    preview.add(t);
                    pipe.token(t);
                });
            }
            Receipt r = backend.await(taskId, progress);
            ByteBuffer b = ByteBuffer.wrap(r.output()).order(ByteOrder.LITTLE_ENDIAN);
            if (r.output().length < 4 || b.getInt(0) * 4L + 4 != r.output().length) {
                throw new ApiError(502, "server_error", "bad_output", null, "task " + taskId + " settled with an output that is not a token list: "
                        + new String(r.output(), java.nio.charset.StandardCharsets.UTF_8));
            }
            int n = b.getInt();
            int[] tokens = new int[n];
            for (int i = 0; i < n; i++) tokens[i] = b.getInt();
            for (int i = 0; i < preview.size(); i++) {
                if (i >= n || preview.get(i) != tokens[i]) {
                    throw new ApiError(502, "server_error", "preview_mismatch", null, "the tokens agent " + fed.map(TokenFeedClient.Preview::agentId).orElse(0L)
                            + " streamed for task " + taskId + " differ from the answer the chain accepted, from token " + i
                            + (i >= n ? " (the accepted answer has " + n + " tokens)" : "") + "; the accepted answer is in receipt "
                            + ReceiptStore.networkId(taskId));
                }
            }
            for (int i = preview.size(); i < n; i++) pipe.token(tokens[i]);
            String text = pipe.finish();
            double tps = n / Math.max(1e-9, (System.nanoTime() - t0) / 1e9);
            metrics.generated(n, tps, "network");
            Map<String, Object> doc = backend.document(r);
            store.noteNetwork((String) doc.get("id"), doc);
            metrics.previewed(preview.size()); // only a feed fills the preview
            return new Outcome(text, finishReason(model, tokens, pipe.stopped()), promptTokens, n, doc, tps);
        }
    }
}
