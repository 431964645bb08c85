package lims.reporting;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;
import java.time.Instant;
import java.time.Year;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import lims.kernel.Database;
import lims.kernel.KeysetCursor;
import lims.kernel.Page;

/**
 * The durable queue of render jobs (table {@code report_job}, decision 0058). Every node's
 * {@link RenderWorker} claims due jobs from it; a claim is a lease in the database's clock,
 * renewed while the job renders, so the job of a node that stopped is claimed elsewhere once
 * its lease lapses. Every change of a claimed job names its owner, so a node that lost its
 * lease (it was frozen past it, say) can neither store nor fail a job another node now holds.
 */
public final class ReportJobs {

  /** Where a job is. */
  public enum Status {
    QUEUED, RENDERING, STORED, DONE, FAILED;

    public String wireName() {
      return name().toLowerCase();
    }

    static Status of(String stored) {
      return valueOf(stored.toUpperCase());
    }
  }

  /** A job as stored. {@code version} is set once its report is stored. */
  public record Job(long jobId, String triggerKey, String reportId, List<String> specimenIds, String batchKey, String requestedBy,
      long requestedAt, Status status, int attempts, long nextAttemptAt, String leaseOwner, String lastError, Integer version) {}

  private static final String COLUMNS = "job_id, trigger_key, report_id, specimen_ids, batch_key, requested_by, requested_at, status, "
      + "attempts, next_attempt_at, lease_owner, last_error, version";

  private final Database database;

  public ReportJobs(Database database) {
    this.database = database;
  }

  /**
   * Queues a job for a new report of {@code specimenIds} (or, with {@code reportId}, a new
   * version of that report). A {@code triggerKey} already queued adds nothing: the job
   * queued under it is answered, so a repeated trigger never renders twice.
   */
  public CompletionStage<Job> enqueue(String triggerKey, Optional<String> reportId, List<String> specimenIds, String batchKey,
      String requestedBy) {
    return database.withConnection(c -> {
      Optional<Job> existing = byTrigger(c, triggerKey);
      if (existing.isPresent()) return existing.get();
      long now = Database.now(c);
      long jobId = next(c, "report_job_number");
      String id = reportId.isPresent() ? reportId.get() : String.format("RP-%d-%06d", Year.now(ZoneOffset.UTC).getValue(), next(c, "report_number"));
      try (PreparedStatement s = c.prepareStatement("INSERT INTO report_job (job_id, trigger_key, report_id, specimen_ids, batch_key, "
          + "requested_by, requested_at, status, attempts, next_attempt_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', 0, ?, ?)")) {
        s.setLong(1, jobId);
        s.setString(2, triggerKey);
        s.setString(3, id);
        s.setString(4, String.join(",", specimenIds));
        s.setString(5, batchKey);
        s.setString(6, requestedBy);
        s.setLong(7, now);
        s.setLong(8, now);
        s.setLong(9, now);
        s.executeUpdate();
      } catch (SQLException e) {
        // A concurrent twin of the same trigger inserted first: its job is the one.
        Optional<Job> twin = byTrigger(c, triggerKey);
        if (twin.isPresent()) return twin.get();
        throw e;
      }
      return byTrigger(c, triggerKey).orElseThrow();
    });
  }

