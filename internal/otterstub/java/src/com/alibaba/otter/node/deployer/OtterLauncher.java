/*
 * Stand-in for Otter 4.2.18's node launcher (same class name). Behaves as the
 * entrypoint sees the real one:
 *  - requires -Dnid: without it the static initialisation fails with
 *    "nid is not set!" and the JVM dies with
 *    "Exception in thread "main" java.lang.ExceptionInInitializerError" (exit 1);
 *  - reads classpath:otter.properties (resolved like Otter's Spring
 *    placeholders: system property, then env var of that exact name, then the
 *    file; ${key:default} expanded) and creates otter.htdocs.dir and
 *    otter.download.dir;
 *  - logs to ../logs/node/node.log relative to the working directory, ending
 *    the start with "## the otter server is running now ......";
 *  - "registers" by creating ../logs/node/registered-<nid> and removes it in a
 *    shutdown hook that takes otter.stub.shutdownDelayMs (default 500 ms),
 *    logging "## stop the otter server" first and "## otter server is down." last;
 *  - given a ZooKeeper connect string (otter.stub.zkServers: the real node gets
 *    it from its NODE row's cluster through the manager), registers as 4.2.18's
 *    NodeArbitrateEvent.init does, with the real ZooKeeper client: the ephemeral
 *    /otter/node/{nid}, empty, open ACL, parents created persistent, requesting a
 *    session of otter.stub.zkSessionTimeoutMs (default 90000, ZooKeeperx's) and
 *    waiting otter.zookeeper.sessionTimeout (default 60000) for the connection.
 *    When the node already exists (a killed JVM's session still holds it) the
 *    main thread dies with ArbitrateException "Node_init" after the ports are
 *    open, and a non-daemon thread (Jetty's pool in Otter) keeps the JVM running
 *    unregistered: no running line, no shutdown hook. The shutdown hook deletes
 *    the node and closes the session. When the session expires, the node is
 *    registered again on a new session, as OtterController's NodeSessionExpired
 *    notification does.
 *  - fetches files with a real aria2c child process (Otter's command line:
 *    Runtime.exec, no shell, aria2c from PATH, working dir the download dir).
 *
 * Asking for an aria2c download (stand-in knobs):
 *  otter.stub.aria2c = <url> | hang   at start (system property, env
 *      OTTER_STUB_ARIA2C, or the properties file). "hang" makes the stand-in
 *      listen on 127.0.0.1:<free port>, never answer, and point aria2c at it,
 *      so a long-running aria2c child exists (aria2c's --timeout=600).
 *  a file "<name>.url" dropped into otter.stub.fetchDir (default
 *      ../logs/node/fetch, polled every 200 ms) whose content is a URL or
 *      "hang"; it is renamed to "<name>.started" when aria2c starts.
 *  Each start logs "## aria2c started pid=<pid> url=<url>", each end
 *  "## aria2c exited pid=<pid> code=<code>".
 * Other knobs: otter.stub.port (listen on that TCP port, like Node.port),
 * otter.stub.bind (default 127.0.0.1), otter.stub.exitAfterMs / otter.stub.exitCode.
 */
package com.alibaba.otter.node.deployer;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import com.alibaba.otter.stub.StubSupport;

public class OtterLauncher {

    static final StubSupport.Log logger = openLog();

