package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import lims.analysis.Analyses;
import lims.analysis.Analysis;
import lims.analysis.AnalysisReadModel;
import lims.kernel.Role;
import lims.specimen.Specimens;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Remote analysis runs (docs/domain.md, Analyses; openapi.yaml, tag analyses): read one, list a specimen's, cancel one. */
final class AnalysisRoutes {

  private static final Access CANCEL = Access.roles(Role.ADMIN, Role.SCIENTIST, Role.TECHNICIAN);

  private final Analyses analyses;
  private final ObjectMapper mapper;

  AnalysisRoutes(Analyses analyses, ObjectMapper mapper) {
    this.analyses = analyses;
    this.mapper = mapper;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(GET, "/api/v1/analyses/{id}", Access.anyRole(), this::read),
        new Endpoint(GET, "/api/v1/specimens/{id}/analyses", Access.anyRole(), this::forSpecimen),
        new Endpoint(POST, "/api/v1/analyses/{id}/cancel", CANCEL, this::cancel));
  }

  private CompletionStage<HttpResponse> read(Call call) {
    return analyses.ask(analysisId(call), Analysis.Get::new).thenApply(reply -> Responses.json(mapper, 200, view(current(reply))));
  }

  private CompletionStage<HttpResponse> forSpecimen(Call call) {
    String id = call.pathParam("id");
    if (!Specimens.SPECIMEN_ID.matcher(id).matches()) throw ProblemException.invalid("id", "must be a specimen id such as SP-2026-000123");
    return analyses.readModel().forSpecimen(id).thenApply(rows -> Responses.json(mapper, 200,
        rows.stream().map(AnalysisRoutes::rowView).toList()));
  }

  /** 200 with the cancelled run (also when it was already cancelled); 409 when it already ended otherwise. */
  private CompletionStage<HttpResponse> cancel(Call call) {
    String id = analysisId(call);
    Optional<String> reason = Optional.empty();
    if (call.body().length > 0) {
      JsonBody body = call.json();
      reason = body.optionalString("reason", 2000);
      body.finish();
    }
    String why = reason.orElse(null);
    String by = call.caller().username();
    return analyses.ask(id, r -> new Analysis.Cancel(why, by, r)).thenApply(reply -> Responses.json(mapper, 200, view(current(reply))));
  }

  private static String analysisId(Call call) {
    String id = call.pathParam("id");
    if (!Analysis.ID.matcher(id).matches()) throw ProblemException.invalid("id", "must be an analysis id such as AN-SP-2026-000123-1 or AN-LT-0123456789ab-1764000000000");
    return id;
  }

  private static Analysis.State current(Analysis.Reply reply) {
    return Replies.expect(reply, Analysis.Current.class).analysis();
  }

  /**
   * A run as the API shows it: the read table's columns, plus the result once one is recorded
   * ({@code result} and {@code result_counted} are left out before that, and in lists).
   */
  record AnalysisView(String id, String specimenId, String pipeline, String state, String remoteSession, Instant requestedAt,
      Instant dispatchedAt, Instant deadline, Instant finishedAt, int dispatchAttempts, String failureReason, String resultStatus,
      @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Object> result,
      @JsonInclude(JsonInclude.Include.NON_NULL) Boolean resultCounted) {}

  private static AnalysisView view(Analysis.State a) {
    boolean recorded = a.resultStatus() != null;
    // A result that came after the run was cancelled or timed out: kept, not acted on (result_counted false).
    return new AnalysisView(a.id(), a.specimenId(), a.pipeline(), a.status().wireName(), a.remoteSession(), a.requestedAt(), a.dispatchedAt(),
        a.deadline(), a.finishedAt(), a.attempts(), a.failureReason(), a.resultStatus(), recorded ? a.result() : null,
        recorded ? a.resultCounted() : null);
  }

  private static AnalysisView rowView(AnalysisReadModel.AnalysisRow r) {
    return new AnalysisView(r.id(), r.specimenId(), r.pipeline(), r.state(), r.remoteSession(), r.requestedAt(), r.dispatchedAt(),
        r.deadline(), r.finishedAt(), r.attempts(), r.failureReason(), r.resultStatus(), null, null);
  }
}
