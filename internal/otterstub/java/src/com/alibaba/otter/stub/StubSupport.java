/*
 * A stand-in for Alibaba Otter 4.2.18, used by otter-entrypoint's tests and
 * demo. It is NOT Otter: it reproduces only what the entrypoint can observe
 * (main class names, how the configuration is found, log files and their
 * paths relative to the working directory, ports, exit behaviour, shutdown
 * hooks, aria2c children). See ../../../../../README.md for the knobs.
 *
 * Written for Java 8 (compiled with --release 8) so it runs on JDK 8..25.
 */
package com.alibaba.otter.stub;

import java.io.File;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.text.SimpleDateFormat;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/** Shared helpers of the two stand-in launchers. */
public final class StubSupport {

    /** Prefix of the one line printed to stdout at start; tests look for it. */
    public static final String START_PREFIX = "OTTER-STUB-START ";

    private StubSupport() {
    }

    /** A tiny file logger in logback's default pattern; appends and flushes every line. */
    public static final class Log {
        private final File file;
        private final String logger;
        private final Writer out;

        public Log(String path, String logger) throws IOException {
            this.file = new File(path).getAbsoluteFile();
            this.logger = logger;
            File dir = file.getParentFile();
            if (dir != null && !dir.isDirectory() && !dir.mkdirs() && !dir.isDirectory()) {
                throw new IOException("cannot create log directory " + dir);
            }
            this.out = new OutputStreamWriter(new FileOutputStream(file, true), StandardCharsets.UTF_8);
        }

        public synchronized void log(String level, String msg) {
            String ts = new SimpleDateFormat("yyyy-MM-dd HH:mm:ss.SSS", Locale.ROOT).format(new Date());
            try {
                out.write(ts + " [" + Thread.currentThread().getName() + "] " + level + " " + logger + " - " + msg
                          + "\n");
                out.flush();
            } catch (IOException e) {
                System.err.println("otter-stub: cannot write " + file + ": " + e);
            }
        }

        public void info(String msg) {
            log("INFO ", msg);
        }

        public void warn(String msg) {
            log("WARN ", msg);
        }

        public void error(String msg, Throwable t) {
            StringWriter sw = new StringWriter();
            t.printStackTrace(new PrintWriter(sw));
            log("ERROR", msg + "\n" + sw);
        }
    }

    /** Loads "classpath:name" or a file path, as OtterManagerLauncher does. */
    public static Properties load(String conf) throws IOException {
        Properties p = new Properties();
        InputStream in;
        if (conf.startsWith("classpath:")) {
            String name = conf.substring("classpath:".length());
            in = StubSupport.class.getClassLoader().getResourceAsStream(name);
            if (in == null) {
                throw new IOException("class path resource [" + name + "] cannot be opened because it does not exist");
            }
        } else {
            in = new FileInputStream(conf);
        }
        try {
            p.load(in);
        } finally {
            in.close();
        }
        return p;
    }

    /**
     * Resolves a key the way Otter's Spring placeholder configurer does in
     * SYSTEM_PROPERTIES_MODE_OVERRIDE: system property, then environment
     * variable of that exact name, then the file; ${key:default} expanded
     * recursively; values trimmed.
     */
    public static String resolve(Properties file, String key) {
        return resolve(file, key, 0);
    }

    private static String resolve(Properties file, String key, int depth) {
        String v = System.getProperty(key);
        if (v == null) {
            v = System.getenv(key);
        }
        if (v == null) {
            v = file.getProperty(key);
        }
        if (v == null) {
            return null;
        }
        return expand(file, v.trim(), depth);
    }

    private static String expand(Properties file, String v, int depth) {
        if (depth > 20) {
            return v;
        }
        StringBuilder sb = new StringBuilder();
        int i = 0;
        while (i < v.length()) {
            int start = v.indexOf("${", i);
            if (start < 0) {
                sb.append(v.substring(i));
                break;
            }
            int end = v.indexOf('}', start);
            if (end < 0) {
                sb.append(v.substring(i));
                break;
            }
            sb.append(v, i, start);
            String ref = v.substring(start + 2, end);
            String def = null;
            int colon = ref.indexOf(':');
            if (colon >= 0) {
                def = ref.substring(colon + 1);
                ref = ref.substring(0, colon);
            }
            String r = resolve(file, ref, depth + 1);
            if (r == null) {
                r = def != null ? def : "${" + ref + "}";
            }
            sb.append(r);
            i = end + 1;
        }
        return sb.toString();
    }

    /**
     * A stand-in knob (never an Otter setting): system property name, else the
     * environment variable of that name upper-cased with dots as underscores
     * (otter.stub.aria2c → OTTER_STUB_ARIA2C), else the file's value.
     */
    public static String knob(Properties file, String name, String def) {
        String v = System.getProperty(name);
        if (v == null) {
            v = System.getenv(name.toUpperCase(Locale.ROOT).replace('.', '_'));
        }
        if (v == null && file != null) {
            v = file.getProperty(name);
        }
        return v == null || v.trim().isEmpty() ? def : v.trim();
    }

