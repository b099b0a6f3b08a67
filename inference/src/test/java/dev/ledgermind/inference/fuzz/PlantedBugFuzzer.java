package dev.ledgermind.inference.fuzz;

/**
 * A deliberately broken "parser", to prove that the fuzz harness finds what it is meant to: it crashes
 * with an {@link ArrayIndexOutOfBoundsException} on any input that starts with {@code "LM"} followed by a
 * length byte larger than what follows. Only {@link ParserFuzzTest#theHarnessFindsAPlantedCrash} runs it.
 */
public final class PlantedBugFuzzer {
    private PlantedBugFuzzer() {
    }

    public static void fuzzerTestOneInput(byte[] input) {
        if (input.length >= 3 && input[0] == 'L' && input[1] == 'M') {
            int len = input[2] & 0xFF;
            byte sum = 0;
            for (int i = 0; i < len; i++) sum += input[3 + i]; // the planted bug: no check against input.length
            if (sum == 42) input[0] = 0;
        }
    }
}
