package dev.tripflow.pipelines.options;

import java.beans.Introspector;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The {@link Param#role roles} a command's options declare, read from their getters: which options
 * are inputs, outputs and other paths. Everything that treats paths (making them absolute, checking
 * outputs against inputs, filling period placeholders) asks here rather than keeping lists of
 * names.
 */
public final class Roles {
  private Roles() {}

  private static final Map<Class<?>, Map<String, Param>> CACHE = new ConcurrentHashMap<>();

  /** Option name to its {@link Param}, for every option of {@code type} that declares one. */
  public static Map<String, Param> of(Class<?> type) {
    return CACHE.computeIfAbsent(
        type,
        t -> {
          Map<String, Param> params = new LinkedHashMap<>();
          for (Method m : t.getMethods()) {
            Param p = m.getAnnotation(Param.class);
            String name = property(m);
            if (p != null && name != null) {
              params.put(name, p);
            }
          }
          return Map.copyOf(params);
        });
  }

  /** The params of every options interface {@code options} is a view of. */
  public static Map<String, Param> of(PipelineOptions options) {
    Map<String, Param> all = new LinkedHashMap<>();
    for (Class<?> iface : options.getClass().getInterfaces()) {
      all.putAll(of(iface));
    }
    return all;
  }

  /** The names of the options of {@code options} that have one of {@code roles}. */
  public static List<String> named(PipelineOptions options, Param.Role... roles) {
    Set<Param.Role> wanted = Set.of(roles);
    List<String> names = new ArrayList<>();
    of(options)
        .forEach(
            (name, p) -> {
              if (wanted.contains(p.role())) {
                names.add(name);
              }
            });
    return names;
  }

  /** The role of option {@code name} in any of the commands' options, NONE if it has none. */
  public static Param.Role roleOf(Class<?> type, String name) {
    Param p = of(type).get(name);
    return p == null ? Param.Role.NONE : p.role();
  }

  /**
   * The value of option {@code name} in {@code options}, read through its getter (a String, a List
   * of them, or null); how the resolve step reads the values whose roles it handles.
   */
  public static Object value(PipelineOptions options, String name) {
    String cap = Character.toUpperCase(name.charAt(0)) + name.substring(1);
    for (Class<?> iface : options.getClass().getInterfaces()) {
      try {
        return iface.getMethod("get" + cap).invoke(options);
      } catch (NoSuchMethodException e) {
        // another interface's
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("--" + name, e);
      }
    }
    return null;
  }

  public static String property(Method m) {
    if (m.getParameterCount() != 0) {
      return null;
    }
    String n = m.getName();
    if (n.startsWith("get") && n.length() > 3) {
      return Introspector.decapitalize(n.substring(3));
    }
    if (n.startsWith("is") && n.length() > 2) {
      return Introspector.decapitalize(n.substring(2));
    }
    return null;
  }
}
