package dev.ledgermind.cli;

import dev.ledgermind.inference.chat.ChatMessage;
import dev.ledgermind.inference.chat.ChatMessages;
import dev.ledgermind.inference.chat.ChatTemplate;
import dev.ledgermind.inference.generate.GenerationResult;
import dev.ledgermind.inference.generate.Generator;
import dev.ledgermind.inference.kernel.KernelConfig;
import dev.ledgermind.inference.kernel.Parallel;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.tensor.ComputeProfile;
import dev.ledgermind.inference.sampling.SamplingParams;
import dev.ledgermind.inference.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code ledgermind generate}: run a GGUF decoder locally and deterministically, streaming the tokens. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = {"Generate text with a GGUF model on the deterministic engine; ends with tokens/s, the result hash and the trace root.",
                "A conversation (--chat --prompt, --system/--user/--assistant, or --messages) goes through the file's own "
                        + "tokenizer.chat_template; a file without one gets its family's built-in form, said on stderr."})
final class GenerateCommand implements Callable<Integer> {
    @Mixin
    CommonOptions common;

    @Option(names = "--model", required = true, description = "The GGUF model file.")
    Path model;

    @Spec
    CommandSpec spec;

    @Option(names = "--prompt", description = "Raw prompt text, no chat template (special tokens such as <|eot_id|> are recognised).")
    String prompt;

    @Option(names = "--chat", description = "Send --prompt as one user turn through the model's chat template.")
    boolean chat;

    @Option(names = "--system", description = "A system message, first in the conversation.")
    String system;

    @Option(names = "--user", description = "A user turn; repeat it, alternating with --assistant (user, assistant, user, ...).")
    List<String> users = new ArrayList<>();

    @Option(names = "--assistant", description = "An earlier assistant answer, between two --user turns.")
    List<String> assistants = new ArrayList<>();

    @Option(names = "--messages", description = "A conversation as JSON: [{\"role\": \"user\", \"content\": \"...\"}, ...] or {\"messages\": [...]}.")
    Path messagesFile;

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

    @Option(names = "--profile", defaultValue = "binary32", converter = ProfileConverter.class,
            description = "Compute profile: binary32 (the default: closest to the file's model) or int8-q8 (int8 activations, as llama.cpp).")
    ComputeProfile profile;

    @Override
    public Integer call() throws Exception {
        SamplingParams sampling = new SamplingParams(temperature, topK, topP, seed);
        int n = KernelConfig.threads(threads);
        List<ChatMessage> conversation = conversation(); // usage errors before the model is loaded
        try (LlamaModel m = LlamaModel.load(model, profile); Parallel par = new Parallel(n)) {
            Generator g = new Generator(m, KernelConfig.defaults(), par);
            ChatTemplate template = conversation == null ? null : ChatTemplate.forModel(m);
            if (template != null && template.isBuiltIn()) System.err.println("note: chat template: " + template.origin());
            int[] promptTokens = template == null ? g.promptTokens(prompt) : template.promptTokens(conversation, true);
            Tokenizer tok = m.tokenizer();
            PrintStream out = System.out;
            TokenPrinter printer = new TokenPrinter(tok, out);
            GenerationResult r = g.generate(promptTokens, maxTokens, sampling, common.json() ? null : printer::accept);
            if (common.json()) {
                Map<String, Object> j = new LinkedHashMap<>();
                j.put("model", model.toString());
                if (template != null) {
                    j.put("chatTemplate", template.origin());
                    j.put("prompt", template.render(conversation, true));
                }
                j.put("text", r.text());
                j.put("promptTokens", r.promptTokens().length);
                j.put("tokens", r.tokens());
                j.put("resultHash", r.resultHashHex());
                j.put("traceRoot", r.traceRoot().hex());
                j.put("traceLeaves", r.leafCount());
                j.put("profile", profile.id);
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
                out.println("trace root:  " + r.traceRoot().hex() + " (" + r.leafCount() + " leaves, profile " + profile + ")");
            }
        }
        return 0;
    }

    /** The conversation the options give, or null for a raw --prompt; a usage error names what was wrong. */
    private List<ChatMessage> conversation() {
        boolean turns = !users.isEmpty() || !assistants.isEmpty();
        int sources = (prompt != null ? 1 : 0) + (turns ? 1 : 0) + (messagesFile != null ? 1 : 0);
        if (sources != 1) {
            throw new ParameterException(spec.commandLine(), "give exactly one of --prompt, --user (with --assistant) or --messages");
        }
        if (prompt != null && !chat) {
            if (system != null) throw new ParameterException(spec.commandLine(), "--system needs a conversation: --chat with --prompt, --user or --messages");
            return null;
        }
        List<ChatMessage> out = new ArrayList<>();
        if (messagesFile != null) {
            if (system != null) throw new ParameterException(spec.commandLine(), "--system with --messages: put the system message in the file");
            String json;
            try {
                json = Files.readString(messagesFile);
            } catch (IOException e) {
                throw new ParameterException(spec.commandLine(), "--messages " + messagesFile + ": cannot read it (" + e + ")");
            }
            try {
                out.addAll(ChatMessages.fromJson(json, messagesFile.toString()));
            } catch (IllegalArgumentException e) {
                throw new ParameterException(spec.commandLine(), e.getMessage());
            }
            return out;
        }
        if (system != null) out.add(ChatMessage.system(system));
        if (prompt != null) {
            out.add(ChatMessage.user(prompt));
            return out;
        }
        if (users.size() != assistants.size() + 1) {
            throw new ParameterException(spec.commandLine(), "turns alternate user, assistant, ..., user: " + users.size() + " --user and "
                    + assistants.size() + " --assistant given (a conversation in another order goes in a --messages file)");
        }
        for (int i = 0; i < users.size(); i++) {
            out.add(ChatMessage.user(users.get(i)));
            if (i < assistants.size()) out.add(ChatMessage.assistant(assistants.get(i)));
        }
        return out;
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
