package dev.ledgermind.node.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.ledgermind.chain.LedgermindContracts;
import dev.ledgermind.chain.ModelTerms;
import dev.ledgermind.chain.batch.BatchItem;
import dev.ledgermind.chain.batch.BatchMarket;
import dev.ledgermind.node.feed.FeedServer;
import dev.ledgermind.node.task.TaskInput;
import org.web3j.crypto.Hash;
import org.web3j.utils.Numeric;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.function.Consumer;

/**
 * A requester's batch from end to end (issue 13): many tasks of one model submitted as one batch (one transaction,
 * one fee split per item), followed until the chain settles it, and every item's answer fetched from the seats
 * that computed it, each checked before it is returned. Only the seats' results roots are on-chain; the items'
 * outputs and proofs are the nodes', served at the {@code ledgermind-batch-results} endpoint of each seat's
 * ERC-8004 registration file ({@link FeedServer}) once the seat has revealed. A fetched set is accepted only if
 * there is one receipt per item, in order, of this batch and count, each output hashing to its result hash and
 * each proof leading to the root that a quorum of seats revealed (the root the chain accepted: the same test as
 * {@code verifyResult}, done here for every item without a call each); otherwise the next seat is asked, and
 * when none answers the error names what each seat did wrong.
 */
public final class BatchAnswers {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A batch's results are at most 4,096 receipts; this bounds what one seat can make a requester read. */
    static final int MAX_RESULTS_BYTES = 64 << 20;
    /** How long past a batch's deadline the requester leaves it to the seats before it calls finalizeBatch itself. */
    static final long FINALIZE_GRACE_SECONDS = 10;

    /** A settled batch: what was submitted, how the chain left it, and (when accepted) every item's checked receipt. */
    public record Answer(BatchMarket.SubmittedBatch batch, BatchMarket.BatchState state, List<BatchItemReceipt> receipts,
                         long servedBy) {
        public boolean accepted() {
            return state.status() == BatchMarket.BatchState.ACCEPTED;
        }
    }

    /** No seat served a batch's results that check out; the message names each seat and what was wrong. */
    public static final class Unavailable extends RuntimeException {
        Unavailable(String message) {
            super(message);
        }
    }

    private final LedgermindContracts chain;
    private final BatchMarket market;
    private final AgentEndpoints endpoints;

    /**
     * @param allowPrivate whether seats on loopback and private addresses may be contacted: true on a devnet only
     *                     ({@link AgentEndpoints#isPrivateNetworkUrl} of the chain's RPC URL)
     */
    public BatchAnswers(LedgermindContracts requester, Duration timeout, boolean allowPrivate) {
        this.chain = requester;
        this.market = new BatchMarket(requester);
        this.endpoints = new AgentEndpoints(requester::agentUri, timeout, allowPrivate);
    }

    /** The least fee the model's terms let an item with this input ask for, or {@code floor} if more. */
    public BigInteger itemFee(int modelId, TaskInput input, BigInteger floor) {
        ModelTerms t = chain.modelTerms(modelId);
        BigInteger least = t.requiredFee(input.bytes().length, input.maxTokens());
        return least.max(floor);
    }

    /** Item {@code input} with {@code fee} as a batch item, its input inline (the batch format, DESIGN 6.4). */
    public static BatchItem item(TaskInput input, BigInteger fee) {
        return BatchItem.inline(input.kind().code, input.maxTokens(), Math.round(input.temperature() * 1000), input.seed(), fee,
                input.bytes());
    }

