package dev.tripflow.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.OptionsParser;
import dev.tripflow.pipelines.options.Param;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.apache.beam.sdk.options.Description;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The parameter declarations: complete for every command, their examples and defaults of the form
 * their regexes declare, the template spec written from them, values refused by those regexes, and
 * option tables rewritten from them (the README's are checked with every command, in deploy).
 */
public class TemplatesTest {
  @Rule public TemporaryFolder tmp = new TemporaryFolder();

  @Test
  public void everyOptionOfEveryCommandDeclaresItsTemplateMetadata() {
    List<String> missing = new ArrayList<>();
    for (Command c : PipelineCommands.commands().values()) {
      for (Method m : c.optionsClass().getMethods()) {
        if (m.getDeclaringClass().getName().startsWith("dev.tripflow.pipelines.")
            && m.isAnnotationPresent(Description.class)
            && !m.isAnnotationPresent(Param.class)) {
          missing.add(c.name() + ": " + m.getDeclaringClass().getSimpleName() + "." + m.getName());
        }
      }
    }
    assertEquals("options without @Param", List.of(), missing);
  }

  @Test
  public void examplesAndDefaultsHaveTheFormTheirRegexesDeclare() {
    List<String> wrong = new ArrayList<>();
    for (Command c : PipelineCommands.commands().values()) {
      for (OptionsParser.OptionDoc d : OptionsParser.document(c.optionsClass())) {
        Pattern.compile(d.regex()); // compiles
        if (d.example().isEmpty() || !d.accepts(d.example())) {
          wrong.add(c.name() + " --" + d.name() + " example '" + d.example() + "' vs " + d.regex());
        }
        if (d.defaultValue() != null
            && !d.defaultValue().isEmpty()
            && !d.accepts(d.defaultValue())) {
          wrong.add(c.name() + " --" + d.name() + " default '" + d.defaultValue() + "'");
        }
        if (d.label().equals(d.name()) || d.description().isEmpty()) {
          wrong.add(c.name() + " --" + d.name() + " has no label or help text");
        }
      }
    }
    assertEquals(List.of(), wrong);
  }

  @Test
  public void templateSpecListsTheParametersAndItsRegexesValidateItsExamples() throws Exception {
    Path spec = tmp.getRoot().toPath().resolve("revenue-report.json");
    Cli.ok("template", "revenue-report", "--output=" + spec);
    JsonNode root = new ObjectMapper().readTree(Files.readString(spec));
    assertEquals("revenue-report", root.get("name").asText());
    assertFalse(root.get("description").asText().isEmpty());
    List<String> names = new ArrayList<>();
    for (JsonNode p : root.get("parameters")) {
      names.add(p.get("name").asText());
      assertFalse(p.get("label").asText().isEmpty());
      assertFalse(p.get("helpText").asText().isEmpty());
      assertTrue(p.get("isOptional").isBoolean());
      Pattern regex = Pattern.compile(p.get("regexes").get(0).asText(), Pattern.DOTALL);
      assertTrue(p.toString(), regex.matcher(p.get("example").asText()).matches());
      if (p.has("defaultValue") && !p.get("defaultValue").asText().isEmpty()) {
        assertTrue(p.toString(), regex.matcher(p.get("defaultValue").asText()).matches());
      }
    }
    for (String expected :
        List.of(
            "inputGreen", "inputYellow", "output", "period", "runDate", "interval", "perPeriod")) {
      assertTrue(names + " lacks " + expected, names.contains(expected));
    }
    // the regexes refuse what they should
    JsonNode period = param(root, "period");
    Pattern p = Pattern.compile(period.get("regexes").get(0).asText());
    for (String bad : List.of("2020-1", "2020-01..", "20-01", "2020/01", "last month")) {
      assertFalse(bad, p.matcher(bad).matches());
    }
    for (String good : List.of("2020", "2020-01", "2020-01..2020-12", "2020-01-15T08")) {
      assertTrue(good, p.matcher(good).matches());
    }
  }

  private static JsonNode param(JsonNode root, String name) {
    for (JsonNode p : root.get("parameters")) {
      if (p.get("name").asText().equals(name)) {
        return p;
      }
    }
    throw new AssertionError("no parameter " + name);
  }

  @Test
  public void aValueThatFailsItsRegexIsRefusedBeforeTheRunNamingTheParameterAndForm() {
    String e = Cli.fails(2, "revenue-report", "--period=2020-13-01x");
    assertThat(e, containsString("--period=2020-13-01x: expected YYYY"));
    e = Cli.fails(2, "hourly-revenue", "--since=yesterday");
    assertThat(e, containsString("--since=yesterday: expected YYYY-MM-DDTHH:MM"));
    e = Cli.fails(2, "revenue-report", "--shards=two");
    assertThat(e, containsString("--shards=two: expected a whole number of at least one"));
    e = Cli.fails(2, "revenue-report", "--bigQueryTable=no_dot");
    assertThat(e, containsString("--bigQueryTable=no_dot: expected [PROJECT:]DATASET.TABLE"));
    e = Cli.fails(2, "revenue-report", "--interval=weekly", "--runDate=2020-01-01");
    assertThat(e, containsString("--interval=weekly: expected hourly, daily, monthly or yearly"));
  }

  /** {@code template --readme} replaces a stale option table by the generated one. */
  @Test
  public void readmeRewriteReplacesAStaleTable() throws Exception {
    Path stale = tmp.getRoot().toPath().resolve("R.md");
    Files.writeString(stale, "x\n<!-- options: template -->\n| old |\n<!-- /options -->\ny\n");
    Cli.ok("template", "--readme=" + stale);
    String rewritten = Files.readString(stale);
    assertThat(rewritten, containsString("| `--format` |"));
    assertFalse(rewritten.contains("| old |"));
  }
}
