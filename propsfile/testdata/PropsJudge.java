import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.TreeSet;

/**
 * The JVM as judge for propsfile's tests.
 *
 * java PropsJudge load DIR N
 *   loads DIR/0.properties .. DIR/(N-1).properties with
 *   java.util.Properties.load(InputStream) and prints, for each file,
 *   "F i" then one "E <key> <value>" line per entry (sorted by key) or
 *   "X <message>" if load threw. Keys and values are printed as UTF-16 code
 *   units, four hex digits each ("-" for the empty string), so the output
 *   is unambiguous ASCII.
 *
 * java PropsJudge store SPEC DIR
 *   reads maps from SPEC ("M" starts a map, "E <key> <value>" adds an entry,
 *   same hex encoding) and writes map i with Properties.store(OutputStream)
 *   to DIR/i.properties.
 */
public class PropsJudge {
    public static void main(String[] args) throws Exception {
        BufferedWriter out = new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII), 1 << 16);
        if (args.length == 3 && args[0].equals("load")) {
            int n = Integer.parseInt(args[2]);
            for (int i = 0; i < n; i++) {
                out.write("F " + i + "\n");
                Properties p = new Properties();
                try (InputStream in = new FileInputStream(args[1] + "/" + i + ".properties")) {
                    p.load(in);
                } catch (IllegalArgumentException e) {
                    out.write("X " + hex(String.valueOf(e.getMessage())) + "\n");
                    continue;
                }
                for (String k : new TreeSet<>(p.stringPropertyNames())) {
                    out.write("E " + hex(k) + " " + hex(p.getProperty(k)) + "\n");
                }
            }
        } else if (args.length == 3 && args[0].equals("store")) {
            List<Properties> maps = new ArrayList<>();
            try (BufferedReader r = Files.newBufferedReader(Paths.get(args[1]), StandardCharsets.US_ASCII)) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.equals("M")) {
                        maps.add(new Properties());
                    } else if (line.startsWith("E ")) {
                        String[] f = line.split(" ");
                        maps.get(maps.size() - 1).setProperty(unhex(f[1]), unhex(f[2]));
                    }
                }
            }
            for (int i = 0; i < maps.size(); i++) {
                try (OutputStream o = new FileOutputStream(args[2] + "/" + i + ".properties")) {
                    maps.get(i).store(o, "written by java.util.Properties.store");
                }
            }
            out.write("stored " + maps.size() + "\n");
        } else {
            System.err.println("usage: PropsJudge load DIR N | store SPEC DIR");
            System.exit(2);
        }
        out.flush();
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

    static String hex(String s) {
        if (s.isEmpty()) {
            return "-";
        }
        char[] b = new char[s.length() * 4];
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            for (int j = 0; j < 4; j++) {
                b[i * 4 + j] = HEX[(c >> (12 - 4 * j)) & 0xf];
            }
        }
        return new String(b);
    }

    static String unhex(String h) {
        if (h.equals("-")) {
            return "";
        }
        StringBuilder b = new StringBuilder(h.length() / 4);
        for (int i = 0; i < h.length(); i += 4) {
            b.append((char) Integer.parseInt(h.substring(i, i + 4), 16));
        }
        return b.toString();
    }
}