    private static StubSupport.Log openLog() {
        try {
            return new StubSupport.Log("../logs/node/node.log", "com.alibaba.otter.node.deployer.OtterLauncher");
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** Stands in for OtterContextLocator: its static initialisation is where Otter reads nid. */
    static final class Controller {
        static final long NID;
        static {
            String nid = System.getProperty("nid");
            if (nid == null || nid.trim().isEmpty()) {
                RuntimeException e = new IllegalStateException("nid is not set!");
                logger.error("Context initialization failed", e);
                throw e;
            }
            NID = Long.valueOf(nid.trim());
            logger.info("## the nodeId = " + NID);
        }
    }

    public static void main(String[] args) throws Throwable {
        final long nid = Controller.NID;
        Properties file;
        try {
            file = StubSupport.load("classpath:otter.properties");
        } catch (IOException e) {
            logger.warn("otter.properties not found: " + e.getMessage());
            file = new Properties();
        }
        final Properties conf = file;
        StubSupport.printStartLine("node", conf);

        mkdirs(StubSupport.resolve(conf, "otter.htdocs.dir"));
        final File download = mkdirs(StubSupport.resolve(conf, "otter.download.dir"));
        final InetAddress bind = InetAddress.getByName(StubSupport.knob(conf, "otter.stub.bind", "127.0.0.1"));
        String port = StubSupport.knob(conf, "otter.stub.port", null);
        if (port != null) {
            ServerSocket s = new ServerSocket();
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(bind, Integer.parseInt(port)));
            StubSupport.acceptAndClose(s, "node-port");
        }

        // Only touched with ZooKeeper configured: without it, its client
        // classes need not be on the class path.
        final ZkRegistration zk = StubSupport.knob(conf, "otter.stub.zkServers", null) == null ? null
            : ZkRegistration.register(conf, nid, logger);

        final File registration = new File("../logs/node/registered-" + nid).getAbsoluteFile();
        Files.write(registration.toPath(), String.valueOf(StubSupport.pid()).getBytes(StandardCharsets.UTF_8));
        logger.info("## the otter server is running now ......");

        final long delay = StubSupport.knobLong(conf, "otter.stub.shutdownDelayMs", 500);
        Runtime.getRuntime().addShutdownHook(new Thread() {
            @Override
            public void run() {
                try {
                    logger.info("## stop the otter server");
                    if (zk != null) {
                        zk.unregister();
                    }
                    Thread.sleep(delay);
                    if (!registration.delete()) {
                        logger.warn("registration " + registration + " was already gone");
                    }
                } catch (Throwable e) {
                    logger.warn("##something goes wrong when stopping Otter Server:\n" + e);
                } finally {
                    logger.info("## otter server is down.");
                }
            }
        });

        String first = StubSupport.knob(conf, "otter.stub.aria2c", null);
        if (first != null) {
            fetch(first, download);
        }
        watchFetchDir(new File(StubSupport.knob(conf, "otter.stub.fetchDir", "../logs/node/fetch")), download);
        StubSupport.scheduleExit(conf, logger);
        StubSupport.parkForever();
    }

    private static File mkdirs(String path) {
        if (path == null) {
            return new File(".").getAbsoluteFile();
        }
        File d = new File(path);
        if (!d.isDirectory() && !d.mkdirs()) {
            logger.warn("cannot create " + d);
        }
        return d;
    }

    /** Starts aria2c as Otter's Aria2cDownload does and logs its pid and exit code. */
    static void fetch(String what, final File targetDir) {
        String url = what;
        try {
            if ("hang".equals(what)) {
                ServerSocket silent = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
                holdOpen(silent);
                url = "http://127.0.0.1:" + silent.getLocalPort() + "/hang.bin";
            }
            String name = "stub-" + System.nanoTime() + ".bin";
            String dir = targetDir.getAbsolutePath();
            List<String> cmd = new ArrayList<String>();
            cmd.add("aria2c");
            cmd.addAll(Arrays.asList("-o", name, "-d", dir, "-l", dir + "/aria2c.log"));
            cmd.addAll(Arrays.asList("--no-conf", "-s", "16", "-j", "50", "-x", "16", "-k", "2M", "--timeout=600",
                                     "--max-tries=5", "--stop=1800", "--allow-overwrite=true",
                                     "--enable-http-keep-alive=true", "--log-level=warn"));
            cmd.add(url);
            final Process p = Runtime.getRuntime().exec(cmd.toArray(new String[0]), null, targetDir);
            final long pid = StubSupport.pidOf(p);
            logger.info("## aria2c started pid=" + pid + " url=" + url);
            drain(p.getInputStream());
            drain(p.getErrorStream());
            StubSupport.daemon("aria2c-" + pid, () -> {
                try {
                    int code = p.waitFor();
                    logger.info("## aria2c exited pid=" + pid + " code=" + code);
                } catch (InterruptedException e) {
                    p.destroy();
                }
            });
        } catch (IOException e) {
            logger.error("download_error: " + url, e);
        }
    }

    private static void watchFetchDir(final File dir, final File download) {
        StubSupport.daemon("otter-stub-fetch-dir", () -> {
            while (true) {
                File[] files = dir.listFiles();
                if (files != null) {
                    Arrays.sort(files);
                    for (File f : files) {
                        if (!f.getName().endsWith(".url")) {
                            continue;
                        }
                        try {
                            String what = new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8).trim();
                            String base = f.getName().substring(0, f.getName().length() - 4);
                            if (!f.renameTo(new File(dir, base + ".started"))) {
                                continue;
                            }
                            fetch(what, download);
                        } catch (IOException e) {
                            logger.warn("cannot read " + f + ": " + e);
                        }
                    }
                }
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    private static void holdOpen(final ServerSocket s) {
        StubSupport.daemon("otter-stub-silent-server", () -> {
            List<Socket> held = new ArrayList<Socket>();
            while (true) {
                try {
                    held.add(s.accept()); // accept and never answer
                } catch (IOException e) {
                    return;
                }
            }
        });
    }

    private static void drain(final InputStream in) {
        StubSupport.daemon("aria2c-output", () -> {
            byte[] b = new byte[4096];
            try {
                while (in.read(b) >= 0) {
                    // discarded, like Otter's collector threads do after reading
                }
            } catch (IOException e) {
                // process gone
            }
        });
    }
}
