package dev.tripflow.deploy;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.OptionsParser;
import dev.tripflow.pipelines.cli.Templates;
import dev.tripflow.pipelines.options.Param;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.options.Description;
import org.junit.Test;

/**
 * The launcher's whole registry: {@code --help} lists every command, the deploy commands declare
 * their template metadata like the pipelines' do, and the README's option tables are the generated
 * ones.
 */
public class TripflowTest {

  /** --help lists the pipelines' commands, cluster and submit, template last, and bench. */
  @Test
  public void helpListsEveryCommand() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code =
        Tripflow.run(
            new String[] {"--help"},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
    assertEquals(0, code);
    String help = out.toString(StandardCharsets.UTF_8);
    for (String c : List.of("generate", "revenue-report", "upload", "cluster", "submit", "bench")) {
      assertThat(help, containsString("  " + c + " "));
    }
    assertEquals(
        List.of("upload", "cluster", "submit", "history", "template"),
        new ArrayList<>(Tripflow.commands().keySet())
            .subList(Tripflow.commands().size() - 5, Tripflow.commands().size()));
  }

  /** Every option the deploy commands declare has its label, example and regex. */
  @Test
  public void deployOptionsDeclareTheirTemplateMetadata() {
    List<String> wrong = new ArrayList<>();
    for (String name : List.of("cluster", "submit", "history")) {
      Command c = Tripflow.commands().get(name);
      for (Method m : c.optionsClass().getMethods()) {
        if (m.getDeclaringClass().getName().startsWith("dev.tripflow.deploy.")
            && m.isAnnotationPresent(Description.class)
            && !m.isAnnotationPresent(Param.class)) {
          wrong.add(name + ": " + m.getName() + " without @Param");
        }
      }
      List<OptionsParser.OptionDoc> docs = OptionsParser.document(c.optionsClass());
      assertTrue(name + " documents no options", docs.size() > 1);
      for (OptionsParser.OptionDoc d : docs) {
        if (d.example().isEmpty() || !d.accepts(d.example())) {
          wrong.add(name + " --" + d.name() + " example '" + d.example() + "' vs " + d.regex());
        }
      }
    }
    assertEquals(List.of(), wrong);
  }

  /** The option tables of the README and its guide pages are the generated ones. */
  @Test
  public void readmeOptionTablesAreTheGeneratedOnes() throws Exception {
    Path root = Path.of(System.getProperty("user.dir")).getParent();
    List<Path> pages = new java.util.ArrayList<>(List.of(root.resolve("README.md")));
    try (java.util.stream.Stream<Path> docs = Files.list(root.resolve("docs"))) {
      docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
    }
    StringBuilder all = new StringBuilder();
    for (Path page : pages) {
      String text = Files.readString(page, StandardCharsets.UTF_8);
      all.append(text);
      String name = root.relativize(page).toString();
      assertEquals(
          name
              + "'s option tables differ from the declarations: run ./tripflow template --readme="
              + name,
          Templates.rewriteTables(text, Tripflow.commands()),
          text);
    }
    for (String command : Tripflow.commands().keySet()) {
      if (!command.equals("template")) {
        assertThat(all.toString(), containsString("<!-- options: " + command + " -->"));
      }
    }
  }
}
