package lims.bench.scheduler;

import com.zaxxer.hikari.HikariDataSource;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.util.Date;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import org.quartz.Job;
import org.quartz.JobBuilder;
import org.quartz.JobDetail;
import org.quartz.JobExecutionContext;
import org.quartz.Scheduler;
import org.quartz.SimpleScheduleBuilder;
import org.quartz.Trigger;
import org.quartz.TriggerBuilder;
import org.quartz.impl.StdSchedulerFactory;
import org.quartz.utils.ConnectionProvider;
import org.quartz.utils.DBConnectionManager;

/** Quartz 2.5.2 with its clustered JDBC job store (JobStoreTX, PostgreSQL delegate), one durable job and a trigger per task. */
final class QuartzContender implements Contender {

  /** The no-op job: records the start of the trigger it fired for. */
  public static final class Record implements Job {
    @Override
    public void execute(JobExecutionContext context) {
      Contender.started(context.getTrigger().getKey().getName());
    }
  }

  private final HikariDataSource dataSource;
  private final Properties settings = new Properties();
  private Scheduler scheduler;
  private final JobDetail job = JobBuilder.newJob(Record.class).withIdentity("bench").storeDurably().build();

  QuartzContender(HikariDataSource dataSource, int threads) throws Exception {
    this.dataSource = dataSource;
    try (InputStream ddl = org.quartz.impl.jdbcjobstore.JobStoreTX.class.getResourceAsStream("/org/quartz/impl/jdbcjobstore/tables_postgres.sql");
        Connection c = dataSource.getConnection(); var s = c.createStatement()) {
      String sql = new String(ddl.readAllBytes(), StandardCharsets.UTF_8).replaceAll("(?m)^--.*$", "");
      for (String statement : sql.split(";")) {
        if (!statement.isBlank() && !statement.strip().toUpperCase().startsWith("DROP") && !statement.strip().equalsIgnoreCase("COMMIT")) {
          s.execute(statement);
        }
      }
    }
    DBConnectionManager.getInstance().addConnectionProvider("bench", new ConnectionProvider() {
      @Override
      public Connection getConnection() throws java.sql.SQLException {
        return dataSource.getConnection();
      }

      @Override
      public void shutdown() {}

      @Override
      public void initialize() {}
    });
    settings.setProperty("org.quartz.scheduler.instanceName", "bench");
    settings.setProperty("org.quartz.scheduler.instanceId", "AUTO");
    settings.setProperty("org.quartz.threadPool.threadCount", String.valueOf(threads));
    settings.setProperty("org.quartz.jobStore.class", "org.quartz.impl.jdbcjobstore.JobStoreTX");
    settings.setProperty("org.quartz.jobStore.driverDelegateClass", "org.quartz.impl.jdbcjobstore.PostgreSQLDelegate");
    settings.setProperty("org.quartz.jobStore.dataSource", "bench");
    settings.setProperty("org.quartz.jobStore.isClustered", "true");
    settings.setProperty("org.quartz.jobStore.clusterCheckinInterval", "5000");
    settings.setProperty("org.quartz.jobStore.misfireThreshold", "60000");
    // Let one acquisition take a batch of triggers, as Quartz advises for many short jobs.
    settings.setProperty("org.quartz.scheduler.batchTriggerAcquisitionMaxCount", String.valueOf(threads));
    settings.setProperty("org.quartz.scheduler.skipUpdateCheck", "true");
    start();
    scheduler.addJob(job, false);
  }

  private void start() throws Exception {
    scheduler = new StdSchedulerFactory(settings).getScheduler();
    scheduler.start();
  }

  @Override
  public void restart() throws Exception {
    scheduler.shutdown(true);
    start();
  }

  @Override
  public String database() {
    return dataSource.getJdbcUrl();
  }

  @Override
  public String name() {
    return "Quartz 2.5.2 (clustered JDBC job store)";
  }

  @Override
  public void schedule(List<Task> tasks) throws Exception {
    for (int from = 0; from < tasks.size(); from += 1000) {
      Set<Trigger> triggers = new HashSet<>();
      for (Task t : tasks.subList(from, Math.min(tasks.size(), from + 1000))) {
        triggers.add(TriggerBuilder.newTrigger().withIdentity(t.id()).forJob(job).startAt(Date.from(t.due()))
            .withSchedule(SimpleScheduleBuilder.simpleSchedule().withMisfireHandlingInstructionFireNow()).build());
      }
      Map<JobDetail, Set<? extends Trigger>> batch = new HashMap<>();
      batch.put(job, triggers);
      scheduler.scheduleJobs(batch, true);
    }
  }

  @Override
  public void close() throws Exception {
    scheduler.shutdown(true);
    dataSource.close();
  }
}
