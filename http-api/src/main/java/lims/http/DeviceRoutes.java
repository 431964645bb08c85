package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.DELETE;
import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;
import static org.apache.pekko.http.javadsl.model.HttpMethods.PUT;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import lims.device.Booking;
import lims.device.Device;
import lims.device.DeviceReadModel;
import lims.device.DeviceType;
import lims.device.Devices;
import lims.device.Execution;
import lims.device.OperationalStatus;
import lims.device.Priority;
import lims.kernel.KeysetCursor;
import lims.kernel.Role;
import org.apache.pekko.http.javadsl.model.ContentType;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * Devices, their bookings and queues, operations, and execution logs (docs/domain.md,
 * Devices; openapi.yaml, tags devices and execution logs).
 */
final class DeviceRoutes {

  private static final Access OPERATE = Access.roles(Role.ADMIN, Role.TECHNICIAN, Role.SCIENTIST);
  private static final ContentType NDJSON = ContentTypes.parse("application/x-ndjson");
  private static final ContentType CSV = ContentTypes.parse("text/csv; charset=utf-8");
  static final String DEVICE_ID_RULE = "1-64 lower-case letters, digits or '-'";
  private static final String WORKFLOW_ID_RULE = "1-64 letters, digits, '.', '_' or '-'";
  private static final int MAX_CAPABILITIES = 16;
  private static final int MAX_PARAMETERS_CHARS = 16 * 1024;
  private static final java.util.regex.Pattern CAPABILITY = java.util.regex.Pattern.compile("[A-Za-z0-9._-]{1,48}");

  /** {@code operations}: what its type runs, the names a workflow step or an execute may use (so a client offers only those). */
  record DeviceView(String id, String name, String type, String status, List<String> capabilities,
      BookingView currentBooking, int queueLength, List<String> operations) {}

  /** A booking as the API shows it; its status is always busy (the device's, while the booking lasts). */
  record BookingView(String deviceId, String workflowId, String status, Instant bookedAt) {
    static BookingView of(String deviceId, String workflowId, Instant bookedAt) {
      return new BookingView(deviceId, workflowId, "busy", bookedAt);
    }
  }

  record ReleaseView(String deviceId, String releasedBy, BookingView nextBooking) {}

  record QueueView(String workflowId, String priority, Instant enqueuedAt, int position, Instant estimatedStart) {}

  /** Where a queued request stands, as the answer to queueing it. */
  record QueuedView(int position, long estimatedWaitS) {}

  /** Where a request stands (or a new one would), and how long the queue is. */
  record WaitView(int position, long estimatedWaitS, int queueLength) {}

  private final Devices devices;
  private final ObjectMapper mapper;
  private final Duration executeWait;
  private final int exportFetchSize;
  private final java.util.concurrent.Semaphore exportSlots;
  private final IdempotencyKeys idempotency;

