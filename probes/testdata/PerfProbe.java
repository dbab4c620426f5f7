// PerfProbe is a tiny JVM workload for the probes tests: it allocates, loads
// classes, starts threads and calls System.gc(), prints "READY", then obeys
// commands on stdin ("gc" runs System.gc() and prints "OK") until EOF.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;

public class PerfProbe {
    static final List<byte[]> held = new ArrayList<>();

    static class C0 {} static class C1 {} static class C2 {} static class C3 {}
    static class C4 {} static class C5 {} static class C6 {} static class C7 {}

    public static void main(String[] args) throws Exception {
        for (int i = 0; i < 32; i++) {
            held.add(new byte[1 << 20]);
        }
        for (int i = 0; i < 200; i++) {
            byte[] garbage = new byte[64 << 10];
            garbage[0] = (byte) i;
        }
        for (int i = 0; i < 8; i++) {
            Class.forName("PerfProbe$C" + i);
        }
        for (int i = 0; i < 4; i++) {
            Thread t = new Thread(() -> {
                try { Thread.sleep(Long.MAX_VALUE); } catch (InterruptedException e) { }
            }, "sleeper-" + i);
            t.setDaemon(i % 2 == 0);
            t.start();
        }
        System.gc();
        System.out.println("READY");
        System.out.flush();
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
        String line;
        while ((line = in.readLine()) != null) {
            if (line.equals("gc")) {
                System.gc();
            }
            System.out.println("OK");
            System.out.flush();
        }
        System.exit(0);
    }
}
