// SignalProbe is a JVM child for the supervisor's tests: it prints "ready",
// prints a tick every 100 ms so a test can see it is still alive, and has a
// shutdown hook that takes 300 ms and then prints "hook done".
public class SignalProbe {
    public static void main(String[] args) throws Exception {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("hook start");
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            System.out.println("hook done");
            System.out.flush();
        }, "probe-shutdown-hook"));
        System.out.println("ready");
        System.out.flush();
        for (long i = 0; ; i++) {
            Thread.sleep(100);
            System.out.println("tick " + i);
            System.out.flush();
        }
    }
}
