package dev.tripflow.deploy.submit;

import com.google.api.gax.core.FixedCredentialsProvider;
import com.google.api.gax.rpc.ApiException;
import com.google.auth.Credentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.dataproc.v1.FlinkJob;
import com.google.cloud.dataproc.v1.Job;
import com.google.cloud.dataproc.v1.JobControllerClient;
import com.google.cloud.dataproc.v1.JobControllerSettings;
import com.google.cloud.dataproc.v1.JobPlacement;
import com.google.cloud.dataproc.v1.JobStatus;
import com.google.cloud.dataproc.v1.SparkJob;
import com.google.cloud.dataproc.v1.SubmitJobRequest;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.StorageRetryStrategy;
import dev.tripflow.io.gcs.CloudOptions;
import dev.tripflow.io.gcs.KeyFileCredentials;
import dev.tripflow.pipelines.cli.ResolveOptions;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.beam.sdk.extensions.gcp.options.GcpOptions;
import org.apache.beam.sdk.extensions.gcp.options.GcsOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Validation;

/**
 * {@code tripflow submit dataproc}: runs a tripflow command as a Dataproc job. The engine's slim
 * job jar (Spark or Flink left to the cluster) is staged in Cloud Storage (once per build), then
 * submitted through the Dataproc jobs API as a Spark job (SparkRunner) or a Flink job (FlinkRunner)
 * whose main jar it is and whose arguments are the command line; the command then follows the job
 * to its end.
 */
final class DataprocTarget {
  static final String NAME = "dataproc";

  /** Options of {@code tripflow submit dataproc}. */
  public interface Options extends GcsOptions, CloudOptions {
    @Description("The Dataproc cluster to run the job on")
    @Validation.Required
    @Param(
        label = "Dataproc cluster",
        example = "tripflow-cluster",
        regex = "^[a-z]([-a-z0-9]{0,49}[a-z0-9])?$",
        form = "a Dataproc cluster name (lower-case letters, digits, hyphens)")
    String getCluster();

    void setCluster(String value);

    @Description("The cluster's region, e.g. europe-west1")
    @Validation.Required
    @Param(
        label = "Region",
        example = "europe-west1",
        regex = "^[a-z]+-[a-z]+[0-9]+$",
        form = "a region such as europe-west1")
    String getRegion();

    void setRegion(String value);

    @Description(
        "gs://bucket[/prefix] to stage the job jar in (as tripflow/jars/tripflow-HASH.jar;"
            + " a jar already there is reused)")
    @Validation.Required
    @Param(
        label = "Staging bucket",
        example = "gs://my-bucket/staging",
        regex = "^gs://[a-z0-9][-_.a-z0-9]{0,221}(/.*)?$",
        form = "gs://BUCKET[/PREFIX]")
    String getBucket();

    void setBucket(String value);

    @Description(
        "spark: a Spark job on the cluster's YARN, run by the SparkRunner; flink: a Flink job, run"
            + " by the FlinkRunner (needs the cluster's Flink component)")
    @Default.String("spark")
    @Param(label = "Engine", example = "flink", regex = "^(spark|flink)$", form = "spark or flink")
    String getEngine();

    void setEngine(String value);

    @Description("Print the equivalent gcloud commands and do nothing else")
    @Default.Boolean(false)
    @Param(label = "Dry run", example = "true")
    boolean getDryRun();

    void setDryRun(boolean value);

    @Description("Return once the job is submitted instead of waiting for it to end")
    @Default.Boolean(false)
    @Param(label = "Do not wait", example = "true")
    boolean getAsync();

    void setAsync(boolean value);

    @Description(
        "The jar to submit; default: this build's job jar for --engine"
            + " (job-jars/ENGINE/target/tripflow-ENGINE-job.jar)")
    @Param(
        label = "Jar to submit",
        example = "job-jars/spark/target/tripflow-spark-job.jar",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.PATH)
    String getJar();

    void setJar(String value);

