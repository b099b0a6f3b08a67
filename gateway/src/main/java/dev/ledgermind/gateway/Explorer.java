package dev.ledgermind.gateway;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.ledgermind.chain.Deployment;
import dev.ledgermind.chain.events.AgentView;
import dev.ledgermind.chain.events.ChainEvents;
import dev.ledgermind.chain.events.RegisteredModel;
import dev.ledgermind.chain.events.TaskEvent;
import dev.ledgermind.node.client.Receipt;
import io.javalin.http.Context;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The explorer: one server-rendered page ({@code /explorer}, no assets from the internet) and the JSON it
 * polls for live updates: the network (chain, block, contracts), the nodes (agent id, operator, stake,
 * ERC-8004 reputation summary, models served) and recent tasks (mode, status, verdicts, latency, gas).
 * Receipts and their verification are the API's own ({@code /v1/receipts}).
 *
 * <p>A final task never changes, so its summary is computed once from its receipt and kept.
 */
final class Explorer {
    private final NetworkBackend network;
    private final ObjectMapper json;
    private final Map<BigInteger, ObjectNode> finalTasks = new ConcurrentHashMap<>();
    private final Map<Long, Long> blockTimes = new ConcurrentHashMap<>();
    private final String page;

    Explorer(NetworkBackend network, ObjectMapper json) {
        this.network = network;
        this.json = json;
        try (InputStream in = Explorer.class.getResourceAsStream("explorer.html")) {
            this.page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("the explorer page is missing from the gateway jar", e);
        }
    }

    void page(Context ctx) {
        ctx.contentType("text/html; charset=utf-8").result(page);
    }

    void networkInfo(Context ctx) {
        ObjectNode out = json.createObjectNode();
        out.put("connected", network != null);
        if (network != null) {
            ChainEvents events = network.connection().requester().events();
            Deployment d = network.connection().contracts().deployment();
            out.put("rpcUrl", network.connection().rpcUrl());
            out.put("chainId", d.chainId());
            out.put("block", events.blockNumber());
            ObjectNode c = out.putObject("contracts");
            c.put("AgentRegistry", d.agentRegistry()).put("ModelRegistry", d.modelRegistry()).put("TaskMarket", d.taskMarket())
                    .put("ReputationRegistry", d.reputationRegistry()).put("ValidationRegistry", d.validationRegistry());
            ArrayNode models = out.putArray("models");
            for (RegisteredModel m : network.models()) models.addObject().put("id", m.id()).put("name", m.name());
        }
        ctx.json(out.toString());
    }

    void nodes(Context ctx) {
        ArrayNode out = json.createArrayNode();
        if (network != null) {
            Map<Integer, String> names = new LinkedHashMap<>();
            for (RegisteredModel m : network.models()) names.put(m.id(), m.name());
            for (AgentView a : network.connection().requester().events().agents()) {
                ObjectNode n = out.addObject().put("agentId", a.agentId()).put("operator", a.operator())
                        .put("stakeWei", a.bondedWei().toString()).put("reputationCount", a.reputationCount())
                        .put("reputation", a.reputationAverage18().divide(BigInteger.TEN.pow(16)).doubleValue() / 100);
                ArrayNode ms = n.putArray("models");
                a.models().forEach(id -> ms.add(names.getOrDefault(id, "#" + id)));
            }
        }
        ctx.json(out.toString());
    }

    void tasks(Context ctx) {
        int limit = 50;
        ArrayNode out = json.createArrayNode();
        if (network != null) {
            ChainEvents events = network.connection().requester().events();
            Map<BigInteger, List<TaskEvent>> byTask = new LinkedHashMap<>();
            for (TaskEvent e : events.between(0, null)) byTask.computeIfAbsent(e.taskId(), t -> new ArrayList<>()).add(e);
            List<BigInteger> ids = new ArrayList<>(byTask.keySet());
            java.util.Collections.reverse(ids);
            for (BigInteger id : ids.subList(0, Math.min(limit, ids.size()))) out.add(summary(id, byTask.get(id), events));
        }
        ctx.json(out.toString());
    }

    private ObjectNode summary(BigInteger id, List<TaskEvent> log, ChainEvents events) {
        ObjectNode done = finalTasks.get(id);
        if (done != null) return done;
        TaskEvent.Submitted s = null;
        TaskEvent.Finalized f = null;
        int committed = 0, revealed = 0;
        for (TaskEvent e : log) {
            switch (e) {
                case TaskEvent.Submitted x -> s = x;
                case TaskEvent.Finalized x -> f = x;
                case TaskEvent.Committed x -> committed++;
                case TaskEvent.Revealed x -> revealed++;
                default -> { }
            }
        }
        ObjectNode n = json.createObjectNode().put("taskId", id.toString()).put("receiptId", ReceiptStore.networkId(id));
        if (s == null) return n.put("status", "unknown");
        String model = network.connection().requester().models().byId(s.modelId()).map(RegisteredModel::name).orElse("#" + s.modelId());
        n.put("model", model).put("k", s.k()).put("mode", dev.ledgermind.node.client.VerificationMode.ofCode(s.mode()).label());
        n.put("committed", committed).put("revealed", revealed);
        if (f == null) {
            n.put("status", "pending").put("verdicts", committed + "/" + s.k() + " committed, " + revealed + "/" + s.k() + " revealed");
            n.put("latencySeconds", (double) (System.currentTimeMillis() / 1000 - time(s.block(), events)));
            return n;
        }
        Receipt r = network.receipt(id);
        n.put("status", f.accepted() ? "accepted" : "refunded");
        Map<String, Integer> verdicts = new LinkedHashMap<>();
        for (Receipt.NodeVerdict v : r.nodes()) verdicts.merge(v.verdict(), 1, Integer::sum);
        StringBuilder sb = new StringBuilder();
        verdicts.forEach((k, v) -> sb.append(sb.isEmpty() ? "" : ", ").append(v).append(' ').append(k));
        n.put("verdicts", sb.toString());
        n.put("latencySeconds", (double) (time(f.block(), events) - time(s.block(), events)));
        n.put("gas", r.totalGas().longValueExact());
        finalTasks.put(id, n);
        return n;
    }

    private long time(long block, ChainEvents events) {
        return blockTimes.computeIfAbsent(block, events::blockTimestamp);
    }
}
