package dev.tripflow.pipelines;

import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Outputs;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.cli.Templates;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * {@code tripflow template <command> --output=spec.json}: a command's template spec (name,
 * description, parameters with label, help text, example, regex, default and whether required), in
 * the form of a Dataflow Flex Template metadata file, rendered from the same declarations as {@code
 * --help}. {@code --format=markdown} renders the README's option table, and {@code
 * --readme=README.md} regenerates every option table of that file.
 */
final class TemplateCommand implements Command {
  private final Map<String, Command> commands;

  /** {@code commands}: every command of the launcher, whose templates this one writes. */
  TemplateCommand(Map<String, Command> commands) {
    this.commands = commands;
  }

  /** Options of {@code tripflow template}. */
  public interface Options extends Outputs.Options {
    @Description("The command whose template to write, e.g. revenue-report")
    @Param(
        label = "Command",
        example = "revenue-report",
        regex = "^[a-z][a-z-]*$",
        form = "a command name")
    String getCommand();

    void setCommand(String value);

    @Description("File to write the template spec to (printed when not given)")
    @Param(
        label = "Output file",
        example = "revenue-report.json",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT_FILE,
        fileKind = "template spec")
    String getOutput();

    void setOutput(String value);

    @Description("json (the template spec) or markdown (the option table)")
    @Default.String("json")
    @Param(
        label = "Format",
        example = "markdown",
        regex = "^(json|markdown)$",
        form = "json or markdown")
    String getFormat();

    void setFormat(String value);

    @Description(
        "Rewrite the option tables of this Markdown file, between its '<!-- options: COMMAND -->'"
            + " and '<!-- /options -->' lines, instead of writing one spec")
    @Param(
        label = "README to update",
        example = "README.md",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.PATH)
    String getReadme();

    void setReadme(String value);
  }

  @Override
  public boolean runsPipeline() {

    return false;
  }

  @Override
  public String name() {
    return "template";
  }

  @Override
  public String usage() {
    return "template <command> [--output=spec.json] [--format=json|markdown] | template"
        + " --readme=README.md";
  }

  @Override
  public String positionalOption() {
    return "command";
  }

  @Override
  public String summary() {
    return "A command's template spec (parameters with labels, examples, regexes), or the README's"
        + " option tables";
  }

  @Override
  public Class<? extends PipelineOptions> optionsClass() {
    return Options.class;
  }

  @Override
  public int run(RunSpec run, PrintStream out) throws Exception {
    Options o = run.options(Options.class);
    if (o.getReadme() != null) {
      if (o.getCommand() != null) {
        throw new UsageException("give a command or --readme, not both");
      }
      Path readme = Path.of(o.getReadme());
      if (!Files.isRegularFile(readme)) {
        throw new UsageException("--readme=" + o.getReadme() + ": no such file");
      }
      String before = Files.readString(readme, StandardCharsets.UTF_8);
      String after = Templates.rewriteTables(before, commands);
      if (after.equals(before)) {
        out.println(o.getReadme() + ": option tables are up to date");
      } else {
        replace(readme, after);
        out.println(o.getReadme() + ": option tables rewritten");
      }
      return 0;
    }
    if (o.getCommand() == null) {
      throw new UsageException("say which command: tripflow " + usage());
    }
    Command command = commands.get(o.getCommand());
    if (command == null) {
      throw new UsageException(
          "unknown command '"
              + o.getCommand()
              + "'; commands: "
              + String.join(", ", commands.keySet()));
    }
    String text =
        o.getFormat().equals("markdown")
            ? Templates.markdownTable(command)
            : Templates.spec(command);
    if (o.getOutput() == null || o.getOutput().equals("-")) {
      out.print(text);
    } else if (Outputs.prepare(run, out).isPresent()) { // empty: --mode=ignore, the file exists

      replace(Path.of(o.getOutput()), text);
      out.println(
          "wrote " + o.getOutput() + " (" + Templates.parameterCount(command) + " parameters)");
    }
    return 0;
  }

  /** Writes {@code text} to a sibling file and moves it over {@code file}: never half-written. */
  private static void replace(Path file, String text) throws java.io.IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(
        tmp,
        file,
        java.nio.file.StandardCopyOption.REPLACE_EXISTING,
        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
  }
}