    /**
     * Submits {@code inputs} (all for model {@code modelId}) as one batch at redundancy {@code k}, each item with
     * {@code fees.get(i)}, waits until the chain settles it and fetches every item's receipt from its seats.
     */
    public Answer ask(int modelId, int k, List<TaskInput> inputs, List<BigInteger> fees, Duration timeout,
                      Consumer<String> progress) throws InterruptedException {
        if (inputs.size() != fees.size()) throw new IllegalArgumentException(inputs.size() + " inputs but " + fees.size() + " fees");
        List<BatchItem> items = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) items.add(item(inputs.get(i), fees.get(i)));
        BatchMarket.SubmittedBatch b = market.submit(modelId, k, false, items);
        progress.accept("batch " + b.batchId() + " submitted: " + items.size() + " items in one transaction ("
                + b.receipt().getGasUsed() + " gas), seats " + b.seats());
        BatchMarket.BatchState s = await(b.batchId(), timeout, progress);
        if (s.status() != BatchMarket.BatchState.ACCEPTED) return new Answer(b, s, List.of(), 0);
        Fetched f = fetchPatiently(b.batchId(), b.seats(), s);
        return new Answer(b, s, f.receipts(), f.agent());
    }

    /**
     * {@link #fetch(BigInteger, List, BatchMarket.BatchState)}, retried for up to 15 s: a seat learns that its reveal
     * landed on its next pass, so right after the batch is accepted its endpoint may not serve the results yet.
     */
    public Fetched fetchPatiently(BigInteger batchId, List<Long> seats, BatchMarket.BatchState s) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (true) {
            try {
                return fetch(batchId, seats, s);
            } catch (Unavailable e) {
                if (System.nanoTime() > until) throw e;
                Thread.sleep(500);
            }
        }
    }

    /** Waits until batch {@code batchId} is accepted or refunded (a held batch waits out its hold). */
    public BatchMarket.BatchState await(BigInteger batchId, Duration timeout, Consumer<String> progress) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int last = -1;
        while (true) {
            BatchMarket.BatchState s = market.state(batchId);
            // committed and revealed are bitmaps of the seats
            int committed = Integer.bitCount(s.committed()), revealed = Integer.bitCount(s.revealed());
            int phase = s.status() << 16 | s.committed() << 8 | s.revealed();
            if (phase != last) {
                last = phase;
                progress.accept(switch (s.status()) {
                    case BatchMarket.BatchState.ACTIVE -> "batch " + batchId + ": " + committed + "/" + s.k() + " committed, "
                            + revealed + "/" + s.k() + " revealed";
                    case BatchMarket.BatchState.HELD -> "batch " + batchId + ": roots differ; held while items are resolved";
                    case BatchMarket.BatchState.ACCEPTED -> "batch " + batchId + ": accepted";
                    case BatchMarket.BatchState.REFUNDED -> "batch " + batchId + ": refunded";
                    default -> "batch " + batchId + ": status " + s.status();
                });
            }
            if (s.status() == BatchMarket.BatchState.ACCEPTED || s.status() == BatchMarket.BatchState.REFUNDED) return s;
            if (s.status() == 0) throw new IllegalArgumentException("the chain has no batch " + batchId);
            // past a deadline the seats advance the batch; if none does (all gone, or all declined), the requester does:
            // a refund is its money
            if (market.finalizeDue(s, FINALIZE_GRACE_SECONDS)) {
                if (s.drawPending()) { // no seat ever committed: the draw is made from the submission's pool first
                    market.submission(batchId).ifPresent(sub -> market.knowDraw(batchId, sub.pool(), sub.blockHash()));
                }
                try {
                    market.finalizeBatch(batchId);
                    progress.accept("batch " + batchId + ": past its deadline with no seat advancing it; finalized by the requester");
                } catch (dev.ledgermind.chain.ContractRevertedException e) {
                    // a seat was first
                }
                continue;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("batch " + batchId + " is not final after " + timeout.toSeconds() + " s (status "
                        + s.status() + ", " + committed + "/" + s.k() + " committed, " + revealed + "/" + s.k() + " revealed)");
            }
            Thread.sleep(250);
        }
    }

    /** Which seat served a batch's results, and the receipts. */
    public record Fetched(long agent, List<BatchItemReceipt> receipts) {}

    /** An accepted batch's receipts, from its seats (read from its submission on chain). */
    public Fetched fetch(BigInteger batchId) {
        BatchMarket.Submission sub = market.submission(batchId)
                .orElseThrow(() -> new IllegalArgumentException("the chain has no batch " + batchId));
        BatchMarket.BatchState s = market.state(batchId);
        if (s.status() != BatchMarket.BatchState.ACCEPTED) {
            throw new IllegalStateException("batch " + batchId + " is not accepted (status " + s.status() + "): it has no results to fetch");
        }
        return fetch(batchId, market.seats(batchId, sub.pool(), sub.blockHash()), s);
    }

    /**
     * The receipts of accepted batch {@code batchId} from the first of {@code seats} (the quorum's first) whose
     * results check out against state {@code s}.
     */
    public Fetched fetch(BigInteger batchId, List<Long> seats, BatchMarket.BatchState s) {
        byte[] accepted = quorumRoot(s);
        if (accepted == null) throw new IllegalStateException("batch " + batchId + " has no root that a quorum of its seats revealed");
        // the seats that revealed the accepted root first: they hold exactly these results
        List<Long> order = new ArrayList<>();
        for (int i = 0; i < seats.size() && i < s.roots().size(); i++) {
            if (Arrays.equals(s.roots().get(i), accepted)) order.add(seats.get(i));
        }
        order.addAll(seats);
        List<String> failures = new ArrayList<>();
        for (long agent : new LinkedHashSet<>(order)) {
            if (agent == 0) continue;
            try {
                return new Fetched(agent, fetchFrom(agent, batchId, s.count(), accepted));
            } catch (IOException | IllegalArgumentException e) {
                failures.add("agent " + agent + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while fetching batch " + batchId + "'s results", e);
            }
        }
        throw new Unavailable("no seat of batch " + batchId + " served results that check out: " + String.join("; ", failures));
    }

    private List<BatchItemReceipt> fetchFrom(long agent, BigInteger batchId, int count, byte[] accepted)
            throws IOException, InterruptedException {
        String template = endpoints.template(agent, FeedServer.BATCH_RESULTS_ENDPOINT)
                .orElseThrow(() -> new IOException("its registration file names no " + FeedServer.BATCH_RESULTS_ENDPOINT
                        + " endpoint that may be contacted"));
        String url = endpoints.allowed(agent, "batch results", template.replace("{batchId}", batchId.toString()))
                .orElseThrow(() -> new IOException("its batch results URL " + template + " may not be contacted"));
        HttpResponse<InputStream> r = endpoints.http().send(HttpRequest.newBuilder(URI.create(url))
                .timeout(endpoints.timeout().multipliedBy(3)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        byte[] body;
        try (InputStream in = r.body()) {
            body = in.readNBytes(MAX_RESULTS_BYTES + 1);
        }
        if (body.length > MAX_RESULTS_BYTES) throw new IOException(url + " answered more than " + MAX_RESULTS_BYTES + " bytes");
        if (r.statusCode() != 200) throw new IOException(url + " answered HTTP " + r.statusCode());
        return check(JSON.readTree(body), batchId, count, accepted);
    }

    /** Every receipt in {@code doc} checked: one per item, in order, each output and proof as the chain accepted them. */
    public static List<BatchItemReceipt> check(JsonNode doc, BigInteger batchId, int count, byte[] accepted) {
        if (doc == null || !doc.isArray()) throw new IllegalArgumentException("the results are not a JSON array");
        if (doc.size() != count) throw new IllegalArgumentException("the results hold " + doc.size() + " receipts for a batch of " + count);
        List<BatchItemReceipt> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            BatchItemReceipt r;
            try {
                r = BatchItemReceipt.parse(doc.get(i).toString());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("$[" + i + "]: " + e.getMessage());
            }
            BatchMarket.ItemReceipt it = r.item();
            if (!it.batchId().equals(batchId) || it.index() != i || it.count() != count) {
                throw new IllegalArgumentException("$[" + i + "] is item " + it.index() + " of " + it.count() + " of batch " + it.batchId()
                        + ", not item " + i + " of " + count + " of batch " + batchId);
            }
            if (r.output() == null) throw new IllegalArgumentException("$[" + i + "] carries no output");
            if (!Arrays.equals(Hash.sha3(r.output()), it.resultHash())) {
                throw new IllegalArgumentException("$[" + i + "]'s output does not hash to its result hash " + Numeric.toHexString(it.resultHash()));
            }
            if (!Arrays.equals(it.root(), accepted)) {
                throw new IllegalArgumentException("$[" + i + "]'s proof leads to " + Numeric.toHexString(it.root())
                        + ", not to the accepted root " + Numeric.toHexString(accepted));
            }
            out.add(r);
        }
        return out;
    }

    /** The root a quorum (more than half) of the seats revealed, or null. */
    public static byte[] quorumRoot(BatchMarket.BatchState s) {
        for (byte[] root : s.roots()) {
            if (root == null || new BigInteger(1, root).signum() == 0) continue;
            long same = s.roots().stream().filter(r -> Arrays.equals(r, root)).count();
            if (same * 2 > s.k()) return root;
        }
        return null;
    }
}