    @Description("Dataproc API endpoint; default: REGION-dataproc.googleapis.com:443")
    @Param(
        label = "Dataproc endpoint",
        example = "http://127.0.0.1:8123",
        regex = "^(https?://)?[^\\s/]+(:[0-9]+)?/?$",
        form = "HOST:PORT or http(s)://HOST:PORT")
    String getDataprocEndpoint();

    void setDataprocEndpoint(String value);

    @Description("Milliseconds between two polls of the job's state")
    @Default.Integer(5000)
    @Param(
        label = "Poll interval (ms)",
        example = "1000",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 10,
        max = 600000)
    int getPollMillis();

    void setPollMillis(int value);
  }

  /** The submit options written without a value. */
  static final Set<String> FLAGS = Set.of("dryRun", "async", "help", "h");

  private DataprocTarget() {}

  static int run(JobLine line, PrintStream out, PrintStream err) throws Exception {
    String who = "submit " + NAME;
    RunSpec spec =
        ResolveOptions.resolve(who, Options.class, line.submitOptions().toArray(new String[0]));
    Options o = spec.options(Options.class);
    // --engine, --bucket and --pollMillis already have the forms their @Param declares
    String engine = o.getEngine();
    String runner = engine.equals("spark") ? "SparkRunner" : "FlinkRunner";
    String bucketRest = o.getBucket().substring(5);
    String bucket =
        bucketRest.contains("/") ? bucketRest.substring(0, bucketRest.indexOf('/')) : bucketRest;
    String prefix =
        bucketRest.length() > bucket.length() ? bucketRest.substring(bucket.length() + 1) : "";
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      prefix += "/";
    }

    SubmitCommand.requireSubmittable(line, NAME);
    checkJobOptions(line, engine);
    checkLocalDefaults(line);
    List<String> args = new ArrayList<>();
    args.add(line.command());
    args.add("--runner=" + runner);
    args.addAll(line.jobArgs());
    SubmitCommand.validateJob(line, args.subList(1, args.size()));

    BundledJar jar = BundledJar.locate(o.getJar(), engine);
    String object = jar.objectName(prefix);
    String jarUri = "gs://" + bucket + "/" + object;

    if (o.getDryRun()) {
      out.println(Shell.line(List.of("gcloud", "storage", "cp", jar.file.toString(), jarUri)));
      List<String> g = new ArrayList<>(List.of("gcloud", "dataproc", "jobs", "submit", engine));
      g.add("--cluster=" + o.getCluster());
      g.add("--region=" + o.getRegion());
      if (spec.given("project")) {
        g.add("--project=" + o.getProject());
      }
      g.add("--jar=" + jarUri);
      g.add("--labels=tripflow-command=" + line.command());
      if (o.getAsync()) {
        g.add("--async");
      }
      g.add("--");
      g.addAll(args);
      out.println(Shell.line(g));
      return 0;
    }

    Credentials credentials = o.as(GcpOptions.class).getGcpCredential();
    if (credentials == null) {
      throw new UsageException(
          "no Google credentials: pass --serviceAccountKey=FILE or run 'gcloud auth"
              + " application-default login'");
    }
    String account = KeyFileCredentials.accountOf(credentials);
    String project = o.getProject();
    if ((project == null || project.isBlank())
        && credentials instanceof ServiceAccountCredentials sa) {
      project = sa.getProjectId();
    }
    if (project == null || project.isBlank()) {
      throw new UsageException(
          "--project is required (or GOOGLE_CLOUD_PROJECT, or the key's project_id)");
    }

    StorageOptions.Builder storageOptions =
        StorageOptions.newBuilder()
            .setStorageRetryStrategy(StorageRetryStrategy.getUniformStorageRetryStrategy())
            .setCredentials(credentials)
            .setProjectId(project);
    if (o.getGcsEndpoint() != null) {
      storageOptions.setHost(o.getGcsEndpoint().replaceFirst("/storage/v1/?$", ""));
    }
    Storage storage = storageOptions.build().getService();
    jar.stage(storage, bucket, object, out, account);