    public static long knobLong(Properties file, String name, long def) {
        String v = knob(file, name, null);
        if (v == null) {
            return def;
        }
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            return def;
        }
    }

    /** Process id of this JVM on Java 8 and later. */
    public static long pid() {
        String n = ManagementFactory.getRuntimeMXBean().getName();
        int at = n.indexOf('@');
        try {
            return Long.parseLong(at > 0 ? n.substring(0, at) : n);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Process id of a child process on Java 8 (field) and 9+ (Process.pid()). */
    public static long pidOf(Process p) {
        try {
            return ((Number) Process.class.getMethod("pid").invoke(p)).longValue();
        } catch (Exception e) {
            try {
                java.lang.reflect.Field f = p.getClass().getDeclaredField("pid");
                f.setAccessible(true);
                return f.getLong(p);
            } catch (Exception e2) {
                return -1;
            }
        }
    }

    private static boolean secret(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        return k.contains("password") || k.contains("passwd") || k.contains("secret") || k.contains("token");
    }

    /** Secrets are printed as "sha256:<hex>" so tests can compare them without the value showing. */
    public static String mask(String key, String value) {
        if (value == null || !secret(key)) {
            return value;
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            StringBuilder sb = new StringBuilder("sha256:");
            for (byte b : md.digest(value.getBytes(StandardCharsets.UTF_8))) {
                sb.append(String.format("%02x", b & 0xff));
            }
            return sb.toString();
        } catch (Exception e) {
            return "sha256:?";
        }
    }

    /**
     * Prints the start line: START_PREFIX followed by one JSON object with the
     * role, pid, JVM facts (version, max heap, collectors, input arguments),
     * every system property and the effective ("conf") value of every key of
     * the otter.properties the program read. Secrets are masked (see mask).
     */
    public static void printStartLine(String role, Properties file) {
        Map<String, Object> o = new TreeMap<String, Object>();
        o.put("role", role);
        o.put("pid", Long.valueOf(pid()));
        o.put("javaVersion", System.getProperty("java.version"));
        o.put("maxHeap", Long.valueOf(Runtime.getRuntime().maxMemory()));
        List<String> gcs = new ArrayList<String>();
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            gcs.add(gc.getName());
        }
        o.put("collectors", gcs);
        o.put("inputArguments", new ArrayList<String>(ManagementFactory.getRuntimeMXBean().getInputArguments()));
        Map<String, Object> sys = new TreeMap<String, Object>();
        for (String k : System.getProperties().stringPropertyNames()) {
            sys.put(k, mask(k, System.getProperty(k)));
        }
        o.put("sysprops", sys);
        Map<String, Object> conf = new TreeMap<String, Object>();
        if (file != null) {
            for (String k : file.stringPropertyNames()) {
                conf.put(k, mask(k, resolve(file, k)));
            }
        }
        o.put("conf", conf);
        StringBuilder sb = new StringBuilder(START_PREFIX);
        json(sb, o);
        System.out.println(sb);
        System.out.flush();
    }

    @SuppressWarnings("unchecked")
    private static void json(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Number) {
            sb.append(v);
        } else if (v instanceof Map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                json(sb, e.getKey());
                sb.append(':');
                json(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof List) {
            sb.append('[');
            boolean first = true;
            for (Object e : (List<Object>) v) {
                if (!first) {
                    sb.append(',');
                }
                first = false;
                json(sb, e);
            }
            sb.append(']');
        } else {
            String s = v.toString();
            sb.append('"');
            for (int i = 0; i < s.length(); i++) {
                char c = s.charAt(i);
                switch (c) {
                    case '"':
                        sb.append("\\\"");
                        break;
                    case '\\':
                        sb.append("\\\\");
                        break;
                    case '\n':
                        sb.append("\\n");
                        break;
                    case '\r':
                        sb.append("\\r");
                        break;
                    case '\t':
                        sb.append("\\t");
                        break;
                    default:
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                }
            }
            sb.append('"');
        }
    }

    /** Exits by itself after otter.stub.exitAfterMs with otter.stub.exitCode (tests of unexpected exits). */
    public static void scheduleExit(Properties file, final Log log) {
        final long after = knobLong(file, "otter.stub.exitAfterMs", -1);
        if (after < 0) {
            return;
        }
        final int code = (int) knobLong(file, "otter.stub.exitCode", 0);
        daemon("otter-stub-exit", () -> {
            try {
                Thread.sleep(after);
            } catch (InterruptedException e) {
                return;
            }
            log.warn("## otter-stub: exiting by itself with code " + code + " (otter.stub.exitAfterMs)");
            System.exit(code);
        });
    }

    /** Starts r on a daemon thread named name: the stand-in's background work never keeps the JVM up. */
    public static void daemon(String name, Runnable r) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        t.start();
    }

    /** Accepts connections on s and closes each at once, until s is closed: a port that is listened on, nothing more. */
    public static void acceptAndClose(final ServerSocket s, String threadName) {
        daemon(threadName, () -> {
            while (true) {
                try {
                    s.accept().close();
                } catch (IOException e) {
                    return; // closed at shutdown
                }
            }
        });
    }

    /** Blocks the calling thread forever: Otter's servers never return from main on their own. */
    public static void parkForever() {
        Object o = new Object();
        synchronized (o) {
            while (true) {
                try {
                    o.wait();
                } catch (InterruptedException e) {
                    // keep waiting, like a server thread
                }
            }
        }
    }
}
