package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;
import static org.apache.pekko.http.javadsl.model.HttpMethods.PUT;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import lims.analysis.Pipelines;
import lims.kernel.Custody;
import lims.kernel.Role;
import lims.kernel.WireNames;
import java.util.concurrent.CompletableFuture;
import lims.kernel.Page;
import lims.specimen.BarcodeLabel;
import lims.specimen.Barcodes;
import lims.specimen.Client;
import lims.specimen.Clients;
import lims.specimen.Specimen;
import lims.specimen.SpecimenReadModel;
import lims.specimen.SpecimenState;
import lims.specimen.Specimens;
import lims.specimen.TestBatch;
import lims.specimen.TransitionTable;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Specimens, their transitions and chain of custody, and the lab-automation sample view
 * (docs/domain.md, Specimens; openapi.yaml, tags specimens and samples).
 */
final class SpecimenRoutes {

  private static final Access INTAKE = Access.roles(Role.ADMIN, Role.TECHNICIAN);
  private static final String ID_RULE = "a specimen id such as SP-2026-000123";
  private static final Pattern TEXT = Pattern.compile("[\\p{L}\\p{N} ._:/#()-]{1,200}");
  /** specimen.type is VARCHAR(64): a longer value would stop the read-table projection. */
  private static final Pattern SPECIMEN_TYPE = Pattern.compile("[\\p{L}\\p{N} ._-]{1,64}");
  private static final Pattern TEST_CODE = Pattern.compile("[A-Za-z0-9_.-]{1,32}");
  private static final Pattern PLATE = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

  private final Specimens specimens;
  private final Pipelines pipelines;
  private final ObjectMapper mapper;
  private final IdempotencyKeys idempotency;