  DeviceRoutes(Devices devices, ObjectMapper mapper, Config deviceConfig, IdempotencyKeys idempotency) {
    this.devices = devices;
    this.mapper = mapper;
    this.idempotency = idempotency;
    this.executeWait = deviceConfig.getDuration("execute-wait");
    this.exportFetchSize = deviceConfig.getInt("export-fetch-size");
    this.exportSlots = new java.util.concurrent.Semaphore(deviceConfig.getInt("max-concurrent-exports"));
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(GET, "/api/v1/devices", Access.anyRole(), this::list),
        new Endpoint(POST, "/api/v1/devices", Access.roles(Role.ADMIN), this::register),
        new Endpoint(GET, "/api/v1/devices/{id}", Access.anyRole(), this::read),
        new Endpoint(PUT, "/api/v1/devices/{id}/status", Access.roles(Role.ADMIN), this::setStatus),
        new Endpoint(POST, "/api/v1/devices/{id}/book", OPERATE, this::book),
        new Endpoint(POST, "/api/v1/devices/{id}/release", OPERATE, this::release),
        new Endpoint(POST, "/api/v1/devices/{id}/queue", OPERATE, this::enqueue),
        new Endpoint(GET, "/api/v1/devices/{id}/queue", Access.anyRole(), this::queue),
        new Endpoint(DELETE, "/api/v1/devices/{id}/queue/{workflow_id}", OPERATE, this::cancelQueued),
        new Endpoint(GET, "/api/v1/devices/{id}/wait-time", Access.anyRole(), this::waitTime),
        new Endpoint(POST, "/api/v1/devices/{id}/execute", OPERATE, this::execute),
        new Endpoint(GET, "/api/v1/executions/{id}", Access.anyRole(), this::execution),
        new Endpoint(GET, "/api/v1/execution-logs", Access.anyRole(), call -> logs(call, Optional.empty(), false)),
        new Endpoint(GET, "/api/v1/execution-logs/search", Access.anyRole(), call -> logs(call, QueryParams.matching(call, "device_id", Devices.DEVICE_ID, DEVICE_ID_RULE), true)),
        new Endpoint(GET, "/api/v1/execution-logs/export", Access.anyRole(), this::export),
        new Endpoint(GET, "/api/v1/execution-logs/{device_id}", Access.anyRole(), call -> logs(call, Optional.of(deviceId(call, "device_id")), true)));
  }

  // --- devices --------------------------------------------------------------------------

  private CompletionStage<HttpResponse> list(Call call) {
    int limit = QueryParams.limit(call);
    Optional<String> after = QueryParams.matching(call, "after", Devices.DEVICE_ID, "a cursor from next_cursor");
    return devices.readModel().devices(limit, after).thenApply(page -> Responses.page(mapper, page.map(DeviceRoutes::view)));
  }

  private CompletionStage<HttpResponse> register(Call call) {
    JsonBody body = call.json();
    String id = body.check("id", body.requiredMatching("id", Devices.DEVICE_ID, DEVICE_ID_RULE), Devices::reservedIdProblem);
    String name = body.requiredString("name", 200);
    DeviceType type = body.requiredEnum("type", DeviceType::fromWireName, lims.kernel.WireNames.list(DeviceType.class));
    // Limits chosen so every accepted value fits the read table (device.capabilities VARCHAR(1000)):
    // a value the projection cannot store would stop it for every device on the same tag.
    List<String> capabilities = body.optionalList("capabilities", MAX_CAPABILITIES,
        c -> CAPABILITY.matcher(c).matches() ? Optional.of(c) : Optional.empty(), "1-48 letters, digits or ._-");
    body.finish();
    return idempotency.create(call, () -> CompletableFuture.completedFuture(id), reserved ->
        devices.ask(id, r -> new Device.Register(name, type, capabilities, call.caller().username(), reserved.token(), r))
            .thenApply(reply -> Responses.json(mapper, 201, view(id, Replies.expect(reply, Device.Snapshot.class)))));
  }

  private CompletionStage<HttpResponse> read(Call call) {
    String id = deviceId(call, "id");
    return devices.ask(id, Device.Get::new).thenApply(reply -> Responses.json(mapper, 200, view(id, Replies.expect(reply, Device.Snapshot.class))));
  }

  private CompletionStage<HttpResponse> setStatus(Call call) {
    String id = deviceId(call, "id");
    JsonBody body = call.json();
    OperationalStatus status = body.requiredEnum("status", OperationalStatus::fromWireName, lims.kernel.WireNames.list(OperationalStatus.class));
    body.finish();
    return devices.ask(id, r -> new Device.SetStatus(status, call.caller().username(), r))
        .thenApply(reply -> Responses.json(mapper, 200, view(id, Replies.expect(reply, Device.Snapshot.class))));
  }

  // --- bookings and queue ---------------------------------------------------------------

  private CompletionStage<HttpResponse> book(Call call) {
    String id = deviceId(call, "id");
    JsonBody body = call.json();
    String workflowId = body.requiredMatching("workflow_id", Devices.WORKFLOW_ID, WORKFLOW_ID_RULE);
    List<String> operations = operations(body);
    body.finish();
    return devices.ask(id, r -> new Device.Book(workflowId, operations, call.caller().username(), r))
        .thenApply(reply -> Responses.json(mapper, 200, booked(id, Replies.expect(reply, Device.Booked.class).booking())));
  }

  private CompletionStage<HttpResponse> release(Call call) {
    String id = deviceId(call, "id");
    JsonBody body = call.json();
    String workflowId = body.requiredMatching("workflow_id", Devices.WORKFLOW_ID, WORKFLOW_ID_RULE);
    body.finish();
    return devices.ask(id, r -> new Device.Release(workflowId, call.caller().username(), r)).thenApply(reply -> {
      Optional<Booking> next = Replies.expect(reply, Device.Released.class).nextBooking();
      return Responses.json(mapper, 200, new ReleaseView(id, workflowId, next.map(b -> booked(id, b)).orElse(null)));
    });
  }

  private CompletionStage<HttpResponse> enqueue(Call call) {
    String id = deviceId(call, "id");
    JsonBody body = call.json();
    String workflowId = body.requiredMatching("workflow_id", Devices.WORKFLOW_ID, WORKFLOW_ID_RULE);
    Priority priority = body.requiredEnum("priority", Priority::fromWireName, lims.kernel.WireNames.list(Priority.class));
    List<String> operations = operations(body);
    body.finish();
    return devices.ask(id, r -> new Device.Enqueue(workflowId, priority, operations, call.caller().username(), r))
        .thenCompose(reply -> {
          if (reply instanceof Device.Booked b) {
            return CompletableFuture.completedFuture(Responses.json(mapper, 200, booked(id, b.booking())));
          }
          Replies.expect(reply, Device.Queued.class);
          return estimate(id, workflowId).thenApply(w -> Responses.json(mapper, 202, new QueuedView(w.position(), w.estimatedWaitS())));
        });
  }

  private CompletionStage<HttpResponse> queue(Call call) {
    String id = deviceId(call, "id");
    return snapshotWithMeans(id).thenApply(sm -> Responses.json(mapper, 200,
        devices.estimator().places(sm.snapshot(), sm.means()).stream()
            .map(p -> new QueueView(p.entry().workflowId(), p.entry().priority().wireName(), p.entry().enqueuedAt(), p.position(), p.estimatedStart()))
            .toList()));
  }

  private CompletionStage<HttpResponse> cancelQueued(Call call) {
    String id = deviceId(call, "id");
    String workflowId = call.pathParam("workflow_id");
    if (!Devices.WORKFLOW_ID.matcher(workflowId).matches()) throw ProblemException.invalid("workflow_id", "must be " + WORKFLOW_ID_RULE);
    return devices.ask(id, r -> new Device.CancelQueued(workflowId, call.caller().username(), r))
        .thenApply(reply -> {
          Replies.expect(reply, Device.Snapshot.class);
          return Responses.noContent();
        });
  }

  private CompletionStage<HttpResponse> waitTime(Call call) {
    String id = deviceId(call, "id");
    Optional<String> workflowId = QueryParams.matching(call, "workflow_id", Devices.WORKFLOW_ID, WORKFLOW_ID_RULE);
    if (workflowId.isPresent()) {
      return estimate(id, workflowId.get()).thenApply(w -> Responses.json(mapper, 200, w));
    }
    return snapshotWithMeans(id).thenApply(sm -> Responses.json(mapper, 200, new WaitView(
        devices.estimator().positionOfNewNormalRequest(sm.snapshot()),
        devices.estimator().waitOfNewNormalRequest(sm.snapshot(), sm.means()).toSeconds(), sm.snapshot().queue().size())));
  }

  /** Position and expected wait of a queued workflow (position 0 and no wait for the holder). */
  private CompletionStage<WaitView> estimate(String id, String workflowId) {
    return snapshotWithMeans(id).thenApply(sm -> devices.estimator().waitOf(sm.snapshot(), sm.means(), workflowId)
        .map(w -> new WaitView(w.position(), w.expected().toSeconds(), sm.snapshot().queue().size()))
        .orElseThrow(() -> ProblemException.notFound("workflow " + workflowId + " is not queued for device " + id)));
  }

  private record SnapshotWithMeans(Device.Snapshot snapshot, Map<String, Double> means) {}

  private CompletionStage<SnapshotWithMeans> snapshotWithMeans(String id) {
    return devices.ask(id, Device.Get::new).thenCompose(reply -> {
      Device.Snapshot snapshot = Replies.expect(reply, Device.Snapshot.class);
      return devices.readModel().meanDurations(snapshot.registration().type().wireName()).thenApply(m -> new SnapshotWithMeans(snapshot, m));
    });
  }

  // --- operations -----------------------------------------------------------------------

  private CompletionStage<HttpResponse> execute(Call call) {
    String id = deviceId(call, "id");
    JsonBody body = call.json();
    String workflowId = body.requiredMatching("workflow_id", Devices.WORKFLOW_ID, WORKFLOW_ID_RULE);
    String operation = body.requiredString("operation", 64);
    // Parameters travel in commands, events and replies between nodes: keep them well below Pekko's remote frame size.
    Map<String, Object> parameters = body.optionalObject("parameters", mapper, MAX_PARAMETERS_CHARS);
    body.finish();
    return devices.ask(id, r -> new Device.Execute(workflowId, operation, parameters, call.caller().username(), r))
        .thenCompose(reply -> {
          Execution started = Replies.expect(reply, Device.ExecutionReply.class).execution();
          return devices.awaitExecution(id, started.executionId(), executeWait)
              .thenApply(done -> done.map(x -> Responses.json(mapper, 200, x)).orElseGet(() -> Responses.json(mapper, 202, started)));
        });
  }

  private CompletionStage<HttpResponse> execution(Call call) {
    String executionId = call.pathParam("id");
    String id = Devices.deviceOfExecution(executionId)
        .orElseThrow(() -> ProblemException.invalid("id", "must be an execution id such as plate-reader-1.42"));
    return devices.ask(id, r -> new Device.GetExecution(executionId, r)).thenCompose(reply -> {
      if (reply instanceof Device.ExecutionReply e) return CompletableFuture.completedFuture(Responses.json(mapper, 200, e.execution()));
      // Older entries leave the entity; the execution log keeps them.
      return devices.readModel().execution(executionId).thenApply(found -> Responses.json(mapper, 200,
          found.orElseThrow(() -> ProblemException.notFound("no execution " + executionId))));
    });
  }

  // --- execution logs -------------------------------------------------------------------

  private CompletionStage<HttpResponse> logs(Call call, Optional<String> deviceId, boolean ranged) {
    int limit = QueryParams.limit(call);
    Optional<KeysetCursor> after = QueryParams.keysetCursor(call);
    QueryParams.TimeRange range = ranged ? QueryParams.range(call) : new QueryParams.TimeRange(Optional.empty(), Optional.empty());
    var filter = new DeviceReadModel.LogFilter(deviceId, range.start(), range.end());
    return devices.readModel().executions(filter, limit, after).thenApply(page -> Responses.page(mapper, page));
  }

  private CompletionStage<HttpResponse> export(Call call) {
    QueryParams.TimeRange range = QueryParams.range(call);
    // Each export holds a pooled connection for as long as the client reads: bound how many.
    if (!exportSlots.tryAcquire()) {
      throw ProblemException.unavailable("too many exports are running; try again when one has finished");
    }
    Optional<String> deviceId;
    try {
      deviceId = QueryParams.matching(call, "device_id", Devices.DEVICE_ID, DEVICE_ID_RULE);
    } catch (ProblemException e) {
      exportSlots.release();
      throw e;
    }
    boolean csv = call.request().getHeader("Accept").map(h -> h.value().contains("text/csv")).orElse(false);
    return devices.readModel()
        .export(new DeviceReadModel.LogFilter(deviceId, range.start(), range.end()), exportFetchSize)
        .whenComplete((source, failure) -> {
          if (failure != null) exportSlots.release(); // no stream to release it at its end
        })
        .thenApply(source -> {
          // The slot goes back when the stream ends, or - when the client left before the
          // answer and the stream never starts - once it has not started within a minute.
          AtomicBoolean started = new AtomicBoolean();
          Source<Execution, ?> rows = source.watchTermination((mat, done) -> {
            boolean holdsTheSlot = started.compareAndSet(false, true);
            done.whenComplete((d, failure) -> {
              if (holdsTheSlot) exportSlots.release();
            });
            return mat;
          });
          CompletableFuture.runAsync(() -> {
            if (started.compareAndSet(false, true)) exportSlots.release();
          }, CompletableFuture.delayedExecutor(1, TimeUnit.MINUTES));
          Source<ByteString, ?> bytes = csv
              ? Source.single(ByteString.fromString(ExecutionCsv.HEADER)).concat(rows.map(x -> ByteString.fromString(ExecutionCsv.line(x, mapper))))
              : rows.map(x -> ByteString.fromArray(mapper.writeValueAsBytes(x)).concat(ByteString.fromString("\n")));
          return HttpResponse.create().withEntity(HttpEntities.createChunked(csv ? CSV : NDJSON, bytes));
        });
  }

  // --- helpers --------------------------------------------------------------------------

  private static List<String> operations(JsonBody body) {
    return body.optionalList("operations", 100, op -> op.matches("[a-z_]{1,64}") ? Optional.of(op) : Optional.empty(), "an operation name");
  }

  static String deviceId(Call call, String param) {
    String id = call.pathParam(param);
    if (!Devices.DEVICE_ID.matcher(id).matches()) throw ProblemException.invalid(param, "must be " + DEVICE_ID_RULE);
    return id;
  }

  private static BookingView booked(String deviceId, Booking b) {
    return BookingView.of(deviceId, b.workflowId(), b.bookedAt());
  }

  private static DeviceView view(String id, Device.Snapshot s) {
    var r = s.registration();
    return new DeviceView(id, r.name(), r.type().wireName(), s.status(), r.capabilities(),
        s.booking().map(b -> booked(id, b)).orElse(null), s.queue().size(), r.type().operations());
  }

  private static DeviceView view(DeviceReadModel.DeviceRow row) {
    BookingView booking = row.holderWorkflowId() == null ? null : BookingView.of(row.id(), row.holderWorkflowId(), row.bookedAt());
    List<String> operations = DeviceType.fromWireName(row.type()).map(DeviceType::operations).orElse(List.of());
    return new DeviceView(row.id(), row.name(), row.type(), row.status(), row.capabilities(), booking, row.queueLength(), operations);
  }

}
