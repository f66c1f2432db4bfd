package dev.newsfacet.es;

import dev.newsfacet.es.plugin.NewsfacetDevPlugin;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.Logger;
import org.apache.logging.log4j.core.config.Configurator;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.http.HttpServerTransport;
import org.elasticsearch.node.ClasspathNode;
import org.elasticsearch.node.Node;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.transport.TransportService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Builds the settings, starts the node, announces readiness and closes the node on SIGTERM/SIGINT. */
final class DevNodeRunner {
    static final String DEFAULT_NODE_NAME = "newsfacet-dev-0";

    /** Plugins loaded from the classpath: Netty (HTTP + transport) and our fill-ins for missing modules. */
    static final List<Class<? extends Plugin>> PLUGINS = List.of(Netty4Plugin.class, NewsfacetDevPlugin.class);

    private DevNodeRunner() {
    }

    static Settings settings(DevNode.Options options) {
        Settings.Builder builder = Settings.builder()
            .put("path.home", options.home().toString())
            .put("path.data", options.home().resolve("data").toString())
            .put("path.logs", options.home().resolve("logs").toString())
            .put("cluster.name", "newsfacet-dev")
            .put("node.name", DEFAULT_NODE_NAME)
            .put("network.host", "127.0.0.1")
            .put("http.port", options.httpPort() == null ? "0" : options.httpPort())
            .put("transport.port", options.transportPort() == null ? "0" : options.transportPort())
            .put("discovery.type", "single-node")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("action.destructive_requires_name", false)
            .put("indices.breaker.total.use_real_memory", false);
        Map<String, String> overrides = options.overrides();
        boolean clusterFormation = overrides.containsKey("discovery.seed_hosts")
            || overrides.containsKey("cluster.initial_master_nodes")
            || overrides.containsKey("discovery.seed_providers");
        if (clusterFormation && overrides.containsKey("discovery.type") == false) {
            builder.remove("discovery.type"); // single-node forbids cluster formation settings
        }
        for (Map.Entry<String, String> e : overrides.entrySet()) {
            if (e.getValue().isEmpty()) {
                builder.remove(e.getKey());
            } else {
                builder.put(e.getKey(), e.getValue());
            }
        }
        return builder.build();
    }

    static void run(DevNode.Options options) {
        LogConfigurator.configureESLogging();
        Logger logger = LogManager.getLogger(DevNode.class);
        Settings settings = settings(options);
        long started = System.nanoTime();
        Node node;
        int httpPort;
        try {
            Environment environment = new Environment(settings, options.home().resolve("config"));
            node = new ClasspathNode(environment, PLUGINS);
            node.start();
            HttpServerTransport http = node.injector().getInstance(HttpServerTransport.class);
            httpPort = http.boundAddress().publishAddress().getPort();
            int transportPort = node.injector().getInstance(TransportService.class).boundAddress().publishAddress().getPort();
            logger.info("newsfacet dev node started in {} ms: http port {}, transport port {}",
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started), httpPort, transportPort);
        } catch (Throwable e) {
            logger.error("newsfacet dev node failed to start", e);
            System.err.println("DevNode: failed to start: " + e);
            Configurator.shutdown(org.apache.logging.log4j.core.LoggerContext.getContext(false));
            System.exit(1);
            return;
        }

        CountDownLatch closed = new CountDownLatch(1);
        Node running = node;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                logger.info("stopping newsfacet dev node");
                running.prepareForClose();
                running.close();
                if (running.awaitClose(30, TimeUnit.SECONDS) == false) {
                    logger.warn("node did not close within 30s");
                }
                logger.info("newsfacet dev node stopped");
            } catch (Throwable e) {
                logger.error("error while closing the node", e);
            } finally {
                closed.countDown();
                Configurator.shutdown(org.apache.logging.log4j.core.LoggerContext.getContext(false));
            }
        }, "newsfacet-dev-shutdown"));

        try {
            if (options.portFile() != null) {
                DevNode.writeAtomically(options.portFile(), Integer.toString(httpPort));
            }
        } catch (Exception e) {
            logger.error("cannot write port file {}", options.portFile(), e);
            System.err.println("DevNode: cannot write port file " + options.portFile() + ": " + e);
            System.exit(1);
        }
        System.out.println(DevNode.READY_PREFIX + "http://127.0.0.1:" + httpPort);
        System.out.flush();
        DevNode.await(closed); // keeps the JVM alive (node threads are daemons) until the shutdown hook ran
    }
}
