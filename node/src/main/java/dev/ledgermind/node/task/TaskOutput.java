package dev.ledgermind.node.task;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a task's answer for people. The canonical bytes, which every honest node produces bit for bit
 * and whose keccak256 is the result hash, are defined by the engine ({@code EncoderTasks} for the encoder
 * kinds); this class decodes them. All numbers are little-endian; floats are IEEE binary32.
 * <ul>
 *   <li>embed: {@code u32 count, u32 dim, count*dim f32}</li>
 *   <li>similarity: {@code f32 cosine}</li>
 *   <li>classify: {@code u32 n, then n x (u32 labelIndex, f32 score)}, best first</li>
 *   <li>generate: {@code u32 n, n x u32 tokenId} (the text is the model's tokenizer's business)</li>
 *   <li>an input no engine can run: the UTF-8 text {@code error: REASON}</li>
 * </ul>
 */
public final class TaskOutput {
    private TaskOutput() {}

    /** A readable, JSON-friendly view of an answer, for printing. */
    public static Map<String, Object> describe(TaskInput input, byte[] output) {
        Map<String, Object> out = new LinkedHashMap<>();
        if (output == null || output.length == 0) {
            out.put("note", "the nodes revealed no inline output; the result hash still identifies it");
            return out;
        }
        String asText = new String(output, StandardCharsets.UTF_8);
        if (asText.startsWith("error: ")) {
            out.put("error", asText.substring(7));
            return out;
        }
        ByteBuffer b = ByteBuffer.wrap(output).order(ByteOrder.LITTLE_ENDIAN);
        switch (input.kind()) {
            case EMBED -> {
                int n = b.getInt(), dim = b.getInt();
                List<List<Float>> vectors = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    List<Float> v = new ArrayList<>(dim);
                    for (int j = 0; j < dim; j++) v.add(b.getFloat());
                    vectors.add(v);
                }
                out.put("dimensions", dim);
                out.put("embeddings", vectors);
            }
            case SIMILARITY -> out.put("cosine", b.getFloat());
            case CLASSIFY -> {
                int n = b.getInt();
                List<Map<String, Object>> ranked = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    int label = b.getInt();
                    float score = b.getFloat();
                    ranked.add(Map.of("label", label < input.labels().size() ? input.labels().get(label) : "#" + label,
                            "score", score));
                }
                out.put("label", ranked.isEmpty() ? null : ranked.getFirst().get("label"));
                out.put("ranking", ranked);
            }
            case GENERATE -> {
                int n = b.getInt();
                List<Integer> tokens = new ArrayList<>(n);
                for (int i = 0; i < n; i++) tokens.add(b.getInt());
                out.put("tokens", tokens);
            }
        }
        return out;
    }
}