  /**
   * Claims the next due job for {@code owner} for {@code lease}: a queued job whose next
   * attempt is due, or a claimed one whose lease lapsed (its node stopped). A job claimed
   * while rendering counts an attempt; one claimed after it was stored only has its
   * specimens and deliveries left to tell, which renders nothing.
   */
  public CompletionStage<Optional<Job>> claim(String owner, Duration lease) {
    return database.withConnection(c -> {
      long now = Database.now(c);
      List<Long> candidates = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement("SELECT job_id FROM report_job WHERE (status = 'queued' AND next_attempt_at <= ?) "
          + "OR (status IN ('rendering', 'stored') AND lease_until < ?) ORDER BY next_attempt_at, job_id LIMIT 5")) {
        s.setLong(1, now);
        s.setLong(2, now);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) candidates.add(rs.getLong(1));
        }
      }
      for (long jobId : candidates) {
        try (PreparedStatement s = c.prepareStatement("UPDATE report_job SET status = CASE WHEN status = 'stored' THEN 'stored' ELSE 'rendering' END, "
            + "attempts = CASE WHEN status = 'stored' THEN attempts ELSE attempts + 1 END, lease_owner = ?, lease_until = ?, updated_at = ? "
            + "WHERE job_id = ? AND ((status = 'queued' AND next_attempt_at <= ?) OR (status IN ('rendering', 'stored') AND lease_until < ?))")) {
          s.setString(1, owner);
          s.setLong(2, now + lease.toMillis());
          s.setLong(3, now);
          s.setLong(4, jobId);
          s.setLong(5, now);
          s.setLong(6, now);
          if (s.executeUpdate() == 1) return byId(c, jobId);
        }
      }
      return Optional.<Job>empty();
    });
  }

  /** Extends the lease of a job {@code owner} still holds; false when it holds it no more (or let go of it). */
  public CompletionStage<Boolean> renew(long jobId, String owner, Duration lease) {
    return database.withConnection(c -> {
      long now = Database.now(c);
      try (PreparedStatement s = c.prepareStatement("UPDATE report_job SET lease_until = ?, updated_at = ? WHERE job_id = ? AND lease_owner = ? "
          + "AND status IN ('rendering', 'stored') AND lease_until > 0")) {
        s.setLong(1, now + lease.toMillis());
        s.setLong(2, now);
        s.setLong(3, jobId);
        s.setString(4, owner);
        return s.executeUpdate() == 1;
      }
    });
  }

  /** The version the next render of {@code reportId} is numbered (printed on it, and stored under it). */
  public CompletionStage<Integer> nextVersion(String reportId) {
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT COALESCE(MAX(version), 0) + 1 FROM report WHERE report_id = ?")) {
        s.setString(1, reportId);
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          return rs.getInt(1);
        }
      }
    });
  }

  /**
   * Writes the rendered report as {@code version} of its report id and marks the job stored,
   * in one transaction, only while {@code owner} holds the job: a node that lost its lease
   * stores nothing, so a job rendered twice is stored once. A version another job stored
   * meanwhile (two re-renders of one report at once) fails on the primary key, and the job
   * is tried again under the next number.
   */
  public CompletionStage<Boolean> store(Job job, String owner, int version, StoredReport.Draft report) {
    return database.withConnection(c -> {
      c.setAutoCommit(false);
      try {
        long now = Database.now(c);
        try (PreparedStatement s = c.prepareStatement("UPDATE report_job SET status = 'stored', version = ?, last_error = NULL, updated_at = ? "
            + "WHERE job_id = ? AND lease_owner = ? AND status = 'rendering'")) {
          s.setInt(1, version);
          s.setLong(2, now);
          s.setLong(3, job.jobId());
          s.setString(4, owner);
          if (s.executeUpdate() != 1) {
            c.rollback();
            return false;
          }
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO report (report_id, version, job_id, client_id, specimen_ids, batch_key, "
            + "recipients, pages, pdf, pdf_sha256, xlsx, xlsx_sha256, rendered_at, rendered_by, render_ms) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
          s.setString(1, job.reportId());
          s.setInt(2, version);
          s.setLong(3, job.jobId());
          if (report.clientId() == null) s.setNull(4, Types.VARCHAR); else s.setString(4, report.clientId());
          s.setString(5, String.join(",", report.specimenIds()));
          s.setString(6, job.batchKey());
          s.setString(7, String.join(",", report.recipients()));
          s.setInt(8, report.pages());
          s.setBytes(9, report.pdf());
          s.setString(10, report.pdfSha256());
          s.setBytes(11, report.xlsx());
          s.setString(12, report.xlsxSha256());
          s.setLong(13, now);
          s.setString(14, owner);
          s.setLong(15, report.renderMillis());
          s.executeUpdate();
        }
        try (PreparedStatement s = c.prepareStatement("INSERT INTO report_specimen (specimen_id, report_id, version) VALUES (?, ?, ?)")) {
          for (String specimenId : report.specimenIds()) {
            s.setString(1, specimenId);
            s.setString(2, job.reportId());
            s.setInt(3, version);
            s.addBatch();
          }
          s.executeBatch();
        }
        c.commit();
        return true;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    });
  }

  /** The job is finished: its specimens took report_rendered and its deliveries are queued. */
  public CompletionStage<Boolean> done(long jobId, String owner) {
    return finish(jobId, owner, "done", null, 0, 0);
  }

  /**
   * A try failed: the job is queued again {@code retryAfter} from now, or, when it has had
   * its tries (or {@code retryAfter} is null: it can never succeed), failed with {@code reason}.
   */
  public CompletionStage<Boolean> failed(long jobId, String owner, String reason, Duration retryAfter) {
    return retryAfter == null ? finish(jobId, owner, "failed", reason, 0, 0) : finish(jobId, owner, "queued", reason, retryAfter.toMillis(), 0);
  }

  /**
   * A try that failed for a reason outside the report (the database or an entity did not
   * answer in time): queued again {@code retryAfter} from now without counting it, so an
   * outage does not use up a report's tries.
   */
  public CompletionStage<Boolean> interrupted(long jobId, String owner, String reason, Duration retryAfter) {
    return finish(jobId, owner, "queued", reason, retryAfter.toMillis(), 1);
  }

  private CompletionStage<Boolean> finish(long jobId, String owner, String status, String reason, long retryAfterMillis, int uncount) {
    return database.withConnection(c -> {
      long now = Database.now(c);
      try (PreparedStatement s = c.prepareStatement("UPDATE report_job SET status = ?, last_error = ?, next_attempt_at = ?, lease_owner = NULL, "
          + "lease_until = NULL, attempts = attempts - ?, updated_at = ? WHERE job_id = ? AND lease_owner = ?")) {
        s.setString(1, status);
        s.setString(2, reason == null ? null : truncate(reason, 2000));
        s.setLong(3, now + retryAfterMillis);
        s.setInt(4, uncount);
        s.setLong(5, now);
        s.setLong(6, jobId);
        s.setString(7, owner);
        return s.executeUpdate() == 1;
      }
    });
  }

  /**
   * A stored job whose specimens or deliveries could not be told yet: it keeps its state and
   * is claimed again (by any node) {@code delay} from now.
   */
  public CompletionStage<Boolean> postpone(long jobId, String owner, String reason, Duration delay) {
    return database.withConnection(c -> {
      long now = Database.now(c);
      try (PreparedStatement s = c.prepareStatement("UPDATE report_job SET lease_until = ?, last_error = ?, updated_at = ? "
          + "WHERE job_id = ? AND lease_owner = ? AND status = 'stored'")) {
        s.setLong(1, now + delay.toMillis());
        s.setString(2, truncate(reason, 2000));
        s.setLong(3, now);
        s.setLong(4, jobId);
        s.setString(5, owner);
        return s.executeUpdate() == 1;
      }
    });
  }

  /**
   * Lets go of a job {@code owner} holds (its node is stopping), so another node claims it at
   * once instead of when the lease would have lapsed. Whoever claims it next is the only one
   * that can store it.
   */
  public CompletionStage<Boolean> letGo(long jobId, String owner) {
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement("UPDATE report_job SET lease_until = 0 WHERE job_id = ? AND lease_owner = ? "
          + "AND status IN ('rendering', 'stored')")) {
        s.setLong(1, jobId);
        s.setString(2, owner);
        return s.executeUpdate() == 1;
      }
    });
  }

  /** Queues a failed job again by hand, with its tries counted afresh; false unless it had failed. */
  public CompletionStage<Boolean> retry(long jobId) {
    return database.withConnection(c -> {
      long now = Database.now(c);
      try (PreparedStatement s = c.prepareStatement("UPDATE report_job SET status = 'queued', attempts = 0, next_attempt_at = ?, updated_at = ? "
          + "WHERE job_id = ? AND status = 'failed'")) {
        s.setLong(1, now);
        s.setLong(2, now);
        s.setLong(3, jobId);
        return s.executeUpdate() == 1;
      }
    });
  }

  public CompletionStage<Optional<Job>> get(long jobId) {
    return database.withConnection(c -> byId(c, jobId));
  }

  /** Jobs in {@code status} (all when empty), newest first, a page of {@code limit} after {@code after}. */
  public CompletionStage<Page<Job>> list(Optional<Status> status, int limit, Optional<KeysetCursor> after) {
    return database.withConnection(c -> {
      String where = (status.isPresent() ? " WHERE status = ?" : " WHERE 1 = 1") + (after.isPresent() ? " AND job_id < ?" : "");
      try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM report_job" + where + " ORDER BY job_id DESC LIMIT ?")) {
        int i = 1;
        if (status.isPresent()) s.setString(i++, status.get().wireName());
        if (after.isPresent()) s.setLong(i++, Long.parseLong(after.get().id()));
        s.setInt(i, limit + 1);
        return Page.of(jobs(s), limit, j -> new KeysetCursor(Instant.ofEpochMilli(j.requestedAt()), Long.toString(j.jobId())).encode());
      }
    });
  }

  /** The jobs naming {@code specimenId}, newest first (pending and failed ones included). */
  public CompletionStage<List<Job>> ofSpecimen(String specimenId) {
    return database.withConnection(c -> {
      // specimen_ids is a comma-separated list: match a whole element.
      try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM report_job WHERE ',' || specimen_ids || ',' LIKE ? "
          + "ORDER BY job_id DESC LIMIT 100")) {
        s.setString(1, "%," + specimenId + ",%");
        return jobs(s);
      }
    });
  }

  /** Jobs waiting or under way: the queue's depth. */
  public CompletionStage<Long> depth() {
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT COUNT(*) FROM report_job WHERE status IN ('queued', 'rendering', 'stored')");
           ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    });
  }

  private static Optional<Job> byTrigger(Connection c, String triggerKey) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM report_job WHERE trigger_key = ?")) {
      s.setString(1, triggerKey);
      return jobs(s).stream().findFirst();
    }
  }

  private static Optional<Job> byId(Connection c, long jobId) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM report_job WHERE job_id = ?")) {
      s.setLong(1, jobId);
      return jobs(s).stream().findFirst();
    }
  }

  private static List<Job> jobs(PreparedStatement s) throws SQLException {
    List<Job> jobs = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        Integer version = rs.getInt(13);
        if (rs.wasNull()) version = null;
        jobs.add(new Job(rs.getLong(1), rs.getString(2), rs.getString(3), Arrays.asList(rs.getString(4).split(",")), rs.getString(5),
            rs.getString(6), rs.getLong(7), Status.of(rs.getString(8)), rs.getInt(9), rs.getLong(10), rs.getString(11), rs.getString(12),
            version));
      }
    }
    return jobs;
  }

  private static long next(Connection c, String sequence) throws SQLException {
    String sql = c.getMetaData().getDatabaseProductName().toLowerCase().contains("postgres")
        ? "SELECT nextval('" + sequence + "')" : "SELECT NEXT VALUE FOR " + sequence;
    try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  static String truncate(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max - 1) + "…";
  }
}
