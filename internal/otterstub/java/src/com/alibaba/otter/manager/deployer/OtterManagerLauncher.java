/*
 * Stand-in for Otter 4.2.18's manager launcher (same class name). Behaves as
 * the entrypoint sees the real one:
 *  - reads -Dotter.conf (a file path, or "classpath:" + resource name;
 *    default classpath:otter.properties) and copies every key into the
 *    system properties, overwriting same-named -D values;
 *  - serves GET /monitor/ok.htm -> 200 "server is ok!" on otter.port
 *    (default 8080) and listens on otter.communication.manager.port (default
 *    1099, the Dubbo port nodes wait for);
 *  - logs to ../logs/manager.log relative to the working directory (like
 *    Otter's logback.xml), never to stdout, except one start line (see
 *    StubSupport.printStartLine);
 *  - on a startup failure logs "## Something goes wrong when starting up the
 *    manager Server" and calls System.exit(0), as the real one does;
 *  - a shutdown hook logs "## stop the manager server" / "## manager server is down.".
 * If the communication port cannot be bound, the web server still starts but
 * /monitor/ok.htm answers 503, as Jetty does when Otter's webapp fails.
 * Stand-in knobs (system property, env OTTER_STUB_..., or the properties file):
 *  otter.stub.bind          address to listen on (default 127.0.0.1)
 *  otter.stub.startDelayMs  wait before listening (default 0)
 *  otter.stub.exitAfterMs / otter.stub.exitCode  exit by itself
 */
package com.alibaba.otter.manager.deployer;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;

import com.alibaba.otter.stub.StubSupport;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;

public class OtterManagerLauncher {

    public static void main(String[] args) throws Throwable {
        final StubSupport.Log logger = new StubSupport.Log("../logs/manager.log",
                                                           "com.alibaba.otter.manager.deployer.OtterManagerLauncher");
        try {
            String conf = System.getProperty("otter.conf", "classpath:otter.properties");
            Properties properties = StubSupport.load(conf);
            for (Map.Entry<Object, Object> e : properties.entrySet()) {
                System.setProperty((String) e.getKey(), (String) e.getValue());
            }
            StubSupport.printStartLine("manager", properties);

            logger.info("## start the manager server.");
            long delay = StubSupport.knobLong(properties, "otter.stub.startDelayMs", 0);
            if (delay > 0) {
                Thread.sleep(delay);
            }
            InetAddress bind = InetAddress.getByName(StubSupport.knob(properties, "otter.stub.bind", "127.0.0.1"));
            int port = Integer.parseInt(System.getProperty("otter.port", "8080").trim());
            int commPort = Integer.parseInt(System.getProperty("otter.communication.manager.port", "1099").trim());

            boolean contextOK = true;
            ServerSocket comm = null;
            try {
                comm = new ServerSocket();
                comm.setReuseAddress(true);
                comm.bind(new InetSocketAddress(bind, commPort));
                StubSupport.acceptAndClose(comm, "manager-communication");
            } catch (IOException e) {
                contextOK = false;
                logger.error("Context initialization failed: Failed to bind NettyServer on /" + bind.getHostAddress()
                             + ":" + commPort, e);
            }

            final HttpServer server = HttpServer.create(new InetSocketAddress(bind, port), 50);
            final boolean ok = contextOK;
            server.createContext("/", new HttpHandler() {
                @Override
                public void handle(HttpExchange ex) throws IOException {
                    String path = ex.getRequestURI().getPath();
                    int code;
                    String body;
                    if (!ok) {
                        code = 503;
                        body = "Service Unavailable";
                    } else if ("/monitor/ok.htm".equals(path)) {
                        code = 200;
                        body = "server is ok!";
                    } else if ("/".equals(path)) {
                        code = 200;
                        body = "otter manager stand-in";
                    } else {
                        code = 404;
                        body = "not found";
                    }
                    byte[] b = body.getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("Content-Type", "text/html; charset=UTF-8");
                    ex.sendResponseHeaders(code, b.length);
                    OutputStream os = ex.getResponseBody();
                    os.write(b);
                    os.close();
                }
            });
            server.start();
            logger.info("## the manager server is running now ......");
            StubSupport.scheduleExit(properties, logger);
            final ServerSocket commSocket = comm;
            Runtime.getRuntime().addShutdownHook(new Thread() {
                @Override
                public void run() {
                    try {
                        logger.info("## stop the manager server");
                        server.stop(0);
                        if (commSocket != null) {
                            commSocket.close();
                        }
                    } catch (Throwable e) {
                        logger.warn("##something goes wrong when stopping manager Server:\n" + e);
                    } finally {
                        logger.info("## manager server is down.");
                    }
                }
            });
        } catch (Throwable e) {
            logger.error("## Something goes wrong when starting up the manager Server:", e);
            System.exit(0);
        }
        StubSupport.parkForever();
    }
}
