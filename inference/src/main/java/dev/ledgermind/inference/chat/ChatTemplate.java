package dev.ledgermind.inference.chat;

import com.hubspot.jinjava.Jinjava;
import com.hubspot.jinjava.JinjavaConfig;
import com.hubspot.jinjava.LegacyOverrides;
import com.hubspot.jinjava.interpret.RenderResult;
import com.hubspot.jinjava.interpret.TemplateError;
import com.hubspot.jinjava.lib.fn.ELFunctionDefinition;
import dev.ledgermind.inference.gguf.GgufMetadata;
import dev.ledgermind.inference.llama.LlamaModel;
import dev.ledgermind.inference.tokenizer.Tokenizer;

import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A model's chat template: the Jinja template the GGUF file carries ({@code tokenizer.chat_template}), rendered
 * with jinjava the way Hugging Face and llama.cpp render it, or a {@link BuiltInChatForm} when the file has none
 * ({@link #isBuiltIn()} and {@link #origin()} say so, for the caller to tell the user).
 *
 * <p>Rendering: variables {@code messages} (role, content), {@code bos_token} and {@code eos_token} (the texts of
 * the vocabulary's BOS and EOS, empty when it has none) and {@code add_generation_prompt}; blocks trimmed and
 * left-stripped ({@code trim_blocks}, {@code lstrip_blocks}) as in both; {@code raise_exception(msg)} refuses the
 * conversation with a {@link ChatTemplateException}; {@code strftime_now(fmt)} gives today's UTC date.
 *
 * <p>Prompt ids ({@link #promptTokens}), as llama.cpp's chat front-end forms them: BOS when the vocabulary adds one
 * (a BOS the template itself wrote first is then dropped, so there is one), then the rendered text tokenized with
 * special tokens parsed. Checked against llama.cpp's own Jinja engine by ChatTemplateParityTest.
 *
 * <p>Usable from any front-end (CLI, gateway): {@code ChatTemplate.forModel(model).promptTokens(messages, true)}.
 */
public final class ChatTemplate {
    /** The GGUF key of the Jinja template. */
    public static final String KEY = "tokenizer.chat_template";

    private static final Jinjava JINJA = jinjava();

    private final Tokenizer tokenizer;
    private final String template;     // null: built-in
    private final BuiltInChatForm form; // null: Jinja
    private final String origin;

    private ChatTemplate(Tokenizer tokenizer, String template, BuiltInChatForm form, String origin) {
        this.tokenizer = tokenizer;
        this.template = template;
        this.form = form;
        this.origin = origin;
    }

    /** The model file's own template, or the built-in form of its family when the file has none. */
    public static ChatTemplate forModel(LlamaModel model) {
        return of(model.file().metadata(), model.tokenizer());
    }

    public static ChatTemplate of(GgufMetadata metadata, Tokenizer tokenizer) {
        String t = metadata.has(KEY) ? metadata.getString(KEY) : "";
        if (t.isBlank()) {
            BuiltInChatForm f = BuiltInChatForm.forVocabulary(tokenizer);
            return new ChatTemplate(tokenizer, null, f, f.description() + " (" + metadata.source() + " has no " + KEY + ")");
        }
        return jinja(t, tokenizer, KEY + " of " + metadata.source());
    }

    /** A Jinja chat template given as text; compiled now, so that a broken template fails here. */
    public static ChatTemplate jinja(String template, Tokenizer tokenizer, String origin) {
        ChatTemplate c = new ChatTemplate(tokenizer, template, null, origin);
        RenderResult r = JINJA.renderForResult(template, c.bindings(List.of(ChatMessage.user("x")), false));
        for (TemplateError e : r.getErrors()) {
            if (e.getReason() == TemplateError.ErrorReason.SYNTAX_ERROR) {
                throw new ChatTemplateException(origin + ": the template does not compile: " + describe(e));
            }
        }
        return c;
    }

    public boolean isBuiltIn() {
        return form != null;
    }

    /** Where the template comes from: the file's key, or which built-in form and why. */
    public String origin() {
        return origin;
    }

    /** The conversation as prompt text; with {@code addGenerationPrompt}, ready for the assistant's answer. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        if (messages.isEmpty()) throw new IllegalArgumentException("a conversation needs at least one message");
        if (form != null) return form.render(messages, addGenerationPrompt, text(tokenizer.bos()), text(tokenizer.eos()));
        RenderResult r = JINJA.renderForResult(template, bindings(messages, addGenerationPrompt));
        List<String> fatal = new ArrayList<>();
        for (TemplateError e : r.getErrors()) {
            if (e.getSeverity() == TemplateError.ErrorType.FATAL) fatal.add(describe(e));
        }
        if (!fatal.isEmpty()) throw new ChatTemplateException(origin + " refused the conversation: " + String.join("; ", fatal));
        return r.getOutput();
    }

    /**
     * The rendered conversation as the text to tokenize after BOS: without the BOS the template wrote first when
     * the vocabulary adds one itself. {@code Generator.promptTokens(promptText(...))} (BOS, then the text with special
     * tokens parsed) gives {@link #promptTokens}; a front-end that sends text to nodes sends this.
     */
    public String promptText(List<ChatMessage> messages, boolean addGenerationPrompt) {
        String text = render(messages, addGenerationPrompt);
        String bosText = text(tokenizer.bos());
        if (addsBos() && !bosText.isEmpty() && text.startsWith(bosText)) text = text.substring(bosText.length());
        return text;
    }

    /** The prompt's token ids: BOS when the vocabulary adds one, then {@link #promptText}, special tokens parsed. */
    public int[] promptTokens(List<ChatMessage> messages, boolean addGenerationPrompt) {
        int[] body = tokenizer.encode(promptText(messages, addGenerationPrompt), true);
        if (!addsBos()) return body;
        int[] out = new int[body.length + 1];
        out[0] = tokenizer.bos();
        System.arraycopy(body, 0, out, 1, body.length);
        return out;
    }

    private boolean addsBos() {
        return tokenizer.addBos() && tokenizer.bos() >= 0;
    }

    private String text(int id) {
        return id >= 0 ? tokenizer.tokenText(id) : "";
    }

    private Map<String, Object> bindings(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Map<String, Object>> ms = new ArrayList<>();
        for (ChatMessage m : messages) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("role", m.role());
            o.put("content", m.content());
            ms.add(o);
        }
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("messages", ms);
        b.put("bos_token", text(tokenizer.bos()));
        b.put("eos_token", text(tokenizer.eos()));
        b.put("add_generation_prompt", addGenerationPrompt);
        return b;
    }

    private static String describe(TemplateError e) {
        String where = e.getLineno() > 0 ? " (line " + e.getLineno() + (e.getStartPosition() > 0 ? ", column " + e.getStartPosition() : "") + ")" : "";
        String msg = e.getMessage();
        Throwable cause = e.getException();
        while (cause != null && !(cause instanceof RaisedException)) cause = cause.getCause();
        if (cause != null) msg = cause.getMessage();
        return msg + where;
    }

    private static Jinjava jinjava() {
        JinjavaConfig cfg = JinjavaConfig.newBuilder()
                .withTrimBlocks(true)
                .withLstripBlocks(true)
                .withFailOnUnknownTokens(false)
                .withMaxOutputSize(16L << 20)
                .withLegacyOverrides(LegacyOverrides.newBuilder()
                        .withUseNaturalOperatorPrecedence(true)
                        .withParseWhitespaceControlStrictly(true)
                        .withKeepNullableLoopValues(true)
                        .withUseTrimmingForNotesAndExpressions(true)
                        .build())
                .build();
        Jinjava j = new Jinjava(cfg);
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "raise_exception", ChatTemplate.class, "raiseException", String.class));
        j.getGlobalContext().registerFunction(new ELFunctionDefinition("", "strftime_now", ChatTemplate.class, "strftimeNow", String.class));
        return j;
    }

    /** {@code raise_exception(message)} in a template: the template refuses the conversation. */
    public static String raiseException(String message) {
        throw new RaisedException(message);
    }

    /** {@code strftime_now(format)}: today in UTC, for the strftime conversions chat templates use. */
    public static String strftimeNow(String format) {
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                b.append(c);
                continue;
            }
            char f = format.charAt(++i);
            b.append(switch (f) {
                case 'd' -> String.format("%02d", now.getDayOfMonth());
                case 'm' -> String.format("%02d", now.getMonthValue());
                case 'Y' -> String.valueOf(now.getYear());
                case 'y' -> String.format("%02d", now.getYear() % 100);
                case 'b' -> now.getMonth().getDisplayName(java.time.format.TextStyle.SHORT, java.util.Locale.ENGLISH);
                case 'B' -> now.getMonth().getDisplayName(java.time.format.TextStyle.FULL, java.util.Locale.ENGLISH);
                case 'H' -> String.format("%02d", now.getHour());
                case 'M' -> String.format("%02d", now.getMinute());
                case '%' -> "%";
                default -> "%" + f;
            });
        }
        return b.toString();
    }

    private static final class RaisedException extends RuntimeException {
        RaisedException(String message) {
            super(message);
        }
    }
}
