package dev.ledgermind.cli;

import dev.ledgermind.inference.generate.GenerationResult;
import dev.ledgermind.inference.generate.Generator;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.sampling.SamplingParams;
import dev.ledgermind.inference.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ledgermind generate}: run a GGUF decoder locally and deterministically, streaming the tokens. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text with a GGUF model on the deterministic engine; ends with tokens/s, the result hash and the trace root.")
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, description = "The GGUF model file.")
    Path model;

    @Option(names = "--prompt", required = true, description = "The prompt (special tokens such as <|eot_id|> are recognised).")
    String prompt;

    @Option(names = "--chat", description = "Wrap the prompt in the model family's chat template (Llama 3 or ChatML).")
    boolean chat;

    @Option(names = "--seed", defaultValue = "42", description = "Sampling seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--temperature", defaultValue = "0", description = "0 is greedy (default: ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-p", defaultValue = "1", description = "Nucleus sampling threshold; 1 is off (default: ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--top-k", defaultValue = "0", description = "Keep the k most likely tokens; 0 is off (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--max-tokens", defaultValue = "128", description = "Most tokens to generate (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--threads", defaultValue = "0", description = "Threads; 0 means ledgermind.threads or all cores.")
    int threads;

    @Override
    public Integer call() throws Exception {
        SamplingParams sampling = new SamplingParams(temperature, topK, topP, seed);
        int n = KernelConfig.threads(threads);
        try (LlamaModel m = LlamaModel.load(model); Parallel par = new Parallel(n)) {
            Generator g = new Generator(m, KernelConfig.defaults(), par);
            String text = chat ? ChatTemplates.userTurn(m, prompt) : prompt;
            int[] promptTokens = g.promptTokens(text);
            Tokenizer tok = m.tokenizer();
            PrintStream out = System.out;
            TokenPrinter printer = new TokenPrinter(tok, out);
            GenerationResult r = g.generate(promptTokens, maxTokens, sampling, common.json() ? null : printer::accept);
            if (common.json()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("model", model.toString());
                j.put("text", r.text());
                j.put("promptTokens", r.promptTokens().length);
                j.put("tokens", r.tokens());
                j.put("resultHash", r.resultHashHex());
                j.put("traceRoot", r.traceRoot().hex());
                j.put("traceLeaves", r.leafCount());
                j.put("tokensPerSecond", r.decodeTokensPerSecond());
                j.put("prefillTokensPerSecond", r.prefillTokensPerSecond());
                j.put("threads", n);
                j.put("vectorBits", KernelConfig.defaults().vectorBits());
                common.printJson(j);
            } else {
                printer.flush();
                out.println();
                out.printf("%n%d prompt tokens (%.1f tokens/s prefill), %d tokens generated at %.2f tokens/s (%d threads, %s)%n",
                        r.promptTokens().length, r.prefillTokensPerSecond(), r.tokens().length, r.decodeTokensPerSecond(), n,
                        KernelConfig.defaults());
                out.println("token ids:   " + Arrays.toString(r.tokens()));
                out.println("result hash: " + r.resultHashHex());
                out.println("trace root:  " + r.traceRoot().hex() + " (" + r.leafCount() + " leaves)");
            }
        }
        return 0;
    }

    /** Streams token bytes, printing only whole UTF-8 characters (a character may span several tokens). */
    private static final class TokenPrinter {
        private final Tokenizer tok;
        private final PrintStream out;
        private final ByteArrayOutputStream pending = new ByteArrayOutputStream();

        TokenPrinter(Tokenizer tok, PrintStream out) {
            this.tok = tok;
            this.out = out;
        }

        void accept(int token) {
            if (tok.isEndOfGeneration(token)) return;
            pending.writeBytes(tok.tokenBytes(token));
            byte[] b = pending.toByteArray();
            int complete = completeUtf8Prefix(b);
            if (complete > 0) {
                out.print(new String(b, 0, complete, StandardCharsets.UTF_8));
                out.flush();
                pending.reset();
                pending.write(b, complete, b.length - complete);
            }
        }

        void flush() {
            if (pending.size() > 0) out.print(pending.toString(StandardCharsets.UTF_8));
            pending.reset();
        }

        private static int completeUtf8Prefix(byte[] b) {
            int i = b.length;
            // Step back over an incomplete trailing sequence (at most 3 bytes).
            for (int k = 1; k <= Math.min(3, b.length); k++) {
                int c = b[b.length - k] & 0xFF;
                if ((c & 0xC0) == 0x80) continue;
                int need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
                return need > k ? b.length - k : b.length;
            }
            return i;
        }
    }
}