    Job.Builder job =
        Job.newBuilder()
            .setPlacement(JobPlacement.newBuilder().setClusterName(o.getCluster()))
            .putLabels("tripflow-command", line.command());
    if (engine.equals("spark")) {
      job.setSparkJob(SparkJob.newBuilder().setMainJarFileUri(jarUri).addAllArgs(args));
    } else {
      job.setFlinkJob(FlinkJob.newBuilder().setMainJarFileUri(jarUri).addAllArgs(args));
    }
    String endpoint =
        o.getDataprocEndpoint() != null
            ? o.getDataprocEndpoint()
            : o.getRegion() + "-dataproc.googleapis.com:443";
    JobControllerSettings settings =
        JobControllerSettings.newHttpJsonBuilder()
            .setEndpoint(endpoint)
            .setCredentialsProvider(FixedCredentialsProvider.create(credentials))
            .build();
    try (JobControllerClient client = JobControllerClient.create(settings)) {
      Job submitted;
      try {
        submitted =
            client.submitJob(
                SubmitJobRequest.newBuilder()
                    .setProjectId(project)
                    .setRegion(o.getRegion())
                    .setJob(job)
                    .setRequestId(UUID.randomUUID().toString())
                    .build());
      } catch (ApiException e) {
        err.println(
            "tripflow "
                + who
                + ": the job was not submitted to cluster "
                + o.getCluster()
                + ": "
                + apiMessage(e));
        return 1;
      }
      String id = submitted.getReference().getJobId();
      out.printf(
          "submitted %s as %s job %s to cluster %s in %s (project %s)%n",
          line.command(), engine, id, o.getCluster(), o.getRegion(), project);
      if (!submitted.getDriverOutputResourceUri().isEmpty()) {
        out.println("driver output: " + submitted.getDriverOutputResourceUri());
      }
      if (o.getAsync()) {
        out.println(
            "not waiting (--async): gcloud dataproc jobs wait "
                + id
                + " --region="
                + o.getRegion()
                + " --project="
                + project);
        return 0;
      }
      return follow(client, project, o.getRegion(), submitted, o.getPollMillis(), out, err, who);
    }
  }

  /** Polls the job until it ends, printing each new state; returns the command's exit code. */
  private static int follow(
      JobControllerClient client,
      String project,
      String region,
      Job job,
      int pollMillis,
      PrintStream out,
      PrintStream err,
      String who)
      throws InterruptedException {
    String id = job.getReference().getJobId();
    JobStatus.State last = null;
    String driverOutput = job.getDriverOutputResourceUri();
    while (true) {
      JobStatus.State state = job.getStatus().getState();
      if (state != last) {
        out.println("job " + id + ": " + state);
        last = state;
      }
      if (driverOutput.isEmpty() && !job.getDriverOutputResourceUri().isEmpty()) {
        driverOutput = job.getDriverOutputResourceUri();
        out.println("driver output: " + driverOutput);
      }
      switch (state) {
        case DONE:
          return 0;
        case ERROR:
          err.println(
              "tripflow "
                  + who
                  + ": job "
                  + id
                  + " failed: "
                  + oneLine(job.getStatus().getDetails())
                  + (driverOutput.isEmpty() ? "" : " (driver output: " + driverOutput + ")"));
          return 1;
        case CANCELLED:
          err.println("tripflow " + who + ": job " + id + " was cancelled");
          return 1;
        default:
          break;
      }
      Thread.sleep(pollMillis);
      try {
        job = client.getJob(project, region, id);
      } catch (ApiException e) {
        err.println("tripflow " + who + ": cannot follow job " + id + ": " + apiMessage(e));
        return 1;
      }
    }
  }

  /**
   * The job's own options must suit a cluster: no runner or master (submit sets the runner, and
   * Dataproc the master), no local files (Dataproc's workers cannot read this machine's disk).
   */
  private static void checkJobOptions(JobLine line, String engine) {
    Class<?> type =
        dev.tripflow.pipelines.PipelineCommands.commands().get(line.command()).optionsClass();
    for (JobLine.Option opt : line.jobOptions()) {
      String name = opt.name();
      String value = opt.value();
      switch (name) {
        case "runner" ->
            throw new UsageException(
                "--runner is set by submit: --engine="
                    + engine
                    + " runs the "
                    + (engine.equals("spark") ? "SparkRunner" : "FlinkRunner")
                    + "; drop --"
                    + name);
        case "sparkMaster", "flinkMaster" ->
            throw new UsageException(
                "--"
                    + name
                    + " cannot be given: Dataproc sets the master of its jobs (YARN for Spark, the"
                    + " cluster's Flink for Flink)");
        case "serviceAccountKey" ->
            throw new UsageException(
                opt.text()
                    + ": a local key file; on Dataproc the job authenticates as the cluster's service"
                    + " account (give --serviceAccountKey before the command for the submit itself)");
        default -> {}
      }
      if (value != null && dev.tripflow.pipelines.cli.Paths.isPathOption(type, name)) {
        for (String path : pathsOf(name, value)) {
          if (dev.tripflow.pipelines.cli.Paths.isLocal(path)) {
            throw new UsageException(
                opt.text()
                    + ": a local path; Dataproc's workers cannot read this machine's files, use"
                    + " gs://bucket/path (tripflow upload copies a local tree to a bucket)");
          }
        }
      }
    }
  }

  /**
   * An input or output the job would take from its local default (the sample data under {@code
   * data/}, a report under {@code data/report/}) must be given: on the cluster that default is a
   * directory of the driver's machine. {@code --bigQueryTable} stands for {@code --output}.
   */
  private static void checkLocalDefaults(JobLine line) {
    java.util.Set<String> given = new java.util.HashSet<>();
    line.jobOptions().forEach(opt -> given.add(opt.name()));
    Class<?> type =
        dev.tripflow.pipelines.PipelineCommands.commands().get(line.command()).optionsClass();
    String sampleData = localDefault(type, "sampleData");
    for (java.lang.reflect.Method m : type.getMethods()) {
      String name = property(m);
      if (name == null
          || !dev.tripflow.pipelines.cli.Paths.isPathOption(type, name)
          || name.equals("sampleData")
          || given.contains(name)
          || (name.equals("output") && given.contains("bigQueryTable"))) {
        continue;
      }
      String fallback = localDefault(type, name);
      if (fallback == null && sampleData != null && name.matches("input(Green|Yellow)")) {
        fallback = "the sample data under " + sampleData;
      }
      if (fallback != null) {
        throw new UsageException(
            "give --"
                + name
                + "=gs://...: its default ("
                + fallback
                + ") is a local path, which Dataproc's workers cannot reach");
      }
    }
  }

  /** The {@code @Default.String} of option {@code name} of {@code type} when it is a local path. */
  private static String localDefault(Class<?> type, String name) {
    for (java.lang.reflect.Method m : type.getMethods()) {
      Default.String d = m.getAnnotation(Default.String.class);
      if (name.equals(property(m))
          && d != null
          && !d.value().isBlank()
          && dev.tripflow.pipelines.cli.Paths.isLocal(d.value())) {
        return d.value();
      }
    }
    return null;
  }

  private static String property(java.lang.reflect.Method m) {
    String n = m.getName();
    return m.getParameterCount() == 0 && n.startsWith("get") && n.length() > 3
        ? java.beans.Introspector.decapitalize(n.substring(3))
        : null;
  }

  /** The paths in an option's value: sql's --table holds name=path pairs, comma-separated. */
  private static List<String> pathsOf(String name, String value) {
    if (!name.equals("table")) {
      return List.of(value);
    }
    List<String> paths = new ArrayList<>();
    for (String pair : value.split(",")) {
      int eq = pair.indexOf('=');
      paths.add(eq < 0 ? pair : pair.substring(eq + 1));
    }
    return paths;
  }

  private static String apiMessage(ApiException e) {
    String m = e.getMessage() == null ? e.getStatusCode().getCode().toString() : e.getMessage();
    return oneLine(m);
  }

  private static String oneLine(String s) {
    return s == null ? "" : s.replace('\n', ' ').trim();
  }
}
