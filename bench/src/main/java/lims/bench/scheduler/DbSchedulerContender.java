package lims.bench.scheduler;

import com.github.kagkarlsson.scheduler.Scheduler;
import com.github.kagkarlsson.scheduler.task.SchedulableInstance;
import com.github.kagkarlsson.scheduler.task.helper.OneTimeTask;
import com.github.kagkarlsson.scheduler.task.helper.Tasks;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.List;

/** db-scheduler 16.12.0, tuned as its documentation advises for throughput: lock-and-fetch polling every 100 ms. */
final class DbSchedulerContender implements Contender {

  static final String DDL = """
      create table scheduled_tasks (
        task_name text not null, task_instance text not null, task_data bytea,
        execution_time timestamp with time zone, picked BOOLEAN not null, picked_by text,
        last_success timestamp with time zone, last_failure timestamp with time zone, consecutive_failures INT,
        last_heartbeat timestamp with time zone, version BIGINT not null, priority SMALLINT, state text,
        PRIMARY KEY (task_name, task_instance));
      CREATE INDEX execution_time_idx ON scheduled_tasks (execution_time);
      CREATE INDEX last_heartbeat_idx ON scheduled_tasks (last_heartbeat);
      CREATE INDEX priority_execution_time_idx on scheduled_tasks (priority desc, execution_time asc)""";

  private final HikariDataSource dataSource;
  private final OneTimeTask<Void> task = Tasks.oneTime("bench").execute((instance, context) -> Contender.started(instance.getId()));
  private final int threads;
  private Scheduler scheduler;

  DbSchedulerContender(HikariDataSource dataSource, int threads) throws Exception {
    this.dataSource = dataSource;
    this.threads = threads;
    try (var c = dataSource.getConnection(); var s = c.createStatement()) {
      for (String statement : DDL.split(";")) s.execute(statement);
    }
    start();
  }

  private void start() {
    scheduler = Scheduler.create(dataSource, task)
        .threads(threads)
        .pollingInterval(Duration.ofMillis(100))
        .pollUsingLockAndFetch(0.5, 3.0)
        .build();
    scheduler.start();
  }

  @Override
  public void restart() {
    scheduler.stop();
    start();
  }

  @Override
  public String database() {
    return dataSource.getJdbcUrl();
  }

  @Override
  public String name() {
    return "db-scheduler 16.12.0 (lock-and-fetch, 100 ms polling)";
  }

  @Override
  public void schedule(List<Task> tasks) {
    for (int from = 0; from < tasks.size(); from += 1000) {
      List<SchedulableInstance<?>> batch = tasks.subList(from, Math.min(tasks.size(), from + 1000)).stream()
          .<SchedulableInstance<?>>map(t -> SchedulableInstance.of(task.instance(t.id()), t.due())).toList();
      scheduler.scheduleBatch(batch);
    }
  }

  @Override
  public void close() {
    scheduler.stop();
    dataSource.close();
  }
}
