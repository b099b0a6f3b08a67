package dev.ledgermind.cli;

import dev.ledgermind.inference.generate.ChatTemplate;
import dev.ledgermind.inference.llama.LlamaModel;

import java.util.List;

/** Picks the chat template for a model and formats one user turn. */
final class ChatTemplates {
    private ChatTemplates() {
    }

    static String userTurn(LlamaModel m, String prompt) {
        return ChatTemplate.forModel(m).format(List.of(new ChatTemplate.Message("user", prompt)), true);
    }
}
