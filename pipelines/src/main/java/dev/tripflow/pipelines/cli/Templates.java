package dev.tripflow.pipelines.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders a command's parameter declarations ({@code @Description}, {@code @Default}, {@link
 * Param}) as a template spec (the shape of a Dataflow Flex Template metadata file) and as the
 * README's option table: the one source of both.
 */
public final class Templates {
  private Templates() {}

  /** The parameters a template of {@code command} lists. */
  static List<OptionsParser.OptionDoc> parameters(Command command) {
    return OptionsParser.document(command);
  }

  public static int parameterCount(Command command) {
    return parameters(command).size();
  }

  /** The template spec of {@code command}, as pretty-printed JSON ending in a newline. */
  public static String spec(Command command) {
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    ObjectNode root = json.createObjectNode();
    root.put("name", command.name());
    root.put("description", command.summary());
    root.put("usage", "tripflow " + command.usage());
    root.put("streaming", false);
    root.putObject("sdkInfo").put("language", "JAVA");
    ArrayNode params = root.putArray("parameters");
    for (OptionsParser.OptionDoc d : parameters(command)) {
      ObjectNode p = params.addObject();
      p.put("name", d.name());
      p.put("label", d.label());
      p.put("helpText", d.description());
      p.put("isOptional", !d.required());
      p.putArray("regexes").add(d.regex());
      if (!d.form().isEmpty()) {
        p.put("form", d.form());
      }
      if (!d.example().isEmpty()) {
        p.put("example", d.example());
      }
      if (d.defaultValue() != null) {
        p.put("defaultValue", d.defaultValue());
      }
      p.put("type", d.type());
    }
    try {
      return json.writeValueAsString(root) + "\n";
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The option table of {@code command} in Markdown. */
  public static String markdownTable(Command command) {
    StringBuilder sb = new StringBuilder();
    sb.append("| option | meaning | default | example |\n");
    sb.append("|---|---|---|---|\n");
    for (OptionsParser.OptionDoc d : parameters(command)) {
      sb.append("| `--").append(d.name()).append("` | ");
      if (d.required()) {
        sb.append("**required.** ");
      }
      sb.append(cell(d.description())).append(" | ");
      sb.append(
          d.defaultValue() == null || d.defaultValue().isEmpty() ? "" : code(d.defaultValue()));
      sb.append(" | ");
      sb.append(d.example().isEmpty() ? "" : code(d.example()));
      sb.append(" |\n");
    }
    return sb.toString();
  }

  private static String cell(String text) {
    return text.replace("|", "\\|").replace("\n", " ");
  }

  private static String code(String text) {
    return "`" + text.replace("|", "\\|") + "`";
  }

  private static final Pattern BLOCK =
      Pattern.compile("(?m)^<!-- options: ([a-z-]+) -->\\n(?s:.*?)^<!-- /options -->$");

  /**
   * {@code markdown} with the table between each {@code <!-- options: COMMAND -->} and {@code <!--
   * /options -->} line replaced by that command's generated table.
   *
   * @throws UsageException when a marker names no command
   */
  public static String rewriteTables(String markdown, Map<String, Command> commands) {
    Matcher m = BLOCK.matcher(markdown);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      Command c = commands.get(m.group(1));
      if (c == null) {
        throw new UsageException("<!-- options: " + m.group(1) + " --> names no command");
      }
      m.appendReplacement(
          sb,
          Matcher.quoteReplacement(
              "<!-- options: " + c.name() + " -->\n" + markdownTable(c) + "<!-- /options -->"));
    }
    m.appendTail(sb);
    return sb.toString();
  }
}
