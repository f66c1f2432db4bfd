package org.elasticsearch.plugins;

import org.elasticsearch.Version;
import org.elasticsearch.common.settings.Settings;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * A {@link PluginsService} whose plugins are plain classes already on the JVM classpath
 * (no plugin directories, no per-plugin class loaders or module layers).
 *
 * Lives in this package because {@code loadPlugin}, {@code loadExtensions} and
 * {@code LoadedPlugin} are package-private in the Elasticsearch server jar.
 */
public class ClasspathPluginsService extends PluginsService {
    private final List<LoadedPlugin> loaded;

    public ClasspathPluginsService(Settings settings, PluginsLoader loader, Collection<Class<? extends Plugin>> pluginClasses) {
        super(settings, null, loader);
        List<LoadedPlugin> list = new ArrayList<>();
        ClassLoader classLoader = ClasspathPluginsService.class.getClassLoader();
        for (Class<? extends Plugin> type : pluginClasses) {
            PluginDescriptor descriptor = new PluginDescriptor(
                type.getSimpleName(),                       // name
                "loaded from the classpath by newsfacet DevNode",
                Version.CURRENT.toString(),                 // plugin version
                Version.CURRENT.toString(),                 // elasticsearch version
                Runtime.version().feature() + "",           // java version
                type.getName(),                             // class name
                null,                                       // module name (not modular)
                List.of(),                                  // extended plugins
                false,                                      // native controller
                false,                                      // licensed
                false,                                      // modular
                false,                                      // stable API
                PluginDescriptor.DeploymentTarget.ALL);
            list.add(new LoadedPlugin(descriptor, loadPlugin(type, settings, null), classLoader));
        }
        loadExtensions(list);
        this.loaded = List.copyOf(list);
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }
}
