package dev.ledgermind.gateway;

import dev.ledgermind.chain.ChainException;
import dev.ledgermind.chain.ContractRevertedException;
import dev.ledgermind.chain.events.RegisteredModel;
import dev.ledgermind.node.client.NetworkConnection;
import dev.ledgermind.node.client.Receipt;
import dev.ledgermind.node.client.ReceiptVerification;
import dev.ledgermind.node.client.ReceiptVerifier;
import dev.ledgermind.node.client.TokenFeedClient;
import dev.ledgermind.chain.SubmittedTask;
import dev.ledgermind.node.client.UnknownModelException;
import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;

import java.math.BigInteger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The {@code network} backend: an answer is a task submitted to the TaskMarket, computed by k staked
 * nodes and final on chain before it is returned; models are the ModelRegistry's, by name. Submissions
 * are serialised (one requester account, one nonce sequence); waiting is not.
 */
final class NetworkBackend implements AutoCloseable {
    private final NetworkConnection connection;
    private final int k;
    private final BigInteger fee;
    private final Duration timeout;
    private final ReentrantLock submitting = new ReentrantLock(true);
    private final TokenFeedClient feeds;

    NetworkBackend(NetworkConnection connection, int k, BigInteger fee, Duration timeout) {
        this.connection = connection;
        this.k = k;
        this.fee = fee;
        this.timeout = timeout;
        // nodes' feeds on loopback or private addresses are read only when the chain is on one too (a devnet):
        // a public deployment's gateway never fetches what an agent's registration points inside its network
        this.feeds = new TokenFeedClient(connection.requester().chain(), Duration.ofSeconds(3),
                TokenFeedClient.isPrivateNetworkUrl(connection.rpcUrl()));
    }

    NetworkConnection connection() {
        return connection;
    }

    RegisteredModel resolve(String name) {
        try {
            return connection.requester().models().resolve(name);
        } catch (UnknownModelException e) {
            throw new ApiError(404, "invalid_request_error", "model_not_found", "model", e.getMessage());
        }
    }

    List<RegisteredModel> models() {
        return connection.requester().models().all();
    }

    /** Reads tokens from the nodes as they compute them (a preview, checked against the final answer). */
    TokenFeedClient feeds() {
        return feeds;
    }

    /** Submits the task; returns it with its seats. */
    SubmittedTask submit(TaskInput input) {
        int modelId = resolve(input.model()).id();
        submitting.lock();
        try {
            return connection.requester().submit(input, modelId, k, fee);
        } catch (ContractRevertedException e) {
            throw new ApiError(502, "server_error", "task_rejected", null, "the TaskMarket refused the task: " + e.getMessage());
        } catch (ChainException e) {
            throw new ApiError(502, "server_error", "chain_unavailable", null, "cannot submit the task: " + e.getMessage());
        } finally {
            submitting.unlock();
        }
    }

    /** Waits until the task is final; a refunded task is an error that names its receipt. */
    Receipt await(BigInteger taskId, Consumer<String> progress) {
        Receipt r;
        try {
            r = connection.requester().await(taskId, timeout, progress);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "server_error", "interrupted", null, "interrupted while waiting for task " + taskId);
        } catch (ChainException e) {
            throw new ApiError(504, "server_error", "task_timeout", null, e.getMessage());
        }
        if (!r.accepted()) {
            throw new ApiError(502, "server_error", "task_not_accepted", null, "task " + taskId
                    + " was not accepted (no result reached the quorum; the fee was refunded); receipt " + ReceiptStore.networkId(taskId));
        }
        return r;
    }

    Receipt receipt(BigInteger taskId) {
        try {
            return connection.requester().receipt(taskId);
        } catch (ChainException e) {
            throw ApiError.notFound("no receipt " + ReceiptStore.networkId(taskId) + ": " + e.getMessage());
        }
    }

    Map<String, Object> document(Receipt r) {
        String name = connection.requester().models().byId(r.modelId()).map(RegisteredModel::name).orElse(null);
        return ReceiptDocs.network(r, name);
    }

    /** Checks the receipt against the chain and recomputes it with {@code engines} (model name to its local model). */
    ReceiptVerification verify(BigInteger taskId, Function<String, LocalModel> engines, Duration wait) {
        receipt(taskId); // 404 for a task that does not exist
        return new ReceiptVerifier(connection.requester(), name -> {
            LocalModel m = engines.apply(name);
            return new TaskRunner() {
                @Override
                public List<ModelIdentity> models() {
                    return m.runner().models();
                }

                @Override
                public TaskResult run(TaskInput input) {
                    return m.exclusive(wait, () -> m.runner().run(input));
                }
            };
        }).verify(taskId, line -> { });
    }

    @Override
    public void close() {
        connection.close();
    }
}