  SpecimenRoutes(Specimens specimens, Pipelines pipelines, ObjectMapper mapper, IdempotencyKeys idempotency) {
    this.specimens = specimens;
    this.pipelines = pipelines;
    this.mapper = mapper;
    this.idempotency = idempotency;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(POST, "/api/v1/specimens", INTAKE, this::register),
        new Endpoint(GET, "/api/v1/specimens", Access.anyRole(), this::list),
        new Endpoint(GET, "/api/v1/specimens/{id}", Access.anyRole(), this::read),
        new Endpoint(POST, "/api/v1/specimens/{id}/transitions", Access.anyRole(), this::transition),
        new Endpoint(PUT, "/api/v1/specimens/{id}/location", INTAKE, this::locate),
        new Endpoint(GET, "/api/v1/specimens/{id}/history", Access.anyRole(), this::history),
        new Endpoint(GET, "/api/v1/specimens/{id}/label", Access.anyRole(), this::label),
        new Endpoint(GET, "/api/v1/samples", Access.anyRole(), this::samples),
        new Endpoint(GET, "/api/v1/samples/{barcode}", Access.anyRole(), this::sample),
        new Endpoint(POST, "/api/v1/samples/validate", Access.anyRole(), this::validate),
        new Endpoint(POST, "/api/v1/test-batches", Access.roles(Role.ADMIN, Role.TECHNICIAN, Role.SCIENTIST), this::testBatch));
  }

  private CompletionStage<HttpResponse> register(Call call) {
    JsonBody body = call.json();
    String clientRef = body.requiredMatching("client_ref", TEXT, "1-200 letters, digits, spaces or ._:/#()-");
    String type = body.requiredMatching("type", SPECIMEN_TYPE, "1-64 letters, digits, spaces or ._-");
    List<String> tests = body.requiredList("tests_requested", 50, t -> TEST_CODE.matcher(t).matches() ? Optional.of(t) : Optional.empty(),
        "a test code of 1-32 letters, digits or ._-");
    Optional<String> collectedAt = body.optionalString("collected_at", 40);
    String priority = body.optionalString("priority", 16).orElse("normal");
    Instant collected = collectedAt.map(at -> body.instant("collected_at", at)).orElse(null);
    if (lims.device.Priority.fromWireName(priority).isEmpty()) body.reject("priority", "must be one of urgent, normal, low");
    String clientId = ClientRoutes.optionalClientId(body);
    List<String> recipients = body.optionalList("report_recipients", 20, e -> Clients.validEmail(e) ? Optional.of(e) : Optional.empty(),
        Clients.EMAIL_RULE);
    body.finish();
    if (tests.isEmpty()) throw ProblemException.invalid("tests_requested", "must name at least one test");
    Specimen.Registration registration = new Specimen.Registration(clientRef, type, tests, collected, priority, null, clientId,
        recipients.stream().distinct().toList());
    Custody custody = call.custody(TransitionTable.actingRoleFor(call.caller().roles(), Role.TECHNICIAN), null);
    // A repeated Register is answered with the specimen as it is: a key's repeats need no token.
    return idempotency.create(call, specimens::newId, reserved -> specimens.register(reserved.entityId(), registration, custody)
        .thenApply(reply -> Responses.json(mapper, 201, view(current(reply)))));
  }

  private CompletionStage<HttpResponse> list(Call call) {
    int limit = QueryParams.limit(call);
    Optional<String> state = QueryParams.string(call, "state");
    state.ifPresent(s -> {
      if (java.util.Arrays.stream(SpecimenState.values()).noneMatch(v -> v.name().equals(s))) {
        throw ProblemException.invalid("state", "must be one of " + java.util.Arrays.toString(SpecimenState.values()));
      }
    });
    Optional<String> q = QueryParams.matching(call, "q", TEXT, "1-200 letters, digits, spaces or ._:/#()-");
    Optional<String> clientRef = QueryParams.matching(call, "client_ref", TEXT, "1-200 letters, digits, spaces or ._:/#()-");
    Optional<Instant> receivedFrom = QueryParams.instant(call, "received_from");
    Optional<Instant> receivedBefore = QueryParams.instant(call, "received_before");
    if (receivedFrom.isPresent() && receivedBefore.isPresent() && !receivedFrom.get().isBefore(receivedBefore.get())) {
      throw ProblemException.invalid("received_from", "must be before received_before");
    }
    Optional<String> after = QueryParams.matching(call, "after", Specimens.SPECIMEN_ID, "a cursor from next_cursor");
    Optional<String> clientId = QueryParams.matching(call, "client_id", Client.CODE, ClientRoutes.CODE_RULE);
    Optional<String> scope = call.clientScope();
    if (scope.isPresent() && clientId.filter(c -> !c.equals(scope.get())).isPresent()) {
      return CompletableFuture.completedFuture(Responses.page(mapper, new Page<>(List.of(), null))); // another client's: none it may see
    }
    var filter = new SpecimenReadModel.Filter(state, q, clientRef, receivedFrom, receivedBefore, scope.or(() -> clientId));
    return specimens.readModel().list(filter, limit, after).thenApply(page -> Responses.page(mapper, page));
  }

  private CompletionStage<HttpResponse> read(Call call) {
    return visible(call).thenApply(s -> Responses.json(mapper, 200, view(s)));
  }

  private CompletionStage<HttpResponse> transition(Call call) {
    String id = specimenId(call);
    JsonBody body = call.json();
    String action = body.requiredString("action", 64);
    Optional<String> reason = body.optionalString("reason", 2000);
    Optional<String> expected = body.optionalString("expected_state", 32);
    Map<String, Object> data = body.optionalObject("data", mapper);
    Optional<SpecimenState> expectedState = expected.flatMap(e -> java.util.Arrays.stream(SpecimenState.values())
        .filter(v -> v.name().equals(e)).findFirst());
    if (expected.isPresent() && expectedState.isEmpty()) {
      body.reject("expected_state", "must be one of " + java.util.Arrays.toString(SpecimenState.values()));
    }
    Optional<TransitionTable.Transition> known = action == null ? Optional.empty() : TransitionTable.action(action);
    if (action != null && known.isEmpty()) body.reject("action", "must be one of " + TransitionTable.actions());
    body.finish();
    TransitionTable.Transition t = known.orElseThrow();
    Role role = TransitionTable.actingRole(t, call.caller().roles())
        .orElseThrow(() -> ProblemException.forbidden("'" + action + "' needs one of the roles "
            + t.roles().stream().map(WireNames::of).sorted().toList()));
    if (t.reasonRequired() && reason.map(String::isBlank).orElse(true)) {
      throw ProblemException.invalid("reason", "is required for " + action);
    }
    if (t.to() == SpecimenState.IN_ANALYSIS) {
      pipelines.checkRequest(data).ifPresent(wrong -> {
        throw ProblemException.invalid(wrong.field(), wrong.why());
      });
    }
    Custody custody = call.custody(role, reason.orElse(null));
    return specimens.transition(id, action, expectedState, data, custody).thenApply(reply -> Responses.json(mapper, 200, view(current(reply))));
  }

  private CompletionStage<HttpResponse> locate(Call call) {
    String id = specimenId(call);
    JsonBody body = call.json();
    String plate = body.requiredMatching("plate", PLATE, "1-64 letters, digits or ._-");
    String well = body.requiredMatching("well", Specimen.WELL, "a well of a 96-well plate, A1 to H12");
    body.finish();
    Custody custody = call.custody(TransitionTable.actingRoleFor(call.caller().roles(), Role.TECHNICIAN), null);
    return specimens.ask(id, r -> new Specimen.SetLocation(plate, well, custody, r)).thenApply(reply -> Responses.json(mapper, 200, view(current(reply))));
  }

  private CompletionStage<HttpResponse> history(Call call) {
    return visible(call).thenApply(s -> Responses.json(mapper, 200, s.history().stream().map(CustodyEntryView::of).toList()));
  }

  private CompletionStage<HttpResponse> label(Call call) {
    return visible(call).thenApply(s -> HttpResponse.create().withEntity(ContentTypes.parse("image/png"), BarcodeLabel.png(s.barcode())));
  }

  private CompletionStage<HttpResponse> samples(Call call) {
    int limit = QueryParams.limit(call);
    Optional<String> after = QueryParams.matching(call, "after", Specimens.SPECIMEN_ID, "a cursor from next_cursor");
    SpecimenReadModel.Filter filter = call.clientScope().map(SpecimenReadModel.Filter.NONE::forClient).orElse(SpecimenReadModel.Filter.NONE);
    return specimens.readModel().list(filter, limit, after)
        .thenApply(page -> Responses.page(mapper, page.map(SpecimenRoutes::sampleView)));
  }

  private CompletionStage<HttpResponse> sample(Call call) {
    String barcode = call.pathParam("barcode");
    if (!Barcodes.validFormat(barcode)) throw ProblemException.invalid("barcode", "is not a valid barcode (format or check character)");
    return specimens.readModel().byBarcode(barcode).thenApply(row -> Responses.json(mapper, 200,
        sampleView(row.filter(r -> Specimens.visible(call.clientScope(), r))
            .orElseThrow(() -> ProblemException.notFound("no sample with barcode " + barcode)))));
  }

  private CompletionStage<HttpResponse> validate(Call call) {
    JsonBody body = call.json();
    List<String> barcodes = body.requiredList("barcodes", 500, b -> b.length() <= 64 ? Optional.of(b) : Optional.empty(), "a string of at most 64 characters");
    body.finish();
    List<String> wellFormed = barcodes.stream().filter(Barcodes::validFormat).toList();
    return specimens.readModel().existingBarcodes(wellFormed, call.clientScope()).thenApply(found -> Responses.json(mapper, 200,
        barcodes.stream().map(b -> new BarcodeCheckView(b, found.contains(b), Barcodes.validFormat(b))).toList()));
  }

  /** 201 for the request that created the batch, 200 with the same batch for every repeat. */
  private CompletionStage<HttpResponse> testBatch(Call call) {
    JsonBody body = call.json();
    String batchKey = body.requiredMatching("batch_key", TestBatch.BATCH_KEY, "1-100 letters, digits or ._:-");
    String testCode = body.requiredMatching("test_code", TEST_CODE, "a test code of 1-32 letters, digits or ._-");
    List<String> specimenIds = body.requiredList("specimen_ids", 500,
        id -> Specimens.SPECIMEN_ID.matcher(id).matches() ? Optional.of(id) : Optional.empty(), ID_RULE);
    body.finish();
    if (specimenIds.isEmpty()) throw ProblemException.invalid("specimen_ids", "must name at least one specimen");
    Custody custody = call.custody(TransitionTable.actingRoleFor(call.caller().roles(), Role.TECHNICIAN), null);
    return specimens.createBatch(batchKey, testCode, specimenIds, custody)
        .thenApply(reply -> {
          TestBatch.Batch batch = Replies.expect(reply, TestBatch.Batch.class);
          return Responses.json(mapper, batch.created() ? 201 : 200, TestBatchView.of(batch.batch()));
        });
  }

  // --- helpers --------------------------------------------------------------------------

  private static String specimenId(Call call) {
    String id = call.pathParam("id");
    if (!Specimens.SPECIMEN_ID.matcher(id).matches()) throw ProblemException.invalid("id", "must be " + ID_RULE);
    return id;
  }

  private static Specimen.State current(Specimen.Reply reply) {
    return Replies.expect(reply, Specimen.Current.class).specimen();
  }

  /** The specimen of the path, when the caller may see it; one it may not (another client's) is answered as unknown. */
  private CompletionStage<Specimen.State> visible(Call call) {
    String id = specimenId(call);
    return specimens.ask(id, Specimen.Get::new).thenApply(reply -> {
      Specimen.State s = current(reply);
      if (!Specimens.visible(call.clientScope(), s)) throw ProblemException.notFound("no specimen " + id);
      return s;
    });
  }

  // --- answers --------------------------------------------------------------------------

  record SpecimenView(String id, String barcode, SpecimenState state, String clientRef, String type, List<String> testsRequested,
      Instant collectedAt, String priority, LocationView location, String replaces, String replacementId, List<String> allowedActions,
      String clientId, List<String> reportRecipients) {}

  record LocationView(String plate, String well) {}

  /** One entry of a specimen's chain of custody. */
  record CustodyEntryView(String action, SpecimenState from, SpecimenState to, String actor, String role, Instant at, String reason,
      String ip, String requestId, Map<String, Object> data) {
    static CustodyEntryView of(Specimen.HistoryEntry h) {
      Custody c = h.custody();
      return new CustodyEntryView(h.action(), h.from(), h.to(), c.userId(), c.role(), c.at(), c.reason(), c.clientIp(), c.requestId(), h.data());
    }
  }

  /** A specimen as the lab-automation sample view shows it. */
  record SampleView(String barcode, String specimenId, String type, String plate, String well, String state) {}

  record BarcodeCheckView(String barcode, boolean exists, boolean validFormat) {}

  record TestBatchView(String batchKey, String testCode, List<String> specimenIds, List<TestBatch.AnalysisRequest> analysisRequests,
      String createdBy, Instant createdAt) {
    static TestBatchView of(TestBatch.State b) {
      return new TestBatchView(b.batchKey(), b.testCode(), b.specimenIds(), b.analysisRequests(), b.createdBy().userId(), b.createdBy().at());
    }
  }

  private static SpecimenView view(Specimen.State s) {
    Specimen.Registration r = s.registration();
    return new SpecimenView(s.id(), s.barcode(), s.state(), r.clientRef(), r.type(), r.testsRequested(), r.collectedAt(), r.priority(),
        s.well() == null ? null : new LocationView(s.plate(), s.well()), r.replacesSpecimenId(), s.replacementId(), s.allowedActions(),
        r.clientId(), r.reportRecipients());
  }

  private static SampleView sampleView(SpecimenReadModel.SpecimenRow row) {
    return new SampleView(row.barcode(), row.id(), row.type(), row.plate(), row.well(), row.state());
  }
}
