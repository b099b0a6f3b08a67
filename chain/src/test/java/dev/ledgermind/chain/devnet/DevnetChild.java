package dev.ledgermind.chain.devnet;

/**
 * Run in a child JVM by {@link DevnetTest}: starts a devnet, prints anvil's pid and ends the JVM without
 * closing the devnet, either by System.exit ("exit") or by returning from main ("return").
 */
public final class DevnetChild {
    public static void main(String[] args) {
        Devnet devnet = Devnet.start();
        System.out.println("ANVIL_PID=" + devnet.pid());
        System.out.flush();
        if (args.length > 0 && args[0].equals("exit")) System.exit(0);
    }
}
