package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import lims.kernel.Role;
import lims.reporting.ReportArchive;
import lims.reporting.ReportJobs;
import lims.reporting.Reports;
import lims.reporting.StoredReport;
import lims.specimen.Specimen;
import lims.specimen.Specimens;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Reports (docs/domain.md, Reports; openapi.yaml, tag reports): ask for one, read its
 * versions and download their PDF and workbook, follow and retry render jobs.
 */
final class ReportRoutes {

  static final Pattern REPORT_ID = Pattern.compile("RP-[0-9]{4}-[0-9]{6,12}");
  private static final Access REQUEST = Access.roles(Role.ADMIN, Role.TECHNICIAN, Role.REVIEWER);
  private static final Access JOBS = Access.roles(Role.ADMIN, Role.TECHNICIAN, Role.REVIEWER);

  /** One stored version; its files at {@code pdf_url} and {@code xlsx_url}. */
  record ReportVersionView(String reportId, int version, String clientId, List<String> specimenIds, String batchKey, List<String> recipients,
      int pages, String pdfSha256, String xlsxSha256, int pdfBytes, int xlsxBytes, Instant renderedAt, String renderedBy, long renderMs,
      String pdfUrl, String xlsxUrl) {
    static ReportVersionView of(StoredReport r) {
      String base = "/api/v1/reports/" + r.reportId();
      return new ReportVersionView(r.reportId(), r.version(), r.clientId(), r.specimenIds(), r.batchKey(), r.recipients(), r.pages(),
          r.pdfSha256(), r.xlsxSha256(), r.pdfBytes(), r.xlsxBytes(), r.renderedAt(), r.renderedBy(), r.renderMillis(),
          base + "/pdf?version=" + r.version(), base + "/xlsx?version=" + r.version());
    }
  }

  /** A report: its latest version first among all of them. */
  record ReportView(String id, String clientId, List<String> specimenIds, int latestVersion, List<ReportVersionView> versions) {}

  /** A render job: queued, rendering, stored (being filed), done or failed (with its reason). */
  record ReportJobView(long jobId, String reportId, List<String> specimenIds, String batchKey, String status, int attempts,
      Instant nextAttemptAt, String lastError, Integer version, String requestedBy, Instant requestedAt) {
    static ReportJobView of(ReportJobs.Job j) {
      return new ReportJobView(j.jobId(), j.reportId(), j.specimenIds(), j.batchKey(), j.status().wireName(), j.attempts(),
          Instant.ofEpochMilli(j.nextAttemptAt()), j.lastError(), j.version(), j.requestedBy(), Instant.ofEpochMilli(j.requestedAt()));
    }
  }

  /** A specimen's stored reports (newest first) and the jobs not yet done that would add one. */
  record SpecimenReportsView(String specimenId, List<ReportVersionView> reports, List<ReportJobView> pending) {}

  private final Reports reports;
  private final Specimens specimens;
  private final ObjectMapper mapper;

