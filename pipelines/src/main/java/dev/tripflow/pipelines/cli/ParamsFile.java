package dev.tripflow.pipelines.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tripflow.pipelines.options.UsageException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --paramsFile=params.json}: parameters from a JSON object, one member per option ({@code
 * {"inputGreen": "...", "period": "2020-01..2020-03", "perPeriod": true}}; an array gives a
 * repeatable option several values). An option on the command line wins over the file's.
 */
public final class ParamsFile {
  public static final String OPTION = "paramsFile";

  private ParamsFile() {}

  /**
   * {@code args} with {@code --paramsFile} replaced by the file's parameters that the command line
   * does not set. Arguments are {@code --name=value} (see {@link OptionsParser}).
   */
  public static String[] merge(String command, String[] args) {
    String file = null;
    List<String> rest = new ArrayList<>();
    Set<String> given = new HashSet<>();
    for (String arg : args) {
      if (arg.equals("--" + OPTION) || arg.startsWith("--" + OPTION + "=")) {
        if (file != null) {
          throw new UsageException(command + ": --" + OPTION + " given twice");
        }
        file = arg.indexOf('=') < 0 ? "" : arg.substring(arg.indexOf('=') + 1);
        continue;
      }
      rest.add(arg);
      if (arg.startsWith("--")) {
        int eq = arg.indexOf('=');
        given.add(arg.substring(2, eq < 0 ? arg.length() : eq));
      }
    }
    if (file == null) {
      return args;
    }
    List<String> out = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : read(command, file).entrySet()) {
      if (!given.contains(e.getKey())) {
        for (String v : e.getValue()) {
          out.add("--" + e.getKey() + "=" + v);
        }
      }
    }
    out.addAll(rest);
    return out.toArray(new String[0]);
  }

  /** The file's parameters, in its order, each with its values as strings. */
  static Map<String, List<String>> read(String command, String file) {
    String where = command + ": --" + OPTION + "=" + file;
    if (file.isBlank()) {
      throw new UsageException(command + ": --" + OPTION + " needs a file (a JSON object)");
    }
    if (!Paths.isLocal(file)) {
      throw new UsageException(where + ": must be a local file");
    }
    Path path = Path.of(file);
    JsonNode root;
    try {
      root = new ObjectMapper().readTree(Files.readString(path));
    } catch (java.nio.file.NoSuchFileException e) {
      throw new UsageException(where + ": no such file");
    } catch (JsonProcessingException e) {
      throw new UsageException(
          where
              + ": not valid JSON (line "
              + (e.getLocation() == null ? "?" : e.getLocation().getLineNr())
              + "): "
              + e.getOriginalMessage());
    } catch (IOException e) {
      throw new UsageException(where + ": " + e.getMessage());
    }
    if (root == null || !root.isObject()) {
      throw new UsageException(where + ": must hold a JSON object of parameter names to values");
    }
    Map<String, List<String>> params = new java.util.LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> field = it.next();
      String name = field.getKey();
      if (name.equals(OPTION)) {
        throw new UsageException(where + ": a parameters file cannot name another");
      }
      JsonNode value = field.getValue();
      List<String> values = new ArrayList<>();
      if (value.isArray()) {
        for (JsonNode element : value) {
          values.add(scalar(where, name, element));
        }
      } else if (!value.isNull()) {
        values.add(scalar(where, name, value));
      }
      params.put(name, values);
    }
    return params;
  }

  private static String scalar(String where, String name, JsonNode value) {
    if (value.isTextual()) {
      return value.asText();
    }
    if (value.isNumber() || value.isBoolean()) {
      return value.asText();
    }
    throw new UsageException(
        where + ": \"" + name + "\" must be a string, number, boolean or an array of them");
  }
}
