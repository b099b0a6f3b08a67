package dev.ledgermind.gateway;

import java.util.List;

/**
 * Applies OpenAI's {@code stop} sequences to streamed text: the text is cut before the first stop
 * sequence, which itself is never sent. Text that could be the start of a stop sequence is held back
 * until the next piece decides it, so a stop that spans pieces is still found, and nothing already sent
 * has to be taken back.
 */
final class StopScanner {
    private final List<String> stops;
    private final StringBuilder held = new StringBuilder();
    private boolean stopped;

    StopScanner(List<String> stops) {
        this.stops = stops;
    }

    /** The text that may be sent now. */
    String accept(String piece) {
        if (stopped) return "";
        held.append(piece);
        int at = -1;
        for (String s : stops) {
            int i = held.indexOf(s);
            if (i >= 0 && (at < 0 || i < at)) at = i;
        }
        if (at >= 0) {
            stopped = true;
            String out = held.substring(0, at);
            held.setLength(0);
            return out;
        }
        int keep = 0;
        for (String s : stops) {
            for (int len = Math.min(s.length() - 1, held.length()); len > keep; len--) {
                if (held.substring(held.length() - len).equals(s.substring(0, len))) {
                    keep = len;
                    break;
                }
            }
        }
        String out = held.substring(0, held.length() - keep);
        held.delete(0, held.length() - keep);
        return out;
    }

    /** The held-back text, at the end of generation (when no stop sequence came). */
    String flush() {
        if (stopped) return "";
        String out = held.toString();
        held.setLength(0);
        return out;
    }

    boolean stopped() {
        return stopped;
    }
}
