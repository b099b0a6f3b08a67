package dev.ledgermind.inference.kernel;

import jdk.incubator.vector.FloatVector;

/**
 * Which kernel implementation runs: the vector width (0 = the scalar reference path, 128, 256 or 512
 * bits) and how many threads a caller should use by default.
 *
 * <p>The width changes only speed, never results: every width computes the canonical accumulation
 * layout of {@link Dot} (16 partial sums), so all widths are bit-identical. Forcing a width wider than
 * the hardware's is allowed (the JIT then emulates it slowly); tests do this to cover 512 bits on an
 * AVX2 machine.
 *
 * <p>The process default comes from the system property {@value #VECTOR_BITS_PROPERTY} (read once, on
 * first use), else the platform's preferred species. Code that must pin a width (tests, benchmarks)
 * builds its own instance with {@link #ofBits(int)} instead of touching the property.
 */
public final class KernelConfig {
    /** System property selecting the vector width in bits: 0 (scalar), 128, 256 or 512. */
    public static final String VECTOR_BITS_PROPERTY = "ledgermind.vector.bits";
    /** System property with the default thread count (else the number of available processors). */
    public static final String THREADS_PROPERTY = "ledgermind.threads";

    /**
     * System property: {@code false} keeps every product in Java (no native kernel is called, even where one is
     * built and the CPU runs it). The results are the same either way; only speed changes.
     */
    public static final String NATIVE_PROPERTY = "ledgermind.native";
    private static final boolean NATIVE_DEFAULT =
            !"false".equalsIgnoreCase(System.getProperty(NATIVE_PROPERTY, "true").trim());

    private static final KernelConfig SCALAR = new KernelConfig(0, false);
    private static final KernelConfig V128 = new KernelConfig(128, false);
    private static final KernelConfig V256 = new KernelConfig(256, false);
    private static final KernelConfig V512 = new KernelConfig(512, NATIVE_DEFAULT);
    private static final KernelConfig V512_JAVA = new KernelConfig(512, false);
    private static final KernelConfig V512_NATIVE = new KernelConfig(512, true);

    private static final class Default {
        static final KernelConfig INSTANCE = fromProperty();
    }

    private final int vectorBits;
    private final boolean nativeKernels;

    private KernelConfig(int vectorBits, boolean nativeKernels) {
        this.vectorBits = vectorBits;
        this.nativeKernels = nativeKernels;
    }

    /** The width given explicitly: 0 (scalar reference path), 128, 256 or 512 bits. */
    public static KernelConfig ofBits(int bits) {
        return switch (bits) {
            case 0 -> SCALAR;
            case 128 -> V128;
            case 256 -> V256;
            case 512 -> V512;
            default -> throw new IllegalArgumentException(
                    "vector width must be 0 (scalar), 128, 256 or 512 bits, found " + bits);
        };
    }

    /** The scalar reference path. */
    public static KernelConfig scalar() {
        return SCALAR;
    }

    /** The process default: {@value #VECTOR_BITS_PROPERTY} if set, else the preferred species (read once). */
    public static KernelConfig defaults() {
        return Default.INSTANCE;
    }

    private static KernelConfig fromProperty() {
        String value = System.getProperty(VECTOR_BITS_PROPERTY);
        if (value == null || value.isBlank()) {
            int preferred = FloatVector.SPECIES_PREFERRED.vectorBitSize();
            return preferred >= 512 ? V512 : preferred >= 256 ? V256 : preferred >= 128 ? V128 : SCALAR;
        }
        try {
            return ofBits(Integer.parseInt(value.trim()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("system property " + VECTOR_BITS_PROPERTY
                    + " must be 0, 128, 256 or 512, found '" + value + "'", e);
        }
    }

    /**
     * Whether a product may call a native kernel where one is built and runs on this CPU (512 bits only; the native
     * kernels are the 512-bit layout's operations, with the same bits: DESIGN.md section 3). True for 512 bits unless
     * {@value #NATIVE_PROPERTY} is {@code false}.
     */
    public boolean nativeKernels() {
        return nativeKernels;
    }

    /** This width with native kernels allowed or not (only 512 bits has them; other widths are returned as they are). */
    public KernelConfig withNative(boolean allowed) {
        if (vectorBits != 512) return this;
        return allowed ? V512_NATIVE : V512_JAVA;
    }

    /** The vector width in bits; 0 means the scalar reference path. */
    public int vectorBits() {
        return vectorBits;
    }

    public boolean isScalar() {
        return vectorBits == 0;
    }

    /**
     * The thread count to use: {@code requested} if positive, else {@value #THREADS_PROPERTY}, else the
     * number of available processors.
     */
    public static int threads(int requested) {
        if (requested > 0) return requested;
        return defaultThreads();
    }

    /** {@value #THREADS_PROPERTY} if set and positive, else the number of available processors. */
    public static int defaultThreads() {
        String value = System.getProperty(THREADS_PROPERTY);
        if (value != null && !value.isBlank()) {
            int n;
            try {
                n = Integer.parseInt(value.trim());
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (n > 0) return n;
            throw new IllegalArgumentException("system property " + THREADS_PROPERTY
                    + " must be a positive integer, found '" + value + "'");
        }
        return Runtime.getRuntime().availableProcessors();
    }

    @Override
    public String toString() {
        return vectorBits == 0 ? "scalar" : vectorBits + "-bit" + (vectorBits == 512 && !nativeKernels ? " (Java only)" : "");
    }
}
