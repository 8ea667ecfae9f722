package dev.tripflow.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.runners.partitioned.UiDefaults;
import dev.tripflow.runners.partitioned.ui.History;
import dev.tripflow.runners.partitioned.ui.RunState;
import dev.tripflow.runners.partitioned.ui.UiServer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * {@code tripflow history}: the past PartitionedRunner runs from their event logs, served with the
 * live UI's pages (like Spark's history server), or listed with {@code --list}.
 */
public final class HistoryCommand implements Command {

  /** Options of {@code tripflow history}. */
  public interface Options extends PipelineOptions {
    @Description("Port of the history server on 127.0.0.1; when it is taken, the next free one")
    @Default.Integer(18080)
    @Param(
        label = "Port",
        example = "18080",
        regex = Forms.PORT,
        form = "a port from 1 to 65535",
        min = 1,
        max = 65535)
    int getPort();

    void setPort(int value);

    @Description("Directory of the runs' event logs (the runs' --eventLogDir)")
    @Default.InstanceFactory(UiDefaults.EventLogDir.class)
    @Param(
        label = "Event log directory",
        example = "/home/me/.tripflow/history",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.PATH)
    String getEventLogDir();

    void setEventLogDir(String value);

    @Description("Print the runs, newest first, and exit instead of serving them")
    @Default.Boolean(false)
    @Param(label = "List only", example = "true")
    boolean getList();

    void setList(boolean value);
  }

  @Override
  public String name() {
    return "history";
  }

  @Override
  public boolean runsPipeline() {
    return false;
  }

  @Override
  public String usage() {
    return "history [--port=18080] [--eventLogDir=DIR] [--list]";
  }

  @Override
  public String summary() {
    return "Serve the past PartitionedRunner runs' web UI from their event logs (--list prints them)";
  }

  @Override
  public Class<? extends PipelineOptions> optionsClass() {
    return Options.class;
  }

  @Override
  public int run(RunSpec run, PrintStream out) throws Exception {
    Options o = run.options(Options.class);
    History history = new History(Path.of(o.getEventLogDir()));
    if (o.getList()) {
      out.print(table(history.list(), history.dir()));
      return 0;
    }
    UiServer server = UiServer.start(o.getPort(), history);
    int runs = history.list().size();
    out.println(
        "tripflow: history at "
            + server.url()
            + " ("
            + runs
            + (runs == 1 ? " run in " : " runs in ")
            + history.dir()
            + "; Ctrl-C stops it)");
    out.flush();
    Thread.currentThread().join();
    return 0;
  }

  /** The runs as an aligned table, newest first. */
  static String table(List<RunState> runs, Path dir) {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"started (UTC)", "command", "status", "duration", "rows read", "id"});
    for (RunState r : runs) {
      JsonNode s = r.summary();
      rows.add(
          new String[] {
            s.path("start").asText().replaceFirst("\\.\\d+Z$", "Z"),
            s.path("command").asText(),
            s.path("status").asText(),
            String.format(Locale.ROOT, "%.1f s", s.path("durationMs").asLong() / 1000.0),
            s.path("rowsRead").isNull()
                ? "-"
                : String.format(Locale.ROOT, "%,d", s.path("rowsRead").asLong()),
            s.path("id").asText()
          });
    }
    StringBuilder b = new StringBuilder();
    b.append(runs.size()).append(runs.size() == 1 ? " run in " : " runs in ").append(dir);
    b.append('\n');
    if (runs.isEmpty()) {
      return b.toString();
    }
    int[] width = new int[rows.get(0).length];
    for (String[] row : rows) {
      for (int i = 0; i < row.length; i++) {
        width[i] = Math.max(width[i], row[i].length());
      }
    }
    for (String[] row : rows) {
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < row.length; i++) {
        boolean right = i == 3 || i == 4;
        String cell = row[i];
        String pad = " ".repeat(width[i] - cell.length());
        line.append(right ? pad + cell : cell + (i == row.length - 1 ? "" : pad));
        if (i < row.length - 1) {
          line.append("  ");
        }
      }
      b.append(line.toString().stripTrailing()).append('\n');
    }
    return b.toString();
  }
}
