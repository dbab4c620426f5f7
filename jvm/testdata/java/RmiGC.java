import java.rmi.Remote;
import java.rmi.server.UnicastRemoteObject;

// RmiGC exports a remote object, as the node's JMX connector does (which
// starts RMI's distributed GC and its periodic System.gc()), optionally
// calls System.gc() itself, watches for args[0] milliseconds and exits.
// Run it with -Xlog:gc to see which collections happened and why.
public class RmiGC {
    public interface Ping extends Remote {}

    static class PingImpl implements Ping {}

    public static void main(String[] args) throws Exception {
        // RMI reads its intervals with Long.getLong, which falls back to the
        // default (an hour) without a word when a value does not parse.
        System.out.println("rmigc intervals " + Long.getLong("sun.rmi.dgc.server.gcInterval", -1)
                + " " + Long.getLong("sun.rmi.dgc.client.gcInterval", -1));
        Ping p = new PingImpl();
        UnicastRemoteObject.exportObject(p, 0);
        if (args.length > 1 && args[1].equals("gc")) {
            System.gc();
        }
        Thread.sleep(Long.parseLong(args[0]));
        System.out.println("rmigc done");
        System.exit(0);
    }
}
