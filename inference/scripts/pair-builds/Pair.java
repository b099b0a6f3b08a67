import java.lang.reflect.*;
import java.net.*;
import java.nio.file.*;
import java.util.*;

/**
 * Two builds of the engine in one JVM (one class loader each: /work/main's inference classes and h/par's), the same
 * model file, the same thread count; decode tokens alternate A, B, A, B so that both see the same load.
 * args: file threads rounds decodeTokens classesA classesB [dependency classpath]. Run with the JVM flags of ./ledgermind
 * (--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseSerialGC); it stops if the builds' tokens differ.
 */
public class Pair {
    static final class Eng {
        final String name;
        final Object model, cfg, par;
        final Class<?> stateC, sinkC;
        final Constructor<?> stateNew;
        final Method forward;
        final Object sink;
        final int vocab;
        final float[] logits;
        Object state;

        Eng(String name, String classes, String deps, Path file, int threads) throws Exception {
            this.name = name;
            List<URL> urls = new ArrayList<>();
            urls.add(Path.of(classes).toUri().toURL());
            for (String d : deps.split(":")) if (!d.isEmpty()) urls.add(Path.of(d).toUri().toURL());
            ClassLoader cl = new URLClassLoader(urls.toArray(new URL[0]), ClassLoader.getPlatformClassLoader());
            Class<?> modelC = cl.loadClass("dev.ledgermind.inference.llama.LlamaModel");
            Class<?> cfgC = cl.loadClass("dev.ledgermind.inference.kernel.KernelConfig");
            Class<?> parC = cl.loadClass("dev.ledgermind.inference.kernel.Parallel");
            stateC = cl.loadClass("dev.ledgermind.inference.llama.LlamaState");
            sinkC = cl.loadClass("dev.ledgermind.inference.llama.LeafSink");
            model = modelC.getMethod("load", Path.class).invoke(null, file);
            cfg = cfgC.getMethod("defaults").invoke(null);
            par = parC.getConstructor(int.class).newInstance(threads);
            stateNew = stateC.getConstructor(modelC, int.class, cfgC, parC);
            forward = stateC.getMethod("forward", int[].class, int.class, int.class, int.class, float[].class, sinkC);
            sink = java.lang.reflect.Proxy.newProxyInstance(cl, new Class<?>[]{sinkC}, (p, m, a) -> null);
            Object config = modelC.getMethod("config").invoke(model);
            vocab = (int) config.getClass().getMethod("vocab").invoke(config);
            logits = new float[vocab];
            Class<?> nk = cl.loadClass("dev.ledgermind.inference.tensor.NativeKernels");
            System.out.println(name + ": " + nk.getMethod("status").invoke(null));
        }

        void reset(int capacity) throws Exception {
            state = stateNew.newInstance(model, capacity, cfg, par);
        }

        long prefill(int[] prompt) throws Exception {
            long t0 = System.nanoTime();
            forward.invoke(state, prompt, 0, prompt.length, prompt.length - 1, logits, sink);
            return System.nanoTime() - t0;
        }

        int next = -1;

        long step() throws Exception {
            long t0 = System.nanoTime();
            int[] one = {next};
            forward.invoke(state, one, 0, 1, 0, logits, sink);
            next = argmax();
            return System.nanoTime() - t0;
        }

        int argmax() {
            int best = 0;
            for (int i = 1; i < vocab; i++) if (logits[i] > logits[best]) best = i;
            return best;
        }
    }

    static double median(List<Long> v) {
        List<Long> s = new ArrayList<>(v);
        Collections.sort(s);
        int n = s.size();
        return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2.0;
    }

    public static void main(String[] a) throws Exception {
        Path file = Path.of(a[0]);
        int threads = Integer.parseInt(a[1]), rounds = Integer.parseInt(a[2]), decode = Integer.parseInt(a[3]);
        String deps = a.length > 6 ? a[6] : "";
        Eng[] e = {new Eng("main", a[4], deps, file, threads), new Eng("par", a[5], deps, file, threads)};
        int[] prompt = new int[64];
        for (int i = 0; i < prompt.length; i++) prompt[i] = 100 + 37 * i;
        List<Long>[] dec = new List[]{new ArrayList<>(), new ArrayList<>()};
        List<Long>[] pre = new List[]{new ArrayList<>(), new ArrayList<>()};
        for (int r = -1; r < rounds; r++) {
            for (int k = 0; k < 2; k++) {
                int i = (r & 1) == 0 ? k : 1 - k;
                e[i].reset(prompt.length + decode + 1);
                long t = e[i].prefill(prompt);
                if (r >= 0) pre[i].add(t);
                e[i].next = e[i].argmax();
            }
            for (int s = 0; s < decode; s++) {
                for (int k = 0; k < 2; k++) {
                    int i = ((r + s) & 1) == 0 ? k : 1 - k;
                    long t = e[i].step();
                    if (r >= 0) dec[i].add(t);
                }
            }
            if (e[0].next != e[1].next) throw new AssertionError("the builds' tokens differ: " + e[0].next + " " + e[1].next);
        }
        double dm = median(dec[0]) / 1e6, dp = median(dec[1]) / 1e6, pm = median(pre[0]) / 1e6, pp = median(pre[1]) / 1e6;
        System.out.printf(Locale.ROOT, "%s T=%d: decode median ms/token main %.2f par %.2f -> tokens/s main %.2f par %.2f, par/main %.3f | prefill(64) ms main %.0f par %.0f, par/main %.3f (%d tokens each)%n",
                file.getFileName(), threads, dm, dp, 1000 / dm, 1000 / dp, dm / dp, pm, pp, pm / pp, dec[0].size());
        System.exit(0);
    }
}
