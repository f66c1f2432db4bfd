package dev.newsfacet.es;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

/**
 * Starts a real Elasticsearch node, built from the Maven Central jars, for development and tests.
 *
 * <pre>
 * DevNode --home DIR [--http-port N] [--transport-port N] [--port-file FILE] [-Ekey=value ...]
 * </pre>
 *
 * This class touches no Elasticsearch/Log4j/Netty class before the system properties they read at class
 * initialisation are set; the node itself is driven by {@link DevNodeRunner}.
 */
public final class DevNode {
    static final String READY_PREFIX = "NEWSFACET_ES_READY ";

    /** Parsed command line. */
    record Options(Path home, String httpPort, String transportPort, Path portFile, Map<String, String> overrides) {
    }

    public static void main(String[] args) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("DevNode: " + e.getMessage());
            System.err.println(usage());
            System.exit(2);
            return;
        }
        if (options == null) {
            System.out.println(usage());
            return;
        }
        try {
            Path home = options.home();
            Files.createDirectories(home.resolve("data"));
            Files.createDirectories(home.resolve("logs"));
            Files.createDirectories(home.resolve("config"));
            Files.createDirectories(home.resolve("tmp"));
            String nodeName = options.overrides().getOrDefault("node.name", DevNodeRunner.DEFAULT_NODE_NAME);
            String logs = options.overrides().getOrDefault("path.logs", home.resolve("logs").toString());
            Files.createDirectories(Path.of(logs));
            // System properties that Elasticsearch's jvm.options would set, unless given with -D.
            defaultProperty("newsfacet.es.logs", logs);
            defaultProperty("newsfacet.es.node", nodeName.replaceAll("[^A-Za-z0-9._-]", "_"));
            defaultProperty("log4j2.configurationFile", "classpath:newsfacet-es-log4j2.properties");
            defaultProperty("log4j.shutdownHookEnabled", "false");
            defaultProperty("log4j2.disable.jmx", "true");
            defaultProperty("log4j2.formatMsgNoLookups", "true");
            defaultProperty("io.netty.noUnsafe", "true");
            defaultProperty("io.netty.noKeySetOptimization", "true");
            defaultProperty("io.netty.recycler.maxCapacityPerThread", "0");
            defaultProperty("java.io.tmpdir", home.resolve("tmp").toString());
            defaultProperty("file.encoding", "UTF-8");
        } catch (IOException e) {
            System.err.println("DevNode: cannot prepare " + options.home() + ": " + e);
            System.exit(1);
            return;
        }
        DevNodeRunner.run(options);
    }

    private static void defaultProperty(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    static Options parse(String[] rawArgs) {
        List<String> split = new ArrayList<>();
        for (String arg : rawArgs) { // --option=value is accepted too
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 2) {
                split.add(arg.substring(0, eq));
                split.add(arg.substring(eq + 1));
            } else {
                split.add(arg);
            }
        }
        String[] args = split.toArray(String[]::new);
        Path home = null;
        String httpPort = null;
        String transportPort = null;
        Path portFile = null;
        Map<String, String> overrides = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            switch (arg) {
                case "-h", "--help" -> {
                    return null;
                }
                case "--home" -> home = Path.of(value(args, ++i, arg)).toAbsolutePath().normalize();
                case "--http-port" -> httpPort = port(value(args, ++i, arg), arg);
                case "--transport-port" -> transportPort = port(value(args, ++i, arg), arg);
                case "--port-file" -> portFile = Path.of(value(args, ++i, arg)).toAbsolutePath().normalize();
                case "-E" -> setting(value(args, ++i, arg), overrides);
                default -> {
                    if (arg.startsWith("-E")) {
                        setting(arg.substring(2), overrides);
                    } else {
                        throw new IllegalArgumentException("unknown argument [" + arg + "]");
                    }
                }
            }
        }
        if (home == null) {
            throw new IllegalArgumentException("--home DIR is required");
        }
        return new Options(home, httpPort, transportPort, portFile, overrides);
    }

    private static String value(String[] args, int i, String option) {
        if (i >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[i];
    }

    private static String port(String value, String option) {
        try {
            int port = Integer.parseInt(value.trim());
            if (port < 0 || port > 65535) throw new NumberFormatException();
            return Integer.toString(port);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(option + " must be a port number 0-65535, got [" + value + "]");
        }
    }

    private static void setting(String keyValue, Map<String, String> overrides) {
        int eq = keyValue.indexOf('=');
        if (eq <= 0) {
            throw new IllegalArgumentException("-E needs key=value, got [" + keyValue + "]");
        }
        overrides.put(keyValue.substring(0, eq).trim(), keyValue.substring(eq + 1));
    }

    static String usage() {
        return String.join("\n", List.of(
            "usage: DevNode --home DIR [--http-port N] [--transport-port N] [--port-file FILE] [-Ekey=value ...]",
            "  --home DIR           node home; data in DIR/data, logs in DIR/logs (created if missing)",
            "  --http-port N        HTTP port on 127.0.0.1; 0 or omitted = any free port",
            "  --transport-port N   transport port on 127.0.0.1; 0 or omitted = any free port",
            "  --port-file FILE     when ready, the HTTP port is written there (atomically)",
            "  -Ekey=value          any Elasticsearch setting; an empty value removes a default",
            "When ready, prints: " + READY_PREFIX + "http://127.0.0.1:PORT"));
    }

    /** Writes text to {@code target} atomically: a temporary file in the same directory, then a rename. */
    static void writeAtomically(Path target, String text) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, target.getFileName().toString(), ".tmp");
        try {
            Files.writeString(tmp, text, StandardCharsets.UTF_8);
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    static void await(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }


}
