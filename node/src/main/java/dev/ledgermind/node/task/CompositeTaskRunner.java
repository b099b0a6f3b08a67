package dev.ledgermind.node.task;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/** Serves several models, each with its own runner; a task goes to the runner of its model. */
public final class CompositeTaskRunner implements TaskRunner {
    private final List<TaskRunner> runners;

    public CompositeTaskRunner(List<TaskRunner> runners) {
        this.runners = List.copyOf(runners);
    }

    @Override
    public List<ModelIdentity> models() {
        List<ModelIdentity> all = new ArrayList<>();
        for (TaskRunner r : runners) all.addAll(r.models());
        return all;
    }

    @Override
    public TaskResult run(TaskInput input) {
        return run(input, null);
    }

    @Override
    public TaskResult run(TaskInput input, IntConsumer onToken) {
        for (TaskRunner r : runners) {
            if (r.models().stream().anyMatch(m -> m.name().equalsIgnoreCase(input.model()))) {
                return onToken == null ? r.run(input) : r.run(input, onToken);
            }
        }
        return TaskResult.error("no engine on this node serves model " + input.model());
    }

    @Override
    public Replayed replay(TaskInput input, byte[] claimedOutput) {
        for (TaskRunner r : runners) {
            if (r.models().stream().anyMatch(m -> m.name().equalsIgnoreCase(input.model()))) return r.replay(input, claimedOutput);
        }
        return null;
    }

    @Override
    public DecoderTaskRunner decoder(String model) {
        for (TaskRunner r : runners) {
            DecoderTaskRunner d = r.decoder(model);
            if (d != null) return d;
        }
        return null;
    }

    @Override
    public void warmUp() {
        runners.forEach(TaskRunner::warmUp);
    }
}
