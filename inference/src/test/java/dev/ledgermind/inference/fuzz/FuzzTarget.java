package dev.ledgermind.inference.fuzz;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * One parser under fuzzing: a class with Jazzer's {@code public static void fuzzerTestOneInput(byte[])}
 * (and optionally {@code fuzzerInitialize()}), the folder of its seed corpus under the module's
 * {@code src/test/resources/fuzz/}, and the largest input the fuzzer may generate.
 *
 * <p>A target throws for a <em>crash</em> only: it catches the parser's own documented format error,
 * checks that the message names the field and the offset (or JSON path), and returns. Anything else
 * that escapes (another exception, an {@link AssertionError} from a message check, an
 * {@link OutOfMemoryError}, a {@link StackOverflowError}) is a finding.
 *
 * <p>{@code uninstrumented} lists packages (Jazzer globs, {@code :}-separated) that the target runs but that are not
 * what it fuzzes, left without coverage instrumentation so that the child starts sooner and runs them at full
 * speed (the gateway target's inference engine); empty for none.
 */
public record FuzzTarget(String name, Class<?> targetClass, int maxLen, String uninstrumented) {
    public FuzzTarget(String name, Class<?> targetClass, int maxLen) {
        this(name, targetClass, maxLen, "");
    }

    /** The committed seed corpus of this target in {@code module} (the module's base directory). */
    public Path seeds(Path module) {
        return module.resolve("src/test/resources/fuzz").resolve(name);
    }

    /** Every seed file, sorted, for replay in-process (the regression half of the fuzz test). */
    public List<Path> seedFiles(Path module) {
        try (Stream<Path> s = Files.list(seeds(module))) {
            return s.filter(Files::isRegularFile).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("no seed corpus for fuzz target " + name + " at " + seeds(module), e);
        }
    }

    /** Runs the target once on {@code input} in this JVM, as the fuzzer would, rethrowing what it throws. */
    public void runOnce(byte[] input) throws Throwable {
        try {
            try {
                targetClass.getMethod("fuzzerInitialize").invoke(null);
            } catch (NoSuchMethodException none) {
                // no initializer
            }
            targetClass.getMethod("fuzzerTestOneInput", byte[].class).invoke(null, (Object) input);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }
}
