package dev.ledgermind.inference.llama;

import dev.ledgermind.inference.gguf.GgmlType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ConcurrentHashMap;

/** Tiny synthetic models written once per JVM into a temp directory (deleted on exit). */
public final class TinyModels {
    private static final Path DIR;
    private static final ConcurrentHashMap<String, Path> CACHE = new ConcurrentHashMap<>();

    static {
        try {
            DIR = Files.createTempDirectory("ledgermind-tiny-models");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try (var s = Files.list(DIR)) {
                s.forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // best effort
            }
            DIR.toFile().delete();
        }));
    }

    private TinyModels() {
    }

    public static Path path(String family, GgmlType type) {
        return path(family, new QuantMix.Pure(type));
    }

    public static Path path(String family, QuantMix mix) {
        return path(family, mix, "tiny");
    }

    /** The model of {@code family} in an explicit shape, weight type and seed (the step program's random models). */
    public static Path path(String family, SyntheticModel.Shape s, GgmlType type, long seed) {
        return CACHE.computeIfAbsent(family + "-" + s + "-" + type + "-" + seed, k -> {
            Path p = DIR.resolve(family + "-" + type + "-" + seed + "-" + Integer.toHexString(k.hashCode()) + ".gguf");
            try {
                SyntheticModel.write(p, family, s, type, seed);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return p;
        });
    }

    /** The model of {@code family}, {@code mix} and shape {@code shape} ({@link SyntheticModel#shape}), seed 7. */
    public static Path path(String family, QuantMix mix, String shape) {
        return CACHE.computeIfAbsent(family + "-" + mix.label() + "-" + shape, k -> {
            Path p = DIR.resolve(k + ".gguf");
            try {
                SyntheticModel.write(p, family, SyntheticModel.shape(shape), mix, 7);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return p;
        });
    }
}
