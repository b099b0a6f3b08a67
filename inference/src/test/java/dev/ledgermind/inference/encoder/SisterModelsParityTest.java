package dev.ledgermind.inference.encoder;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * bge-small-en-v1.5 (CLS pooling) and e5-small-v2 (mean pooling, "query: " prefix) against ONNX Runtime
 * on the same token ids; pooling and normalisation of ORT's last hidden state are done here in double.
 * all-MiniLM-L6-v2 is covered by {@link EncoderParityTest}.
 */
class SisterModelsParityTest {
    static OrtEnvironment env;
    static Parallel parallel;

    @BeforeAll
    static void start() {
        env = OrtEnvironment.getEnvironment();
        parallel = new Parallel(2);
    }

    @AfterAll
    static void stop() {
        parallel.close();
    }

    @ParameterizedTest
    @ValueSource(strings = {"bge-small-en-v1.5", "e5-small-v2"})
    void embeddingsMatchOnnxRuntimeOnFiftyVariedSentences(String name) throws Exception {
        EncoderModel model = EncoderModel.load(name);
        byte[] onnx;
        try (InputStream in = getClass().getClassLoader().getResourceAsStream(model.onnxResource())) {
            onnx = in.readAllBytes();
        }
        List<String> sentences = Sentences.varied();
        assertTrue(sentences.size() >= 50);
        EncoderModel.Embeddings ours = model.embed(sentences, KernelConfig.defaults(), parallel);
        double worst = 1;
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
            for (int i = 0; i < sentences.size(); i++) {
                double[] ref = reference(session, model.tokenize(sentences.get(i)), model.pooling());
                double dot = 0, n1 = 0;
                float[] v = ours.vectors()[i];
                for (int d = 0; d < ref.length; d++) {
                    dot += v[d] * ref[d];
                    n1 += (double) v[d] * v[d];
                }
                double cos = dot / Math.sqrt(n1);
                worst = Math.min(worst, cos);
                assertTrue(cos >= 0.99999, name + " sentence " + i + ": cosine " + cos);
            }
        }
        System.out.println(name + ": worst cosine vs ONNX Runtime over " + sentences.size() + " sentences: " + worst);
        if (name.startsWith("e5")) assertEquals(List.of(101, 23032, 1024), List.of(
                model.tokenize("x")[0], model.tokenize("x")[1], model.tokenize("x")[2]), "e5 inputs start with 'query:'");
    }

    /** ORT's last hidden state, pooled as the model card says and L2-normalised, in double. */
    static double[] reference(OrtSession session, int[] ids, Pooling pooling) throws Exception {
        int n = ids.length;
        long[][] input = new long[1][n], mask = new long[1][n], types = new long[1][n];
        for (int i = 0; i < n; i++) {
            input[0][i] = ids[i];
            mask[0][i] = 1;
        }
        try (OnnxTensor a = OnnxTensor.createTensor(env, input); OnnxTensor b = OnnxTensor.createTensor(env, mask);
             OnnxTensor c = OnnxTensor.createTensor(env, types);
             OrtSession.Result r = session.run(Map.of("input_ids", a, "attention_mask", b, "token_type_ids", c))) {
            float[][][] hidden = (float[][][]) r.get(0).getValue();
            int h = hidden[0][0].length;
            double[] v = new double[h];
            if (pooling == Pooling.CLS) {
                for (int d = 0; d < h; d++) v[d] = hidden[0][0][d];
            } else {
                for (int i = 0; i < n; i++) for (int d = 0; d < h; d++) v[d] += hidden[0][i][d];
                for (int d = 0; d < h; d++) v[d] /= n;
            }
            double norm = 0;
            for (double x : v) norm += x * x;
            norm = Math.sqrt(norm);
            for (int d = 0; d < h; d++) v[d] /= norm;
            return v;
        }
    }
}