  ReportRoutes(Reports reports, Specimens specimens, ObjectMapper mapper) {
    this.reports = reports;
    this.specimens = specimens;
    this.mapper = mapper;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(POST, "/api/v1/reports", REQUEST, this::request),
        new Endpoint(GET, "/api/v1/reports/{id}", Access.anyRole(), this::read),
        new Endpoint(POST, "/api/v1/reports/{id}/versions", REQUEST, this::rerender),
        new Endpoint(GET, "/api/v1/reports/{id}/pdf", Access.anyRole(), call -> download(call, ReportArchive.Format.PDF)),
        new Endpoint(GET, "/api/v1/reports/{id}/xlsx", Access.anyRole(), call -> download(call, ReportArchive.Format.XLSX)),
        new Endpoint(GET, "/api/v1/specimens/{id}/reports", Access.anyRole(), this::ofSpecimen),
        new Endpoint(GET, "/api/v1/report-jobs", JOBS, this::jobs),
        new Endpoint(POST, "/api/v1/report-jobs/{id}/retry", JOBS, this::retry));
  }

  /** 202 with the queued job: the report is rendered in the background. */
  private CompletionStage<HttpResponse> request(Call call) {
    JsonBody body = call.json();
    List<String> specimenIds = body.requiredList("specimen_ids", Reports.MAX_SPECIMENS,
        id -> Specimens.SPECIMEN_ID.matcher(id).matches() ? Optional.of(id) : Optional.empty(), "a specimen id such as SP-2026-000123");
    if (specimenIds.isEmpty()) body.reject("specimen_ids", "must name at least one specimen");
    body.finish();
    List<String> asked = specimenIds.stream().distinct().sorted().toList();
    Optional<String> key = IdempotencyKeys.key(call);
    return reports.request(specimenIds, call.caller().username(), key).thenApply(job -> {
      if (!job.specimenIds().equals(asked)) throw IdempotencyKeys.reused(key.orElseThrow());
      return Responses.json(mapper, 202, ReportJobView.of(job));
    });
  }

  private CompletionStage<HttpResponse> rerender(Call call) {
    String id = reportId(call);
    Optional<String> key = IdempotencyKeys.key(call);
    return visibleVersions(call, id)
        .thenCompose(versions -> reports.rerender(id, call.caller().username(), key))
        .thenApply(job -> Responses.json(mapper, 202, ReportJobView.of(job)));
  }

  private CompletionStage<HttpResponse> read(Call call) {
    String id = reportId(call);
    return visibleVersions(call, id).thenApply(versions -> Responses.json(mapper, 200, new ReportView(id, versions.get(0).clientId(),
        versions.get(0).specimenIds(), versions.get(0).version(), versions.stream().map(ReportVersionView::of).toList())));
  }

  private CompletionStage<HttpResponse> download(Call call, ReportArchive.Format format) {
    String id = reportId(call);
    Optional<Integer> asked = QueryParams.string(call, "version").map(v -> {
      if (!v.matches("[1-9][0-9]{0,5}")) throw ProblemException.invalid("version", "must be a version number (1, 2, ...)");
      return Integer.parseInt(v);
    });
    return visibleVersions(call, id).thenCompose(versions -> {
      StoredReport version = asked.isEmpty() ? versions.get(0)
          : versions.stream().filter(r -> r.version() == asked.get()).findFirst()
              .orElseThrow(() -> ProblemException.notFound("report " + id + " has no version " + asked.get()));
      return reports.archive().file(id, version.version(), format).thenApply(bytes -> HttpResponse.create()
          .withEntity(HttpEntities.create(ContentTypes.parse(format.mediaType), bytes.orElseThrow()))
          .addHeader(RawHeader.create("Content-Disposition", "attachment; filename=\"" + id + "-v" + version.version() + "." + format.column + "\""))
          .addHeader(RawHeader.create("Digest", "sha-256=" + (format == ReportArchive.Format.PDF ? version.pdfSha256() : version.xlsxSha256()))));
    });
  }

  /** 404 for a specimen that does not exist or that the caller may not see, as its other routes answer. */
  private CompletionStage<HttpResponse> ofSpecimen(Call call) {
    String id = call.pathParam("id");
    if (!Specimens.SPECIMEN_ID.matcher(id).matches()) throw ProblemException.invalid("id", "must be a specimen id such as SP-2026-000123");
    return specimens.ask(id, Specimen.Get::new).thenCompose(reply -> {
      if (!(reply instanceof Specimen.Current current) || !Specimens.visible(call.clientScope(), current.specimen())) {
        throw ProblemException.notFound("no specimen " + id);
      }
      return reportsOf(call, id);
    });
  }

  private CompletionStage<HttpResponse> reportsOf(Call call, String id) {
    return reports.archive().ofSpecimen(id).thenCombine(reports.jobs().ofSpecimen(id), (stored, jobs) -> {
      List<StoredReport> visible = stored.stream().filter(r -> mayRead(call, r)).toList();
      boolean scoped = call.clientScope().isPresent();
      return Responses.json(mapper, 200, new SpecimenReportsView(id, visible.stream().map(ReportVersionView::of).toList(),
          scoped ? List.of() : jobs.stream().filter(j -> j.status() != ReportJobs.Status.DONE).map(ReportJobView::of).toList()));
    });
  }

  private CompletionStage<HttpResponse> jobs(Call call) {
    Optional<ReportJobs.Status> status = QueryParams.string(call, "status").map(s -> {
      for (ReportJobs.Status candidate : ReportJobs.Status.values()) if (candidate.wireName().equals(s)) return candidate;
      throw ProblemException.invalid("status", "must be one of queued, rendering, stored, done, failed");
    });
    Optional<lims.kernel.KeysetCursor> after = QueryParams.keysetCursor(call);
    if (after.isPresent() && !after.get().id().matches("[0-9]{1,18}")) throw ProblemException.invalid("after", "must be a cursor from next_cursor");
    return reports.jobs().list(status, QueryParams.limit(call), after)
        .thenApply(page -> Responses.page(mapper, page.map(ReportJobView::of)));
  }

  /** 202 with the job queued again; 409 unless it had failed. */
  private CompletionStage<HttpResponse> retry(Call call) {
    String raw = call.pathParam("id");
    if (!raw.matches("[1-9][0-9]{0,17}")) throw ProblemException.invalid("id", "must be a render job id (a number)");
    long jobId = Long.parseLong(raw);
    return reports.jobs().retry(jobId).thenCompose(retried -> reports.jobs().get(jobId).thenApply(job -> {
      if (job.isEmpty()) throw ProblemException.notFound("no render job " + jobId);
      if (!retried) throw ProblemException.conflict("render job " + jobId + " is " + job.get().status().wireName() + ", not failed");
      reports.nudge();
      return Responses.json(mapper, 202, ReportJobView.of(job.get()));
    }));
  }

  /** A report's versions, newest first: 404 when there is none, or when the caller may not see it. */
  private CompletionStage<List<StoredReport>> visibleVersions(Call call, String id) {
    return reports.archive().versions(id).thenApply(versions -> {
      if (versions.isEmpty() || !mayRead(call, versions.get(0))) throw ProblemException.notFound("no report " + id);
      return versions;
    });
  }

  /** A viewer linked to a client sees that client's reports only (as it sees its specimens only). */
  private static boolean mayRead(Call call, StoredReport report) {
    return call.clientScope().map(client -> client.equals(report.clientId())).orElse(true);
  }

  private static String reportId(Call call) {
    String id = call.pathParam("id");
    if (!REPORT_ID.matcher(id).matches()) throw ProblemException.invalid("id", "must be a report id such as RP-2026-000123");
    return id;
  }
}
