package dev.ledgermind.inference.encoder;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Ledgermind's encoder against ONNX Runtime (an independent implementation) on the same weights and
 * the same token ids: the sentence embeddings must have cosine similarity of at least 0.99999.
 */
class EncoderParityTest {
    static EncoderModel model;
    static OrtEnvironment env;
    static OrtSession session;
    static Parallel parallel;

    @BeforeAll
    static void load() throws Exception {
        model = EncoderModel.load("all-minilm-l6-v2");
        env = OrtEnvironment.getEnvironment();
        byte[] onnx;
        try (InputStream in = EncoderParityTest.class.getClassLoader().getResourceAsStream("all-minilm-l6-v2.onnx")) {
            onnx = in.readAllBytes();
        }
        session = env.createSession(onnx, new OrtSession.SessionOptions());
        parallel = new Parallel(2);
    }

    @AfterAll
    static void close() throws Exception {
        session.close();
        parallel.close();
    }

    /** ONNX Runtime's last hidden state, mean-pooled and L2-normalised in double. */
    static double[] reference(int[] ids) throws Exception {
        long[][] input = new long[1][ids.length], mask = new long[1][ids.length], types = new long[1][ids.length];
        for (int i = 0; i < ids.length; i++) {
            input[0][i] = ids[i];
            mask[0][i] = 1;
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, input); OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            float[][][] hidden = (float[][][]) r.get(0).getValue();
            int n = ids.length, h = hidden[0][0].length;
            double[] v = new double[h];
            for (int i = 0; i < n; i++) for (int d = 0; d < h; d++) v[d] += hidden[0][i][d];
            double norm = 0;
            for (int d = 0; d < h; d++) {
                v[d] /= n;
                norm += v[d] * v[d];
            }
            norm = Math.sqrt(norm);
            for (int d = 0; d < h; d++) v[d] /= norm;
            return v;
        }
    }

    @Test
    void embeddingsMatchOnnxRuntimeOnFiftyVariedSentences() throws Exception {
        List<String> sentences = Sentences.varied();
        assertTrue(sentences.size() >= 50);
        var result = model.embed(sentences, KernelConfig.defaults(), parallel);
        double worst = 1;
        for (int i = 0; i < sentences.size(); i++) {
            double[] ref = reference(model.tokenize(sentences.get(i)));
            float[] ours = result.vectors()[i];
            double dot = 0, n1 = 0, n2 = 0;
            for (int d = 0; d < ref.length; d++) {
                dot += ours[d] * ref[d];
                n1 += (double) ours[d] * ours[d];
                n2 += ref[d] * ref[d];
            }
            double cos = dot / Math.sqrt(n1 * n2);
            worst = Math.min(worst, cos);
            assertTrue(cos >= 0.99999, "sentence " + i + " \"" + sentences.get(i) + "\": cosine " + cos);
        }
        System.out.println("worst cosine vs ONNX Runtime over " + sentences.size() + " sentences: " + worst);
        assertTrue(result.truncated()[sentences.size() - 1], "a 300-word text must be reported as truncated");
        assertFalse(result.truncated()[0]);
    }

    @Test
    void tokenizerProducesBertUncasedIds() {
        // ids of the standard bert-base-uncased vocabulary: [CLS] hello , world ! [SEP]
        assertArrayEquals(new int[] {101, 7592, 1010, 2088, 999, 102}, model.tokenize("Hello, world!"));
        // accents are stripped and text lower-cased: "Café" -> "cafe"
        assertArrayEquals(model.tokenize("cafe"), model.tokenize("Café"));
        assertEquals(128, model.tokenize("word ".repeat(300)).length, "truncated to the model's 128 tokens");
    }
}
