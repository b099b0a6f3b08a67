package dev.ledgermind.node.worker;

import dev.ledgermind.node.task.ModelIdentity;
import dev.ledgermind.node.task.TaskInput;
import dev.ledgermind.node.task.TaskResult;
import dev.ledgermind.node.task.TaskRunner;
import org.web3j.crypto.Hash;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A FAKE model, for tests of the node protocol only (commit, reveal, settlement, crash recovery), where
 * the model is a boundary the test is not about: its "output" is a deterministic function of the input
 * bytes. The end-to-end tests run the real engine instead.
 */
final class FakeHashRunner implements TaskRunner {
    static final ModelIdentity MODEL = identity("fake-hash-model");

    private final ModelIdentity model;

    FakeHashRunner() {
        this(MODEL);
    }

    FakeHashRunner(ModelIdentity model) {
        this.model = model;
    }

    static ModelIdentity identity(String name) {
        return new ModelIdentity(name, Hash.sha3((name + " weights").getBytes(StandardCharsets.UTF_8)),
                Hash.sha3((name + " tokenizer").getBytes(StandardCharsets.UTF_8)),
                Hash.sha3((name + " architecture").getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public List<ModelIdentity> models() {
        return List.of(model);
    }

    @Override
    public TaskResult run(TaskInput input) {
        byte[] output = ("fake:" + String.join("|", input.texts())).getBytes(StandardCharsets.UTF_8);
        return new TaskResult(output, Hash.sha3(output), Hash.sha3(input.bytes()));
    }
}
